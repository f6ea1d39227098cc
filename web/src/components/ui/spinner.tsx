import { cn } from './cn'

/** Spinner is a decorative busy indicator; pair it with text for readers. */
export function Spinner({ size = 'md', className }: { size?: 'sm' | 'md'; className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cn(
        'inline-block animate-spin rounded-full border-2 border-current border-r-transparent',
        size === 'sm' ? 'h-3.5 w-3.5' : 'h-5 w-5',
        className,
      )}
    />
  )
}
