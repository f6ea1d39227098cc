import { AxiosError, AxiosHeaders } from 'axios'
import { describe, expect, it } from 'vitest'
import { ApiError, errorMessage, problemToError, toApiError } from './problem'

describe('problem mapping', () => {
  it('uses the detail of a problem', () => {
    const e = problemToError(403, { type: 'urn:coditect:problem:forbidden', title: 'Forbidden', status: 403, detail: 'Your role (viewer) may not make changes.', code: 'forbidden' })
    expect(e).toMatchObject({ status: 403, code: 'forbidden', message: 'Your role (viewer) may not make changes.' })
  })

  it('falls back to a message for the code', () => {
    expect(problemToError(410, { code: 'session_revoked', detail: '' }).message).toBe('The session was ended by an administrator.')
  })

  it('keeps the extra members', () => {
    const e = problemToError(409, { code: 'seats_exhausted', detail: 'All 2 seats are in use.', seats: 2, in_use: 2, retry_after_seconds: 60, type: 't', title: 'Conflict', status: 409 })
    expect(e.extra).toEqual({ seats: 2, in_use: 2, retry_after_seconds: 60 })
  })

  it('maps RFC 6749 token errors', () => {
    expect(problemToError(400, { error: 'invalid_grant', error_description: 'The email or password is wrong.' }).message).toBe('The email or password is wrong.')
    expect(problemToError(400, { error: 'invalid_grant' }).message).toBe('The email or password is wrong.')
    expect(problemToError(400, { error: 'unsupported_grant_type' }).code).toBe('unsupported_grant_type')
  })

  it('says when to retry a rate-limited request', () => {
    expect(problemToError(429, { code: 'rate_limited', detail: 'Too many requests.' }, '7').message).toBe('Too many requests. Try again in 7 s.')
  })

  it('maps bodies that are not problems by status', () => {
    expect(problemToError(502, '<html>bad gateway</html>').message).toMatch(/internal error/)
    expect(problemToError(404, null).code).toBe('http_404')
    expect(problemToError(404, null).isMissingRoute).toBe(true)
  })

  it('maps axios errors with and without a response', () => {
    const cfg = { headers: new AxiosHeaders() }
    const withResponse = new AxiosError('x', 'ERR_BAD_REQUEST', cfg, null, {
      status: 400,
      statusText: 'Bad Request',
      headers: {},
      config: cfg,
      data: { code: 'invalid_request', detail: 'name is required.' },
    })
    expect(toApiError(withResponse).message).toBe('name is required.')
    expect(toApiError(new AxiosError('timeout', 'ECONNABORTED', cfg)).code).toBe('timeout')
    expect(toApiError(new AxiosError('Network Error', 'ERR_NETWORK', cfg)).code).toBe('network_error')
  })

  it('passes ApiErrors through and wraps anything else', () => {
    const e = new ApiError({ status: 400, code: 'x', message: 'm' })
    expect(toApiError(e)).toBe(e)
    expect(errorMessage(new Error('boom'))).toBe('boom')
    expect(errorMessage('what')).toBe('Something went wrong.')
  })
})
