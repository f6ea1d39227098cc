import { useState, type ReactNode } from 'react'
import { Link, useNavigate } from 'react-router-dom'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { ConfirmDialog } from '@/components/ui/dialog'
import { SeatMeter } from '@/components/ui/meter'
import { PageHeader } from '@/components/ui/page-header'
import { ErrorState, InlineError, Loading } from '@/components/ui/states'
import { useCapabilities } from '@/lib/capabilities'
import { formatDateTime, formatDuration } from '@/lib/format'
import { toApiError } from '@/lib/problem'
import { canWrite, useAuth } from '@/stores/auth'
import { notify } from '@/stores/toasts'
import type { CreatedLicense, License } from '@/types/contract'
import { useDeleteLicense } from '../api/delete-license'
import { useLicense } from '../api/get-license'
import { useRotateLicenseKey } from '../api/rotate-license-key'
import { useSetLicenseStatus } from '../api/set-license-status'
import { KeyRevealDialog } from './key-reveal-dialog'
import { LicenseFormDialog } from './license-form-dialog'
import { LicenseStatusBadge } from './license-status-badge'

type Pending = 'suspend' | 'rotate' | 'delete' | null

// Routes a server may not offer yet answer 404/405: say so plainly.
function actionError(err: unknown, what: string): Error {
  const e = toApiError(err)
  if (e.code === 'method_not_allowed' || (e.status === 404 && e.detail?.startsWith('No such resource'))) {
    return new Error(`This server does not support ${what} yet.`)
  }
  return e
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm text-slate-900">{children}</dd>
    </div>
  )
}

/**
 * LicenseDetail shows one license with its actions: edit, suspend or
 * reinstate, rotate the key (shown once), delete. `children` is where the
 * page puts the license's sessions and usage.
 */
export function LicenseDetail({ id, children }: { id: string; children?: ReactNode }) {
  const q = useLicense(id)
  const user = useAuth((s) => s.user)
  const navigate = useNavigate()
  const [editing, setEditing] = useState(false)
  const [pending, setPending] = useState<Pending>(null)
  const [actionErr, setActionErr] = useState<Error | null>(null)
  const [revealed, setRevealed] = useState<CreatedLicense | null>(null)
  const status = useSetLicenseStatus()
  const rotate = useRotateLicenseKey()
  const remove = useDeleteLicense()
  const caps = useCapabilities()

  if (q.isPending) return <Loading label="Loading the license…" />
  if (q.isError) {
    return (
      <>
        <PageHeader title="License" />
        <Card>
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
          <p className="text-center text-sm">
            <Link to="/licenses" className="text-indigo-700 hover:underline">
              Back to licenses
            </Link>
          </p>
        </Card>
      </>
    )
  }
  const l: License = q.data
  const writable = canWrite(user)
  // Actions whose routes this server does not offer are left out.
  const offers = {
    edit: caps.has('PATCH', '/api/v1/licenses/{license_id}'),
    suspend: caps.has('POST', '/api/v1/licenses/{license_id}/suspend'),
    reinstate: caps.has('POST', '/api/v1/licenses/{license_id}/reinstate'),
    rotate: caps.has('POST', '/api/v1/licenses/{license_id}/rotate-key'),
    delete: caps.has('DELETE', '/api/v1/licenses/{license_id}'),
  }
  const missing = [
    !offers.edit && 'editing',
    !offers.suspend && 'suspending',
    !offers.reinstate && 'reinstating',
    !offers.rotate && 'key rotation',
    !offers.delete && 'deleting',
  ].filter((x): x is string => typeof x === 'string')
  const close = (): void => {
    setPending(null)
    setActionErr(null)
  }

  const reinstate = async (): Promise<void> => {
    try {
      await status.mutateAsync({ id: l.id, action: 'reinstate' })
      notify.success(`${l.name} is active again.`)
    } catch (err) {
      notify.error(actionError(err, 'reinstating licenses').message)
    }
  }

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link to="/licenses" className="text-indigo-700 hover:underline">
          Licenses
        </Link>
        <span aria-hidden="true" className="px-1 text-slate-400">
          /
        </span>
        <span className="text-slate-600">{l.name}</span>
      </nav>
      <PageHeader
        title={l.name}
        description={
          <span className="inline-flex items-center gap-2">
            <LicenseStatusBadge license={l} /> <span className="font-mono text-xs">{l.key_prefix}…</span>
          </span>
        }
        actions={
          writable && (
            <>
              {offers.edit && <Button onClick={() => setEditing(true)}>Edit</Button>}
              {l.status === 'active'
                ? offers.suspend && <Button onClick={() => setPending('suspend')}>Suspend</Button>
                : offers.reinstate && (
                    <Button loading={status.isPending} onClick={() => void reinstate()}>
                      Reinstate
                    </Button>
                  )}
              {offers.rotate && <Button onClick={() => setPending('rotate')}>Rotate key</Button>}
              {offers.delete && (
                <Button variant="danger" onClick={() => setPending('delete')}>
                  Delete
                </Button>
              )}
            </>
          )
        }
      />

      {writable && missing.length > 0 && (
        <p className="-mt-4 mb-4 text-xs text-slate-500">Not offered by this server yet: {missing.join(', ')}.</p>
      )}
      <div className="grid gap-6">
        <Card title="Overview">
          <dl className="grid grid-cols-2 gap-4 md:grid-cols-4">
            <Fact label="Seats in use">
              <span data-testid="license-seats-in-use">
                <SeatMeter inUse={l.seats_in_use} seats={l.seats} label="Seats in use" />
              </span>
            </Fact>
            <Fact label="Expires">{l.expires_at ? formatDateTime(l.expires_at) : 'Never'}</Fact>
            <Fact label="Lease TTL">{formatDuration(l.lease_ttl_seconds)}</Fact>
            <Fact label="Heartbeat every">{formatDuration(l.heartbeat_interval_seconds)}</Fact>
            <Fact label="Offline grace">{formatDuration(l.offline_grace_seconds)}</Fact>
            <Fact label="Created">{formatDateTime(l.created_at)}</Fact>
            <Fact label="Updated">{formatDateTime(l.updated_at)}</Fact>
            <Fact label="Features">
              {l.features.length === 0 ? (
                <span className="text-slate-500">None</span>
              ) : (
                <span className="flex flex-wrap gap-1">
                  {l.features.map((f) => (
                    <Badge key={f} tone="indigo">
                      {f}
                    </Badge>
                  ))}
                </span>
              )}
            </Fact>
          </dl>
        </Card>
        {children}
      </div>

      <LicenseFormDialog open={editing} license={l} onClose={() => setEditing(false)} />

      <ConfirmDialog
        open={pending === 'suspend'}
        title={`Suspend ${l.name}?`}
        description="A suspended license hands out no seats: its running copies lose their seats at their next heartbeat, and new acquires are refused until you reinstate it."
        confirmLabel="Suspend license"
        danger
        busy={status.isPending}
        error={actionErr && <InlineError error={actionErr} />}
        onCancel={close}
        onConfirm={() => {
          status.mutate(
            { id: l.id, action: 'suspend' },
            {
              onSuccess: () => {
                close()
                notify.success(`${l.name} is suspended.`)
              },
              onError: (err) => setActionErr(actionError(err, 'suspending licenses')),
            },
          )
        }}
      />
      <ConfirmDialog
        open={pending === 'rotate'}
        title={`Rotate the key of ${l.name}?`}
        description="A new key replaces the current one, which stops working at once: clients must be given the new key to acquire seats. Sessions already running keep their seats."
        confirmLabel="Rotate key"
        busy={rotate.isPending}
        error={actionErr && <InlineError error={actionErr} />}
        onCancel={close}
        onConfirm={() => {
          rotate.mutate(l.id, {
            onSuccess: (res) => {
              close()
              setRevealed(res)
            },
            onError: (err) => setActionErr(actionError(err, 'rotating license keys')),
          })
        }}
      />
      <ConfirmDialog
        open={pending === 'delete'}
        title={`Delete ${l.name}?`}
        description="The license and its key are deleted and its running copies lose their seats. This cannot be undone."
        confirmLabel="Delete license"
        danger
        busy={remove.isPending}
        error={actionErr && <InlineError error={actionErr} />}
        onCancel={close}
        onConfirm={() => {
          remove.mutate(l.id, {
            onSuccess: () => {
              close()
              notify.success(`${l.name} was deleted.`)
              void navigate('/licenses')
            },
            onError: (err) => setActionErr(actionError(err, 'deleting licenses')),
          })
        }}
      />
      <KeyRevealDialog licenseKey={revealed?.key ?? null} licenseName={l.name} rotated onClose={() => setRevealed(null)} />
    </>
  )
}
