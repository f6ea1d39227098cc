import { useEffect, useState } from 'react'
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom'
import { Button } from '@/components/ui/button'
import { cn } from '@/components/ui/cn'
import { useSignOut } from '@/features/auth/api/sign-out'
import { useAuth } from '@/stores/auth'

const nav = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/licenses', label: 'Licenses', end: false },
  { to: '/sessions', label: 'Sessions', end: false },
  { to: '/audit', label: 'Audit log', end: false },
  { to: '/settings', label: 'Settings', end: false },
]

function Brand() {
  return (
    <span className="flex items-center gap-2 text-base font-semibold text-slate-900">
      <img src="/favicon.svg" alt="" width={24} height={24} />
      CODITECT Licenses
    </span>
  )
}

/** AppLayout is the frame of every signed-in page: navigation, user, sign-out. */
export function AppLayout() {
  const user = useAuth((s) => s.user)
  const signOut = useSignOut()
  const navigate = useNavigate()
  const location = useLocation()
  const [menuOpen, setMenuOpen] = useState(false)

  useEffect(() => setMenuOpen(false), [location.pathname])

  const links = (
    <ul className="flex flex-col gap-1">
      {nav.map((n) => (
        <li key={n.to}>
          <NavLink
            to={n.to}
            end={n.end}
            className={({ isActive }) =>
              cn('block rounded-md px-3 py-2 text-sm font-medium', isActive ? 'bg-indigo-50 text-indigo-700' : 'text-slate-700 hover:bg-slate-100')
            }
          >
            {n.label}
          </NavLink>
        </li>
      ))}
    </ul>
  )
  const account = (
    <div className="border-t border-slate-200 pt-3 text-sm">
      <p className="truncate font-medium text-slate-900" title={user?.email}>
        {user?.email || 'Signed in'}
      </p>
      <p className="mb-2 text-xs capitalize text-slate-500">{user?.role}</p>
      <Button
        size="sm"
        className="w-full"
        onClick={() => {
          void signOut().then(() => navigate('/login'))
        }}
      >
        Sign out
      </Button>
    </div>
  )

  return (
    <div className="min-h-screen lg:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-30 flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
        <Brand />
        <Button size="sm" variant="ghost" aria-expanded={menuOpen} aria-controls="mobile-nav" onClick={() => setMenuOpen((o) => !o)}>
          {menuOpen ? 'Close menu' : 'Menu'}
        </Button>
      </header>
      {menuOpen && (
        <nav id="mobile-nav" aria-label="Main" className="border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
          {links}
          <div className="mt-3">{account}</div>
        </nav>
      )}
      <aside className="hidden w-60 shrink-0 border-r border-slate-200 bg-white lg:flex lg:min-h-screen lg:flex-col lg:justify-between lg:px-3 lg:py-4">
        <div>
          <div className="mb-6 px-3">
            <Brand />
          </div>
          <nav aria-label="Main">{links}</nav>
        </div>
        {account}
      </aside>
      <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-6 lg:px-8">
        <Outlet />
      </main>
    </div>
  )
}
