import axios, { AxiosHeaders, type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios'
import { getRefreshToken, useAuth } from '@/stores/auth'
import { refreshGrant } from './oauth'
import { toApiError } from './problem'

/** The message the sign-in page shows after a session could not be renewed. */
export const SESSION_EXPIRED = 'Your session has expired. Please sign in again.'

interface RetriableConfig extends InternalAxiosRequestConfig {
  _retried?: boolean
}

/**
 * api is the one HTTP client of the app: it attaches the access token,
 * renews it once on a 401 with the refresh token, and turns every failure
 * into an ApiError with a readable message.
 */
export const api = axios.create({
  baseURL: '/',
  timeout: 20000,
  headers: { Accept: 'application/json' },
})

api.interceptors.request.use((config) => {
  const token = useAuth.getState().accessToken
  if (token && !config.headers.has('Authorization')) {
    config.headers.set('Authorization', `Bearer ${token}`)
  }
  return config
})

api.interceptors.response.use(undefined, async (error: unknown) => {
  if (axios.isAxiosError(error) && error.response?.status === 401 && error.config) {
    const config = error.config as RetriableConfig
    if (!config._retried) {
      config._retried = true
      const token = await refreshAccessToken()
      if (token) {
        const headers = AxiosHeaders.from(config.headers)
        headers.set('Authorization', `Bearer ${token}`)
        config.headers = headers
        return api.request(config)
      }
    }
    useAuth.getState().clear(SESSION_EXPIRED)
  }
  throw toApiError(error)
})

let refreshing: Promise<string | null> | null = null

/**
 * refreshAccessToken renews the access token with the stored refresh token.
 * Concurrent callers share one request (refresh tokens rotate: a second use
 * of the same token would revoke the whole family). It resolves to null when
 * there is no refresh token or the server refused it.
 */
export function refreshAccessToken(): Promise<string | null> {
  if (refreshing) return refreshing
  const rt = getRefreshToken()
  if (!rt) return Promise.resolve(null)
  refreshing = refreshGrant(rt)
    .then((tokens) => {
      useAuth.getState().setTokens(tokens)
      return tokens.access_token
    })
    .catch(() => null)
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

/**
 * restoreSession signs the user back in after a reload, when this tab still
 * holds a refresh token. It resolves to whether a session is active.
 */
export async function restoreSession(): Promise<boolean> {
  const auth = useAuth.getState()
  if (auth.status === 'authenticated') return true
  if (!getRefreshToken()) return false
  auth.setRestoring()
  const token = await refreshAccessToken()
  if (!token) {
    useAuth.getState().clear(SESSION_EXPIRED)
    return false
  }
  return true
}

/** get fetches JSON. */
export async function get<T>(url: string, config?: AxiosRequestConfig): Promise<T> {
  const res = await api.get<T>(url, config)
  return res.data
}

/** post sends JSON and returns the answer. */
export async function post<T>(url: string, body?: unknown, config?: AxiosRequestConfig): Promise<T> {
  const res = await api.post<T>(url, body, config)
  return res.data
}

/** patch sends a partial update. */
export async function patch<T>(url: string, body: unknown): Promise<T> {
  const res = await api.patch<T>(url, body)
  return res.data
}

/** del deletes; 204 answers resolve to undefined. */
export async function del(url: string): Promise<void> {
  await api.delete(url)
}

/** query builds a query-string object without empty values. */
export function query(params: Record<string, string | number | undefined | null>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') out[k] = String(v)
  }
  return out
}
