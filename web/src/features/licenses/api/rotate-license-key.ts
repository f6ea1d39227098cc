import { useMutation, useQueryClient } from '@tanstack/react-query'
import { post } from '@/lib/api-client'
import type { CreatedLicense } from '@/types/contract'

/** rotateLicenseKey replaces the key; the answer holds the new key, once. */
export function rotateLicenseKey(id: string): Promise<CreatedLicense> {
  return post<CreatedLicense>(`/api/v1/licenses/${encodeURIComponent(id)}/rotate-key`)
}

export function useRotateLicenseKey() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: rotateLicenseKey,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['licenses'] }),
  })
}
