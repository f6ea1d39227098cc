// Server-Sent Events over fetch. EventSource cannot send an Authorization
// header, so the stream is read with fetch and parsed here (the
// text/event-stream format of the HTML standard).

/** SSEMessage is one dispatched event. */
export interface SSEMessage {
  event: string
  data: string
  id: string | undefined
}

/**
 * createSSEParser returns a function to feed decoded text chunks to; it
 * calls onMessage for each complete event and onRetry for `retry:` fields.
 */
export function createSSEParser(onMessage: (m: SSEMessage) => void, onRetry?: (ms: number) => void): (chunk: string) => void {
  let buffer = ''
  let event = ''
  let data: string[] = []
  let id: string | undefined
  let lastId: string | undefined
  let pendingCR = false

  const line = (l: string): void => {
    if (l === '') {
      if (data.length > 0) {
        lastId = id ?? lastId
        onMessage({ event: event || 'message', data: data.join('\n'), id: lastId })
      }
      event = ''
      data = []
      id = undefined
      return
    }
    if (l.startsWith(':')) return
    const colon = l.indexOf(':')
    const field = colon === -1 ? l : l.slice(0, colon)
    let value = colon === -1 ? '' : l.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event':
        event = value
        break
      case 'data':
        data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) id = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) onRetry?.(Number(value))
        break
    }
  }

  return (chunk: string) => {
    let text = chunk
    // A CR at the end of the previous chunk already ended a line; skip the
    // LF of its CRLF.
    if (pendingCR && text.startsWith('\n')) text = text.slice(1)
    pendingCR = false
    buffer += text
    const re = /\r\n|\r|\n/g
    let start = 0
    let m: RegExpExecArray | null
    while ((m = re.exec(buffer)) !== null) {
      // A lone CR at the very end may be the first half of a CRLF.
      if (m[0] === '\r' && m.index === buffer.length - 1) pendingCR = true
      line(buffer.slice(start, m.index))
      start = m.index + m[0].length
    }
    buffer = buffer.slice(start)
  }
}

/** StreamState is what the UI shows about the connection. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'unsupported' | 'closed'

export interface EventStreamOptions {
  url: string
  /** The current access token. */
  getToken: () => string | null
  /** Renews the access token after a 401; null ends the stream. */
  refresh: () => Promise<string | null>
  onMessage: (m: SSEMessage) => void
  onState: (s: StreamState) => void
  /** Called on every (re)connection, e.g. to reload a snapshot. */
  onOpen?: () => void
  /** Waits between reconnection attempts, in ms; the last one repeats. */
  backoff?: number[]
  /** A connection silent for this long is dropped and reopened (ms). */
  idleTimeout?: number
  fetchImpl?: typeof fetch
}

const defaultBackoff = [500, 1000, 2000, 5000, 10000]

// discard drops a response body without waiting: cancelling can hang on
// some fetch implementations.
function discard(res: Response): void {
  res.body?.cancel().catch(() => undefined)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    }, { once: true })
  })
}

/**
 * openEventStream connects, reconnects with backoff when the stream drops,
 * and reports its state. 404/405/501, or an answer that is not an event
 * stream, mean the server has no such stream: the state turns
 * "unsupported" and it stops. It returns a function that closes it.
 */
export function openEventStream(opts: EventStreamOptions): () => void {
  const outer = new AbortController()
  const doFetch = opts.fetchImpl ?? ((...args: Parameters<typeof fetch>) => fetch(...args))
  const backoff = opts.backoff ?? defaultBackoff
  const idleTimeout = opts.idleTimeout ?? 60_000
  let retryMs: number | undefined

  const run = async (): Promise<void> => {
    let attempt = 0
    let lastId: string | undefined
    let refreshed = false
    while (!outer.signal.aborted) {
      opts.onState(attempt === 0 ? 'connecting' : 'reconnecting')
      const conn = new AbortController()
      const abortConn = (): void => conn.abort()
      outer.signal.addEventListener('abort', abortConn, { once: true })
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream' }
        const token = opts.getToken()
        if (token) headers.Authorization = `Bearer ${token}`
        if (lastId !== undefined) headers['Last-Event-ID'] = lastId
        const url = typeof window === 'undefined' ? opts.url : new URL(opts.url, window.location.href).toString()
        const res = await doFetch(url, { headers, signal: conn.signal, cache: 'no-store' })
        if (res.status === 401 && !refreshed) {
          refreshed = true
          discard(res)
          if (await opts.refresh()) continue
          opts.onState('closed')
          return
        }
        const type = res.headers.get('Content-Type') ?? ''
        if (res.status === 404 || res.status === 405 || res.status === 501 || (res.ok && !type.includes('text/event-stream'))) {
          discard(res)
          opts.onState('unsupported')
          return
        }
        if (!res.ok || !res.body) {
          discard(res)
          throw new Error(`event stream answered ${res.status}`)
        }
        attempt = 0
        refreshed = false
        opts.onState('open')
        opts.onOpen?.()
        const parse = createSSEParser(
          (m) => {
            lastId = m.id
            opts.onMessage(m)
          },
          (ms) => {
            retryMs = ms
          },
        )
        const reader = res.body.getReader()
        const decoder = new TextDecoder()
        let idle = setTimeout(abortConn, idleTimeout)
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            clearTimeout(idle)
            idle = setTimeout(abortConn, idleTimeout)
            parse(decoder.decode(value, { stream: true }))
          }
        } finally {
          clearTimeout(idle)
        }
      } catch {
        // A dropped or refused connection: reconnect below.
      } finally {
        outer.signal.removeEventListener('abort', abortConn)
      }
      if (outer.signal.aborted) return
      attempt++
      opts.onState('reconnecting')
      const wait = retryMs ?? backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 1000
      await sleep(wait, outer.signal)
    }
  }
  void run()
  return () => {
    outer.abort()
    opts.onState('closed')
  }
}
