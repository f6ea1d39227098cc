// Names for the API's types, generated from docs/api/openapi.yaml
// (npm run gen:api): a change to the contract that breaks the UI breaks its
// build. A server that lacks a route (an older one) gets an empty state or a
// fallback, decided from its own document (lib/capabilities.ts).
import type { components } from './api'

type Schemas = components['schemas']

export type License = Schemas['License']
export type CreatedLicense = Schemas['CreatedLicense']
export type LicenseCreate = Schemas['LicenseCreate']
export type LicenseList = Schemas['LicenseList']
export type LicenseState = Schemas['LicenseState']
export type Session = Schemas['Session']
export type SessionList = Schemas['SessionList']
export type Problem = Schemas['Problem']
export type ProblemCode = Problem['code']
export type OAuthError = Schemas['OAuthError']
export type TokenResponse = Schemas['TokenResponse']
export type AcquireRequest = Schemas['AcquireRequest']
export type AcquireResponse = Schemas['AcquireResponse']
export type JWKS = Schemas['JWKS']
export type JWK = Schemas['JWK']

/** A page of any list: `{"data": [...], "next_cursor": ...}`. */
export interface Page<T> {
  data: T[]
  next_cursor: string | null
}

export type LicensePatch = Schemas['LicensePatch']
export type Role = Schemas['Role']
export type User = Schemas['User']
export type UserList = Schemas['UserList']
export type UserCreate = Schemas['UserCreate']
export type UserPatch = Schemas['UserPatch']
export type OAuthClient = Schemas['OAuthClient']
export type OAuthClientList = Schemas['OAuthClientList']
export type OAuthClientCreate = Schemas['OAuthClientCreate']
export type CreatedOAuthClient = Schemas['CreatedOAuthClient']
export type SigningKey = Schemas['SigningKey']
export type SigningKeyList = Schemas['SigningKeyList']
export type AuditEvent = Schemas['AuditEvent']
export type AuditEventList = Schemas['AuditEventList']
export type SessionEventData = Schemas['SessionEventData']
/** The event names of GET /api/v1/sessions/events. */
export type SessionEventType = Schemas['SessionStreamEvent']['event']
export type StatsOverview = Schemas['StatsOverview']
export type UsageSeries = Schemas['UsageSeries']
export type UsagePoint = Schemas['UsagePoint']
