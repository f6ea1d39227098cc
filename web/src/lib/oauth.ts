import axios from 'axios'
import type { TokenResponse } from '@/types/contract'
import { capabilities } from './capabilities'
import { toApiError } from './problem'

// The token endpoint gets its own client: no Authorization header and no
// refresh-on-401 loop.
const tokenClient = axios.create({ timeout: 15000 })

async function post(path: string, form: Record<string, string>): Promise<unknown> {
  try {
    const res = await tokenClient.post(path, new URLSearchParams(form), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    })
    return res.data
  } catch (err) {
    throw toApiError(err)
  }
}

function asTokens(data: unknown): TokenResponse {
  const d = data as Partial<TokenResponse> | null
  if (!d || typeof d.access_token !== 'string' || typeof d.expires_in !== 'number') {
    throw new Error('The token endpoint answered without an access token.')
  }
  return {
    access_token: d.access_token,
    token_type: 'Bearer',
    expires_in: d.expires_in,
    ...(typeof d.refresh_token === 'string' && d.refresh_token !== '' ? { refresh_token: d.refresh_token } : {}),
  }
}

/** passwordGrant signs a dashboard user in (RFC 6749 §4.3). */
export async function passwordGrant(email: string, password: string): Promise<TokenResponse> {
  return asTokens(await post('/oauth/token', { grant_type: 'password', username: email, password }))
}

/** refreshGrant trades a refresh token for new tokens (with rotation). */
export async function refreshGrant(refreshToken: string): Promise<TokenResponse> {
  return asTokens(await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken }))
}

/** revokeToken revokes a refresh token's family (RFC 7009); best effort. */
export async function revokeToken(token: string): Promise<void> {
  const caps = await capabilities()
  if (caps.known && !caps.has('POST', '/oauth/revoke')) return
  try {
    await post('/oauth/revoke', { token, token_type_hint: 'refresh_token' })
  } catch {
    // A server without /oauth/revoke, or an already spent token: the local
    // session is cleared either way.
  }
}
