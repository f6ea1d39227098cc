import { useMutation, useQueryClient } from '@tanstack/react-query'
import { del } from '@/lib/api-client'

/**
 * releaseSession force-releases (revokes) a session with the admin's token:
 * its seat is free at once and the client's next heartbeat answers 410.
 */
export function releaseSession(id: string): Promise<void> {
  return del(`/api/v1/sessions/${encodeURIComponent(id)}`)
}

export function useReleaseSession() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: releaseSession,
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['sessions'] })
      void qc.invalidateQueries({ queryKey: ['licenses'] })
    },
  })
}
