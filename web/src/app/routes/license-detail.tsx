import { useParams } from 'react-router-dom'
import { UsageChart } from '@/features/dashboard/components/usage-chart'
import { LicenseDetail } from '@/features/licenses/components/license-detail'
import { LicenseSessions } from '@/features/sessions/components/license-sessions'

// The route composes features: a license with its sessions and usage.
export function LicenseDetailRoute() {
  const { id = '' } = useParams()
  return (
    <LicenseDetail id={id}>
      <LicenseSessions licenseId={id} />
      <UsageChart licenseId={id} title="Seats in use over time" />
    </LicenseDetail>
  )
}
