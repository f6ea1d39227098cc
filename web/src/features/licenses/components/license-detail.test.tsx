import { screen, within } from '@testing-library/react'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderApp, signInAs } from '@/testing/render'
import { backend, makeLicense, makeSession, server } from '@/testing/server'

describe('license detail', () => {
  it('shows the license with its live and recent sessions', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD', seats: 4, seats_in_use: 1, features: ['export'] })]
    backend.sessions = [
      makeSession({ license_id: 'lic-1', user: 'alice', hostname: 'ws-1' }),
      makeSession({ license_id: 'lic-1', user: 'bob', status: 'ended', end_reason: 'released', ended_at: new Date().toISOString() }),
    ]
    renderApp('/licenses/lic-1')
    expect(await screen.findByRole('heading', { name: 'Acme CAD', level: 1 })).toBeInTheDocument()
    expect(screen.getByText('export')).toBeInTheDocument()
    expect(await screen.findByText('ws-1')).toBeInTheDocument()
    expect(await screen.findByText('released')).toBeInTheDocument()
    // The usage chart says plainly that the server has no history.
    expect(await screen.findByText('No usage history on this server')).toBeInTheDocument()
  })

  it('explains a missing license', async () => {
    signInAs()
    renderApp('/licenses/nope')
    expect(await screen.findByText('No such license.')).toBeInTheDocument()
  })

  it('suspends after confirmation, and says when the server cannot', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD' })]
    const { user } = renderApp('/licenses/lic-1')
    await user.click(await screen.findByRole('button', { name: 'Suspend' }))
    const dialog = screen.getByRole('dialog', { name: 'Suspend Acme CAD?' })
    // Focus starts on Cancel: a stray Enter does not suspend.
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus()
    await user.click(within(dialog).getByRole('button', { name: 'Suspend license' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('This server does not support suspending licenses yet.')
    await user.keyboard('{Escape}')
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument()

    server.use(
      http.post('*/api/v1/licenses/lic-1/suspend', () => {
        const l = backend.licenses[0]!
        l.status = 'suspended'
        return HttpResponse.json(l)
      }),
    )
    await user.click(screen.getByRole('button', { name: 'Suspend' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Suspend license' }))
    expect(await screen.findByText('Acme CAD is suspended.')).toBeInTheDocument()
    expect(await screen.findByRole('button', { name: 'Reinstate' })).toBeInTheDocument()
  })

  it('rotates the key and reveals the new one once', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD' })]
    server.use(http.post('*/api/v1/licenses/lic-1/rotate-key', () => HttpResponse.json({ ...backend.licenses[0], key: 'CDT-NEW-KEY' })))
    const { user } = renderApp('/licenses/lic-1')
    await user.click(await screen.findByRole('button', { name: 'Rotate key' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Rotate key' }))
    const reveal = await screen.findByRole('dialog', { name: 'New license key' })
    expect(within(reveal).getByLabelText('License key')).toHaveValue('CDT-NEW-KEY')
    expect(reveal).toHaveTextContent('The old key no longer works.')
  })

  it('deletes after confirmation and goes back to the list', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD' })]
    server.use(
      http.delete('*/api/v1/licenses/lic-1', () => {
        backend.licenses = []
        return new HttpResponse(null, { status: 204 })
      }),
    )
    const { user, router } = renderApp('/licenses/lic-1')
    await user.click(await screen.findByRole('button', { name: 'Delete' }))
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete license' }))
    expect(await screen.findByText('No licenses yet')).toBeInTheDocument()
    expect(router.state.location.pathname).toBe('/licenses')
  })

  it('edits with PATCH, sending only what changed', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD', seats: 5 })]
    let sent: unknown = null
    server.use(
      http.patch('*/api/v1/licenses/lic-1', async ({ request }) => {
        sent = await request.json()
        Object.assign(backend.licenses[0]!, sent)
        return HttpResponse.json(backend.licenses[0])
      }),
    )
    const { user } = renderApp('/licenses/lic-1')
    await user.click(await screen.findByRole('button', { name: 'Edit' }))
    const dialog = screen.getByRole('dialog', { name: 'Edit Acme CAD' })
    await user.clear(within(dialog).getByLabelText('Seats'))
    await user.type(within(dialog).getByLabelText('Seats'), '8')
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }))
    expect(await screen.findByText('0 / 8')).toBeInTheDocument()
    expect(sent).toEqual({ seats: 8 })
  })
})
