import { createBrowserRouter, createMemoryRouter, type RouteObject } from 'react-router-dom'
import { AppLayout } from './layout/app-layout'
import { RequireAuth } from './require-auth'
import { AuditRoute } from './routes/audit'
import { DashboardRoute } from './routes/dashboard'
import { LicenseDetailRoute } from './routes/license-detail'
import { LicensesRoute } from './routes/licenses'
import { LoginRoute } from './routes/login'
import { NotFoundRoute } from './routes/not-found'
import { SessionsRoute } from './routes/sessions'
import { SettingsRoute } from './routes/settings'

/** routes is every page of the app. */
export const routes: RouteObject[] = [
  { path: '/login', element: <LoginRoute /> },
  {
    element: (
      <RequireAuth>
        <AppLayout />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <DashboardRoute /> },
      { path: 'licenses', element: <LicensesRoute /> },
      { path: 'licenses/:id', element: <LicenseDetailRoute /> },
      { path: 'sessions', element: <SessionsRoute /> },
      { path: 'audit', element: <AuditRoute /> },
      { path: 'settings/:tab?', element: <SettingsRoute /> },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
]

export function createAppRouter() {
  return createBrowserRouter(routes)
}

/** createTestRouter renders the routes in memory, for tests. */
export function createTestRouter(initialPath: string) {
  return createMemoryRouter(routes, { initialEntries: [initialPath] })
}
