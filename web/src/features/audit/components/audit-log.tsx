import { useState } from 'react'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { TextField } from '@/components/ui/field'
import { PageHeader } from '@/components/ui/page-header'
import { EmptyState, ErrorState, Loading } from '@/components/ui/states'
import { Table, Td, Th } from '@/components/ui/table'
import { formatDateTime } from '@/lib/format'
import { useDebounced } from '@/lib/use-debounced'
import { usePreferences } from '@/stores/preferences'
import type { AuditEvent } from '@/types/contract'
import { useAuditEvents } from '../api/get-audit-events'

function Changes({ e }: { e: AuditEvent }) {
  if (!e.before && !e.after) return <span className="text-slate-400">—</span>
  return (
    <details>
      <summary className="cursor-pointer text-indigo-700">Show changes</summary>
      <div className="mt-2 grid gap-2 md:grid-cols-2">
        {e.before && (
          <pre className="max-w-md overflow-x-auto rounded bg-slate-50 p-2 text-xs">
            <span className="font-semibold">Before </span>
            {JSON.stringify(e.before, null, 2)}
          </pre>
        )}
        {e.after && (
          <pre className="max-w-md overflow-x-auto rounded bg-slate-50 p-2 text-xs">
            <span className="font-semibold">After </span>
            {JSON.stringify(e.after, null, 2)}
          </pre>
        )}
      </div>
    </details>
  )
}

function toISO(local: string): string | undefined {
  if (!local) return undefined
  const d = new Date(local)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/** AuditLog lists who did what, filterable by action, actor, target and time. */
export function AuditLog() {
  const pageSize = usePreferences((s) => s.pageSize)
  const [action, setAction] = useState('')
  const [actor, setActor] = useState('')
  const [target, setTarget] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [cursors, setCursors] = useState<Array<string | null>>([null])
  const page = cursors.length - 1
  const filters = useDebounced({ action: action.trim(), actor_id: actor.trim(), target_id: target.trim(), from: toISO(from), to: toISO(to) }, 300)
  const q = useAuditEvents({ ...filters, cursor: cursors[page] ?? null, limit: pageSize })
  const reset = (): void => setCursors([null])
  const filtered = Object.values(filters).some(Boolean)

  return (
    <>
      <PageHeader title="Audit log" description="Sign-ins and every change to licenses, users and clients: who, what, when and from where." />
      <Card>
        <div className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-5">
          <TextField label="Action" placeholder="e.g. license.create" value={action} onChange={(e) => { setAction(e.target.value); reset() }} />
          <TextField label="Actor ID" value={actor} onChange={(e) => { setActor(e.target.value); reset() }} />
          <TextField label="Target ID" value={target} onChange={(e) => { setTarget(e.target.value); reset() }} />
          <TextField label="From" type="datetime-local" value={from} onChange={(e) => { setFrom(e.target.value); reset() }} />
          <TextField label="To" type="datetime-local" value={to} onChange={(e) => { setTo(e.target.value); reset() }} />
        </div>
        {q.isPending ? (
          <Loading label="Loading audit events…" />
        ) : q.isError ? (
          <ErrorState
            error={q.error}
            onRetry={() => void q.refetch()}
            missing={{ title: 'No audit log on this server', body: 'This server does not offer GET /api/v1/audit-events yet.' }}
          />
        ) : q.data.data.length === 0 ? (
          <EmptyState title={filtered ? 'No event matches' : 'No events yet'}>{filtered ? 'Change the filters.' : 'Sign-ins and changes are recorded here.'}</EmptyState>
        ) : (
          <Table caption="Audit events">
            <thead>
              <tr>
                <Th>When</Th>
                <Th>Action</Th>
                <Th>Actor</Th>
                <Th>Target</Th>
                <Th>IP</Th>
                <Th>Changes</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {q.data.data.map((e) => (
                <tr key={e.id} className="align-top">
                  <Td>{formatDateTime(e.created_at)}</Td>
                  <Td className="font-mono text-xs">{e.action || '—'}</Td>
                  <Td>
                    <span className="capitalize">{e.actor_type}</span>
                    {e.actor_id && <span className="ml-1 font-mono text-xs text-slate-500" title={e.actor_id}>{e.actor_id.slice(0, 8)}</span>}
                  </Td>
                  <Td>
                    {e.target_type && <span className="text-xs text-slate-500">{e.target_type} </span>}
                    <span className="font-mono text-xs">{e.target_id ? e.target_id.slice(0, 12) : '—'}</span>
                  </Td>
                  <Td className="font-mono text-xs">{e.ip || '—'}</Td>
                  <Td className="whitespace-normal">
                    <Changes e={e} />
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        <nav aria-label="Pages" className="mt-4 flex items-center justify-between">
          <Button size="sm" disabled={page === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </Button>
          <span className="text-sm text-slate-600">Page {page + 1}</span>
          <Button
            size="sm"
            disabled={!q.data?.next_cursor}
            onClick={() => {
              const next = q.data?.next_cursor
              if (next) setCursors((c) => [...c, next])
            }}
          >
            Next
          </Button>
        </nav>
      </Card>
    </>
  )
}
