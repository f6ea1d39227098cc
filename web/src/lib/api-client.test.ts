import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { server, fakeJWT } from '@/testing/server'
import { getRefreshToken, useAuth } from '@/stores/auth'
import { get, refreshAccessToken, restoreSession, SESSION_EXPIRED } from './api-client'
import { ApiError } from './problem'

function signIn(accessToken: string, refreshToken?: string): void {
  useAuth.getState().setTokens({ access_token: accessToken, token_type: 'Bearer', expires_in: 900, ...(refreshToken ? { refresh_token: refreshToken } : {}) }, 'a@example.com')
}

describe('api client', () => {
  it('attaches the access token', async () => {
    const token = fakeJWT({ n: 1 })
    signIn(token)
    let seen = ''
    server.use(
      http.get('*/api/v1/thing', ({ request }) => {
        seen = request.headers.get('Authorization') ?? ''
        return HttpResponse.json({ ok: true })
      }),
    )
    await expect(get('/api/v1/thing')).resolves.toEqual({ ok: true })
    expect(seen).toBe(`Bearer ${token}`)
  })

  it('refreshes once on a 401 and retries with the new token', async () => {
    const oldToken = fakeJWT({ n: 'old' })
    const newToken = fakeJWT({ n: 'new' })
    signIn(oldToken, 'rt-1')
    const grants: string[] = []
    server.use(
      http.post('*/oauth/token', async ({ request }) => {
        const form = new URLSearchParams(await request.text())
        grants.push(`${form.get('grant_type')}:${form.get('refresh_token')}`)
        return HttpResponse.json({ access_token: newToken, token_type: 'Bearer', expires_in: 900, refresh_token: 'rt-2' })
      }),
      http.get('*/api/v1/thing', ({ request }) =>
        request.headers.get('Authorization') === `Bearer ${newToken}`
          ? HttpResponse.json({ ok: true })
          : HttpResponse.json({ code: 'invalid_token', detail: 'expired', status: 401, title: 'Unauthorized', type: 'x' }, { status: 401 }),
      ),
    )
    await expect(get('/api/v1/thing')).resolves.toEqual({ ok: true })
    expect(grants).toEqual(['refresh_token:rt-1'])
    expect(useAuth.getState().accessToken).toBe(newToken)
    // Rotation: the new refresh token replaces the spent one.
    expect(getRefreshToken()).toBe('rt-2')
  })

  it('shares one refresh between concurrent 401s (a rotated token is used once)', async () => {
    signIn(fakeJWT({ n: 'old' }), 'rt-1')
    const newToken = fakeJWT({ n: 'new' })
    let grants = 0
    server.use(
      http.post('*/oauth/token', async () => {
        grants++
        await new Promise((r) => setTimeout(r, 20))
        return HttpResponse.json({ access_token: newToken, token_type: 'Bearer', expires_in: 900, refresh_token: 'rt-2' })
      }),
      http.get('*/api/v1/thing', ({ request }) =>
        request.headers.get('Authorization') === `Bearer ${newToken}` ? HttpResponse.json({ ok: true }) : new HttpResponse(null, { status: 401 }),
      ),
    )
    await Promise.all([get('/api/v1/thing'), get('/api/v1/thing'), get('/api/v1/thing')])
    expect(grants).toBe(1)
  })

  it('retries only once: a second 401 signs out with a message', async () => {
    signIn(fakeJWT(), 'rt-1')
    let calls = 0
    server.use(
      http.post('*/oauth/token', () => HttpResponse.json({ access_token: fakeJWT({ n: 2 }), token_type: 'Bearer', expires_in: 900 })),
      http.get('*/api/v1/thing', () => {
        calls++
        return HttpResponse.json({ type: 'x', title: 'Unauthorized', status: 401, detail: 'The token is not valid.', code: 'invalid_token' }, { status: 401 })
      }),
    )
    const err = await get('/api/v1/thing').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('invalid_token')
    expect(calls).toBe(2)
    expect(useAuth.getState().status).toBe('anonymous')
    expect(useAuth.getState().notice).toBe(SESSION_EXPIRED)
  })

  it('signs out on a 401 when there is no refresh token (server without refresh grant)', async () => {
    signIn(fakeJWT())
    let grants = 0
    server.use(
      http.post('*/oauth/token', () => {
        grants++
        return HttpResponse.json({})
      }),
      http.get('*/api/v1/thing', () => new HttpResponse(null, { status: 401 })),
    )
    await expect(get('/api/v1/thing')).rejects.toBeInstanceOf(ApiError)
    expect(grants).toBe(0)
    expect(useAuth.getState().accessToken).toBeNull()
  })

  it('signs out when the refresh token is refused', async () => {
    signIn(fakeJWT(), 'rt-spent')
    server.use(
      http.post('*/oauth/token', () => HttpResponse.json({ error: 'invalid_grant', error_description: 'The refresh token was already used.' }, { status: 400 })),
      http.get('*/api/v1/thing', () => new HttpResponse(null, { status: 401 })),
    )
    await expect(get('/api/v1/thing')).rejects.toBeInstanceOf(ApiError)
    expect(useAuth.getState().status).toBe('anonymous')
    expect(getRefreshToken()).toBeNull()
  })

  it('maps problem+json to a readable error', async () => {
    signIn(fakeJWT())
    server.use(
      http.post('*/api/v1/thing', () =>
        HttpResponse.json(
          { type: 'urn:coditect:problem:invalid_request', title: 'Bad Request', status: 400, detail: 'seats must be between 1 and 1000000.', code: 'invalid_request' },
          { status: 400, headers: { 'Content-Type': 'application/problem+json' } },
        ),
      ),
      http.get('*/api/v1/thing', () => HttpResponse.json({ code: 'seats_exhausted', status: 409, title: 'Conflict', detail: '', type: 'x', seats: 2, in_use: 2 }, { status: 409 })),
    )
    const { post } = await import('./api-client')
    const err = (await post('/api/v1/thing', {}).catch((e: unknown) => e)) as ApiError
    expect(err.status).toBe(400)
    expect(err.code).toBe('invalid_request')
    expect(err.message).toBe('seats must be between 1 and 1000000.')
    const err2 = (await get('/api/v1/thing').catch((e: unknown) => e)) as ApiError
    expect(err2.message).toBe('Every seat of the license is in use.')
    expect(err2.extra).toMatchObject({ seats: 2, in_use: 2 })
  })

  it('reports an unreachable server plainly', async () => {
    signIn(fakeJWT())
    server.use(http.get('*/api/v1/thing', () => HttpResponse.error()))
    const err = (await get('/api/v1/thing').catch((e: unknown) => e)) as ApiError
    expect(err.code).toBe('network_error')
    expect(err.message).toMatch(/Cannot reach the server/)
  })

  it('restores a session after a reload from the refresh token', async () => {
    sessionStorage.setItem('coditect.refresh_token', 'rt-1')
    sessionStorage.setItem('coditect.email', 'a@example.com')
    server.use(http.post('*/oauth/token', () => HttpResponse.json({ access_token: fakeJWT({ role: 'admin' }), token_type: 'Bearer', expires_in: 900, refresh_token: 'rt-2' })))
    await expect(restoreSession()).resolves.toBe(true)
    expect(useAuth.getState().user).toMatchObject({ email: 'a@example.com', role: 'admin' })
  })

  it('has nothing to restore without a refresh token', async () => {
    await expect(restoreSession()).resolves.toBe(false)
    await expect(refreshAccessToken()).resolves.toBeNull()
  })
})
