import { useMemo, useState } from 'react'
import { Card } from '@/components/ui/card'
import { SelectField, TextField } from '@/components/ui/field'
import { PageHeader } from '@/components/ui/page-header'
import { EmptyState, ErrorState, Loading } from '@/components/ui/states'
import { formatTime } from '@/lib/format'
import { useNow } from '@/lib/use-now'
import { canWrite, useAuth } from '@/stores/auth'
import type { Session } from '@/types/contract'
import { useLiveSessions } from '../api/use-live-sessions'
import { LiveIndicator } from './live-indicator'
import { ReleaseDialog } from './release-dialog'
import { SessionTable } from './session-table'

export interface LicenseOption {
  id: string
  name: string
}

export interface SessionFilters {
  licenseId: string
  user: string
  host: string
}

/** filterSessions keeps the sessions that match every filter. */
export function filterSessions(sessions: Session[], f: SessionFilters): Session[] {
  const user = f.user.trim().toLowerCase()
  const host = f.host.trim().toLowerCase()
  return sessions.filter(
    (s) =>
      (!f.licenseId || s.license_id === f.licenseId) &&
      (!user || s.user.toLowerCase().includes(user)) &&
      (!host || s.hostname.toLowerCase().includes(host) || s.fingerprint.toLowerCase().includes(host) || s.ip.includes(host)),
  )
}

/**
 * SessionMonitor is the live table of active sessions: rows appear, update
 * and disappear as the server reports them, expiry counts down, and an
 * admin can force-release a seat.
 */
export function SessionMonitor({ licenses = [] }: { licenses?: LicenseOption[] }) {
  const live = useLiveSessions()
  const now = useNow(1000)
  const user = useAuth((s) => s.user)
  const [filters, setFilters] = useState<SessionFilters>({ licenseId: '', user: '', host: '' })
  const [releasing, setReleasing] = useState<Session | null>(null)

  const names = useMemo(() => new Map(licenses.map((l) => [l.id, l.name])), [licenses])
  const rows = useMemo(
    () => filterSessions(live.sessions, filters).sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at)),
    [live.sessions, filters],
  )
  const filtered = filters.licenseId !== '' || filters.user !== '' || filters.host !== ''

  return (
    <>
      <PageHeader
        title="Sessions"
        description="Every running copy that holds a seat right now."
        actions={<LiveIndicator mode={live.mode} />}
      />
      <Card>
        <div className="mb-4 grid gap-3 sm:grid-cols-3">
          <SelectField label="License" value={filters.licenseId} onChange={(e) => setFilters((f) => ({ ...f, licenseId: e.target.value }))}>
            <option value="">All licenses</option>
            {licenses.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </SelectField>
          <TextField label="User" type="search" value={filters.user} onChange={(e) => setFilters((f) => ({ ...f, user: e.target.value }))} placeholder="Any user" />
          <TextField label="Host" type="search" value={filters.host} onChange={(e) => setFilters((f) => ({ ...f, host: e.target.value }))} placeholder="Host, fingerprint or IP" />
        </div>
        <p className="mb-2 text-sm text-slate-600" aria-live="polite">
          {live.loaded && (
            <>
              <span data-testid="session-count">{rows.length}</span> {rows.length === 1 ? 'session' : 'sessions'}
              {filtered && ` of ${live.sessions.length}`}
              {live.lastUpdate && <span className="text-slate-500"> · updated {formatTime(live.lastUpdate)}</span>}
            </>
          )}
        </p>
        {!live.loaded && live.error ? (
          <ErrorState error={live.error} />
        ) : !live.loaded ? (
          <Loading label="Loading sessions…" />
        ) : rows.length === 0 ? (
          <EmptyState title={filtered ? 'No session matches' : 'No seats in use'}>
            {filtered ? 'Change the filters to see more sessions.' : 'Sessions appear here the moment a client acquires a seat.'}
          </EmptyState>
        ) : (
          <SessionTable
            caption="Active sessions"
            sessions={rows}
            now={now}
            licenseName={(id) => names.get(id)}
            {...(canWrite(user) ? { onRelease: setReleasing } : {})}
          />
        )}
        {live.loaded && live.error && (
          <p role="alert" className="mt-3 text-sm text-amber-800">
            The last refresh failed: {live.error.message}
          </p>
        )}
      </Card>
      <ReleaseDialog
        session={releasing}
        onClose={() => setReleasing(null)}
        onReleased={(id) => {
          live.drop(id)
          setReleasing(null)
        }}
      />
    </>
  )
}
