import type { License, LicenseCreate, LicensePatch } from '@/types/contract'

// The server's rules (coditect.LicenseCreate.Validate and the OpenAPI
// document), checked before sending so mistakes show next to their field.
export const LIMITS = {
  nameMax: 200,
  seatsMin: 1,
  seatsMax: 1_000_000,
  ttlMin: 5,
  ttlMax: 86_400,
  ttlDefault: 360,
  graceMax: 7_776_000,
  graceDefault: 86_400,
  featuresMax: 100,
  featureMax: 100,
} as const

/** LicenseFormValues are the form's fields, as typed. */
export interface LicenseFormValues {
  name: string
  seats: string
  expiresAt: string // datetime-local value, or ''
  features: string // comma-separated
  leaseTtl: string // '' = default
  heartbeat: string // '' = ttl / 3
  offlineGrace: string // '' = default
}

export type LicenseFormErrors = Partial<Record<keyof LicenseFormValues, string>>

export const emptyLicenseForm: LicenseFormValues = {
  name: '',
  seats: '1',
  expiresAt: '',
  features: '',
  leaseTtl: '',
  heartbeat: '',
  offlineGrace: '',
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/** toLocalInput turns an RFC 3339 time into a datetime-local value. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** formFromLicense fills the form for editing. */
export function formFromLicense(l: License): LicenseFormValues {
  return {
    name: l.name,
    seats: String(l.seats),
    expiresAt: toLocalInput(l.expires_at),
    features: l.features.join(', '),
    leaseTtl: String(l.lease_ttl_seconds),
    heartbeat: String(l.heartbeat_interval_seconds),
    offlineGrace: String(l.offline_grace_seconds),
  }
}

function wholeNumber(s: string): number | null {
  const t = s.trim().replace(/[\s_,]/g, '')
  if (!/^\d+$/.test(t)) return null
  return Number(t)
}

/** parseFeatures splits, trims and de-duplicates the features list. */
export function parseFeatures(s: string): string[] {
  const out: string[] = []
  for (const f of s.split(/[,\n]/)) {
    const t = f.trim()
    if (t && !out.includes(t)) out.push(t)
  }
  return out
}

/**
 * validateLicenseForm checks the values against the server's rules and
 * returns the errors by field plus, when there are none, the body to send.
 */
export function validateLicenseForm(v: LicenseFormValues, now: Date = new Date()): { errors: LicenseFormErrors; body?: LicenseCreate } {
  const errors: LicenseFormErrors = {}
  const name = v.name.trim()
  if (name.length === 0) errors.name = 'Enter a name.'
  else if ([...name].length > LIMITS.nameMax) errors.name = `Use at most ${LIMITS.nameMax} characters.`

  const seats = wholeNumber(v.seats)
  if (seats === null || seats < LIMITS.seatsMin || seats > LIMITS.seatsMax) {
    errors.seats = `Enter a whole number from 1 to ${LIMITS.seatsMax.toLocaleString('en-US')}.`
  }

  let expiresAt: string | null = null
  if (v.expiresAt.trim() !== '') {
    const d = new Date(v.expiresAt)
    if (Number.isNaN(d.getTime())) errors.expiresAt = 'Enter a valid date and time.'
    else if (d.getTime() <= now.getTime()) errors.expiresAt = 'Choose a time in the future.'
    else expiresAt = d.toISOString()
  }

  const features = parseFeatures(v.features)
  if (features.length > LIMITS.featuresMax) errors.features = `Use at most ${LIMITS.featuresMax} features.`
  else if (features.some((f) => new TextEncoder().encode(f).length > LIMITS.featureMax)) errors.features = `Each feature may have at most ${LIMITS.featureMax} characters (bytes).`

  let ttl: number = LIMITS.ttlDefault
  if (v.leaseTtl.trim() !== '') {
    const n = wholeNumber(v.leaseTtl)
    if (n === null || n < LIMITS.ttlMin || n > LIMITS.ttlMax) {
      errors.leaseTtl = `Enter a whole number of seconds from ${LIMITS.ttlMin} to ${LIMITS.ttlMax.toLocaleString('en-US')}.`
    } else ttl = n
  }

  let heartbeat: number | undefined
  if (v.heartbeat.trim() !== '') {
    const n = wholeNumber(v.heartbeat)
    if (n === null || n < 1) errors.heartbeat = 'Enter a whole number of seconds, at least 1.'
    else if (!errors.leaseTtl && n >= ttl) errors.heartbeat = `Must be less than the lease TTL (${ttl} s).`
    else heartbeat = n
  }

  let grace: number | undefined
  if (v.offlineGrace.trim() !== '') {
    const n = wholeNumber(v.offlineGrace)
    if (n === null || n > LIMITS.graceMax) errors.offlineGrace = `Enter a whole number of seconds from 0 to ${LIMITS.graceMax.toLocaleString('en-US')}.`
    else grace = n
  }

  if (Object.keys(errors).length > 0) return { errors }
  const body: LicenseCreate = { name, seats: seats as number, features }
  if (expiresAt) body.expires_at = expiresAt
  if (v.leaseTtl.trim() !== '') body.lease_ttl_seconds = ttl
  if (heartbeat !== undefined) body.heartbeat_interval_seconds = heartbeat
  if (grace !== undefined) body.offline_grace_seconds = grace
  return { errors, body }
}

/**
 * changedFields is the PATCH body: only what differs from the license. An
 * expiry removed in the form is sent as null (never expires).
 */
export function changedFields(l: License, body: LicenseCreate): LicensePatch {
  const out: LicensePatch = {}
  if (body.name !== l.name) out.name = body.name
  if (body.seats !== l.seats) out.seats = body.seats
  const exp = body.expires_at ?? null
  const before = l.expires_at ? new Date(l.expires_at).toISOString() : null
  // The form has minute precision: compare at that precision.
  const minute = (s: string | null): string | null => (s ? s.slice(0, 16) : null)
  if (minute(exp) !== minute(before)) out.expires_at = exp
  const feats = body.features ?? []
  if (feats.join('\u0000') !== l.features.join('\u0000')) out.features = feats
  if (body.lease_ttl_seconds !== undefined && body.lease_ttl_seconds !== l.lease_ttl_seconds) out.lease_ttl_seconds = body.lease_ttl_seconds
  if (body.heartbeat_interval_seconds !== undefined && body.heartbeat_interval_seconds !== l.heartbeat_interval_seconds) {
    out.heartbeat_interval_seconds = body.heartbeat_interval_seconds
  }
  if (body.offline_grace_seconds != null && body.offline_grace_seconds !== l.offline_grace_seconds) {
    out.offline_grace_seconds = body.offline_grace_seconds
  }
  return out
}
