import type { ReactNode } from 'react'
import { cn } from './cn'

/** Card is a white panel with an optional title and actions. */
export function Card({
  title,
  actions,
  children,
  className,
  headingLevel = 2,
}: {
  title?: ReactNode
  actions?: ReactNode
  children: ReactNode
  className?: string
  headingLevel?: 2 | 3
}) {
  const H = headingLevel === 2 ? 'h2' : 'h3'
  return (
    <section className={cn('rounded-lg bg-white shadow-sm ring-1 ring-slate-200', className)}>
      {(title || actions) && (
        <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 px-4 py-3">
          {title && <H className="text-base font-semibold text-slate-900">{title}</H>}
          {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
        </div>
      )}
      <div className="p-4">{children}</div>
    </section>
  )
}
