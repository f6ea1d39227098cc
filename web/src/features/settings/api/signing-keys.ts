import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { get, post } from '@/lib/api-client'
import { requireRoute } from '@/lib/capabilities'
import type { JWKS, SigningKey, SigningKeyList } from '@/types/contract'

/** getPublicKeys reads the published keys that verify license tokens. */
export function getPublicKeys(): Promise<JWKS> {
  return get<JWKS>('/.well-known/jwks.json')
}

export function usePublicKeys() {
  return useQuery(queryOptions({ queryKey: ['signing-keys', 'jwks'], queryFn: getPublicKeys, staleTime: 60_000 }))
}

/** getSigningKeys lists every signing key with its state (platform admins). */
export async function getSigningKeys(): Promise<SigningKey[]> {
  await requireRoute('GET', '/api/v1/signing-keys')
  return (await get<SigningKeyList>('/api/v1/signing-keys')).data
}

export function useSigningKeys(enabled: boolean) {
  return useQuery(queryOptions({ queryKey: ['signing-keys', 'all'], queryFn: getSigningKeys, enabled }))
}

/** rotateSigningKey makes a new key sign from now on and retires the others. */
export function rotateSigningKey(): Promise<SigningKey> {
  return post<SigningKey>('/api/v1/signing-keys/rotate')
}

export function useRotateSigningKey() {
  const qc = useQueryClient()
  return useMutation({ mutationFn: rotateSigningKey, onSuccess: () => qc.invalidateQueries({ queryKey: ['signing-keys'] }) })
}
