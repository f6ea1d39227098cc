package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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
// rows are CodeNotFound, uniqueness violations CodeConflict, anything else
// is wrapped with op as context.
func storeError(op string, k kind, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return coditect.Errorf(coditect.CodeNotFound, "%s", k.notFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return coditect.Errorf(coditect.CodeConflict, "%s", k.duplicateID)
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return coditect.Errorf(coditect.CodeConflict, "%s", k.duplicateKey)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return coditect.Errorf(coditect.CodeNotFound, "%s", k.missingParent)
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			return coditect.Errorf(coditect.CodeInvalidRequest, "A field holds a value the store does not accept (%s).", op)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}
