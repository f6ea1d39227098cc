import { screen } from '@testing-library/react'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderApp, signInAs } from '@/testing/render'
import { backend, makeLicense, server } from '@/testing/server'

describe('dashboard', () => {
  it('adds up the licenses on a server without statistics', async () => {
    signInAs()
    backend.licenses = [
      makeLicense({ name: 'Busy', seats: 10, seats_in_use: 9 }),
      makeLicense({ name: 'Quiet', seats: 10, seats_in_use: 1, expires_at: new Date(Date.now() + 5 * 86400_000).toISOString() }),
    ]
    renderApp('/')
    expect(await screen.findByTestId('stat-seats-in-use')).toHaveTextContent('10')
    expect(screen.getByTestId('stat-seats')).toHaveTextContent('20')
    expect(screen.getByTestId('stat-utilization')).toHaveTextContent('50 %')
    expect(screen.getByTestId('stat-denials')).toHaveTextContent('—')
    expect(screen.getByRole('link', { name: 'Busy' })).toBeInTheDocument()
    expect(screen.getByRole('link', { name: 'Quiet' })).toBeInTheDocument()
    expect(await screen.findByText('No usage history on this server')).toBeInTheDocument()
  })

  it('uses the statistics and draws the usage chart when the server has them', async () => {
    signInAs()
    server.use(
      http.get('*/api/v1/stats/overview', () => HttpResponse.json({ licenses: 1, seats: 4, seats_in_use: 3, utilization: 0.75, denials_24h: 12, near_limit: [], expiring_soon: [] })),
      http.get('*/api/v1/stats/usage', () =>
        HttpResponse.json({
          data: [
            { start: new Date(Date.now() - 60_000).toISOString(), peak_in_use: 2, acquires: 2, denials: 0, distinct_users: 2, distinct_machines: 2 },
            { start: new Date().toISOString(), peak_in_use: 3, acquires: 1, denials: 0, distinct_users: 3, distinct_machines: 3 },
          ],
          step: 'minute',
          from: new Date(Date.now() - 86400_000).toISOString(),
          to: new Date().toISOString(),
        }),
      ),
    )
    renderApp('/')
    expect(await screen.findByTestId('stat-denials')).toHaveTextContent('12')
    expect(await screen.findByRole('img', { name: /Seats in use over time.*latest 3, peak 3 seats/ })).toBeInTheDocument()
  })

  it('shows an error with a retry when the server fails', async () => {
    signInAs()
    server.use(http.get('*/api/v1/stats/overview', () => HttpResponse.json({ code: 'unavailable', detail: 'The store is not reachable.', status: 503, title: 'x', type: 'x' }, { status: 503 })))
    renderApp('/')
    expect(await screen.findByText('The store is not reachable.', {}, { timeout: 5000 })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument()
  })
})
