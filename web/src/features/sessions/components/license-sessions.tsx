import { useState } from 'react'
import { Card } from '@/components/ui/card'
import { EmptyState, ErrorState, Loading } from '@/components/ui/states'
import { useNow } from '@/lib/use-now'
import { canWrite, useAuth } from '@/stores/auth'
import type { Session } from '@/types/contract'
import { useSessions } from '../api/get-sessions'
import { useLiveSessions } from '../api/use-live-sessions'
import { LiveIndicator } from './live-indicator'
import { ReleaseDialog } from './release-dialog'
import { SessionTable } from './session-table'

/** LicenseSessions shows one license's live sessions and its recent ended ones. */
export function LicenseSessions({ licenseId }: { licenseId: string }) {
  const live = useLiveSessions({ licenseId })
  const recent = useSessions({ license_id: licenseId, status: 'ended', limit: 20 }, { refetchInterval: 15_000 })
  const now = useNow(1000)
  const user = useAuth((s) => s.user)
  const [releasing, setReleasing] = useState<Session | null>(null)
  const rows = [...live.sessions].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at))

  return (
    <>
      <Card title="Live sessions" actions={<LiveIndicator mode={live.mode} />}>
        {!live.loaded && live.error ? (
          <ErrorState error={live.error} />
        ) : !live.loaded ? (
          <Loading label="Loading sessions…" />
        ) : rows.length === 0 ? (
          <EmptyState title="No seats in use">Running copies of this license appear here.</EmptyState>
        ) : (
          <SessionTable caption="Live sessions of this license" sessions={rows} now={now} {...(canWrite(user) ? { onRelease: setReleasing } : {})} />
        )}
      </Card>
      <Card title="Recent sessions">
        {recent.isPending ? (
          <Loading label="Loading recent sessions…" />
        ) : recent.isError ? (
          <ErrorState error={recent.error} onRetry={() => void recent.refetch()} />
        ) : recent.data.data.length === 0 ? (
          <EmptyState title="No ended sessions yet" />
        ) : (
          <SessionTable caption="Recently ended sessions of this license" sessions={recent.data.data} now={now} />
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
