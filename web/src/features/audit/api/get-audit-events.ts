import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query'
import { get, query } from '@/lib/api-client'
import { requireRoute } from '@/lib/capabilities'
import type { AuditEventList } from '@/types/contract'

export interface AuditFilters {
  action?: string
  actor_id?: string
  target_id?: string
  from?: string | undefined
  to?: string | undefined
  cursor?: string | null
  limit?: number
}

/** getAuditEvents fetches a page of audit events, newest first. */
export async function getAuditEvents(f: AuditFilters): Promise<AuditEventList> {
  await requireRoute('GET', '/api/v1/audit-events')
  return get<AuditEventList>('/api/v1/audit-events', {
    params: query({ action: f.action, actor_id: f.actor_id, target_id: f.target_id, from: f.from, to: f.to, cursor: f.cursor, limit: f.limit }),
  })
}

export function auditEventsQueryOptions(f: AuditFilters) {
  return queryOptions({ queryKey: ['audit-events', f], queryFn: () => getAuditEvents(f), placeholderData: keepPreviousData })
}

export function useAuditEvents(f: AuditFilters) {
  return useQuery(auditEventsQueryOptions(f))
}
