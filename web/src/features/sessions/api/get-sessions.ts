import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query'
import { get, query } from '@/lib/api-client'
import type { Session, SessionList } from '@/types/contract'

export interface SessionListParams {
  license_id?: string
  status?: 'active' | 'ended' | ''
  cursor?: string | null
  limit?: number
}

/** getSessions fetches one page of the tenant's sessions, newest first. */
export function getSessions(p: SessionListParams = {}): Promise<SessionList> {
  return get<SessionList>('/api/v1/sessions', {
    params: query({ license_id: p.license_id, status: p.status, cursor: p.cursor, limit: p.limit }),
  })
}

/**
 * getActiveSessions fetches every active session (following cursors, up to
 * maxPages pages of 500).
 */
export async function getActiveSessions(licenseId?: string, maxPages = 20): Promise<Session[]> {
  const out: Session[] = []
  let cursor: string | null = null
  for (let i = 0; i < maxPages; i++) {
    const page: SessionList = await getSessions({ license_id: licenseId, status: 'active', cursor, limit: 500 })
    out.push(...page.data)
    cursor = page.next_cursor
    if (!cursor) break
  }
  return out
}

export function sessionsQueryOptions(p: SessionListParams) {
  return queryOptions({ queryKey: ['sessions', 'list', p], queryFn: () => getSessions(p), placeholderData: keepPreviousData })
}

/** useSessions is one page of sessions. */
export function useSessions(p: SessionListParams, opts: { refetchInterval?: number } = {}) {
  return useQuery({ ...sessionsQueryOptions(p), ...opts })
}
