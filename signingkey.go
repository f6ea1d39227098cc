package coditect

import (
	"context"
	"time"
)

// SigningKey is a deployment-wide key that signs license tokens. The
// private half is stored encrypted (or lives in an external KMS named by
// ExternalRef); the public half is published in the JWKS until every token
// the key signed has expired.
type SigningKey struct {
	ID        string // the JWK key ID (RFC 7638 thumbprint)
	Algorithm string // "EdDSA"
	PublicKey []byte // raw public key
	// EncryptedPrivateKey is the private key sealed with AES-256-GCM under
	// the master key (nonce || ciphertext); empty for an external key.
	EncryptedPrivateKey []byte
	ExternalRef         string
	CreatedAt           time.Time
	RetiredAt           *time.Time
}

// SigningKeyStore keeps signing keys. They belong to the deployment, not
// to a tenant.
type SigningKeyStore interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns every key, newest first.
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// RetireSigningKey marks a key retired at `at`; it reports false,
	// changing nothing, when the key was already retired.
	RetireSigningKey(ctx context.Context, id string, at time.Time) (bool, error)
}
