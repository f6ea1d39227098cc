import { useMutation, useQueryClient } from '@tanstack/react-query'
import { post } from '@/lib/api-client'
import type { CreatedLicense, LicenseCreate } from '@/types/contract'

/** createLicense creates a license; the answer holds its key, once. */
export function createLicense(body: LicenseCreate): Promise<CreatedLicense> {
  return post<CreatedLicense>('/api/v1/licenses', body)
}

export function useCreateLicense() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: createLicense,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['licenses'] }),
  })
}
