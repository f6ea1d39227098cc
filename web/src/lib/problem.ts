import { isAxiosError } from 'axios'

/**
 * ApiError is every failure the UI shows: an RFC 9457 problem, an RFC 6749
 * token error, or a network failure, with one readable message.
 */
export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number
  /** The problem's stable code, the OAuth `error`, or a client-side code. */
  readonly code: string
  /** The server's explanation for a person, when it gave one. */
  readonly detail: string | undefined
  /** Extra members of the problem (e.g. seats, in_use, retry_after_seconds). */
  readonly extra: Record<string, unknown>

  constructor(opts: { status: number; code: string; message: string; detail?: string; extra?: Record<string, unknown> }) {
    super(opts.message)
    this.name = 'ApiError'
    this.status = opts.status
    this.code = opts.code
    this.detail = opts.detail
    this.extra = opts.extra ?? {}
  }

  /** True when the route does not exist on this server (yet). */
  get isMissingRoute(): boolean {
    return this.status === 404 || this.status === 405 || this.status === 501
  }
}

// Messages for codes, used when the server sent no detail.
const codeMessages: Record<string, string> = {
  invalid_request: 'The request was not valid.',
  invalid_license_key: 'The license key is not valid.',
  invalid_token: 'Your sign-in is no longer valid. Please sign in again.',
  unauthorized: 'Please sign in.',
  license_suspended: 'The license is suspended.',
  license_expired: 'The license has expired.',
  forbidden: 'Your role does not allow this action.',
  not_found: 'It does not exist, or it was deleted.',
  session_not_found: 'The session does not exist.',
  method_not_allowed: 'This server does not support that action yet.',
  seats_exhausted: 'Every seat of the license is in use.',
  conflict: 'It collides with an existing one.',
  session_expired: 'The session has expired.',
  session_revoked: 'The session was ended by an administrator.',
  payload_too_large: 'The request is too large.',
  unsupported_media_type: 'The request format is not supported.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  internal: 'The server had an internal error. Try again later.',
  unavailable: 'The server is temporarily unavailable. Try again shortly.',
  // RFC 6749 token errors.
  invalid_grant: 'The email or password is wrong.',
  invalid_client: 'The client is not valid.',
  unsupported_grant_type: 'This server does not support that sign-in method.',
  server_error: 'The server had an internal error. Try again later.',
  network_error: 'Cannot reach the server. Check your connection and try again.',
  timeout: 'The server took too long to answer. Try again.',
}

function statusMessage(status: number): string {
  if (status === 401) return codeMessages.unauthorized as string
  if (status === 403) return codeMessages.forbidden as string
  if (status === 404) return codeMessages.not_found as string
  if (status === 429) return codeMessages.rate_limited as string
  if (status >= 500) return codeMessages.internal as string
  return `The request failed (HTTP ${status}).`
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** messageFor returns the readable message for a code, if there is one. */
export function messageFor(code: string): string | undefined {
  return codeMessages[code]
}

/**
 * toApiError maps an HTTP status and body to an ApiError: problem+json
 * (`code`, `detail`), RFC 6749 (`error`, `error_description`) or anything
 * else (by status).
 */
export function problemToError(status: number, body: unknown, retryAfter?: string | null): ApiError {
  if (isRecord(body)) {
    if (typeof body.code === 'string') {
      const { type: _t, title, status: _s, detail, code, ...extra } = body
      const d = typeof detail === 'string' && detail !== '' ? detail : undefined
      let message = d ?? codeMessages[code] ?? (typeof title === 'string' ? title : statusMessage(status))
      if (code === 'rate_limited' && retryAfter) message = `${message} Try again in ${retryAfter} s.`
      return new ApiError({ status, code, message, detail: d, extra })
    }
    if (typeof body.error === 'string') {
      const desc = typeof body.error_description === 'string' && body.error_description !== '' ? body.error_description : undefined
      const message = desc ?? codeMessages[body.error] ?? statusMessage(status)
      return new ApiError({ status, code: body.error, message, detail: desc })
    }
  }
  return new ApiError({ status, code: `http_${status}`, message: statusMessage(status) })
}

/** toApiError turns anything thrown by the API client into an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (isAxiosError(err)) {
    if (err.response) {
      const retry = err.response.headers?.['retry-after'] as string | undefined
      return problemToError(err.response.status, err.response.data, retry)
    }
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') {
      return new ApiError({ status: 0, code: 'timeout', message: codeMessages.timeout as string })
    }
    return new ApiError({ status: 0, code: 'network_error', message: codeMessages.network_error as string })
  }
  if (err instanceof Error) {
    return new ApiError({ status: 0, code: 'client_error', message: err.message })
  }
  return new ApiError({ status: 0, code: 'client_error', message: 'Something went wrong.' })
}

/** errorMessage is the text to show for any error. */
export function errorMessage(err: unknown): string {
  return toApiError(err).message
}
