import { screen, waitFor, within } from '@testing-library/react'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderApp, signInAs } from '@/testing/render'
import { backend, makeLicense, server } from '@/testing/server'
import { usePreferences } from '@/stores/preferences'

describe('license manager', () => {
  it('shows an empty state with a way to create the first license', async () => {
    signInAs()
    renderApp('/licenses')
    expect(await screen.findByText('No licenses yet')).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Create the first license' })).toBeInTheDocument()
  })

  it('creates a license after fixing the fields, and shows its key once', async () => {
    signInAs()
    const { user } = renderApp('/licenses')
    await user.click(await screen.findByRole('button', { name: 'New license' }))
    const dialog = screen.getByRole('dialog', { name: 'New license' })
    await user.type(within(dialog).getByLabelText('Name'), 'Acme CAD')
    await user.clear(within(dialog).getByLabelText('Seats'))
    await user.type(within(dialog).getByLabelText('Seats'), '0')
    await user.type(within(dialog).getByLabelText('Lease TTL (seconds)'), '60')
    await user.type(within(dialog).getByLabelText('Heartbeat interval (seconds)'), '60')
    await user.click(within(dialog).getByRole('button', { name: 'Create license' }))
    expect(within(dialog).getByText('Enter a whole number from 1 to 1,000,000.')).toBeInTheDocument()
    expect(within(dialog).getByText('Must be less than the lease TTL (60 s).')).toBeInTheDocument()
    expect(within(dialog).getByLabelText('Seats')).toHaveAttribute('aria-invalid', 'true')
    expect(backend.licenses).toHaveLength(0)

    await user.clear(within(dialog).getByLabelText('Seats'))
    await user.type(within(dialog).getByLabelText('Seats'), '3')
    await user.clear(within(dialog).getByLabelText('Heartbeat interval (seconds)'))
    await user.type(within(dialog).getByLabelText('Heartbeat interval (seconds)'), '20')
    await user.click(within(dialog).getByRole('button', { name: 'Create license' }))

    const reveal = await screen.findByRole('dialog', { name: 'License created' })
    expect(within(reveal).getByLabelText('License key')).toHaveValue('CDT-ABCD-EFGH-IJKL-MNOP-QRST')
    expect(within(reveal).getByRole('button', { name: 'Copy key' })).toBeInTheDocument()
    await user.click(within(reveal).getByRole('button', { name: 'I have stored the key' }))
    expect(screen.queryByDisplayValue('CDT-ABCD-EFGH-IJKL-MNOP-QRST')).not.toBeInTheDocument()
    expect(await screen.findByRole('link', { name: 'Acme CAD' })).toBeInTheDocument()
  })

  it('shows the server refusal inside the form', async () => {
    signInAs()
    server.use(
      http.post('*/api/v1/licenses', () =>
        HttpResponse.json({ type: 'x', title: 'Forbidden', status: 403, detail: 'Your role (viewer) may not make changes.', code: 'forbidden' }, { status: 403 }),
      ),
    )
    const { user } = renderApp('/licenses')
    await user.click(await screen.findByRole('button', { name: 'New license' }))
    const dialog = screen.getByRole('dialog')
    await user.type(within(dialog).getByLabelText('Name'), 'X')
    await user.click(within(dialog).getByRole('button', { name: 'Create license' }))
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Your role (viewer) may not make changes.')
  })

  it('searches, filters by status and pages with cursors', async () => {
    signInAs()
    backend.licenses = Array.from({ length: 12 }, (_, i) => makeLicense({ id: `l${i}`, name: `Product ${i}`, status: i % 2 ? 'suspended' : 'active' }))
    usePreferences.getState().setPageSize(10)
    const { user } = renderApp('/licenses')
    expect(await screen.findByRole('link', { name: 'Product 0' })).toBeInTheDocument()
    expect(screen.queryByRole('link', { name: 'Product 10' })).not.toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Next' }))
    expect(await screen.findByRole('link', { name: 'Product 10' })).toBeInTheDocument()
    expect(screen.getByText(/Page 2/)).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Previous' }))
    expect(await screen.findByRole('link', { name: 'Product 0' })).toBeInTheDocument()

    await user.selectOptions(screen.getByLabelText('Status'), 'suspended')
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Product 0' })).not.toBeInTheDocument())
    expect(screen.getByRole('link', { name: 'Product 1' })).toBeInTheDocument()

    await user.type(screen.getByLabelText('Search'), 'Product 11')
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Product 1' })).not.toBeInTheDocument())
    expect(screen.getByRole('link', { name: 'Product 11' })).toBeInTheDocument()

    await user.type(screen.getByLabelText('Search'), 'zzz')
    expect(await screen.findByText('No license matches')).toBeInTheDocument()
  })

  it('sorts the page', async () => {
    signInAs()
    backend.licenses = [makeLicense({ name: 'Beta', seats: 10, seats_in_use: 1 }), makeLicense({ name: 'Alpha', seats: 2, seats_in_use: 2 })]
    const { user } = renderApp('/licenses')
    await screen.findByRole('link', { name: 'Beta' })
    const names = () => screen.getAllByRole('link').map((a) => a.textContent).filter((t) => t === 'Alpha' || t === 'Beta')
    expect(names()).toEqual(['Beta', 'Alpha'])
    await user.selectOptions(screen.getByLabelText('Sort this page by'), 'name')
    expect(names()).toEqual(['Alpha', 'Beta'])
    await user.selectOptions(screen.getByLabelText('Sort this page by'), 'utilization')
    expect(names()).toEqual(['Alpha', 'Beta'])
  })

  it('hides the create button from viewers', async () => {
    signInAs('viewer')
    backend.licenses = [makeLicense({ name: 'Only' })]
    renderApp('/licenses')
    await screen.findByRole('link', { name: 'Only' })
    expect(screen.queryByRole('button', { name: 'New license' })).not.toBeInTheDocument()
  })
})
