import { useMemo, useState } from 'react'
import { Link } from 'react-router-dom'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { SelectField, TextField } from '@/components/ui/field'
import { SeatMeter } from '@/components/ui/meter'
import { PageHeader } from '@/components/ui/page-header'
import { EmptyState, ErrorState, Loading } from '@/components/ui/states'
import { Table, Td, Th } from '@/components/ui/table'
import { formatDate, formatRelative, utilization } from '@/lib/format'
import { useDebounced } from '@/lib/use-debounced'
import { canWrite, useAuth } from '@/stores/auth'
import { PAGE_SIZES, usePreferences } from '@/stores/preferences'
import type { CreatedLicense, License, LicenseState } from '@/types/contract'
import { useLicenses } from '../api/get-licenses'
import { KeyRevealDialog } from './key-reveal-dialog'
import { LicenseFormDialog } from './license-form-dialog'
import { LicenseStatusBadge } from './license-status-badge'

export type LicenseSort = 'newest' | 'name' | 'in_use' | 'utilization' | 'expires'

/** sortLicenses orders a page of licenses; "newest" keeps the server's order. */
export function sortLicenses(ls: License[], sort: LicenseSort): License[] {
  const out = [...ls]
  switch (sort) {
    case 'name':
      return out.sort((a, b) => a.name.localeCompare(b.name))
    case 'in_use':
      return out.sort((a, b) => b.seats_in_use - a.seats_in_use)
    case 'utilization':
      return out.sort((a, b) => utilization(b.seats_in_use, b.seats) - utilization(a.seats_in_use, a.seats))
    case 'expires':
      return out.sort((a, b) => (a.expires_at ? Date.parse(a.expires_at) : Infinity) - (b.expires_at ? Date.parse(b.expires_at) : Infinity))
    default:
      return out
  }
}

/**
 * LicenseManager lists the licenses with search, a status filter, sorting
 * and cursor pagination, and creates new ones.
 */
export function LicenseManager() {
  const user = useAuth((s) => s.user)
  const { pageSize, setPageSize } = usePreferences()
  const [q, setQ] = useState('')
  const [status, setStatus] = useState<LicenseState | ''>('')
  const [sort, setSort] = useState<LicenseSort>('newest')
  // cursors[i] is the cursor of page i (null for the first).
  const [cursors, setCursors] = useState<Array<string | null>>([null])
  const page = cursors.length - 1
  const debouncedQ = useDebounced(q.trim(), 300)
  const list = useLicenses({ q: debouncedQ, status, cursor: cursors[page] ?? null, limit: pageSize })
  const [creating, setCreating] = useState(false)
  const [created, setCreated] = useState<CreatedLicense | null>(null)

  const resetPages = (): void => setCursors([null])
  const rows = useMemo(() => sortLicenses(list.data?.data ?? [], sort), [list.data, sort])
  const filtered = debouncedQ !== '' || status !== ''

  return (
    <>
      <PageHeader
        title="Licenses"
        description="Every license of your organisation, with its seats in use right now."
        actions={
          canWrite(user) && (
            <Button variant="primary" onClick={() => setCreating(true)}>
              New license
            </Button>
          )
        }
      />
      <Card>
        <div className="mb-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
          <TextField
            label="Search"
            type="search"
            placeholder="Name or key prefix"
            value={q}
            onChange={(e) => {
              setQ(e.target.value)
              resetPages()
            }}
          />
          <SelectField
            label="Status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as LicenseState | '')
              resetPages()
            }}
          >
            <option value="">All</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
          </SelectField>
          <SelectField label="Sort this page by" value={sort} onChange={(e) => setSort(e.target.value as LicenseSort)}>
            <option value="newest">Newest first</option>
            <option value="name">Name (A–Z)</option>
            <option value="in_use">Seats in use</option>
            <option value="utilization">Utilisation</option>
            <option value="expires">Expires soonest</option>
          </SelectField>
          <SelectField
            label="Rows per page"
            value={String(pageSize)}
            onChange={(e) => {
              setPageSize(Number(e.target.value))
              resetPages()
            }}
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </SelectField>
        </div>

        {list.isPending ? (
          <Loading label="Loading licenses…" />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState title="No license matches">Change the search or the status filter.</EmptyState>
          ) : (
            <EmptyState
              title="No licenses yet"
              action={
                canWrite(user) && (
                  <Button variant="primary" onClick={() => setCreating(true)}>
                    Create the first license
                  </Button>
                )
              }
            >
              A license sets how many copies of your product may run at the same time.
            </EmptyState>
          )
        ) : (
          <Table caption="Licenses">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Status</Th>
                <Th>Seats in use</Th>
                <Th>Key</Th>
                <Th>Expires</Th>
                <Th>Created</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((l) => (
                <tr key={l.id} className="hover:bg-slate-50">
                  <Td className="font-medium">
                    <Link to={`/licenses/${l.id}`} className="text-indigo-700 hover:underline">
                      {l.name}
                    </Link>
                  </Td>
                  <Td>
                    <LicenseStatusBadge license={l} />
                  </Td>
                  <Td>
                    <SeatMeter inUse={l.seats_in_use} seats={l.seats} label={`Seats of ${l.name}`} />
                  </Td>
                  <Td className="font-mono text-xs">{l.key_prefix}…</Td>
                  <Td>{l.expires_at ? formatDate(l.expires_at) : 'Never'}</Td>
                  <Td title={l.created_at}>{formatRelative(l.created_at)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}

        <nav aria-label="Pages" className="mt-4 flex items-center justify-between gap-2">
          <Button size="sm" disabled={page === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </Button>
          <span className="text-sm text-slate-600">
            Page {page + 1}
            {list.isFetching && !list.isPending ? ' · updating…' : ''}
          </span>
          <Button
            size="sm"
            disabled={!list.data?.next_cursor}
            onClick={() => {
              const next = list.data?.next_cursor
              if (next) setCursors((c) => [...c, next])
            }}
          >
            Next
          </Button>
        </nav>
      </Card>

      <LicenseFormDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(l) => {
          setCreating(false)
          setCreated(l)
        }}
      />
      <KeyRevealDialog licenseKey={created?.key ?? null} licenseName={created?.name ?? ''} onClose={() => setCreated(null)} />
    </>
  )
}
