import { create } from 'zustand'
import type { TokenResponse } from '@/types/contract'

/** Role of the signed-in user: viewers read, owners and admins write. */
export type Role = 'owner' | 'admin' | 'viewer'

/** AuthUser is what the UI knows of the signed-in user. */
export interface AuthUser {
  email: string
  userId: string
  tenantId: string
  role: Role
  platformAdmin: boolean
}

export type AuthStatus = 'anonymous' | 'restoring' | 'authenticated'

interface AuthState {
  status: AuthStatus
  /** The access token lives only in memory, never in storage. */
  accessToken: string | null
  /** When the access token expires (ms since the epoch). */
  expiresAt: number | null
  user: AuthUser | null
  /** A message for the sign-in page, e.g. why the session ended. */
  notice: string | null
  setRestoring: () => void
  setTokens: (tokens: TokenResponse, email?: string) => void
  clear: (notice?: string | null) => void
}

// The refresh token is kept in sessionStorage (this tab only, gone when it
// closes) so a reload does not sign the user out; the email beside it is
// only for display. Nothing goes to localStorage. The strict CSP (no inline
// or third-party script) is what keeps it from other code; a server without
// refresh tokens simply leaves this empty and a reload asks to sign in.
const REFRESH_KEY = 'coditect.refresh_token'
const EMAIL_KEY = 'coditect.email'

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage
  } catch {
    return null
  }
}

/** getRefreshToken returns the stored refresh token, if any. */
export function getRefreshToken(): string | null {
  return storage()?.getItem(REFRESH_KEY) ?? null
}

function storedEmail(): string {
  return storage()?.getItem(EMAIL_KEY) ?? ''
}

/** decodeClaims reads a JWT's payload without verifying it (display only). */
export function decodeClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1]
  if (!part) return {}
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/')
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4)
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

function userFrom(accessToken: string, email: string): AuthUser {
  const c = decodeClaims(accessToken)
  const role = c.role === 'owner' || c.role === 'admin' || c.role === 'viewer' ? c.role : 'viewer'
  return {
    email,
    userId: typeof c.sub === 'string' ? c.sub : '',
    tenantId: typeof c.tid === 'string' ? c.tid : '',
    role,
    platformAdmin: c.padm === true,
  }
}

/** useAuth is the auth store: who is signed in and with which token. */
export const useAuth = create<AuthState>()((set) => ({
  status: 'anonymous',
  accessToken: null,
  expiresAt: null,
  user: null,
  notice: null,
  setRestoring: () => set({ status: 'restoring' }),
  setTokens: (tokens, email) => {
    const s = storage()
    const mail = email ?? storedEmail()
    if (tokens.refresh_token) {
      s?.setItem(REFRESH_KEY, tokens.refresh_token)
    } else if (email !== undefined) {
      // A fresh sign-in without a refresh token: forget any old one.
      s?.removeItem(REFRESH_KEY)
    }
    s?.setItem(EMAIL_KEY, mail)
    set({
      status: 'authenticated',
      accessToken: tokens.access_token,
      expiresAt: Date.now() + tokens.expires_in * 1000,
      user: userFrom(tokens.access_token, mail),
      notice: null,
    })
  },
  clear: (notice = null) => {
    const s = storage()
    s?.removeItem(REFRESH_KEY)
    s?.removeItem(EMAIL_KEY)
    set({ status: 'anonymous', accessToken: null, expiresAt: null, user: null, notice })
  },
}))

/** canWrite reports whether the role may change data. */
export function canWrite(user: AuthUser | null): boolean {
  return user?.role === 'owner' || user?.role === 'admin'
}
