// Package postgres implements coditect.Store on PostgreSQL through pgx, with
// row-level security keeping every tenant's rows apart. It is the scale-out
// twin of package sqlite: the same behaviour (one conformance suite,
// storetest, proves it), the same sqlc query names, its own SQL.
//
// Statements live in queries/*.sql and are compiled by sqlc into
// internal/sqlcdb; the schema lives in migrations/*.sql and is applied by
// goose when the store opens, under a session advisory lock so that
// replicas starting together migrate once.
//
// # Roles and row-level security
//
// Two roles are involved. The user of Config.URL owns the schema: it runs
// the migrations and owns the tables and the SECURITY DEFINER functions.
// The application role (Config.AppRole, coditect_app unless set) owns
// nothing and has no BYPASSRLS; every pooled connection switches to it with
// SET ROLE as soon as it connects, so every statement of the store runs as
// that role. Row-level security is checked against the current role, so
// this holds even when the login user is a superuser (as postgres is on a
// development machine), and Open refuses to run when the role would bypass
// the policies after all.
//
// SET ROLE guards against the failure row-level security is here for: a
// statement that forgets its tenant. It is no guard against injected SQL:
// a session may RESET ROLE to its login user. The dedicated login role
// below removes that escalation, but SQL running as the app role can still
// set app.tenant_id itself, so row-level security protects against bugs,
// not against an attacker who can run arbitrary SQL; keeping SQL static
// (sqlc, no strings assembled at run time) is what keeps that out.
//
// Every table is ENABLE and FORCE ROW LEVEL SECURITY with a policy that
// admits, for reading and writing, only rows whose tenant_id is the
// transaction's app.tenant_id. Each tenant-scoped method runs in a
// transaction that first calls set_config('app.tenant_id', $1, true): the
// setting is transaction-local, so a pooled connection never carries one
// request's tenant into the next. A statement that forgot its tenant filter
// would still see and change that tenant's rows only. A method that runs a
// single statement sends it behind the set_config in one pgx batch, which
// the server runs as one implicit transaction, in one round trip
// (batch.go); methods that need several statements on one snapshot use
// BEGIN and COMMIT. The audit log is append-only besides: coditect_app may
// insert and read audit_events but has no UPDATE or DELETE grant on it.
//
// # Group commit
//
// The seat service's writes, a session created on every acquire and ended
// on every release, go through a committer (commit.go): the ones that
// wait at the same time, of any tenants, are sent as one pgx batch, each
// behind its own tenant's set_config, so that many writes share one round
// trip and one commit (one WAL flush). A write is answered only once the
// batch committed; one that comes alone is sent on its own as before, at
// the same cost. A failing statement would roll back the whole shared
// transaction, so a create in a shared batch skips a taken unique key (ON
// CONFLICT DO NOTHING) and is then asked again alone for its exact
// conflict; any other error the server reports sends every write of the
// batch again alone, each in its own transaction, so each gets its own
// answer.
//
// The one exception is signing_keys, which has no tenant_id and no
// row-level security on purpose: signing keys belong to the deployment,
// not to a tenant, and the signer reads them outside any tenant's
// transaction. What guards a private key is not a policy but encryption:
// it is sealed under a master key that the server holds and the database
// never sees, so a statement that reads the table gets ciphertext and
// public keys only. Keys are retired, never deleted: coditect_app may
// read, insert and update them but has no DELETE grant.
//
// The few cross-tenant paths of coditect.Store go through SECURITY DEFINER
// functions that the migration creates with a fixed search_path and that
// only coditect_app may execute: a key digest, an email, an OAuth client ID
// or a refresh-token digest resolves to a (tenant, ID) pair only, and the
// row is then read in that tenant's transaction (for a key digest, on the
// seat service's hot path, the function's tenant is set and the license
// read by its digest in one batch, one round trip); counting tenants
// returns a number; listing tenants (for platform admins) returns tenant
// rows; the sweeper's and the ledger rebuild's lists return the active
// sessions they need; the usage retention jobs' list names the tenants
// that have buckets due for a rollup or deletion, and nothing else. Writes
// have no cross-tenant path: TouchSessions and AddUsage, whose batches span
// tenants, run one statement over unnested arrays per tenant, each behind
// that tenant's set_config (PostgreSQL refuses COPY into tables under
// row-level security), all in one pgx batch, so a whole write-back is one
// round trip and one transaction. RollupUsage and DeleteUsage work tenant
// by tenant, one statement in each tenant's own transaction. That costs a
// round trip per tenant with rows due; the retention pass cuts its
// cut-offs to whole hours and days, so most passes find no tenant at all.
// A rollup is one statement that deletes the fine rows and merges what it
// deleted into the coarse ones, so replicas running it together move each
// row once (the second DELETE waits for the first one's row locks, then
// skips the rows already gone).
//
// The schema's unique indexes on email, key digest, OAuth client ID and
// refresh-token digest are deployment-wide on purpose (sign-in, key lookup
// and the token endpoint happen before the tenant is known), so a
// duplicate in another tenant is still a conflict. Sharding by tenant_id
// (Citus) would need them moved to a reference table.
//
// # Setting up the roles
//
// The migration creates coditect_app when it is missing and grants it to
// the migrating user (a superuser needs no grant). Creating a role and
// granting it takes a superuser or, on a managed service, a user with
// CREATEROLE; the owner needs no other special privilege. The simplest
// deployment therefore logs in as the owner and lets the store SET ROLE.
//
// A deployment that does not want the application to log in as the owner
// at all migrates once with the owner's URL and then gives the servers a
// login role that is only a member of coditect_app:
//
//	CREATE ROLE coditect_login LOGIN PASSWORD '...' IN ROLE coditect_app;
//
// Opened with that role's URL, the store finds no migration pending (the
// version table is readable by coditect_app), takes no lock and needs no
// ownership; SET ROLE coditect_app then drops to the application role as
// before. AppRole may name any other role that is a member of coditect_app
// and does not bypass row-level security.
package postgres
