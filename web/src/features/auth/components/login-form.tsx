import { useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/button'
import { TextField } from '@/components/ui/field'
import { InlineError } from '@/components/ui/states'
import { useAuth } from '@/stores/auth'
import { useSignIn } from '../api/sign-in'

/** LoginForm signs a dashboard user in with email and password. */
export function LoginForm({ onSuccess }: { onSuccess: () => void }) {
  const signIn = useSignIn()
  const notice = useAuth((s) => s.notice)
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({})

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    const errs: typeof errors = {}
    if (email.trim() === '') errs.email = 'Enter your email address.'
    if (password === '') errs.password = 'Enter your password.'
    setErrors(errs)
    if (Object.keys(errs).length > 0) return
    signIn.mutate({ email, password }, { onSuccess })
  }

  return (
    <form noValidate onSubmit={submit} className="grid gap-4" aria-label="Sign in">
      {notice && !signIn.error && (
        <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-inset ring-amber-200">
          {notice}
        </p>
      )}
      <TextField label="Email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.email} autoFocus />
      <TextField label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} />
      <InlineError error={signIn.error} />
      <Button type="submit" variant="primary" loading={signIn.isPending} className="w-full">
        Sign in
      </Button>
    </form>
  )
}
