import { afterEach, describe, expect, it, vi } from 'vitest'
import { notify, useToasts } from './toasts'

describe('toasts store', () => {
  afterEach(() => vi.useRealTimers())

  it('shows a toast and dismisses it after a while', () => {
    vi.useFakeTimers()
    notify.success('Saved.')
    expect(useToasts.getState().toasts.map((t) => t.message)).toEqual(['Saved.'])
    vi.advanceTimersByTime(4100)
    expect(useToasts.getState().toasts).toEqual([])
  })

  it('keeps at most four', () => {
    for (let i = 0; i < 6; i++) notify.error(`e${i}`)
    expect(useToasts.getState().toasts.map((t) => t.message)).toEqual(['e2', 'e3', 'e4', 'e5'])
  })
})
