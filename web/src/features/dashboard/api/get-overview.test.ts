import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { backend, makeLicense, server } from '@/testing/server'
import { signInAs } from '@/testing/render'
import { busiestOf, getOverview, overviewFromLicenses } from './get-overview'
import { getUsageLines, toSeries } from './get-usage'

describe('dashboard overview', () => {
  it('computes cards from the licenses when the stats endpoint is missing', async () => {
    signInAs()
    backend.licenses = [makeLicense({ seats: 10, seats_in_use: 9 }), makeLicense({ seats: 5, seats_in_use: 1 })]
    const o = await getOverview()
    expect(o).toMatchObject({ source: 'licenses', licenses: 2, seats: 15, seats_in_use: 10, denials_24h: null })
    expect(o.utilization).toBeCloseTo(10 / 15)
    expect(o.near_limit.map((l) => l.seats_in_use)).toEqual([9])
  })

  it('uses the stats endpoint when there is one', async () => {
    signInAs()
    backend.licenses = [makeLicense({ id: 'a', name: 'A', seats: 5, seats_in_use: 5 })]
    server.use(
      http.get('*/api/v1/stats/overview', () =>
        HttpResponse.json({
          licenses: 3,
          seats: 30,
          seats_in_use: 12,
          utilization: 0.4,
          denials_24h: 7,
          near_limit: [{ license_id: 'a', name: 'A', seats: 5, seats_in_use: 5 }],
          expiring_soon: [{ license_id: 'b', name: 'B', expires_at: '2030-01-01T00:00:00Z' }],
        }),
      ),
    )
    const o = await getOverview()
    expect(o).toMatchObject({ source: 'stats', licenses: 3, seats_in_use: 12, utilization: 0.4, denials_24h: 7 })
    expect(o.near_limit).toEqual([{ id: 'a', name: 'A', seats: 5, seats_in_use: 5, expires_at: null }])
    expect(o.expiring_soon[0]).toMatchObject({ id: 'b', expires_at: '2030-01-01T00:00:00Z' })
    expect(o.busiest.map((l) => l.id)).toEqual(['a'])
  })

  it('lists licenses expiring within 30 days, soonest first', () => {
    const now = Date.parse('2030-01-01T00:00:00Z')
    const ls = [
      makeLicense({ id: 'late', expires_at: '2030-01-20T00:00:00Z' }),
      makeLicense({ id: 'soon', expires_at: '2030-01-02T00:00:00Z' }),
      makeLicense({ id: 'far', expires_at: '2030-06-01T00:00:00Z' }),
      makeLicense({ id: 'past', expires_at: '2029-12-01T00:00:00Z' }),
    ]
    expect(overviewFromLicenses(ls, now).expiring_soon.map((l) => l.id)).toEqual(['soon', 'late'])
  })

  it('plots the busiest licenses, at most five', () => {
    const ls = Array.from({ length: 7 }, (_, i) => makeLicense({ id: `l${i}`, seats: 10, seats_in_use: i }))
    expect(busiestOf(ls).map((l) => l.id)).toEqual(['l6', 'l5', 'l4', 'l3', 'l2'])
  })
})

describe('usage series', () => {
  it('plots the peak seats in use per step', () => {
    const s = toSeries('All', [
      { start: '2030-01-01T00:00:00Z', peak_in_use: 1, acquires: 1, denials: 0, distinct_users: 1, distinct_machines: 1 },
      { start: '2030-01-01T00:01:00Z', peak_in_use: 3, acquires: 2, denials: 1, distinct_users: 2, distinct_machines: 2 },
    ])
    expect(s.points).toEqual([
      { t: Date.parse('2030-01-01T00:00:00Z'), v: 1 },
      { t: Date.parse('2030-01-01T00:01:00Z'), v: 3 },
    ])
  })

  it('asks for the total and each license, with the range and step', async () => {
    signInAs()
    const asked: string[] = []
    server.use(
      http.get('*/api/v1/stats/usage', ({ request }) => {
        const q = new URL(request.url).searchParams
        asked.push(`${q.get('license_id') ?? 'all'}:${q.get('step')}`)
        return HttpResponse.json({ data: [{ start: '2030-01-01T00:00:00Z', peak_in_use: q.get('license_id') ? 1 : 2, acquires: 0, denials: 0, distinct_users: 0, distinct_machines: 0 }], step: 'hour', from: 'x', to: 'y' })
      }),
    )
    const series = await getUsageLines('7d', [{ name: 'All licenses' }, { licenseId: 'a', name: 'A' }])
    expect(asked).toEqual(['all:hour', 'a:hour'])
    expect(series.map((s) => [s.name, s.points[0]?.v])).toEqual([
      ['All licenses', 2],
      ['A', 1],
    ])
  })
})
