// Browser tests of the dashboard against the real server binary, in
// Debian's Chromium. Run with `npm run test:e2e` (which builds web/dist
// first). Screenshots of every page land in docs/screenshots/.
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ADMIN_EMAIL, ADMIN_PASSWORD, ClientAPI, SCREENSHOT_DIR, adminGet, adminToken, start } from './harness.mjs'

const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }

let h // the harness: BASE_URL, API_URL, browser
let page
let token // an admin access token for checking the API directly
const consoleErrors = []
// Failed requests the current test causes on purpose (URL substrings).
let expectedFailures = []
const state = { license: null, key: null, client: null }

function watch(p) {
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const url = msg.location()?.url ?? ''
    if (msg.text().startsWith('Failed to load resource') && expectedFailures.some((f) => url.includes(f))) return
    consoleErrors.push(`${p.url()}: ${msg.text()} ${url}`)
  })
  p.on('pageerror', (err) => consoleErrors.push(`${p.url()}: uncaught ${err.message}`))
}

/** go opens a page through the app's navigation (a reload would sign out). */
async function go(label) {
  const side = page.locator('aside nav').getByRole('link', { name: label, exact: true })
  if (await side.isVisible()) {
    await side.click()
  } else {
    await page.getByRole('button', { name: 'Menu' }).click()
    await page.locator('#mobile-nav').getByRole('link', { name: label, exact: true }).click()
  }
  await page.getByRole('heading', { level: 1, name: label === 'Audit log' ? 'Audit log' : label }).waitFor()
}

async function shot(name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  // Toasts of earlier steps would cover the page.
  for (const b of await page.getByRole('button', { name: 'Dismiss' }).all()) await b.click()
  for (const [suffix, size] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(size)
    // Let layout, the chart's size and the countdowns settle.
    await page.waitForTimeout(300)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${suffix}.png`), fullPage: true })
  }
  await page.setViewportSize(DESKTOP)
}

async function signIn(password) {
  await page.getByLabel('Email').fill(ADMIN_EMAIL)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

function row(sessionId) {
  return page.locator(`tr[data-session-id="${sessionId}"]`)
}

describe('dashboard in a real browser against the real server', { concurrency: false }, () => {
  before(async () => {
    h = await start()
    console.log(`# BASE_URL ${h.BASE_URL} (UI ${h.uiMode}); API ${h.API_URL}`)
    token = await adminToken(h.API_URL)
    const context = await h.browser.newContext({ viewport: DESKTOP })
    page = await context.newPage()
    watch(page)
    await page.goto(h.BASE_URL + '/')
  })

  after(async () => {
    await h?.stop()
  })

  it('serves the app under the strict CSP with SPA fallback', async () => {
    const res = await fetch(h.BASE_URL + '/licenses/some-deep-link')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    assert.equal(res.headers.get('cache-control'), 'no-cache')
    assert.match(await res.text(), /<div id="root">/)
  })

  it('shows an error for a wrong password', async () => {
    expectedFailures = ['/oauth/token']
    await page.getByRole('heading', { name: 'Sign in to CODITECT Licenses' }).waitFor()
    await shot('login')
    await signIn('not the password')
    const alert = page.getByRole('alert')
    await alert.waitFor()
    assert.equal((await alert.textContent())?.trim(), 'The email or password is wrong.')
    assert.equal(new URL(page.url()).pathname, '/login')
    expectedFailures = []
  })

  it('signs in', async () => {
    await signIn(ADMIN_PASSWORD)
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor()
    assert.equal(await page.locator('aside').getByText(ADMIN_EMAIL).isVisible(), true)
  })

  it('creates a license and shows its key once', async () => {
    await go('Licenses')
    await page.getByRole('button', { name: 'New license' }).click()
    const form = page.getByRole('dialog', { name: 'New license' })
    await form.getByLabel('Name').fill('Acme CAD')
    await form.getByLabel('Seats').fill('5')
    await form.getByLabel('Features').fill('export, render')
    await form.getByRole('button', { name: 'Create license' }).click()
    const reveal = page.getByRole('dialog', { name: 'License created' })
    await reveal.waitFor()
    const key = await reveal.getByLabel('License key').inputValue()
    assert.match(key, /\S{16,}/)
    await shot('license-key-reveal')
    await reveal.getByRole('button', { name: 'I have stored the key' }).click()
    await reveal.waitFor({ state: 'detached' })
    // Once: the key is nowhere on the page any more, list or detail.
    assert.equal((await page.content()).includes(key), false)
    await page.getByRole('link', { name: 'Acme CAD' }).click()
    await page.getByRole('heading', { level: 1, name: 'Acme CAD' }).waitFor()
    assert.equal((await page.content()).includes(key), false)
    // The key works for the client API.
    const client = new ClientAPI(h.API_URL, key)
    const st = await client.status()
    assert.equal(st.status, 200)
    assert.equal(st.body.name, 'Acme CAD')
    state.key = key
    state.client = client
    state.license = st.body.license_id
  })

  it('shows acquires in the session monitor within 2 s without a reload, and removes released ones', async () => {
    await go('Sessions')
    await page.evaluate(() => {
      window.__noReload = true
    })
    await page.getByText(/No seats in use|sessions?$/).first().waitFor()
    const s = await state.client.acquire({ fingerprint: 'e2e-machine-1', instance_id: 'a', user: 'alice', hostname: 'e2e-host-1', client_name: 'acme-cad', client_version: '2.1' })
    const t0 = Date.now()
    await row(s.session_id).waitFor({ timeout: 2000 })
    const appeared = Date.now() - t0
    assert.ok(appeared <= 2000, `row appeared after ${appeared} ms`)
    assert.match(await row(s.session_id).textContent(), /alice.*e2e-host-1.*acme-cad 2\.1/)

    assert.equal(await state.client.release(s), 204)
    await row(s.session_id).waitFor({ state: 'detached', timeout: 2000 })
    assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was reloaded')
  })

  it('falls back to polling when the event stream is unavailable, still within 2 s', async () => {
    expectedFailures = ['/api/v1/sessions/events']
    await page.route('**/api/v1/sessions/events', (route) =>
      route.fulfill({ status: 404, contentType: 'application/problem+json', body: JSON.stringify({ type: 'urn:coditect:problem:not_found', title: 'Not Found', status: 404, detail: 'No such resource.', code: 'not_found' }) }),
    )
    try {
      await go('Dashboard')
      await go('Sessions')
      await page.locator('[data-testid="live-status"][data-mode="polling"]').waitFor()
      const s = await state.client.acquire({ fingerprint: 'e2e-machine-3', instance_id: 'p', user: 'erin', hostname: 'e2e-host-3' })
      const t0 = Date.now()
      await row(s.session_id).waitFor({ timeout: 2000 })
      assert.ok(Date.now() - t0 <= 2000)
      assert.equal(await state.client.release(s), 204)
      await row(s.session_id).waitFor({ state: 'detached', timeout: 2000 })
    } finally {
      await page.unroute('**/api/v1/sessions/events')
      await go('Dashboard')
      await go('Sessions')
      expectedFailures = []
    }
  })

  it('force-releases from the UI, and the client’s next heartbeat answers 410', async () => {
    const s = await state.client.acquire({ fingerprint: 'e2e-machine-2', instance_id: 'b', user: 'bob', hostname: 'e2e-host-2' })
    assert.equal((await state.client.heartbeat(s)).status, 200)
    await row(s.session_id).waitFor({ timeout: 2000 })
    await row(s.session_id).getByRole('button', { name: 'Release the seat of bob' }).click()
    const dialog = page.getByRole('dialog', { name: 'Release this seat?' })
    await dialog.getByRole('button', { name: 'Release seat' }).click()
    await row(s.session_id).waitFor({ state: 'detached', timeout: 2000 })
    const hb = await state.client.heartbeat(s)
    assert.equal(hb.status, 410)
    assert.equal(hb.body.code, 'session_revoked')
  })

  it('shows the same seats in use on the dashboard as the API', async () => {
    // A second license, and live sessions on both.
    await go('Licenses')
    await page.getByRole('button', { name: 'New license' }).click()
    const form = page.getByRole('dialog', { name: 'New license' })
    await form.getByLabel('Name').fill('Render Farm')
    await form.getByLabel('Seats').fill('3')
    await form.getByRole('button', { name: 'Create license' }).click()
    const reveal = page.getByRole('dialog', { name: 'License created' })
    const farm = new ClientAPI(h.API_URL, await reveal.getByLabel('License key').inputValue())
    await reveal.getByRole('button', { name: 'I have stored the key' }).click()
    state.held = [
      await state.client.acquire({ fingerprint: 'ws-11', instance_id: 'x', user: 'carol', hostname: 'design-11', client_name: 'acme-cad', client_version: '2.1' }),
      await state.client.acquire({ fingerprint: 'ws-12', instance_id: 'x', user: 'dave', hostname: 'design-12', client_name: 'acme-cad', client_version: '2.0' }),
      await farm.acquire({ fingerprint: 'node-1', instance_id: 'x', user: 'render', hostname: 'farm-node-1', client_name: 'renderd', client_version: '5.4' }),
      await farm.acquire({ fingerprint: 'node-2', instance_id: 'x', user: 'render', hostname: 'farm-node-2', client_name: 'renderd', client_version: '5.4' }),
      await farm.acquire({ fingerprint: 'node-3', instance_id: 'x', user: 'render', hostname: 'farm-node-3', client_name: 'renderd', client_version: '5.4' }),
    ]
    const list = await adminGet(h.API_URL, token, '/api/v1/licenses?limit=500')
    const apiInUse = list.data.reduce((n, l) => n + l.seats_in_use, 0)
    assert.equal(apiInUse, 5)
    const stats = await adminGet(h.API_URL, token, '/api/v1/stats/overview')
    if (stats) assert.equal(stats.seats_in_use, apiInUse)

    await go('Dashboard')
    // Opening the dashboard refetches; it shows the API's number within 2 s.
    const card = page.getByTestId('stat-seats-in-use')
    await card.waitFor()
    await page
      .waitForFunction((want) => document.querySelector('[data-testid="stat-seats-in-use"]')?.textContent?.trim() === want, String(apiInUse), { timeout: 2000 })
      .catch(() => {})
    assert.equal((await card.textContent())?.trim(), String(apiInUse))
    assert.equal((await page.getByTestId('stat-seats').textContent())?.trim(), '8')
  })

  it('takes screenshots of every page at desktop and phone width', async () => {
    await shot('dashboard')
    await go('Licenses')
    await page.getByRole('meter', { name: 'Seats of Render Farm' }).and(page.locator('[aria-valuenow="3"]')).waitFor()
    await shot('licenses')
    await page.getByRole('button', { name: 'New license' }).click()
    await page.getByRole('dialog', { name: 'New license' }).waitFor()
    await shot('license-form')
    await page.keyboard.press('Escape')
    await page.getByRole('link', { name: 'Render Farm' }).click()
    await page.getByRole('heading', { level: 1, name: 'Render Farm' }).waitFor()
    await page.getByText('farm-node-1').waitFor()
    await shot('license-detail')
    await go('Sessions')
    await page.getByText('design-12').waitFor()
    console.log(`# session monitor: ${await page.getByTestId('live-status').getAttribute('data-mode')}`)
    await shot('sessions')
    await go('Audit log')
    await page.getByText(/No audit log on this server|license\.create|No events yet/).first().waitFor()
    await shot('audit')
    await go('Settings')
    await page.getByRole('link', { name: 'Users' }).waitFor()
    await page.waitForLoadState('networkidle')
    await shot('settings-users')
    await page.getByRole('link', { name: 'OAuth clients' }).click()
    await page.waitForLoadState('networkidle')
    await shot('settings-clients')
    await page.getByRole('link', { name: 'Signing keys' }).click()
    await page.getByRole('cell', { name: 'EdDSA' }).first().waitFor()
    await shot('settings-keys')
  })

  it('is usable with the keyboard: skip link, labelled controls', async () => {
    await go('Licenses')
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')].filter((el) => {
        const id = el.getAttribute('id')
        return !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (id && document.querySelector(`label[for="${id}"]`)))
      }).length,
    )
    assert.equal(unlabelled, 0)
    // Start from the top of the document, as after a page load.
    await page.evaluate(() => {
      document.body.tabIndex = -1
      document.body.focus()
      document.body.removeAttribute('tabindex')
    })
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content')
  })

  it('keeps the session across a reload when the server issues refresh tokens', async (t) => {
    const grant = await fetch(`${h.API_URL}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    }).then((r) => r.json())
    if (!grant.refresh_token) {
      t.skip('this server issues no refresh tokens: a reload asks to sign in again')
      return
    }
    await page.reload()
    await page.getByRole('heading', { level: 1, name: 'Licenses' }).waitFor()
    assert.equal(await page.locator('aside').getByText(ADMIN_EMAIL).isVisible(), true)
    // Only the refresh token is stored, in this tab's sessionStorage.
    const stored = await page.evaluate(() => ({ local: JSON.stringify(localStorage), session: Object.keys(sessionStorage) }))
    assert.doesNotMatch(stored.local, /rt1\.|eyJ/)
    assert.deepEqual(stored.session.sort(), ['coditect.email', 'coditect.refresh_token'])
  })

  it('signs out and cannot come back with the revoked refresh token', async () => {
    const rt = await page.evaluate(() => sessionStorage.getItem('coditect.refresh_token'))
    await page.locator('aside').getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to CODITECT Licenses' }).waitFor()
    assert.equal(await page.evaluate(() => sessionStorage.getItem('coditect.refresh_token')), null)
    if (rt) {
      const res = await fetch(`${h.API_URL}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt }),
      })
      assert.equal(res.status, 400)
    }
  })

  it('logged no console errors on any page', () => {
    assert.deepEqual(consoleErrors, [])
  })
})
