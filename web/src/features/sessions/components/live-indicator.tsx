import { cn } from '@/components/ui/cn'
import { POLL_INTERVAL_MS, type LiveMode } from '../api/use-live-sessions'

const every = `${POLL_INTERVAL_MS / 1000} s`
const text: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: `Reconnecting… (refreshing every ${every} meanwhile)`,
  polling: `Refreshing every ${every}`,
}

/** LiveIndicator says whether the table is live, reconnecting or polling. */
export function LiveIndicator({ mode }: { mode: LiveMode }) {
  return (
    <span role="status" data-testid="live-status" data-mode={mode} className="inline-flex items-center gap-2 text-sm text-slate-700">
      <span
        aria-hidden="true"
        className={cn(
          'h-2.5 w-2.5 rounded-full',
          mode === 'live' && 'bg-emerald-500',
          mode === 'reconnecting' && 'animate-pulse bg-amber-500',
          mode === 'connecting' && 'animate-pulse bg-slate-400',
          mode === 'polling' && 'bg-sky-500',
        )}
      />
      {text[mode]}
    </span>
  )
}
