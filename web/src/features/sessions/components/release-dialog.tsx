import { useState } from 'react'
import { ConfirmDialog } from '@/components/ui/dialog'
import { InlineError } from '@/components/ui/states'
import { notify } from '@/stores/toasts'
import type { Session } from '@/types/contract'
import { useReleaseSession } from '../api/release-session'

/** ReleaseDialog confirms a force release, then tells the parent. */
export function ReleaseDialog({ session, onClose, onReleased }: { session: Session | null; onClose: () => void; onReleased: (id: string) => void }) {
  const release = useReleaseSession()
  const [error, setError] = useState<unknown>(null)
  const who = session ? session.user || session.hostname || session.fingerprint : ''
  return (
    <ConfirmDialog
      open={session !== null}
      title="Release this seat?"
      description={
        <>
          The session of <strong>{who}</strong> ends now and its seat is free at once. The running copy learns it at its next heartbeat and must acquire
          a seat again.
        </>
      }
      confirmLabel="Release seat"
      danger
      busy={release.isPending}
      error={error ? <InlineError error={error} /> : null}
      onCancel={() => {
        setError(null)
        onClose()
      }}
      onConfirm={() => {
        if (!session) return
        release.mutate(session.id, {
          onSuccess: () => {
            setError(null)
            onReleased(session.id)
            notify.success(`Released the seat of ${who}.`)
          },
          onError: setError,
        })
      }}
    />
  )
}
