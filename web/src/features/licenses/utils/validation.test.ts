import { describe, expect, it } from 'vitest'
import { makeLicense } from '@/testing/server'
import { changedFields, emptyLicenseForm, parseFeatures, validateLicenseForm, type LicenseFormValues } from './validation'

const now = new Date('2030-01-01T00:00:00Z')
const form = (over: Partial<LicenseFormValues>): LicenseFormValues => ({ ...emptyLicenseForm, name: 'Acme', ...over })

describe('license form validation (mirrors the server)', () => {
  it('accepts the minimum and sends only what was set', () => {
    expect(validateLicenseForm(form({ seats: '1' }), now)).toEqual({ errors: {}, body: { name: 'Acme', seats: 1, features: [] } })
  })

  it('checks seats 1..1,000,000', () => {
    expect(validateLicenseForm(form({ seats: '0' }), now).errors.seats).toBeDefined()
    expect(validateLicenseForm(form({ seats: '1000001' }), now).errors.seats).toBeDefined()
    expect(validateLicenseForm(form({ seats: '2.5' }), now).errors.seats).toBeDefined()
    expect(validateLicenseForm(form({ seats: '1,000,000' }), now).body?.seats).toBe(1_000_000)
  })

  it('checks the name', () => {
    expect(validateLicenseForm(form({ name: '   ' }), now).errors.name).toBe('Enter a name.')
    expect(validateLicenseForm(form({ name: 'x'.repeat(201) }), now).errors.name).toBeDefined()
    expect(validateLicenseForm(form({ name: 'é'.repeat(200) }), now).errors.name).toBeUndefined()
    expect(validateLicenseForm(form({ name: '  Acme CAD  ' }), now).body?.name).toBe('Acme CAD')
  })

  it('checks lease TTL 5..86,400 and heartbeat < TTL', () => {
    expect(validateLicenseForm(form({ leaseTtl: '4' }), now).errors.leaseTtl).toBeDefined()
    expect(validateLicenseForm(form({ leaseTtl: '86401' }), now).errors.leaseTtl).toBeDefined()
    expect(validateLicenseForm(form({ leaseTtl: '5', heartbeat: '5' }), now).errors.heartbeat).toBe('Must be less than the lease TTL (5 s).')
    expect(validateLicenseForm(form({ heartbeat: '360' }), now).errors.heartbeat).toBeDefined() // default TTL 360
    expect(validateLicenseForm(form({ heartbeat: '0' }), now).errors.heartbeat).toBeDefined()
    expect(validateLicenseForm(form({ leaseTtl: '60', heartbeat: '20' }), now).body).toMatchObject({ lease_ttl_seconds: 60, heartbeat_interval_seconds: 20 })
  })

  it('checks the expiry is in the future', () => {
    expect(validateLicenseForm(form({ expiresAt: '2029-12-31T00:00' }), now).errors.expiresAt).toBe('Choose a time in the future.')
    expect(validateLicenseForm(form({ expiresAt: '2031-01-01T00:00' }), now).body?.expires_at).toMatch(/^2031-01-01T/)
  })

  it('checks offline grace 0..7,776,000', () => {
    expect(validateLicenseForm(form({ offlineGrace: '7776001' }), now).errors.offlineGrace).toBeDefined()
    expect(validateLicenseForm(form({ offlineGrace: '0' }), now).body?.offline_grace_seconds).toBe(0)
  })

  it('trims and de-duplicates features and checks their size', () => {
    expect(parseFeatures(' export, render,export ,, ')).toEqual(['export', 'render'])
    expect(validateLicenseForm(form({ features: 'x'.repeat(101) }), now).errors.features).toBeDefined()
    expect(validateLicenseForm(form({ features: Array.from({ length: 101 }, (_, i) => `f${i}`).join(',') }), now).errors.features).toBeDefined()
  })

  it('sends only changed fields when editing', () => {
    const l = makeLicense({ name: 'Acme', seats: 5, features: ['a'], lease_ttl_seconds: 360, heartbeat_interval_seconds: 120, offline_grace_seconds: 86400 })
    expect(changedFields(l, { name: 'Acme', seats: 5, features: ['a'], lease_ttl_seconds: 360, heartbeat_interval_seconds: 120, offline_grace_seconds: 86400 })).toEqual({})
    expect(changedFields(l, { name: 'Acme 2', seats: 6, features: ['a', 'b'] })).toEqual({ name: 'Acme 2', seats: 6, features: ['a', 'b'] })
    const expiring = makeLicense({ expires_at: '2031-01-01T00:00:00Z' })
    expect(changedFields(expiring, { name: expiring.name, seats: expiring.seats, features: [] })).toEqual({ expires_at: null })
  })
})
