import { create } from 'zustand'
import { createJSONStorage, persist } from 'zustand/middleware'

/** UsageRange is a dashboard chart window. */
export type UsageRange = '1h' | '24h' | '7d' | '30d'

interface PreferencesState {
  pageSize: number
  usageRange: UsageRange
  setPageSize: (n: number) => void
  setUsageRange: (r: UsageRange) => void
}

export const PAGE_SIZES = [10, 25, 50, 100] as const

/** usePreferences keeps harmless UI choices across visits (localStorage). */
export const usePreferences = create<PreferencesState>()(
  persist(
    (set) => ({
      pageSize: 25,
      usageRange: '24h',
      setPageSize: (n) => set({ pageSize: PAGE_SIZES.includes(n as (typeof PAGE_SIZES)[number]) ? n : 25 }),
      setUsageRange: (usageRange) => set({ usageRange }),
    }),
    { name: 'coditect.preferences', version: 1, storage: createJSONStorage(() => localStorage) },
  ),
)
