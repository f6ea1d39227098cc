import { LineChart, type Series } from '@/components/charts/line-chart'
import { Card } from '@/components/ui/card'
import { SelectField } from '@/components/ui/field'
import { EmptyState, ErrorState, Loading } from '@/components/ui/states'
import { usePreferences, type UsageRange } from '@/stores/preferences'
import { ranges, useUsage, type UsageLine } from '../api/get-usage'

/**
 * UsageChart plots the peak seats in use per step over the chosen range:
 * one license (licenseId), or the total and the licenses given in `lines`.
 */
export function UsageChart({ licenseId, lines = [], title = 'Seats in use over time' }: { licenseId?: string; lines?: UsageLine[]; title?: string }) {
  const { usageRange, setUsageRange } = usePreferences()
  const asked: UsageLine[] = licenseId ? [{ licenseId, name: 'Seats in use' }] : [{ name: 'All licenses' }, ...lines]
  const usage = useUsage(usageRange, asked)
  const series: Series[] = usage.data ?? []
  const empty = series.every((s) => s.points.every((p) => p.v === 0))

  return (
    <Card
      title={title}
      actions={
        <SelectField label="Range" hideLabel value={usageRange} onChange={(e) => setUsageRange(e.target.value as UsageRange)}>
          {Object.entries(ranges).map(([k, r]) => (
            <option key={k} value={k}>
              {r.label}
            </option>
          ))}
        </SelectField>
      }
    >
      {usage.isPending ? (
        <Loading label="Loading usage…" />
      ) : usage.isError ? (
        <ErrorState
          error={usage.error}
          onRetry={() => void usage.refetch()}
          missing={{
            title: 'No usage history on this server',
            body: 'This server does not record usage history yet (GET /api/v1/stats/usage). The cards above show seats in use right now.',
          }}
        />
      ) : empty ? (
        <EmptyState title="No usage in this range">Seats in use will be plotted here once clients acquire seats.</EmptyState>
      ) : (
        <LineChart series={series} label={`${title}, ${ranges[usageRange].label.toLowerCase()}`} />
      )}
    </Card>
  )
}
