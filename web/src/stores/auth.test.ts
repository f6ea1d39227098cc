import { describe, expect, it } from 'vitest'
import { fakeJWT } from '@/testing/server'
import { canWrite, decodeClaims, getRefreshToken, useAuth } from './auth'

describe('auth store', () => {
  it('keeps the access token in memory and the refresh token in this tab only', () => {
    const at = fakeJWT({ role: 'admin', tid: 't-9', sub: 'u-9', padm: true })
    useAuth.getState().setTokens({ access_token: at, token_type: 'Bearer', expires_in: 60, refresh_token: 'rt' }, 'me@example.com')
    const s = useAuth.getState()
    expect(s.status).toBe('authenticated')
    expect(s.accessToken).toBe(at)
    expect(s.user).toEqual({ email: 'me@example.com', userId: 'u-9', tenantId: 't-9', role: 'admin', platformAdmin: true })
    expect(getRefreshToken()).toBe('rt')
    expect(JSON.stringify({ ...localStorage })).not.toContain(at)
    expect(JSON.stringify({ ...localStorage })).not.toContain('rt')
    expect(JSON.stringify({ ...sessionStorage })).not.toContain(at)
  })

  it('forgets an old refresh token when a new sign-in brings none', () => {
    sessionStorage.setItem('coditect.refresh_token', 'old')
    useAuth.getState().setTokens({ access_token: fakeJWT(), token_type: 'Bearer', expires_in: 60 }, 'me@example.com')
    expect(getRefreshToken()).toBeNull()
  })

  it('keeps the email across a refresh that names none', () => {
    useAuth.getState().setTokens({ access_token: fakeJWT(), token_type: 'Bearer', expires_in: 60, refresh_token: 'a' }, 'me@example.com')
    useAuth.getState().setTokens({ access_token: fakeJWT(), token_type: 'Bearer', expires_in: 60, refresh_token: 'b' })
    expect(useAuth.getState().user?.email).toBe('me@example.com')
    expect(getRefreshToken()).toBe('b')
  })

  it('clears everything with a notice', () => {
    useAuth.getState().setTokens({ access_token: fakeJWT(), token_type: 'Bearer', expires_in: 60, refresh_token: 'a' }, 'me@example.com')
    useAuth.getState().clear('bye')
    expect(useAuth.getState()).toMatchObject({ status: 'anonymous', accessToken: null, user: null, notice: 'bye' })
    expect(getRefreshToken()).toBeNull()
  })

  it('reads roles safely', () => {
    expect(decodeClaims('not-a-jwt')).toEqual({})
    expect(decodeClaims('a.!!!.c')).toEqual({})
    useAuth.getState().setTokens({ access_token: fakeJWT({ role: 'root' }), token_type: 'Bearer', expires_in: 60 }, 'x@example.com')
    expect(useAuth.getState().user?.role).toBe('viewer')
    expect(canWrite(useAuth.getState().user)).toBe(false)
    expect(canWrite({ email: '', userId: '', tenantId: '', role: 'admin', platformAdmin: false })).toBe(true)
  })
})
