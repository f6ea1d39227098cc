import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { del, get, post } from '@/lib/api-client'
import { requireRoute } from '@/lib/capabilities'
import type { CreatedOAuthClient, OAuthClient, OAuthClientCreate, OAuthClientList } from '@/types/contract'

/** getClients lists the tenant's OAuth clients. */
export async function getClients(): Promise<OAuthClient[]> {
  await requireRoute('GET', '/api/v1/clients')
  return (await get<OAuthClientList>('/api/v1/clients', { params: { limit: 500 } })).data
}

export function clientsQueryOptions() {
  return queryOptions({ queryKey: ['clients'], queryFn: getClients })
}

export function useClients() {
  return useQuery(clientsQueryOptions())
}

/** createClient makes a client; the answer holds its secret, once. */
export function createClient(body: OAuthClientCreate): Promise<CreatedOAuthClient> {
  return post<CreatedOAuthClient>('/api/v1/clients', body)
}

export function useCreateClient() {
  const qc = useQueryClient()
  return useMutation({ mutationFn: createClient, onSuccess: () => qc.invalidateQueries({ queryKey: ['clients'] }) })
}

/** deleteClient revokes a client: it can no longer get tokens. */
export function deleteClient(id: string): Promise<void> {
  return del(`/api/v1/clients/${encodeURIComponent(id)}`)
}

export function useDeleteClient() {
  const qc = useQueryClient()
  return useMutation({ mutationFn: deleteClient, onSuccess: () => qc.invalidateQueries({ queryKey: ['clients'] }) })
}
