import { describe, expect, it } from 'vitest'
import { usePreferences } from './preferences'

describe('preferences store', () => {
  it('persists choices to localStorage', () => {
    usePreferences.getState().setPageSize(50)
    usePreferences.getState().setUsageRange('7d')
    const saved = JSON.parse(localStorage.getItem('coditect.preferences') ?? '{}') as { state: Record<string, unknown> }
    expect(saved.state).toMatchObject({ pageSize: 50, usageRange: '7d' })
  })

  it('refuses page sizes it does not offer', () => {
    usePreferences.getState().setPageSize(7)
    expect(usePreferences.getState().pageSize).toBe(25)
  })
})
