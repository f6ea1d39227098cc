import { queryOptions, useQuery } from '@tanstack/react-query'
import type { Series } from '@/components/charts/line-chart'
import { get, query } from '@/lib/api-client'
import { requireRoute } from '@/lib/capabilities'
import type { UsagePoint, UsageSeries } from '@/types/contract'
import type { UsageRange } from '@/stores/preferences'

export const ranges: Record<UsageRange, { label: string; ms: number; step: UsageSeries['step'] }> = {
  '1h': { label: 'Last hour', ms: 3600_000, step: 'minute' },
  '24h': { label: 'Last 24 hours', ms: 86400_000, step: 'minute' },
  '7d': { label: 'Last 7 days', ms: 7 * 86400_000, step: 'hour' },
  '30d': { label: 'Last 30 days', ms: 30 * 86400_000, step: 'hour' },
}

/** toSeries plots a usage series: the peak seats in use of each step. */
export function toSeries(name: string, points: UsagePoint[]): Series {
  return { name, points: points.map((p) => ({ t: Date.parse(p.start), v: p.peak_in_use })).filter((p) => !Number.isNaN(p.t)) }
}

/** getUsage reads usage over a range, for one license or all of them. */
export async function getUsage(range: UsageRange, licenseId?: string, now: number = Date.now()): Promise<UsageSeries> {
  await requireRoute('GET', '/api/v1/stats/usage')
  const r = ranges[range]
  return get<UsageSeries>('/api/v1/stats/usage', {
    params: query({ license_id: licenseId, from: new Date(now - r.ms).toISOString(), to: new Date(now).toISOString(), step: r.step }),
  })
}

export interface UsageLine {
  licenseId?: string
  name: string
}

/**
 * getUsageLines reads the total and then one series per license asked for
 * (the API sums all licenses, or gives one).
 */
export async function getUsageLines(range: UsageRange, lines: UsageLine[]): Promise<Series[]> {
  const series = await Promise.all(lines.map((l) => getUsage(range, l.licenseId)))
  return series.map((s, i) => toSeries(lines[i]?.name ?? '', s.data))
}

export function usageQueryOptions(range: UsageRange, lines: UsageLine[]) {
  return queryOptions({
    queryKey: ['stats', 'usage', range, lines],
    queryFn: () => getUsageLines(range, lines),
    refetchInterval: 60_000,
  })
}

export function useUsage(range: UsageRange, lines: UsageLine[]) {
  return useQuery(usageQueryOptions(range, lines))
}
