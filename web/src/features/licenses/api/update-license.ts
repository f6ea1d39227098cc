import { useMutation, useQueryClient } from '@tanstack/react-query'
import { patch } from '@/lib/api-client'
import type { License, LicensePatch } from '@/types/contract'

/** updateLicense changes some of a license's fields (PATCH). */
export function updateLicense(id: string, body: LicensePatch): Promise<License> {
  return patch<License>(`/api/v1/licenses/${encodeURIComponent(id)}`, body)
}

export function useUpdateLicense() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: LicensePatch }) => updateLicense(id, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['licenses'] }),
  })
}
