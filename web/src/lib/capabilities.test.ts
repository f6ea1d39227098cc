import { screen } from '@testing-library/react'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderApp, signInAs } from '@/testing/render'
import { backend, makeLicense, makeSession, server } from '@/testing/server'
import { capabilitiesFrom } from './capabilities'

// The routes of today's server, as its OpenAPI document lists them.
const doc = {
  paths: {
    '/api/v1/openapi.json': { get: {} },
    '/oauth/token': { post: {} },
    '/api/v1/sessions': { get: {}, post: {} },
    '/api/v1/sessions/{session_id}': { delete: {} },
    '/api/v1/licenses': { get: {}, post: {} },
    '/api/v1/licenses/{license_id}': { get: {} },
  },
}

describe('capabilities', () => {
  it('matches paths by shape and methods case-insensitively', () => {
    const c = capabilitiesFrom(doc)
    expect(c.known).toBe(true)
    expect(c.has('get', '/api/v1/licenses/{id}')).toBe(true)
    expect(c.has('PATCH', '/api/v1/licenses/{license_id}')).toBe(false)
    expect(capabilitiesFrom('nope')).toMatchObject({ known: false })
    expect(capabilitiesFrom(null).has('GET', '/x')).toBe(true)
  })

  it('lets pages skip routes the server lacks, without a failed request', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD', seats: 3, seats_in_use: 1 })]
    backend.sessions = [makeSession({ hostname: 'ws-1' })]
    const requested: string[] = []
    const record = ({ request }: { request: Request }): void => {
      requested.push(new URL(request.url).pathname)
    }
    server.events.on('request:start', record)
    server.use(http.get('*/api/v1/openapi.json', () => HttpResponse.json(doc)))
    const { user } = renderApp('/')
    expect(await screen.findByTestId('stat-seats-in-use')).toHaveTextContent('1')
    expect(await screen.findByText('No usage history on this server')).toBeInTheDocument()
    await user.click(screen.getAllByRole('link', { name: 'Sessions' })[0]!)
    expect(await screen.findByText('ws-1')).toBeInTheDocument()
    expect(screen.getByText(/^Refreshing every/)).toBeInTheDocument()
    await user.click(screen.getAllByRole('link', { name: 'Licenses' })[0]!)
    await user.click(await screen.findByRole('link', { name: 'Acme CAD' }))
    expect(await screen.findByText(/Not offered by this server yet: editing, suspending, reinstating, key rotation, deleting/)).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Suspend' })).not.toBeInTheDocument()
    await user.click(screen.getAllByRole('link', { name: 'Audit log' })[0]!)
    expect(await screen.findByText('No audit log on this server')).toBeInTheDocument()
    server.events.removeListener('request:start', record)
    const offered = (path: string): boolean => path === '/.well-known/jwks.json' || capabilitiesFrom(doc).has('GET', path.replace(/\/(lic|ses)-[^/]+$/, '/{id}'))
    expect(requested.filter((p) => !offered(p))).toEqual([])
    expect(requested).toContain('/api/v1/licenses')
  })
})
