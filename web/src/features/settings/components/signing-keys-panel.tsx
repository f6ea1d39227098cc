import { useState } from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { ConfirmDialog } from '@/components/ui/dialog'
import { EmptyState, ErrorState, InlineError, Loading } from '@/components/ui/states'
import { Table, Td, Th } from '@/components/ui/table'
import { formatDateTime } from '@/lib/format'
import { useAuth } from '@/stores/auth'
import { notify } from '@/stores/toasts'
import { usePublicKeys, useRotateSigningKey, useSigningKeys } from '../api/signing-keys'

function PublicKeys() {
  const q = usePublicKeys()
  if (q.isPending) return <Loading label="Loading keys…" />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />
  if (q.data.keys.length === 0) return <EmptyState title="No published keys" />
  return (
    <Table caption="Published signing keys">
      <thead>
        <tr>
          <Th>Key ID</Th>
          <Th>Algorithm</Th>
          <Th>Curve</Th>
          <Th>Public key</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {q.data.keys.map((k) => (
          <tr key={k.kid}>
            <Td className="font-mono text-xs">{k.kid}</Td>
            <Td>{k.alg}</Td>
            <Td>{k.crv}</Td>
            <Td className="font-mono text-xs">{k.x.slice(0, 16)}…</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  )
}

function AllKeys() {
  const q = useSigningKeys(true)
  const rotate = useRotateSigningKey()
  const [confirming, setConfirming] = useState(false)
  return (
    <>
      <div className="mb-3 flex justify-end">
        <Button size="sm" onClick={() => setConfirming(true)}>
          Rotate signing key
        </Button>
      </div>
      {q.isPending ? (
        <Loading label="Loading keys…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} missing={{ title: 'No key management on this server', body: 'The published keys are listed at /.well-known/jwks.json.' }} />
      ) : q.data.length === 0 ? (
        <EmptyState title="No signing keys" />
      ) : (
        <Table caption="Signing keys">
          <thead>
            <tr>
              <Th>Key ID</Th>
              <Th>State</Th>
              <Th>Algorithm</Th>
              <Th>Stored</Th>
              <Th>Created</Th>
              <Th>Retired</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {q.data.map((k) => (
              <tr key={k.id}>
                <Td className="font-mono text-xs" title={k.id}>
                  {k.id.slice(0, 16)}…
                </Td>
                <Td>{k.active ? <Badge tone="green">Signing</Badge> : <Badge tone="slate">Retired</Badge>}</Td>
                <Td>{k.algorithm}</Td>
                <Td>{k.external ? 'External KMS' : 'Sealed in the store'}</Td>
                <Td>{formatDateTime(k.created_at)}</Td>
                <Td>{k.retired_at ? formatDateTime(k.retired_at) : '—'}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <ConfirmDialog
        open={confirming}
        title="Rotate the signing key?"
        description="A new key signs license tokens from now on; the current one is retired but stays published until every token it signed has expired, so clients keep working offline."
        confirmLabel="Rotate key"
        busy={rotate.isPending}
        error={rotate.error ? <InlineError error={rotate.error} /> : null}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          rotate.mutate(undefined, {
            onSuccess: () => {
              setConfirming(false)
              notify.success('A new signing key is active.')
            },
          })
        }
      />
    </>
  )
}

/**
 * SigningKeysPanel shows the keys that sign license tokens: platform admins
 * see every key and rotate them; others see the published public keys.
 */
export function SigningKeysPanel() {
  const platformAdmin = useAuth((s) => s.user?.platformAdmin === true)
  return (
    <Card title="Signing keys">
      <p className="mb-3 text-sm text-slate-600">
        Clients verify license tokens offline with the public keys published at <code className="font-mono">/.well-known/jwks.json</code>.
      </p>
      {platformAdmin ? <AllKeys /> : <PublicKeys />}
    </Card>
  )
}
