import { useMutation, useQueryClient } from '@tanstack/react-query'
import { del } from '@/lib/api-client'

/** deleteLicense deletes a license and ends its sessions. */
export function deleteLicense(id: string): Promise<void> {
  return del(`/api/v1/licenses/${encodeURIComponent(id)}`)
}

export function useDeleteLicense() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: deleteLicense,
    onSuccess: (_d, id) => {
      qc.removeQueries({ queryKey: ['licenses', 'detail', id] })
      void qc.invalidateQueries({ queryKey: ['licenses'] })
      void qc.invalidateQueries({ queryKey: ['sessions'] })
    },
  })
}
