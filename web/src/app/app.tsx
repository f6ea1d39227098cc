import { QueryClientProvider } from '@tanstack/react-query'
import { useState } from 'react'
import { RouterProvider } from 'react-router-dom'
import { Toaster } from '@/components/ui/toaster'
import { newQueryClient } from '@/lib/query-client'
import { createAppRouter } from './router'

/** App is the root: one query client, the router and the toasts. */
export function App() {
  const [queryClient] = useState(newQueryClient)
  const [router] = useState(createAppRouter)
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
      <Toaster />
    </QueryClientProvider>
  )
}
