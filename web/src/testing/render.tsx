import { QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { RouterProvider } from 'react-router-dom'
import { createTestRouter } from '@/app/router'
import { Toaster } from '@/components/ui/toaster'
import { newQueryClient } from '@/lib/query-client'
import { useAuth } from '@/stores/auth'
import { fakeJWT } from './server'

/** signInAs puts a signed-in user in the auth store. */
export function signInAs(role: 'owner' | 'admin' | 'viewer' = 'owner'): void {
  useAuth.getState().setTokens({ access_token: fakeJWT({ role }), token_type: 'Bearer', expires_in: 900 }, 'admin@example.com')
}

/** renderApp renders the whole app at a path, as a user would see it. */
export function renderApp(path: string) {
  const router = createTestRouter(path)
  const qc = newQueryClient()
  qc.setDefaultOptions({ queries: { ...qc.getDefaultOptions().queries, retry: false } })
  const user = userEvent.setup()
  const view = render(
    <QueryClientProvider client={qc}>
      <RouterProvider router={router} />
      <Toaster />
    </QueryClientProvider>,
  )
  return { ...view, user, router }
}
