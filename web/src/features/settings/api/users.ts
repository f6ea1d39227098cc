import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { get, patch, post } from '@/lib/api-client'
import { requireRoute } from '@/lib/capabilities'
import type { User, UserCreate, UserList, UserPatch } from '@/types/contract'

/** getUsers lists the tenant's users (every page). */
export async function getUsers(maxPages = 20): Promise<User[]> {
  await requireRoute('GET', '/api/v1/users')
  const out: User[] = []
  let cursor: string | null = null
  for (let i = 0; i < maxPages; i++) {
    const page: UserList = await get<UserList>('/api/v1/users', { params: { limit: 500, ...(cursor ? { cursor } : {}) } })
    out.push(...page.data)
    cursor = page.next_cursor
    if (!cursor) break
  }
  return out
}

export function usersQueryOptions() {
  return queryOptions({ queryKey: ['users'], queryFn: () => getUsers() })
}

export function useUsers() {
  return useQuery(usersQueryOptions())
}

/** createUser adds a user with a first password (owners only). */
export function createUser(body: UserCreate): Promise<User> {
  return post<User>('/api/v1/users', body)
}

export function useCreateUser() {
  const qc = useQueryClient()
  return useMutation({ mutationFn: createUser, onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }) })
}

/** updateUser changes a user's role or disables them (owners only, never themselves). */
export function updateUser(id: string, body: UserPatch): Promise<User> {
  return patch<User>(`/api/v1/users/${encodeURIComponent(id)}`, body)
}

export function useUpdateUser() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UserPatch }) => updateUser(id, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  })
}
