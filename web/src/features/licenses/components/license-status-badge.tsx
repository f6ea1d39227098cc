import { Badge } from '@/components/ui/badge'
import { useNow } from '@/lib/use-now'
import type { License } from '@/types/contract'

/** LicenseStatusBadge shows active, suspended or expired. */
export function LicenseStatusBadge({ license }: { license: Pick<License, 'status' | 'expires_at'> }) {
  const now = useNow(60_000)
  if (license.status === 'suspended') return <Badge tone="amber">Suspended</Badge>
  if (license.expires_at && new Date(license.expires_at).getTime() <= now) return <Badge tone="red">Expired</Badge>
  return <Badge tone="green">Active</Badge>
}
