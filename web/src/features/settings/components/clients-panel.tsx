import { useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { CopyButton } from '@/components/ui/copy-button'
import { ConfirmDialog, Dialog } from '@/components/ui/dialog'
import { SelectField, TextField } from '@/components/ui/field'
import { EmptyState, ErrorState, InlineError, Loading } from '@/components/ui/states'
import { Table, Td, Th } from '@/components/ui/table'
import { formatDate } from '@/lib/format'
import { useAuth } from '@/stores/auth'
import { notify } from '@/stores/toasts'
import type { CreatedOAuthClient, OAuthClient } from '@/types/contract'
import { useClients, useCreateClient, useDeleteClient } from '../api/clients'

/** ClientsPanel manages OAuth clients for automation (client_credentials). */
export function ClientsPanel() {
  const q = useClients()
  const me = useAuth((s) => s.user)
  const create = useCreateClient()
  const remove = useDeleteClient()
  const [adding, setAdding] = useState(false)
  const [name, setName] = useState('')
  const [role, setRole] = useState<'admin' | 'viewer'>('viewer')
  const [nameError, setNameError] = useState<string>()
  const [created, setCreated] = useState<CreatedOAuthClient | null>(null)
  const [deleting, setDeleting] = useState<OAuthClient | null>(null)
  const owner = me?.role === 'owner'

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    if (name.trim() === '') {
      setNameError('Enter a name.')
      return
    }
    setNameError(undefined)
    create.mutate(
      { name: name.trim(), role },
      {
        onSuccess: (c) => {
          setAdding(false)
          setName('')
          setCreated(c)
        },
      },
    )
  }

  return (
    <Card
      title="OAuth clients"
      actions={
        owner && (
          <Button variant="primary" size="sm" onClick={() => setAdding(true)}>
            New client
          </Button>
        )
      }
    >
      <p className="mb-3 text-sm text-slate-600">Machine credentials for scripts and integrations, used with the client_credentials grant.</p>
      {q.isPending ? (
        <Loading label="Loading clients…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} missing={{ title: 'No OAuth clients on this server', body: 'This server does not offer GET /api/v1/clients yet.' }} />
      ) : q.data.length === 0 ? (
        <EmptyState title="No clients yet">Create one to automate license management.</EmptyState>
      ) : (
        <Table caption="OAuth clients">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Client ID</Th>
              <Th>Role</Th>
              <Th>Created</Th>
              {owner && (
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              )}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {q.data.map((c) => (
              <tr key={c.id}>
                <Td>{c.name || '—'}</Td>
                <Td className="font-mono text-xs">{c.id}</Td>
                <Td className="capitalize">{c.role}</Td>
                <Td>{formatDate(c.created_at)}</Td>
                {owner && (
                  <Td className="text-right">
                    <Button size="sm" variant="danger" onClick={() => setDeleting(c)}>
                      Delete
                    </Button>
                  </Td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      <Dialog open={adding} onClose={() => setAdding(false)} title="New OAuth client">
        <form noValidate onSubmit={submit} className="grid gap-4">
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={nameError} data-autofocus autoComplete="off" />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as 'admin' | 'viewer')}>
            <option value="viewer">Viewer (read only)</option>
            <option value="admin">Admin (manage licenses and sessions)</option>
          </SelectField>
          <InlineError error={create.error} />
          <div className="flex justify-end gap-2">
            <Button onClick={() => setAdding(false)}>Cancel</Button>
            <Button type="submit" variant="primary" loading={create.isPending}>
              Create client
            </Button>
          </div>
        </form>
      </Dialog>

      <Dialog
        open={created !== null}
        onClose={() => setCreated(null)}
        title="Client created"
        description="Copy the secret now: it is shown only this once."
        footer={
          <Button variant="primary" onClick={() => setCreated(null)}>
            I have stored the secret
          </Button>
        }
      >
        <dl className="grid gap-3 text-sm">
          <div>
            <dt className="font-medium text-slate-700">Client ID</dt>
            <dd className="font-mono">{created?.id}</dd>
          </div>
          <div>
            <dt className="font-medium text-slate-700">Client secret</dt>
            <dd className="flex flex-wrap items-center gap-2 font-mono break-all">
              <span data-testid="client-secret">{created?.client_secret}</span>
              {created && <CopyButton text={created.client_secret} label="Copy secret" />}
            </dd>
          </div>
        </dl>
      </Dialog>

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.name || 'this client'}?`}
        description="Scripts using this client can no longer get tokens."
        confirmLabel="Delete client"
        danger
        busy={remove.isPending}
        error={remove.error ? <InlineError error={remove.error} /> : null}
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          if (!deleting) return
          remove.mutate(deleting.id, {
            onSuccess: () => {
              notify.success('Client deleted.')
              setDeleting(null)
            },
          })
        }}
      />
    </Card>
  )
}
