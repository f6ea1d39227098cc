// The browser-test harness: builds and starts the real server binary, finds
// the URL where the UI is served, and drives Debian's Chromium with
// playwright-core (never a browser download).
//
// BASE_URL is the one address the tests use. When the binary serves the UI
// at / (web.Handler mounted), it is the binary's own URL. Until then the
// harness serves web/dist itself, with the same headers as web/handler.go,
// and forwards the API to the binary.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, statSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const REPO_DIR = path.resolve(WEB_DIR, '..')
export const DIST_DIR = path.join(WEB_DIR, 'dist')
export const SCREENSHOT_DIR = path.join(REPO_DIR, 'docs', 'screenshots')
export const ADMIN_EMAIL = 'admin@example.com'
export const ADMIN_PASSWORD = 'correct horse battery staple'
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const TMP = path.join(WEB_DIR, 'e2e', '.tmp')

/**
 * buildServer builds the server binary from the repository root, or takes
 * the one named by CODITECT_E2E_SERVER_BIN.
 */
export function buildServer() {
  if (process.env.CODITECT_E2E_SERVER_BIN) return path.resolve(process.env.CODITECT_E2E_SERVER_BIN)
  if (!existsSync(path.join(DIST_DIR, 'index.html'))) {
    throw new Error('web/dist/index.html is missing: run `npm run build` first (npm run test:e2e does).')
  }
  mkdirSync(TMP, { recursive: true })
  const bin = path.join(TMP, 'coditect-license-server')
  const res = spawnSync('go', ['build', '-o', bin, './cmd/coditect-license-server'], { cwd: REPO_DIR, stdio: 'inherit' })
  if (res.status !== 0) throw new Error(`go build failed with ${res.status}`)
  return bin
}

/** startServer starts the binary on a free port with a fresh data directory. */
export async function startServer(bin) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'coditect-e2e-'))
  const proc = spawn(bin, ['--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: { ...process.env, CODITECT_ADMIN_EMAIL: ADMIN_EMAIL, CODITECT_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  proc.stderr.on('data', (d) => {
    stderr += d
  })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}\n${stderr}`)), 30_000)
    proc.stdout.on('data', (d) => {
      out += d
      const m = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    proc.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${out}\n${stderr}`))
    })
  })
  return {
    url,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        await new Promise((r) => proc.once('exit', r))
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** servesUI reports whether GET / on the server answers with the app. */
export async function servesUI(serverURL) {
  try {
    const res = await fetch(serverURL + '/')
    const body = await res.text()
    return res.ok && (res.headers.get('content-type') ?? '').includes('text/html') && body.includes('<div id="root">')
  } catch {
    return false
  }
}

// The CSP comes from web/handler.go, so the stand-in serves what the binary will.
function cspFromHandler() {
  const src = readFileSync(path.join(WEB_DIR, 'handler.go'), 'utf8')
  const m = /ContentSecurityPolicy = ((?:"[^"]*"\s*\+?\s*)+)/.exec(src)
  if (!m) throw new Error('ContentSecurityPolicy not found in web/handler.go')
  return [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]).join('')
}

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' }
const apiPrefixes = ['/api/', '/oauth/', '/.well-known/', '/healthz', '/readyz', '/metrics']

/**
 * startStandIn serves web/dist like web.Handler (SPA fallback, cache and
 * security headers) and forwards API paths, streaming, to the server.
 */
export async function startStandIn(serverURL) {
  const upstream = new URL(serverURL)
  const csp = cspFromHandler()
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (apiPrefixes.some((p) => url.pathname.startsWith(p))) {
      const fwd = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        },
      )
      fwd.on('error', () => {
        res.writeHead(502)
        res.end()
      })
      req.pipe(fwd)
      return
    }
    res.setHeader('Content-Security-Policy', csp)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('X-Frame-Options', 'DENY')
    res.setHeader('Referrer-Policy', 'no-referrer')
    let file = path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '')
    let full = path.join(DIST_DIR, file)
    const isFile = full.startsWith(DIST_DIR) && existsSync(full) && statSync(full).isFile() && !path.basename(full).startsWith('.')
    if (!isFile) {
      if (file.startsWith('/assets/') || path.extname(file) !== '') {
        res.writeHead(404, { 'Content-Type': 'text/plain' })
        res.end('not found')
        return
      }
      file = '/index.html'
      full = path.join(DIST_DIR, 'index.html')
    }
    res.setHeader('Cache-Control', file.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
    res.setHeader('Content-Type', types[path.extname(full)] ?? 'application/octet-stream')
    res.end(readFileSync(full))
  })
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address()
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => srv.close(r)) }
}

/** launchBrowser starts Debian's Chromium, headless, with no network chatter. */
export function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

/**
 * start brings everything up and returns BASE_URL (the UI), API_URL (the
 * binary) and how the UI is served.
 */
export async function start() {
  const bin = buildServer()
  const server = await startServer(bin)
  let baseURL = server.url
  let standIn = null
  if (!(await servesUI(server.url))) {
    standIn = await startStandIn(server.url)
    baseURL = standIn.url
  }
  const browser = await launchBrowser()
  return {
    BASE_URL: baseURL,
    API_URL: server.url,
    uiMode: standIn ? 'stand-in (web/dist served by the harness; the binary does not mount web.Handler yet)' : 'embedded in the binary',
    browser,
    stop: async () => {
      await browser.close().catch(() => {})
      if (standIn) await standIn.stop()
      await server.stop()
    },
  }
}

/** ClientAPI is a running copy of the product, talking to the client API. */
export class ClientAPI {
  constructor(apiURL, licenseKey) {
    this.apiURL = apiURL
    this.key = licenseKey
  }

  async acquire(body) {
    const res = await fetch(`${this.apiURL}/api/v1/sessions`, {
      method: 'POST',
      headers: { Authorization: `License ${this.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
    const json = await res.json()
    if (res.status !== 201 && res.status !== 200) throw new Error(`acquire: ${res.status} ${JSON.stringify(json)}`)
    return json
  }

  async heartbeat(session) {
    const res = await fetch(`${this.apiURL}/api/v1/sessions/${session.session_id}/heartbeat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.session_token}` },
    })
    return { status: res.status, body: await res.json().catch(() => null) }
  }

  async release(session) {
    const res = await fetch(`${this.apiURL}/api/v1/sessions/${session.session_id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${session.session_token}` },
    })
    return res.status
  }

  async status() {
    const res = await fetch(`${this.apiURL}/api/v1/license`, { headers: { Authorization: `License ${this.key}` } })
    return { status: res.status, body: await res.json() }
  }
}

/** adminToken signs in through the API (password grant). */
export async function adminToken(apiURL) {
  const res = await fetch(`${apiURL}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  })
  const json = await res.json()
  if (!res.ok) throw new Error(`sign-in: ${res.status} ${JSON.stringify(json)}`)
  return json.access_token
}

/** adminGet reads an admin API resource; null for a route the server lacks. */
export async function adminGet(apiURL, token, p) {
  const res = await fetch(`${apiURL}${p}`, { headers: { Authorization: `Bearer ${token}` } })
  if (res.status === 404 || res.status === 405) return null
  if (!res.ok) throw new Error(`GET ${p}: ${res.status}`)
  return res.json()
}
