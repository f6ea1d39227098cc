import { cn } from './cn'

/** SeatMeter shows seats in use against seats as a bar and numbers. */
export function SeatMeter({ inUse, seats, label }: { inUse: number; seats: number; label: string }) {
  const ratio = seats > 0 ? Math.min(1, inUse / seats) : 0
  const pct = Math.round(ratio * 100)
  // Widths snap to 5 % steps: the CSP forbids inline styles from markup,
  // so the width is a class, not a style attribute.
  const step = Math.round(pct / 5) * 5
  return (
    <div className="flex items-center gap-2">
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={seats}
        aria-valuenow={inUse}
        aria-valuetext={`${inUse} of ${seats} seats in use`}
        className="h-2 w-20 overflow-hidden rounded-full bg-slate-200"
      >
        <div className={cn('h-full rounded-full', widthClass[step], ratio >= 1 ? 'bg-red-500' : ratio >= 0.8 ? 'bg-amber-500' : 'bg-indigo-500')} />
      </div>
      <span className="tabular-nums text-slate-700">
        {inUse} / {seats}
      </span>
    </div>
  )
}

const widthClass: Record<number, string> = {
  0: 'w-0', 5: 'w-[5%]', 10: 'w-[10%]', 15: 'w-[15%]', 20: 'w-[20%]', 25: 'w-[25%]', 30: 'w-[30%]',
  35: 'w-[35%]', 40: 'w-[40%]', 45: 'w-[45%]', 50: 'w-[50%]', 55: 'w-[55%]', 60: 'w-[60%]', 65: 'w-[65%]',
  70: 'w-[70%]', 75: 'w-[75%]', 80: 'w-[80%]', 85: 'w-[85%]', 90: 'w-[90%]', 95: 'w-[95%]', 100: 'w-full',
}
