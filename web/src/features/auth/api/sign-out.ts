import { useQueryClient } from '@tanstack/react-query'
import { useCallback } from 'react'
import { revokeToken } from '@/lib/oauth'
import { getRefreshToken, useAuth } from '@/stores/auth'

/** signOut revokes the refresh token (best effort) and forgets the session. */
export async function signOut(): Promise<void> {
  const rt = getRefreshToken()
  useAuth.getState().clear()
  if (rt) await revokeToken(rt)
}

/** useSignOut also drops every cached response of the signed-out user. */
export function useSignOut(): () => Promise<void> {
  const qc = useQueryClient()
  return useCallback(async () => {
    await signOut()
    qc.clear()
  }, [qc])
}
