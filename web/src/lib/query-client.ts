import { QueryClient } from '@tanstack/react-query'
import { ApiError } from './problem'

/** newQueryClient makes the app's TanStack Query client. */
export function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: false,
        // Client errors (a missing route, a bad filter) do not heal on retry.
        retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
      },
      mutations: { retry: false },
    },
  })
}
