import { queryOptions, useQuery } from '@tanstack/react-query'
import { get, query } from '@/lib/api-client'
import { capabilities } from '@/lib/capabilities'
import { ApiError } from '@/lib/problem'
import type { License, LicenseList, StatsOverview } from '@/types/contract'

/** LicenseSummary is a license as the dashboard's lists show it. */
export interface LicenseSummary {
  id: string
  name: string
  seats: number
  seats_in_use: number
  expires_at: string | null
}

/** Overview is what the dashboard's cards and lists show. */
export interface Overview {
  /** Where the numbers come from: the stats endpoint or the licenses list. */
  source: 'stats' | 'licenses'
  licenses: number
  seats: number
  seats_in_use: number
  utilization: number
  /** Refused acquires in the last 24 h; null when the server does not count them. */
  denials_24h: number | null
  near_limit: LicenseSummary[]
  expiring_soon: LicenseSummary[]
  /** The licenses to plot beside the total: most seats in use first (at most 5). */
  busiest: LicenseSummary[]
}

const BUSIEST = 5

function summaryOf(l: License): LicenseSummary {
  return { id: l.id, name: l.name, seats: l.seats, seats_in_use: l.seats_in_use, expires_at: l.expires_at }
}

/** busiestOf picks the licenses to plot: most in use, then most seats. */
export function busiestOf(ls: License[]): LicenseSummary[] {
  return [...ls]
    .sort((a, b) => b.seats_in_use - a.seats_in_use || b.seats - a.seats)
    .slice(0, BUSIEST)
    .map(summaryOf)
}

export const NEAR_LIMIT = 0.8
export const EXPIRING_WITHIN_MS = 30 * 86400_000

/** fromStats turns GET /api/v1/stats/overview into the dashboard's overview. */
export function fromStats(o: StatsOverview, busiest: LicenseSummary[] = []): Overview {
  return {
    busiest,
    source: 'stats',
    licenses: o.licenses,
    seats: o.seats,
    seats_in_use: o.seats_in_use,
    utilization: o.utilization,
    denials_24h: o.denials_24h,
    near_limit: o.near_limit.map((l) => ({ id: l.license_id, name: l.name, seats: l.seats, seats_in_use: l.seats_in_use, expires_at: null })),
    expiring_soon: o.expiring_soon.map((l) => ({ id: l.license_id, name: l.name, seats: 0, seats_in_use: 0, expires_at: l.expires_at })),
  }
}

/** overviewFromLicenses computes the overview from the licenses themselves. */
export function overviewFromLicenses(ls: License[], now: number = Date.now()): Overview {
  const seats = ls.reduce((n, l) => n + l.seats, 0)
  const inUse = ls.reduce((n, l) => n + l.seats_in_use, 0)
  const toSummary = summaryOf
  return {
    busiest: busiestOf(ls),
    source: 'licenses',
    licenses: ls.length,
    seats,
    seats_in_use: inUse,
    utilization: seats > 0 ? inUse / seats : 0,
    denials_24h: null,
    near_limit: ls
      .filter((l) => l.status === 'active' && l.seats > 0 && l.seats_in_use / l.seats >= NEAR_LIMIT)
      .sort((a, b) => b.seats_in_use / b.seats - a.seats_in_use / a.seats)
      .map(toSummary),
    expiring_soon: ls
      .filter((l) => {
        if (!l.expires_at) return false
        const t = Date.parse(l.expires_at)
        return t > now && t - now <= EXPIRING_WITHIN_MS
      })
      .sort((a, b) => Date.parse(a.expires_at as string) - Date.parse(b.expires_at as string))
      .map(toSummary),
  }
}

async function allLicenses(maxPages = 20): Promise<License[]> {
  const out: License[] = []
  let cursor: string | null = null
  for (let i = 0; i < maxPages; i++) {
    const page: LicenseList = await get<LicenseList>('/api/v1/licenses', { params: query({ limit: 500, cursor }) })
    out.push(...page.data)
    cursor = page.next_cursor
    if (!cursor) break
  }
  return out
}

/**
 * getOverview reads the stats endpoint and, on a server without it, adds up
 * the licenses list instead (then denials are unknown).
 */
export async function getOverview(): Promise<Overview> {
  const caps = await capabilities()
  if (caps.known && !caps.has('GET', '/api/v1/stats/overview')) return overviewFromLicenses(await allLicenses())
  try {
    const [stats, first] = await Promise.all([
      get<StatsOverview>('/api/v1/stats/overview'),
      get<LicenseList>('/api/v1/licenses', { params: { limit: 500 } }),
    ])
    return fromStats(stats, busiestOf(first.data))
  } catch (err) {
    if (!(err instanceof ApiError) || !err.isMissingRoute) throw err
  }
  return overviewFromLicenses(await allLicenses())
}

export function overviewQueryOptions() {
  // Always refetched on mount: the cards must match the server when opened.
  return queryOptions({ queryKey: ['stats', 'overview'], queryFn: getOverview, refetchInterval: 10_000, staleTime: 0 })
}

export function useOverview() {
  return useQuery(overviewQueryOptions())
}
