import { Settings } from '@/features/settings/components/settings'

export function SettingsRoute() {
  return <Settings />
}
