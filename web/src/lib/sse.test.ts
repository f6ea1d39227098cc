import { describe, expect, it, vi } from 'vitest'
import { createSSEParser, openEventStream, type SSEMessage, type StreamState } from './sse'

function collect(): { msgs: SSEMessage[]; feed: (s: string) => void; retries: number[] } {
  const msgs: SSEMessage[] = []
  const retries: number[] = []
  const feed = createSSEParser((m) => msgs.push(m), (ms) => retries.push(ms))
  return { msgs, feed, retries }
}

describe('SSE parser', () => {
  it('dispatches events on a blank line', () => {
    const { msgs, feed } = collect()
    feed('event: session.acquired\ndata: {"id":"a"}\n\n')
    expect(msgs).toEqual([{ event: 'session.acquired', data: '{"id":"a"}', id: undefined }])
  })

  it('joins data lines and handles chunks split anywhere, CRLF included', () => {
    const { msgs, feed } = collect()
    const text = 'id: 7\r\nevent: x\r\ndata: one\r\ndata: two\r\n\r\n'
    for (const ch of text) feed(ch)
    expect(msgs).toEqual([{ event: 'x', data: 'one\ntwo', id: '7' }])
  })

  it('ignores comments and events without data, defaults the event name', () => {
    const { msgs, feed, retries } = collect()
    feed(': keep-alive\n\nevent: nothing\n\nretry: 1500\ndata:plain\n\n')
    expect(msgs).toEqual([{ event: 'message', data: 'plain', id: undefined }])
    expect(retries).toEqual([1500])
  })

  it('keeps the last event id for later events', () => {
    const { msgs, feed } = collect()
    feed('id: 1\ndata: a\n\ndata: b\n\n')
    expect(msgs.map((m) => m.id)).toEqual(['1', '1'])
  })
})

function streamResponse(chunks: string[], { close = true } = {}): Response {
  const enc = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch))
      if (close) c.close()
    },
  })
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('openEventStream', () => {
  it('reports unsupported on 404 and stops', async () => {
    const states: StreamState[] = []
    const fetchImpl = vi.fn(async () => new Response('{}', { status: 404, headers: { 'Content-Type': 'application/problem+json' } }))
    const close = openEventStream({ url: '/e', getToken: () => 't', refresh: async () => null, onMessage: () => {}, onState: (s) => states.push(s), fetchImpl })
    await until(() => states.includes('unsupported'))
    expect(fetchImpl).toHaveBeenCalledTimes(1)
    close()
  })

  it('treats an answer that is not an event stream as unsupported', async () => {
    const states: StreamState[] = []
    const fetchImpl = vi.fn(async () => new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html' } }))
    const close = openEventStream({ url: '/e', getToken: () => 't', refresh: async () => null, onMessage: () => {}, onState: (s) => states.push(s), fetchImpl })
    await until(() => states.includes('unsupported'))
    close()
  })

  it('sends the bearer token, delivers events and reconnects when the stream drops', async () => {
    const states: StreamState[] = []
    const msgs: SSEMessage[] = []
    const headers: Array<Record<string, string>> = []
    let opens = 0
    const fetchImpl = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
      headers.push(init?.headers as Record<string, string>)
      return headers.length === 1 ? streamResponse(['id: 5\nevent: session.acquired\ndata: {"id":"a"}\n\n']) : streamResponse([], { close: false })
    })
    const close = openEventStream({
      url: '/e',
      getToken: () => 'tok',
      refresh: async () => null,
      onMessage: (m) => msgs.push(m),
      onState: (s) => states.push(s),
      onOpen: () => opens++,
      backoff: [10],
      fetchImpl,
    })
    await until(() => fetchImpl.mock.calls.length >= 2 && states[states.length - 1] === 'open')
    close()
    expect(msgs.map((m) => m.event)).toEqual(['session.acquired'])
    expect(headers[0]).toMatchObject({ Authorization: 'Bearer tok', Accept: 'text/event-stream' })
    expect(headers[1]).toMatchObject({ 'Last-Event-ID': '5' })
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'reconnecting', 'open', 'closed'])
    expect(opens).toBe(2)
  })

  it('renews the token once on 401', async () => {
    let token = 'old'
    const fetchImpl = vi.fn(async (_u: RequestInfo | URL, init?: RequestInit) =>
      (init?.headers as Record<string, string>).Authorization === 'Bearer new' ? streamResponse([], { close: false }) : new Response(null, { status: 401 }),
    )
    const states: StreamState[] = []
    const close = openEventStream({
      url: '/e',
      getToken: () => token,
      refresh: async () => {
        token = 'new'
        return token
      },
      onMessage: () => {},
      onState: (s) => states.push(s),
      fetchImpl,
    })
    await until(() => states.includes('open'))
    close()
    expect(fetchImpl).toHaveBeenCalledTimes(2)
  })
})
