import { describe, expect, it } from 'vitest'
import { makeSession } from '@/testing/server'
import type { Session } from '@/types/contract'
import { filterSessions } from '../components/session-monitor'
import { applyEvent } from './use-live-sessions'

const ev = (event: string, s: Partial<Session>) => ({ event, data: JSON.stringify(s), id: undefined })

describe('live session events', () => {
  it('adds, updates and removes rows', () => {
    const a = makeSession({ id: 'a' })
    let m = applyEvent(new Map(), ev('session.acquired', a))
    expect([...m.keys()]).toEqual(['a'])
    m = applyEvent(m, ev('session.heartbeat', { ...a, expires_at: '2099-01-01T00:00:00Z' }))
    expect(m.get('a')?.expires_at).toBe('2099-01-01T00:00:00Z')
    for (const end of ['session.released', 'session.expired', 'session.revoked']) {
      expect(applyEvent(m, ev(end, a)).size).toBe(0)
    }
  })

  it('merges partial heartbeat data into a known row and waits for a snapshot otherwise', () => {
    const a = makeSession({ id: 'a', user: 'alice' })
    const m = applyEvent(new Map([['a', a]]), ev('session.heartbeat', { id: 'a', license_id: a.license_id, status: 'active', expires_at: '2099-01-01T00:00:00Z' }))
    expect(m.get('a')).toMatchObject({ user: 'alice', expires_at: '2099-01-01T00:00:00Z' })
    const empty = new Map<string, Session>()
    expect(applyEvent(empty, ev('session.heartbeat', { id: 'z', license_id: 'l', status: 'active' }))).toBe(empty)
    expect(applyEvent(empty, ev('session.released', { id: 'z', license_id: 'l', status: 'ended' }))).toBe(empty)
  })

  it('ignores unknown events, bad data and other licenses', () => {
    const m = new Map<string, Session>()
    expect(applyEvent(m, ev('license.created', { id: 'x' }))).toBe(m)
    expect(applyEvent(m, { event: 'session.acquired', data: '{oops', id: undefined })).toBe(m)
    expect(applyEvent(m, ev('session.acquired', makeSession({ id: 'b', license_id: 'other' })), 'lic-1')).toBe(m)
  })

  it('filters by license, user and host', () => {
    const rows = [
      makeSession({ id: '1', license_id: 'L1', user: 'Alice', hostname: 'build-01' }),
      makeSession({ id: '2', license_id: 'L2', user: 'bob', hostname: 'laptop', ip: '10.0.0.9' }),
    ]
    expect(filterSessions(rows, { licenseId: 'L2', user: '', host: '' }).map((s) => s.id)).toEqual(['2'])
    expect(filterSessions(rows, { licenseId: '', user: 'ali', host: '' }).map((s) => s.id)).toEqual(['1'])
    expect(filterSessions(rows, { licenseId: '', user: '', host: '10.0.0' }).map((s) => s.id)).toEqual(['2'])
    expect(filterSessions(rows, { licenseId: '', user: '', host: 'BUILD' }).map((s) => s.id)).toEqual(['1'])
  })
})
