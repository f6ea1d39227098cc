import type { ReactNode } from 'react'
import { errorMessage, toApiError } from '@/lib/problem'
import { Button } from './button'
import { Spinner } from './spinner'

/** Loading says what is loading, for sight and for screen readers. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-2 py-8 text-sm text-slate-600 justify-center">
      <Spinner />
      <span>{label}</span>
    </div>
  )
}

/** EmptyState explains why there is nothing to show and what to do. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="flex flex-col items-center gap-2 px-4 py-10 text-center">
      <p className="text-sm font-semibold text-slate-800">{title}</p>
      {children && <div className="max-w-md text-sm text-slate-600">{children}</div>}
      {action && <div className="mt-2">{action}</div>}
    </div>
  )
}

/**
 * ErrorState shows a failure with a retry button. A route the server does
 * not offer yet gets `missing` instead, as an empty state.
 */
export function ErrorState({
  error,
  onRetry,
  missing,
}: {
  error: unknown
  onRetry?: () => void
  missing?: { title: string; body: ReactNode }
}) {
  const e = toApiError(error)
  if (missing && e.isMissingRoute) {
    return <EmptyState title={missing.title}>{missing.body}</EmptyState>
  }
  return (
    <div role="alert" className="flex flex-col items-center gap-3 px-4 py-8 text-center">
      <p className="text-sm font-semibold text-red-800">Could not load this</p>
      <p className="max-w-md text-sm text-slate-700">{errorMessage(e)}</p>
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  )
}

/** InlineError is a form-level error message. */
export function InlineError({ error }: { error: unknown }) {
  if (!error) return null
  return (
    <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-inset ring-red-200">
      {errorMessage(error)}
    </p>
  )
}
