import { useEffect, useState, type ReactNode } from 'react'
import { Navigate, useLocation } from 'react-router-dom'
import { Loading } from '@/components/ui/states'
import { restoreSession } from '@/lib/api-client'
import { useAuth } from '@/stores/auth'

/**
 * RequireAuth shows its children to a signed-in user; after a reload it
 * first tries to restore the session with the tab's refresh token.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const status = useAuth((s) => s.status)
  const location = useLocation()
  const [checked, setChecked] = useState(status === 'authenticated')

  useEffect(() => {
    if (checked) return
    let live = true
    void restoreSession().finally(() => {
      if (live) setChecked(true)
    })
    return () => {
      live = false
    }
  }, [checked])

  if (status === 'authenticated') return <>{children}</>
  if (!checked || status === 'restoring') return <Loading label="Signing you in…" />
  const from = location.pathname + location.search
  return <Navigate to={from === '/' ? '/login' : `/login?next=${encodeURIComponent(from)}`} replace />
}
