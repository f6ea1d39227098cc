import { LicenseManager } from '@/features/licenses/components/license-manager'

export function LicensesRoute() {
  return <LicenseManager />
}
