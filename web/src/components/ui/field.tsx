import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react'
import { cn } from './cn'

const control =
  'block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 disabled:bg-slate-50'

interface FieldProps {
  label: string
  hint?: ReactNode
  error?: string | undefined
  className?: string
  /** Visually hide the label (it stays for screen readers). */
  hideLabel?: boolean
}

/** TextField is a labelled input with a hint and an error message. */
export function TextField({ label, hint, error, className, hideLabel, id, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const auto = useId()
  const fid = id ?? auto
  const hintId = hint ? `${fid}-hint` : undefined
  const errId = error ? `${fid}-error` : undefined
  return (
    <div className={className}>
      <label htmlFor={fid} className={cn('mb-1 block text-sm font-medium text-slate-700', hideLabel && 'sr-only')}>
        {label}
      </label>
      <input
        id={fid}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hintId, errId].filter(Boolean).join(' ') || undefined}
        className={cn(control, error && 'ring-red-500')}
        {...input}
      />
      {hint && !error && (
        <p id={hintId} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errId} className="mt-1 text-xs text-red-700">
          {error}
        </p>
      )}
    </div>
  )
}

/** SelectField is a labelled select. */
export function SelectField({
  label,
  hint,
  error,
  className,
  hideLabel,
  id,
  children,
  ...select
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const auto = useId()
  const fid = id ?? auto
  return (
    <div className={className}>
      <label htmlFor={fid} className={cn('mb-1 block text-sm font-medium text-slate-700', hideLabel && 'sr-only')}>
        {label}
      </label>
      <select id={fid} aria-invalid={error ? true : undefined} className={cn(control, 'pr-8')} {...select}>
        {children}
      </select>
      {hint && !error && <p className="mt-1 text-xs text-slate-500">{hint}</p>}
      {error && <p className="mt-1 text-xs text-red-700">{error}</p>}
    </div>
  )
}
