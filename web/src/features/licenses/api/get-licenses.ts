import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query'
import { get, query } from '@/lib/api-client'
import type { LicenseList, LicenseState } from '@/types/contract'

export interface LicenseListParams {
  q?: string
  status?: LicenseState | ''
  cursor?: string | null
  limit?: number
}

/** getLicenses fetches one page of the tenant's licenses, newest first. */
export function getLicenses(p: LicenseListParams = {}): Promise<LicenseList> {
  return get<LicenseList>('/api/v1/licenses', { params: query({ q: p.q, status: p.status, cursor: p.cursor, limit: p.limit }) })
}

export function licensesQueryOptions(p: LicenseListParams = {}) {
  return queryOptions({
    queryKey: ['licenses', 'list', p],
    queryFn: () => getLicenses(p),
    placeholderData: keepPreviousData,
    // Seats in use change all the time: refetch on every visit and every 10 s.
    staleTime: 0,
    refetchInterval: 10_000,
  })
}

/** useLicenses is one page of licenses. */
export function useLicenses(p: LicenseListParams = {}) {
  return useQuery(licensesQueryOptions(p))
}
