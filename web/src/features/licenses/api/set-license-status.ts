import { useMutation, useQueryClient } from '@tanstack/react-query'
import { post } from '@/lib/api-client'
import type { License } from '@/types/contract'

/** suspendLicense stops a license from handing out seats and ends its sessions. */
export function suspendLicense(id: string): Promise<License> {
  return post<License>(`/api/v1/licenses/${encodeURIComponent(id)}/suspend`)
}

/** reinstateLicense lets a suspended license hand out seats again. */
export function reinstateLicense(id: string): Promise<License> {
  return post<License>(`/api/v1/licenses/${encodeURIComponent(id)}/reinstate`)
}

export function useSetLicenseStatus() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'suspend' | 'reinstate' }) =>
      action === 'suspend' ? suspendLicense(id) : reinstateLicense(id),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['licenses'] })
      void qc.invalidateQueries({ queryKey: ['sessions'] })
    },
  })
}
