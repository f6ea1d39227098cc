import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Table, Td, Th } from '@/components/ui/table'
import { formatDateTime, formatDuration, formatRelative } from '@/lib/format'
import type { Session } from '@/types/contract'

/** ExpiryCountdown counts down to a lease's expiry. */
export function ExpiryCountdown({ expiresAt, now }: { expiresAt: string; now: number }) {
  const left = Math.round((Date.parse(expiresAt) - now) / 1000)
  if (Number.isNaN(left)) return <span>—</span>
  if (left <= 0) return <Badge tone="amber">Expiring</Badge>
  return (
    <time dateTime={expiresAt} title={formatDateTime(expiresAt)} className="tabular-nums">
      {formatDuration(left)}
    </time>
  )
}

function endTone(reason: Session['end_reason']): 'slate' | 'amber' | 'red' {
  return reason === 'revoked' ? 'red' : reason === 'expired' ? 'amber' : 'slate'
}

/**
 * SessionTable lists sessions: live ones with a countdown to expiry and a
 * release button, ended ones with why they ended.
 */
export function SessionTable({
  sessions,
  now,
  caption,
  licenseName,
  onRelease,
}: {
  sessions: Session[]
  now: number
  caption: string
  licenseName?: (id: string) => string | undefined
  onRelease?: (s: Session) => void
}) {
  const ended = sessions.length > 0 && sessions.every((s) => s.status === 'ended')
  return (
    <Table caption={caption}>
      <thead>
        <tr>
          {licenseName && <Th>License</Th>}
          <Th>User</Th>
          <Th>Host</Th>
          <Th>Client</Th>
          <Th>Started</Th>
          {ended ? <Th>Ended</Th> : <Th>Expires in</Th>}
          {!ended && <Th>Last heartbeat</Th>}
          <Th>IP</Th>
          {onRelease && (
            <Th>
              <span className="sr-only">Actions</span>
            </Th>
          )}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {sessions.map((s) => (
          <tr key={s.id} data-session-id={s.id} className="hover:bg-slate-50">
            {licenseName && <Td>{licenseName(s.license_id) ?? <span className="font-mono text-xs">{s.license_id.slice(0, 8)}</span>}</Td>}
            <Td>{s.user || <span className="text-slate-400">—</span>}</Td>
            <Td>{s.hostname || <span className="font-mono text-xs text-slate-500">{s.fingerprint.slice(0, 12)}</span>}</Td>
            <Td>{s.client_name ? `${s.client_name}${s.client_version ? ` ${s.client_version}` : ''}` : <span className="text-slate-400">—</span>}</Td>
            <Td title={formatDateTime(s.started_at)}>{formatRelative(s.started_at, now)}</Td>
            {s.status === 'ended' ? (
              <Td>
                <span className="inline-flex items-center gap-2">
                  <Badge tone={endTone(s.end_reason)}>{s.end_reason ?? 'ended'}</Badge>
                  <span title={formatDateTime(s.ended_at)}>{formatRelative(s.ended_at, now)}</span>
                </span>
              </Td>
            ) : (
              <Td>
                <ExpiryCountdown expiresAt={s.expires_at} now={now} />
              </Td>
            )}
            {!ended && <Td title={formatDateTime(s.last_heartbeat_at)}>{s.status === 'ended' ? '—' : formatRelative(s.last_heartbeat_at, now)}</Td>}
            <Td className="font-mono text-xs">{s.ip || '—'}</Td>
            {onRelease && (
              <Td className="text-right">
                {s.status === 'active' && (
                  <Button size="sm" variant="secondary" onClick={() => onRelease(s)} aria-label={`Release the seat of ${s.user || s.hostname || s.id}`}>
                    Release
                  </Button>
                )}
              </Td>
            )}
          </tr>
        ))}
      </tbody>
    </Table>
  )
}
