import type { ReactNode } from 'react'
import { Link } from 'react-router-dom'
import { Card } from '@/components/ui/card'
import { SeatMeter } from '@/components/ui/meter'
import { PageHeader } from '@/components/ui/page-header'
import { EmptyState, ErrorState, Loading } from '@/components/ui/states'
import { formatDate, formatNumber, formatPercent, formatRelative } from '@/lib/format'
import { useOverview, type LicenseSummary } from '../api/get-overview'
import { UsageChart } from './usage-chart'

function StatCard({ label, value, hint, testId }: { label: string; value: ReactNode; hint?: ReactNode; testId: string }) {
  return (
    <div className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <dt className="text-sm font-medium text-slate-600">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums text-slate-900" data-testid={testId}>
        {value}
      </dd>
      {hint && <dd className="mt-1 text-xs text-slate-500">{hint}</dd>}
    </div>
  )
}

function LicenseList({ items, empty, render }: { items: LicenseSummary[]; empty: string; render: (l: LicenseSummary) => ReactNode }) {
  if (items.length === 0) return <EmptyState title={empty} />
  return (
    <ul className="divide-y divide-slate-100">
      {items.slice(0, 8).map((l) => (
        <li key={l.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
          <Link to={`/licenses/${l.id}`} className="font-medium text-indigo-700 hover:underline">
            {l.name}
          </Link>
          {render(l)}
        </li>
      ))}
    </ul>
  )
}

/** Dashboard is the daily overview: seats, utilisation, usage, and what needs attention. */
export function Dashboard() {
  const q = useOverview()
  return (
    <>
      <PageHeader title="Dashboard" description="Seats in use across your licenses, right now and over time." />
      {q.isPending ? (
        <Loading label="Loading the overview…" />
      ) : q.isError ? (
        <Card>
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        </Card>
      ) : (
        <div className="grid gap-6">
          <dl className="grid grid-cols-2 gap-3 lg:grid-cols-5">
            <StatCard label="Licenses" value={formatNumber(q.data.licenses)} testId="stat-licenses" />
            <StatCard label="Seats" value={formatNumber(q.data.seats)} testId="stat-seats" />
            <StatCard label="Seats in use" value={formatNumber(q.data.seats_in_use)} testId="stat-seats-in-use" />
            <StatCard label="Utilisation" value={formatPercent(q.data.utilization)} testId="stat-utilization" />
            <StatCard
              label="Denials (24 h)"
              value={q.data.denials_24h === null ? '—' : formatNumber(q.data.denials_24h)}
              hint={q.data.denials_24h === null ? 'Not counted by this server yet' : 'Acquires refused: every seat taken'}
              testId="stat-denials"
            />
          </dl>
          {q.data.licenses === 0 && (
            <Card>
              <EmptyState title="No licenses yet" action={<Link className="text-sm font-medium text-indigo-700 hover:underline" to="/licenses">Create a license</Link>}>
                Create a license and hand its key to your product: its seats show up here.
              </EmptyState>
            </Card>
          )}
          <UsageChart lines={q.data.busiest.map((l) => ({ licenseId: l.id, name: l.name }))} />
          <div className="grid gap-6 lg:grid-cols-2">
            <Card title="Near their limit">
              <LicenseList
                items={q.data.near_limit}
                empty="No license is near its seat limit"
                render={(l) => <SeatMeter inUse={l.seats_in_use} seats={l.seats} label={`Seats of ${l.name}`} />}
              />
            </Card>
            <Card title="Expiring soon">
              <LicenseList
                items={q.data.expiring_soon}
                empty="No license expires in the next 30 days"
                render={(l) => (
                  <span className="text-sm text-slate-700" title={formatDate(l.expires_at)}>
                    expires {formatRelative(l.expires_at)}
                  </span>
                )}
              />
            </Card>
          </div>
          {q.data.source === 'licenses' && (
            <p className="text-xs text-slate-500">Computed from the licenses list: this server has no statistics endpoint yet.</p>
          )}
        </div>
      )}
    </>
  )
}
