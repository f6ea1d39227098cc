import { useMemo } from 'react'
import { useLicenses } from '@/features/licenses/api/get-licenses'
import { SessionMonitor } from '@/features/sessions/components/session-monitor'

// The route hands the monitor the license names for its filter and column.
export function SessionsRoute() {
  const licenses = useLicenses({ limit: 500 })
  const options = useMemo(() => (licenses.data?.data ?? []).map((l) => ({ id: l.id, name: l.name })), [licenses.data])
  return <SessionMonitor licenses={options} />
}
