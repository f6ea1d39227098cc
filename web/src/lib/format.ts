const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' })
const number = new Intl.NumberFormat()

/** formatDateTime shows an RFC 3339 time, or a dash. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d)
}

/** formatDate shows the day of an RFC 3339 time, or a dash. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '—' : dateOnly.format(d)
}

/** formatTime shows the time of day. */
export function formatTime(iso: string | number | Date): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '—' : timeOnly.format(d)
}

/** formatNumber groups digits. */
export function formatNumber(n: number): string {
  return number.format(n)
}

/** formatPercent shows a ratio 0..1 as a whole percentage. */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '—'
  return `${Math.round(ratio * 100)} %`
}

/** formatDuration shows seconds as "1 h 2 min", "5 min 3 s" or "42 s". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`
  return `${sec} s`
}

/** formatRelative shows how long ago (or until) a time is, roughly. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—'
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return '—'
  const diff = Math.round((t - now) / 1000)
  if (Math.abs(diff) < 5) return 'just now'
  return diff < 0 ? `${formatDuration(-diff)} ago` : `in ${formatDuration(diff)}`
}

/** utilization is in-use / seats, 0 for a license without seats. */
export function utilization(inUse: number, seats: number): number {
  return seats > 0 ? inUse / seats : 0
}
