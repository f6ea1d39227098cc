// A fake backend for component tests (MSW): the routes of the OpenAPI
// document over an in-memory tenant. Routes that the server does not have
// yet answer 404 like the real one, unless a test adds a handler.
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import type { CreatedLicense, License, Session } from '@/types/contract'

export const ADMIN_EMAIL = 'admin@example.com'
export const ADMIN_PASSWORD = 'a long enough password'

function b64url(o: unknown): string {
  return btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** fakeJWT makes an unsigned token with the claims the UI reads. */
export function fakeJWT(claims: Record<string, unknown> = {}): string {
  return `${b64url({ alg: 'EdDSA', typ: 'JWT' })}.${b64url({ sub: 'user-1', tid: 'tenant-1', role: 'owner', exp: 4102444800, ...claims })}.sig`
}

interface Backend {
  licenses: License[]
  sessions: Session[]
  tokens: number
}

export const backend: Backend = { licenses: [], sessions: [], tokens: 0 }

let nextId = 1
const now = (): string => new Date().toISOString()

export function makeLicense(over: Partial<License> = {}): License {
  const id = over.id ?? `lic-${nextId++}`
  return {
    id,
    name: `License ${id}`,
    status: 'active',
    seats: 5,
    seats_in_use: 0,
    expires_at: null,
    features: [],
    lease_ttl_seconds: 360,
    heartbeat_interval_seconds: 120,
    offline_grace_seconds: 86400,
    key_prefix: 'CDT-ABCD',
    metadata: {},
    created_at: now(),
    updated_at: now(),
    ...over,
  }
}

export function makeSession(over: Partial<Session> = {}): Session {
  const id = over.id ?? `ses-${nextId++}`
  return {
    id,
    license_id: 'lic-1',
    fingerprint: `fp-${id}`,
    instance_id: '',
    user: 'alice',
    hostname: 'build-01',
    client_name: 'cad',
    client_version: '1.0',
    ip: '127.0.0.1',
    status: 'active',
    started_at: now(),
    last_heartbeat_at: now(),
    expires_at: new Date(Date.now() + 300_000).toISOString(),
    ended_at: null,
    end_reason: null,
    ...over,
  }
}

export function resetBackend(): void {
  backend.licenses = []
  backend.sessions = []
  backend.tokens = 0
  nextId = 1
}

function problem(status: number, code: string, detail: string) {
  return HttpResponse.json(
    { type: `urn:coditect:problem:${code}`, title: 'Error', status, detail, code },
    { status, headers: { 'Content-Type': 'application/problem+json' } },
  )
}

function authorized(req: Request): boolean {
  return (req.headers.get('Authorization') ?? '').startsWith('Bearer ey')
}

const unauthorized = () => problem(401, 'invalid_token', 'The access token is not valid: sign in again.')

export const handlers = [
  http.post('*/oauth/token', async ({ request }) => {
    const form = new URLSearchParams(await request.text())
    if (form.get('grant_type') === 'password') {
      if (form.get('username') !== ADMIN_EMAIL || form.get('password') !== ADMIN_PASSWORD) {
        return HttpResponse.json({ error: 'invalid_grant', error_description: 'The email or password is wrong.' }, { status: 400 })
      }
      backend.tokens++
      return HttpResponse.json({ access_token: fakeJWT(), token_type: 'Bearer', expires_in: 900 })
    }
    return HttpResponse.json({ error: 'unsupported_grant_type', error_description: 'grant_type is not supported.' }, { status: 400 })
  }),
  http.get('*/api/v1/licenses', ({ request }) => {
    if (!authorized(request)) return unauthorized()
    const url = new URL(request.url)
    const q = (url.searchParams.get('q') ?? '').toLowerCase()
    const status = url.searchParams.get('status')
    const limit = Number(url.searchParams.get('limit') ?? 50)
    const cursor = url.searchParams.get('cursor')
    let ls = backend.licenses.filter((l) => (!q || l.name.toLowerCase().includes(q)) && (!status || l.status === status))
    if (cursor) ls = ls.slice(ls.findIndex((l) => l.id === cursor) + 1)
    const page = ls.slice(0, limit)
    return HttpResponse.json({ data: page, next_cursor: ls.length > limit ? (page[page.length - 1]?.id ?? null) : null })
  }),
  http.post('*/api/v1/licenses', async ({ request }) => {
    if (!authorized(request)) return unauthorized()
    const body = (await request.json()) as Partial<License>
    const l = makeLicense({ name: body.name ?? '', seats: body.seats ?? 1, features: body.features ?? [], expires_at: body.expires_at ?? null })
    backend.licenses.unshift(l)
    const created: CreatedLicense = { ...l, key: 'CDT-ABCD-EFGH-IJKL-MNOP-QRST' }
    return HttpResponse.json(created, { status: 201 })
  }),
  http.get('*/api/v1/licenses/:id', ({ request, params }) => {
    if (!authorized(request)) return unauthorized()
    const l = backend.licenses.find((x) => x.id === params.id)
    return l ? HttpResponse.json(l) : problem(404, 'not_found', 'No such license.')
  }),
  http.get('*/api/v1/sessions', ({ request }) => {
    if (!authorized(request)) return unauthorized()
    const url = new URL(request.url)
    const lic = url.searchParams.get('license_id')
    const status = url.searchParams.get('status')
    const data = backend.sessions.filter((s) => (!lic || s.license_id === lic) && (!status || s.status === status))
    return HttpResponse.json({ data, next_cursor: null })
  }),
  http.delete('*/api/v1/sessions/:id', ({ request, params }) => {
    if (!authorized(request)) return unauthorized()
    const s = backend.sessions.find((x) => x.id === params.id)
    if (!s) return problem(404, 'session_not_found', 'No such session.')
    s.status = 'ended'
    s.end_reason = 'revoked'
    s.ended_at = now()
    return new HttpResponse(null, { status: 204 })
  }),
  http.get('*/.well-known/jwks.json', () =>
    HttpResponse.json({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abcdefghijklmnopqrstuvwxyz0123456789', kid: 'kid-1', use: 'sig', alg: 'EdDSA' }] }),
  ),
  // Routes the server does not have yet: 404 problem, like the real router.
  http.all('*/api/v1/*', ({ request }) => problem(404, 'not_found', `No such resource: ${new URL(request.url).pathname}.`)),
  http.all('*/oauth/revoke', ({ request }) => problem(404, 'not_found', `No such resource: ${new URL(request.url).pathname}.`)),
]

export const server = setupServer(...handlers)
