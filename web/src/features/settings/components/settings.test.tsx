import { screen, within } from '@testing-library/react'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderApp, signInAs } from '@/testing/render'
import { server } from '@/testing/server'

describe('settings', () => {
  it('shows empty states for what the server does not offer, and the signing keys', async () => {
    signInAs()
    const { user } = renderApp('/settings')
    expect(await screen.findByText('No user management on this server')).toBeInTheDocument()
    await user.click(screen.getByRole('link', { name: 'OAuth clients' }))
    expect(await screen.findByText('No OAuth clients on this server')).toBeInTheDocument()
    await user.click(screen.getByRole('link', { name: 'Signing keys' }))
    expect(await screen.findByText('kid-1')).toBeInTheDocument()
  })

  it('adds a user', async () => {
    signInAs('owner')
    const users = [{ id: 'user-1', email: 'admin@example.com', role: 'owner', platform_admin: true, disabled: false, created_at: new Date().toISOString() }]
    server.use(
      http.get('*/api/v1/users', () => HttpResponse.json({ data: users, next_cursor: null })),
      http.post('*/api/v1/users', async ({ request }) => {
        const b = (await request.json()) as { email: string; role: string }
        const u = { id: 'user-2', email: b.email, role: b.role, platform_admin: false, disabled: false, created_at: new Date().toISOString() }
        users.push(u)
        return HttpResponse.json(u, { status: 201 })
      }),
    )
    const { user } = renderApp('/settings/users')
    await screen.findByText('admin@example.com')
    await user.click(screen.getByRole('button', { name: 'Add user' }))
    const dialog = screen.getByRole('dialog', { name: 'Add a user' })
    await user.type(within(dialog).getByLabelText('Email'), 'viewer@example.com')
    await user.type(within(dialog).getByLabelText('First password'), 'short')
    await user.click(within(dialog).getByRole('button', { name: 'Add user' }))
    expect(within(dialog).getByText('Use at least 12 characters.')).toBeInTheDocument()
    await user.clear(within(dialog).getByLabelText('First password'))
    await user.type(within(dialog).getByLabelText('First password'), 'a long enough password')
    await user.click(within(dialog).getByRole('button', { name: 'Add user' }))
    expect(await screen.findByText('viewer@example.com')).toBeInTheDocument()
  })

  it('creates an OAuth client and shows its secret once', async () => {
    signInAs('owner')
    server.use(
      http.get('*/api/v1/clients', () => HttpResponse.json({ data: [], next_cursor: null })),
      http.post('*/api/v1/clients', () => HttpResponse.json({ id: 'cl_1', name: 'CI', role: 'admin', created_at: new Date().toISOString(), client_secret: 'cs1.s3cret' }, { status: 201 })),
    )
    const { user } = renderApp('/settings/clients')
    await user.click(await screen.findByRole('button', { name: 'New client' }))
    await user.type(within(screen.getByRole('dialog')).getByLabelText('Name'), 'CI')
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Create client' }))
    const reveal = await screen.findByRole('dialog', { name: 'Client created' })
    expect(within(reveal).getByTestId('client-secret')).toHaveTextContent('cs1.s3cret')
    expect(within(reveal).getByText('cl_1')).toBeInTheDocument()
  })
})
