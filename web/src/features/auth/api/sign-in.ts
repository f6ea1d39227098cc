import { useMutation } from '@tanstack/react-query'
import { passwordGrant } from '@/lib/oauth'
import { useAuth } from '@/stores/auth'

/** signIn trades email and password for tokens (password grant). */
export async function signIn({ email, password }: { email: string; password: string }): Promise<void> {
  const tokens = await passwordGrant(email.trim(), password)
  useAuth.getState().setTokens(tokens, email.trim())
}

export function useSignIn() {
  return useMutation({ mutationFn: signIn })
}
