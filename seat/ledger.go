package seat

import (
	"context"
	"errors"
	"fmt"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// The ledger calls below restore a license from the store when the ledger
// reports that it lost the license's state, then try once more. Until the
// restore, the ledger refuses to decide, so a lost ledger never oversells.

func (s *Service) retryLost(ctx context.Context, tenantID, licenseID string, fn func() error) error {
	err := fn()
	if !errors.Is(err, coditect.ErrLedgerLost) {
		return err
	}
	if err := s.restoreLicense(ctx, tenantID, licenseID); err != nil {
		return err
	}
	return fn()
}

// restoreLicense puts a license's leases back from the store's active
// sessions.
func (s *Service) restoreLicense(ctx context.Context, tenantID, licenseID string) error {
	var leases []coditect.Lease
	after := ""
	for {
		page, err := s.store.ListSessions(ctx, tenantID, coditect.SessionFilter{
			LicenseID: licenseID, Status: coditect.SessionActive, After: after, Limit: batchSize,
		})
		if err != nil {
			return fmt.Errorf("list sessions to restore: %w", err)
		}
		for _, sess := range page {
			leases = append(leases, coditect.Lease{LicenseID: licenseID, SessionID: sess.ID, ExpiresAt: sess.ExpiresAt})
		}
		if len(page) < batchSize {
			break
		}
		after = page[len(page)-1].ID
	}
	if err := s.ledger.Restore(ctx, licenseID, leases, s.now()); err != nil {
		return fmt.Errorf("restore leases: %w", err)
	}
	if len(leases) == 0 {
		// A license the ledger has never seen (its first acquire) looks
		// the same as one lost while nobody held a seat: nothing was lost.
		s.logger.Debug("seat ledger had no state for a license without live sessions; marked it known", "license_id", licenseID)
	} else {
		s.logger.Warn("seat ledger had lost a license; restored it from the store", "license_id", licenseID, "leases", len(leases))
	}
	return nil
}

func (s *Service) acquireLease(ctx context.Context, tenantID string, p coditect.AcquireParams) (res coditect.AcquireResult, err error) {
	err = s.retryLost(ctx, tenantID, p.LicenseID, func() error {
		res, err = s.ledger.Acquire(ctx, p)
		return err
	})
	return res, err
}

func (s *Service) heartbeatLease(ctx context.Context, tenantID string, p coditect.HeartbeatParams) (exp time.Time, live bool, err error) {
	err = s.retryLost(ctx, tenantID, p.LicenseID, func() error {
		exp, live, err = s.ledger.Heartbeat(ctx, p)
		return err
	})
	return exp, live, err
}

func (s *Service) lookupLease(ctx context.Context, tenantID, licenseID, sessionID string, now time.Time) (exp time.Time, live bool, err error) {
	err = s.retryLost(ctx, tenantID, licenseID, func() error {
		exp, live, err = s.ledger.Lookup(ctx, licenseID, sessionID, now)
		return err
	})
	return exp, live, err
}

func (s *Service) countLeases(ctx context.Context, tenantID, licenseID string) (n int, err error) {
	err = s.retryLost(ctx, tenantID, licenseID, func() error {
		n, err = s.ledger.Count(ctx, licenseID, s.now())
		return err
	})
	return n, err
}
