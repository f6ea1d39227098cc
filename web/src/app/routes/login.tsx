import { Navigate, useNavigate, useSearchParams } from 'react-router-dom'
import { LoginForm } from '@/features/auth/components/login-form'
import { useAuth } from '@/stores/auth'

// Only same-app paths are followed after sign-in (no open redirect).
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/'
}

export function LoginRoute() {
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const status = useAuth((s) => s.status)
  const next = safeNext(params.get('next'))
  if (status === 'authenticated') return <Navigate to={next} replace />
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex flex-col items-center gap-2 text-center">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <h1 className="text-xl font-semibold text-slate-900">Sign in to CODITECT Licenses</h1>
          <p className="text-sm text-slate-600">Manage licenses and watch seats in use.</p>
        </div>
        <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
          <LoginForm onSuccess={() => void navigate(next, { replace: true })} />
        </div>
      </div>
    </main>
  )
}
