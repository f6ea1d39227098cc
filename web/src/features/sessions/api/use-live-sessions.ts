import { useCallback, useEffect, useRef, useState } from 'react'
import { refreshAccessToken } from '@/lib/api-client'
import { capabilities } from '@/lib/capabilities'
import { toApiError, type ApiError } from '@/lib/problem'
import { openEventStream, type SSEMessage, type StreamState } from '@/lib/sse'
import { useAuth } from '@/stores/auth'
import type { Session, SessionEventType } from '@/types/contract'
import { getActiveSessions } from './get-sessions'

/** How the live table is kept up to date. */
export type LiveMode = 'connecting' | 'live' | 'reconnecting' | 'polling'

// Polling runs a little faster than every 2 s so a new session shows within
// 2 s of its acquire even on a server without the event stream.
export const POLL_INTERVAL_MS = 1500
export const EVENTS_URL = '/api/v1/sessions/events'

const endEvents: ReadonlySet<string> = new Set<SessionEventType>(['session.released', 'session.expired', 'session.revoked'])
const liveEvents: ReadonlySet<string> = new Set<SessionEventType>(['session.acquired', 'session.heartbeat'])

function isWhole(s: Partial<Session>): boolean {
  return typeof s.fingerprint === 'string' && typeof s.started_at === 'string' && typeof s.expires_at === 'string'
}

/**
 * applyEvent returns the sessions after one event: acquired and heartbeat
 * add or update the row, released, expired and revoked remove it. Events of
 * other licenses are ignored when licenseId is set.
 */
export function applyEvent(sessions: Map<string, Session>, m: SSEMessage, licenseId?: string): Map<string, Session> {
  if (!liveEvents.has(m.event) && !endEvents.has(m.event)) return sessions
  let s: Partial<Session>
  try {
    // SessionEventData: a Session, possibly partial.
    s = JSON.parse(m.data) as Partial<Session>
  } catch {
    return sessions
  }
  if (typeof s.id !== 'string') return sessions
  if (licenseId && s.license_id !== licenseId) return sessions
  if (endEvents.has(m.event) || s.status === 'ended') {
    if (!sessions.has(s.id)) return sessions
    const next = new Map(sessions)
    next.delete(s.id)
    return next
  }
  // Heartbeat data is partial (id, license_id, status, expiries): it updates
  // a known row; an unknown session waits for the next snapshot.
  const prev = sessions.get(s.id)
  if (!prev && !isWhole(s)) return sessions
  const next = new Map(sessions)
  next.set(s.id, { ...prev, ...s } as Session)
  return next
}

export interface LiveSessions {
  sessions: Session[]
  mode: LiveMode
  /** The last failure to load the list, if the latest attempt failed. */
  error: ApiError | null
  loaded: boolean
  lastUpdate: number | null
  /** Removes a row at once (after a force release). */
  drop: (id: string) => void
}

/**
 * useLiveSessions keeps the active sessions live: a snapshot from
 * GET /api/v1/sessions, then Server-Sent Events. While the stream is down
 * (reconnecting) or the server has none (404), it polls (POLL_INTERVAL_MS).
 */
export function useLiveSessions({ licenseId, enabled = true }: { licenseId?: string; enabled?: boolean } = {}): LiveSessions {
  const [sessions, setSessions] = useState<Map<string, Session>>(() => new Map())
  const [stream, setStream] = useState<StreamState>('connecting')
  const [error, setError] = useState<ApiError | null>(null)
  const [loaded, setLoaded] = useState(false)
  const [lastUpdate, setLastUpdate] = useState<number | null>(null)
  // Events that arrive while a snapshot loads are replayed on top of it.
  const loading = useRef(0)
  const buffered = useRef<SSEMessage[]>([])

  const snapshot = useCallback(async () => {
    loading.current++
    try {
      const list = await getActiveSessions(licenseId)
      let map = new Map(list.map((s) => [s.id, s]))
      if (loading.current === 1) {
        for (const m of buffered.current) map = applyEvent(map, m, licenseId)
        buffered.current = []
      }
      setSessions(map)
      setError(null)
      setLoaded(true)
      setLastUpdate(Date.now())
    } catch (err) {
      setError(toApiError(err))
    } finally {
      loading.current--
    }
  }, [licenseId])

  useEffect(() => {
    if (!enabled) return
    let close: (() => void) | null = null
    let cancelled = false
    // A server whose document lacks the stream is polled without trying it.
    void capabilities().then((caps) => {
      if (cancelled) return
      if (caps.known && !caps.has('GET', EVENTS_URL)) {
        setStream('unsupported')
        return
      }
      close = openEventStream({
        url: EVENTS_URL,
        getToken: () => useAuth.getState().accessToken,
        refresh: refreshAccessToken,
        onState: setStream,
        onOpen: () => void snapshot(),
        onMessage: (m) => {
          if (loading.current > 0) buffered.current.push(m)
          setSessions((cur) => applyEvent(cur, m, licenseId))
          setLastUpdate(Date.now())
        },
      })
    })
    return () => {
      cancelled = true
      close?.()
    }
  }, [enabled, licenseId, snapshot])

  const polling = enabled && stream !== 'open'
  useEffect(() => {
    if (!polling) return
    void snapshot()
    const id = setInterval(() => void snapshot(), POLL_INTERVAL_MS)
    return () => clearInterval(id)
  }, [polling, snapshot])

  const drop = useCallback((id: string) => {
    setSessions((cur) => {
      if (!cur.has(id)) return cur
      const next = new Map(cur)
      next.delete(id)
      return next
    })
  }, [])

  const mode: LiveMode =
    stream === 'open' ? 'live' : stream === 'reconnecting' ? 'reconnecting' : stream === 'unsupported' || stream === 'closed' ? 'polling' : 'connecting'

  return { sessions: [...sessions.values()], mode, error, loaded, lastUpdate, drop }
}
