package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	coditect "github.com/coditect/coditect-license"
)

// kind names a table's rows in the messages of mapped errors.
type kind struct {
	notFound      string // no such row
	duplicateID   string // primary key taken
	duplicateKey  string // another unique index taken
	missingParent string // a foreign key points nowhere
}

var (
	tenantKind = kind{
		notFound:    "Tenant not found.",
		duplicateID: "A tenant with this ID already exists.",
	}
	userKind = kind{
		notFound:      "User not found.",
		duplicateID:   "A user with this ID already exists.",
		duplicateKey:  "A user with this email address already exists.",
		missingParent: "Tenant not found.",
	}
	licenseKind = kind{
		notFound:      "License not found.",
		duplicateID:   "A license with this ID already exists.",
		duplicateKey:  "A license with this key already exists.",
		missingParent: "Tenant not found.",
	}
	sessionKind = kind{
		notFound:      "Session not found.",
		duplicateID:   "A session with this ID already exists.",
		duplicateKey:  "This instance already holds an active session on the license.",
		missingParent: "License not found.",
	}
	oauthClientKind = kind{
		notFound:      "OAuth client not found.",
		duplicateID:   "An OAuth client with this ID already exists.",
		duplicateKey:  "An OAuth client with this ID already exists.",
		missingParent: "Tenant not found.",
	}
	refreshTokenKind = kind{
		notFound:      "Refresh token not found.",
		duplicateID:   "This refresh token already exists.",
		duplicateKey:  "This refresh token already exists.",
		missingParent: "User not found.",
	}
	auditKind = kind{
		notFound:      "Audit event not found.",
		duplicateID:   "An audit event with this ID already exists.",
		missingParent: "Tenant not found.",
	}
	usageKind = kind{
		notFound:      "Usage not found.",
		duplicateID:   "This usage bucket already exists.",
		missingParent: "License not found.",
	}
	signingKeyKind = kind{
		notFound:     "Signing key not found.",
		duplicateID:  "A signing key with this ID already exists.",
		duplicateKey: "A signing key with this ID already exists.",
	}
)

// storeError is the one place driver errors become coditect errors: missing
// rows are CodeNotFound, uniqueness violations CodeConflict, a missing
// parent row CodeNotFound, values the schema refuses CodeInvalidRequest, an
// unreachable database CodeUnavailable; anything else is wrapped with op as
// context. No pgx type leaves the package unwrapped.
func storeError(op string, k kind, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return coditect.Errorf(coditect.CodeNotFound, "%s", k.notFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			if strings.HasSuffix(pe.ConstraintName, "_pkey") {
				return coditect.Errorf(coditect.CodeConflict, "%s", k.duplicateID)
			}
			return coditect.Errorf(coditect.CodeConflict, "%s", k.duplicateKey)
		case pe.Code == "23503": // foreign_key_violation
			return coditect.Errorf(coditect.CodeNotFound, "%s", k.missingParent)
		case pe.Code == "23514", pe.Code == "23502", strings.HasPrefix(pe.Code, "22"):
			// check_violation, not_null_violation and the data exceptions
			// (a NUL byte in a text, an out-of-range number or time).
			return coditect.Errorf(coditect.CodeInvalidRequest, "A field holds a value the store does not accept (%s).", op)
		}
	}
	return fmt.Errorf("%s: %w", op, unreachable(err))
}

// unreachable returns err as a CodeUnavailable error when it says that the
// database cannot be reached (a failed connection attempt, a broken
// connection, a server shutting down or out of connection slots) and err
// itself otherwise. A canceled or expired context of the caller is the
// caller's doing, not the database's, unless it cut a connection attempt
// short.
func unreachable(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return coditect.Unavailable("database", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection_exception
			pe.Code == "57P01", // admin_shutdown
			pe.Code == "57P02", // crash_shutdown
			pe.Code == "57P03", // cannot_connect_now
			pe.Code == "53300": // too_many_connections
			return coditect.Unavailable("database", err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || pgconn.SafeToRetry(err) {
		return coditect.Unavailable("database", err)
	}
	return err
}
