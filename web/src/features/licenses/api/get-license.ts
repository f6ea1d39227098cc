import { queryOptions, useQuery } from '@tanstack/react-query'
import { get } from '@/lib/api-client'
import type { License } from '@/types/contract'

/** getLicense fetches one license with its live seat count. */
export function getLicense(id: string): Promise<License> {
  return get<License>(`/api/v1/licenses/${encodeURIComponent(id)}`)
}

export function licenseQueryOptions(id: string) {
  return queryOptions({ queryKey: ['licenses', 'detail', id], queryFn: () => getLicense(id), staleTime: 0, refetchInterval: 10_000 })
}

export function useLicense(id: string) {
  return useQuery(licenseQueryOptions(id))
}
