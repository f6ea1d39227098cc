import { screen, waitFor, within } from '@testing-library/react'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { renderApp, signInAs } from '@/testing/render'
import { backend, makeLicense, makeSession, server } from '@/testing/server'
import type { Session } from '@/types/contract'

function eventStream() {
  const enc = new TextEncoder()
  let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      ctrl = c
    },
  })
  return {
    response: () => new HttpResponse(body, { headers: { 'Content-Type': 'text/event-stream' } }),
    send: (event: string, s: Session) => ctrl?.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(s)}\n\n`)),
    drop: () => ctrl?.error(new Error('dropped')),
  }
}

describe('session monitor', () => {
  it('falls back to polling (a row shows within 2 s) when the server has no event stream', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD' })]
    backend.sessions = [makeSession({ user: 'alice', hostname: 'ws-1' })]
    renderApp('/sessions')
    expect(await screen.findByText('ws-1')).toBeInTheDocument()
    expect(await screen.findByText(/^Refreshing every/)).toBeInTheDocument()
    backend.sessions.push(makeSession({ user: 'bob', hostname: 'ws-2' }))
    expect(await screen.findByText('ws-2', {}, { timeout: 3000 })).toBeInTheDocument()
    expect(screen.getAllByText('Acme CAD').length).toBeGreaterThan(0)
  })

  it('adds and removes rows from server-sent events', async () => {
    signInAs()
    const stream = eventStream()
    let auth = ''
    server.use(
      http.get('*/api/v1/sessions/events', ({ request }) => {
        auth = request.headers.get('Authorization') ?? ''
        return stream.response()
      }),
    )
    renderApp('/sessions')
    expect(await screen.findByText('Live')).toBeInTheDocument()
    expect(auth).toMatch(/^Bearer ey/)
    expect(await screen.findByText('No seats in use')).toBeInTheDocument()
    const s = makeSession({ hostname: 'ws-9', user: 'carol' })
    stream.send('session.acquired', s)
    expect(await screen.findByText('ws-9')).toBeInTheDocument()
    stream.send('session.released', { ...s, status: 'ended', end_reason: 'released' })
    await waitFor(() => expect(screen.queryByText('ws-9')).not.toBeInTheDocument())
  })

  it('shows that it is reconnecting when the stream drops', async () => {
    signInAs()
    const stream = eventStream()
    let calls = 0
    server.use(
      http.get('*/api/v1/sessions/events', () => {
        calls++
        return calls === 1 ? stream.response() : HttpResponse.error()
      }),
    )
    renderApp('/sessions')
    expect(await screen.findByText('Live')).toBeInTheDocument()
    stream.drop()
    expect(await screen.findByText(/Reconnecting/)).toBeInTheDocument()
  })

  it('filters by license, user and host', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'lic-1', name: 'Acme CAD' }), makeLicense({ id: 'lic-2', name: 'Render Farm' })]
    backend.sessions = [makeSession({ license_id: 'lic-1', user: 'alice', hostname: 'ws-1' }), makeSession({ license_id: 'lic-2', user: 'bob', hostname: 'node-7' })]
    const { user } = renderApp('/sessions')
    await screen.findByText('ws-1')
    await user.selectOptions(screen.getByLabelText('License'), await screen.findByRole('option', { name: 'Render Farm' }))
    expect(screen.queryByText('ws-1')).not.toBeInTheDocument()
    expect(screen.getByText('node-7')).toBeInTheDocument()
    await user.selectOptions(screen.getByLabelText('License'), 'All licenses')
    await user.type(screen.getByLabelText('User'), 'ali')
    expect(screen.getByText('ws-1')).toBeInTheDocument()
    expect(screen.queryByText('node-7')).not.toBeInTheDocument()
    await user.clear(screen.getByLabelText('User'))
    await user.type(screen.getByLabelText('Host'), 'nothing')
    expect(screen.getByText('No session matches')).toBeInTheDocument()
  })

  it('force-releases a seat after confirmation', async () => {
    signInAs()
    backend.sessions = [makeSession({ id: 's-1', user: 'alice', hostname: 'ws-1' })]
    const { user } = renderApp('/sessions')
    await user.click(await screen.findByRole('button', { name: 'Release the seat of alice' }))
    const dialog = screen.getByRole('dialog', { name: 'Release this seat?' })
    await user.click(within(dialog).getByRole('button', { name: 'Release seat' }))
    await waitFor(() => expect(screen.queryByText('ws-1')).not.toBeInTheDocument())
    expect(backend.sessions[0]?.end_reason).toBe('revoked')
    expect(await screen.findByText('Released the seat of alice.')).toBeInTheDocument()
  })

  it('counts down to expiry', async () => {
    signInAs()
    backend.sessions = [makeSession({ hostname: 'ws-1', expires_at: new Date(Date.now() + 125_000).toISOString() })]
    renderApp('/sessions')
    const row = (await screen.findByText('ws-1')).closest('tr') as HTMLElement
    expect(within(row).getByText(/^2 min 0[0-5] s$/)).toBeInTheDocument()
    await waitFor(() => expect(within(row).getByText(/^2 min 0[0-3] s$/)).toBeInTheDocument(), { timeout: 2500 })
  })

  it('offers no release button to viewers', async () => {
    signInAs('viewer')
    backend.sessions = [makeSession({ user: 'alice', hostname: 'ws-1' })]
    renderApp('/sessions')
    await screen.findByText('ws-1')
    expect(screen.queryByRole('button', { name: /Release/ })).not.toBeInTheDocument()
  })
})
