import { useState, type FormEvent } from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Dialog } from '@/components/ui/dialog'
import { SelectField, TextField } from '@/components/ui/field'
import { EmptyState, ErrorState, InlineError, Loading } from '@/components/ui/states'
import { Table, Td, Th } from '@/components/ui/table'
import { formatDate } from '@/lib/format'
import { useAuth } from '@/stores/auth'
import type { Role } from '@/types/contract'
import { notify } from '@/stores/toasts'
import { useCreateUser, useUpdateUser, useUsers } from '../api/users'

const MIN_PASSWORD = 12

function AddUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateUser()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<Role>('viewer')
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({})
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    const errs: typeof errors = {}
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) errs.email = 'Enter an email address.'
    if (password.length < MIN_PASSWORD) errs.password = `Use at least ${MIN_PASSWORD} characters.`
    setErrors(errs)
    if (Object.keys(errs).length > 0) return
    create.mutate(
      { email: email.trim(), password, role },
      {
        onSuccess: () => {
          notify.success(`Added ${email.trim()}.`)
          setEmail('')
          setPassword('')
          onClose()
        },
      },
    )
  }
  return (
    <Dialog open={open} onClose={onClose} title="Add a user" description="They sign in with this email and password, and can change the password later.">
      <form noValidate onSubmit={submit} className="grid gap-4">
        <TextField label="Email" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} data-autofocus />
        <TextField label="First password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} />
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} hint="Viewers read; admins also change licenses and sessions; owners also manage users and clients.">
          <option value="viewer">Viewer</option>
          <option value="admin">Admin</option>
          <option value="owner">Owner</option>
        </SelectField>
        <InlineError error={create.error} />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" loading={create.isPending}>
            Add user
          </Button>
        </div>
      </form>
    </Dialog>
  )
}

/** UsersPanel lists the tenant's users; owners add, re-role and disable them. */
export function UsersPanel() {
  const q = useUsers()
  const me = useAuth((s) => s.user)
  const update = useUpdateUser()
  const [adding, setAdding] = useState(false)
  const owner = me?.role === 'owner'
  return (
    <Card
      title="Users"
      actions={
        owner && (
          <Button variant="primary" size="sm" onClick={() => setAdding(true)}>
            Add user
          </Button>
        )
      }
    >
      {q.isPending ? (
        <Loading label="Loading users…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} missing={{ title: 'No user management on this server', body: 'This server does not offer GET /api/v1/users yet.' }} />
      ) : q.data.length === 0 ? (
        <EmptyState title="No users" />
      ) : (
        <Table caption="Users">
          <thead>
            <tr>
              <Th>Email</Th>
              <Th>Role</Th>
              <Th>Status</Th>
              <Th>Added</Th>
              {owner && (
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              )}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {q.data.map((u) => (
              <tr key={u.id}>
                <Td>
                  {u.email}
                  {u.platform_admin && (
                    <span className="ml-2">
                      <Badge tone="indigo">Platform admin</Badge>
                    </span>
                  )}
                </Td>
                <Td>
                  {owner && u.id !== me?.userId ? (
                    <SelectField
                      label={`Role of ${u.email}`}
                      hideLabel
                      value={u.role}
                      onChange={(e) =>
                        update.mutate({ id: u.id, body: { role: e.target.value as Role } }, { onError: (err) => notify.error(err.message) })
                      }
                    >
                      <option value="viewer">Viewer</option>
                      <option value="admin">Admin</option>
                      <option value="owner">Owner</option>
                    </SelectField>
                  ) : (
                    <span className="capitalize">{u.role}</span>
                  )}
                </Td>
                <Td>{u.disabled ? <Badge tone="slate">Disabled</Badge> : <Badge tone="green">Active</Badge>}</Td>
                <Td>{formatDate(u.created_at)}</Td>
                {owner && (
                  <Td className="text-right">
                    {u.id !== me?.userId && (
                      <Button
                        size="sm"
                        onClick={() => update.mutate({ id: u.id, body: { disabled: !u.disabled } }, { onError: (err) => notify.error(err.message) })}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </Button>
                    )}
                  </Td>
                )}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <AddUserDialog open={adding} onClose={() => setAdding(false)} />
    </Card>
  )
}
