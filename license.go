package coditect

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults and bounds for licenses (ARCHITECTURE §5).
const (
	DefaultLeaseTTLSeconds     = 360
	MinLeaseTTLSeconds         = 5
	MaxLeaseTTLSeconds         = 86_400
	DefaultOfflineGraceSeconds = 86_400
	MaxOfflineGraceSeconds     = 90 * 86_400
	MaxSeats                   = 1_000_000
	MaxNameLength              = 200
	MaxFeatures                = 100
	MaxFeatureLength           = 100
	MaxMetadataBytes           = 4096
)

// LicenseStatus is whether a license hands out seats.
type LicenseStatus string

// License statuses.
const (
	LicenseActive    LicenseStatus = "active"
	LicenseSuspended LicenseStatus = "suspended"
)

// License is a tenant's grant of concurrent seats to one of its customers.
type License struct {
	ID                       string
	TenantID                 string
	Name                     string
	Status                   LicenseStatus
	Seats                    int
	ExpiresAt                *time.Time
	Features                 []string
	LeaseTTLSeconds          int
	HeartbeatIntervalSeconds int
	OfflineGraceSeconds      int
	// KeyDigest is the hex SHA-256 of the license key; the key itself is
	// never stored.
	KeyDigest string
	// KeyPrefix is the first characters of the key, shown to identify it.
	KeyPrefix string
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LeaseTTL returns the lease lifetime as a duration.
func (l *License) LeaseTTL() time.Duration {
	return time.Duration(l.LeaseTTLSeconds) * time.Second
}

// Usable returns nil when the license may hand out seats at now, or the
// error that explains why not.
func (l *License) Usable(now time.Time) error {
	if l.Status == LicenseSuspended {
		return Errorf(CodeLicenseSuspended, "The license %q is suspended.", l.Name)
	}
	if l.ExpiresAt != nil && !now.Before(*l.ExpiresAt) {
		return Errorf(CodeLicenseExpired, "The license %q expired at %s.", l.Name, l.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// LicenseCreate is the input for a new license. Zero values take defaults.
type LicenseCreate struct {
	Name                     string
	Seats                    int
	ExpiresAt                *time.Time
	Features                 []string
	LeaseTTLSeconds          int
	HeartbeatIntervalSeconds int
	OfflineGraceSeconds      *int
	Metadata                 map[string]any
}

// Validate applies defaults and checks every field, returning a
// CodeInvalidRequest error that names the first bad field.
func (c *LicenseCreate) Validate(now time.Time) error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > MaxNameLength {
		return Errorf(CodeInvalidRequest, "name is required and must be at most %d characters.", MaxNameLength)
	}
	if c.Seats < 1 || c.Seats > MaxSeats {
		return Errorf(CodeInvalidRequest, "seats must be between 1 and %d.", MaxSeats)
	}
	if c.ExpiresAt != nil && !c.ExpiresAt.After(now) {
		return Errorf(CodeInvalidRequest, "expires_at must be in the future.")
	}
	if c.LeaseTTLSeconds == 0 {
		c.LeaseTTLSeconds = DefaultLeaseTTLSeconds
	}
	if c.LeaseTTLSeconds < MinLeaseTTLSeconds || c.LeaseTTLSeconds > MaxLeaseTTLSeconds {
		return Errorf(CodeInvalidRequest, "lease_ttl_seconds must be between %d and %d.", MinLeaseTTLSeconds, MaxLeaseTTLSeconds)
	}
	if c.HeartbeatIntervalSeconds == 0 {
		c.HeartbeatIntervalSeconds = max(1, c.LeaseTTLSeconds/3)
	}
	if c.HeartbeatIntervalSeconds < 1 || c.HeartbeatIntervalSeconds >= c.LeaseTTLSeconds {
		return Errorf(CodeInvalidRequest, "heartbeat_interval_seconds must be at least 1 and less than lease_ttl_seconds (%d).", c.LeaseTTLSeconds)
	}
	if c.OfflineGraceSeconds == nil {
		g := DefaultOfflineGraceSeconds
		c.OfflineGraceSeconds = &g
	}
	if *c.OfflineGraceSeconds < 0 || *c.OfflineGraceSeconds > MaxOfflineGraceSeconds {
		return Errorf(CodeInvalidRequest, "offline_grace_seconds must be between 0 and %d.", MaxOfflineGraceSeconds)
	}
	features, err := normalizeFeatures(c.Features)
	if err != nil {
		return err
	}
	c.Features = features
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	return CheckMetadata(c.Metadata)
}

func normalizeFeatures(in []string) ([]string, error) {
	if len(in) > MaxFeatures {
		return nil, Errorf(CodeInvalidRequest, "features may hold at most %d entries.", MaxFeatures)
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, f := range in {
		f = strings.TrimSpace(f)
		if f == "" || len(f) > MaxFeatureLength {
			return nil, Errorf(CodeInvalidRequest, "each feature must be 1 to %d characters.", MaxFeatureLength)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// LicenseFilter selects licenses in a list. After is the ID of the last
// license of the previous page; lists are ordered newest first.
type LicenseFilter struct {
	Q      string
	Status LicenseStatus
	After  string
	Limit  int
}
