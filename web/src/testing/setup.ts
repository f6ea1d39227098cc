import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { resetCapabilities } from '@/lib/capabilities'
import { useAuth } from '@/stores/auth'
import { usePreferences } from '@/stores/preferences'
import { useToasts } from '@/stores/toasts'
import { resetBackend, server } from './server'

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
beforeEach(() => {
  resetBackend()
  resetCapabilities()
  sessionStorage.clear()
  localStorage.clear()
  useAuth.setState({ status: 'anonymous', accessToken: null, expiresAt: null, user: null, notice: null })
  useToasts.setState({ toasts: [] })
  usePreferences.setState({ pageSize: 25, usageRange: '24h' })
})
afterEach(() => {
  cleanup()
  server.resetHandlers()
})
afterAll(() => server.close())
