import { NavLink, Navigate, useParams } from 'react-router-dom'
import { cn } from '@/components/ui/cn'
import { PageHeader } from '@/components/ui/page-header'
import { ClientsPanel } from './clients-panel'
import { SigningKeysPanel } from './signing-keys-panel'
import { UsersPanel } from './users-panel'

const tabs = [
  { id: 'users', label: 'Users' },
  { id: 'clients', label: 'OAuth clients' },
  { id: 'keys', label: 'Signing keys' },
] as const

/** Settings holds users, OAuth clients and signing keys, one tab each. */
export function Settings() {
  const { tab } = useParams()
  if (!tabs.some((t) => t.id === tab)) return <Navigate to="/settings/users" replace />
  return (
    <>
      <PageHeader title="Settings" />
      <nav aria-label="Settings sections" className="mb-4 flex gap-1 overflow-x-auto border-b border-slate-200">
        {tabs.map((t) => (
          <NavLink
            key={t.id}
            to={`/settings/${t.id}`}
            className={({ isActive }) =>
              cn(
                'whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium',
                isActive ? 'border-indigo-600 text-indigo-700' : 'border-transparent text-slate-600 hover:text-slate-900',
              )
            }
          >
            {t.label}
          </NavLink>
        ))}
      </nav>
      {tab === 'users' && <UsersPanel />}
      {tab === 'clients' && <ClientsPanel />}
      {tab === 'keys' && <SigningKeysPanel />}
    </>
  )
}
