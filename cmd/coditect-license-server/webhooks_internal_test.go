package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	coditect "github.com/coditect/coditect-license"
)

// queued records the jobs a webhooks sender inserts instead of running
// them.
type queued struct {
	mu   sync.Mutex
	args []river.JobArgs
}

func (q *queued) Insert(_ context.Context, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.args = append(q.args, args)
	return &rivertype.JobInsertResult{}, nil
}

func TestLicenseExpiryNotices(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 10, 0, 0, time.UTC)
	m := &Main{Config: testConfig(t), Now: func() time.Time { return now }}
	if err := m.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	q := &queued{}
	m.webhooks.jobs = q
	tenants, err := m.store.ListTenants(t.Context(), "", 10)
	if err != nil || len(tenants) != 1 {
		t.Fatalf("got %d tenants (%v), want the first one", len(tenants), err)
	}
	tenant := tenants[0].ID
	endpoint := &coditect.WebhookEndpoint{
		ID: newID(), TenantID: tenant, URL: "https://93.184.215.14/", Secret: "s",
		Events: []string{coditect.WebhookLicenseExpiring, coditect.WebhookLicenseExpired}, CreatedAt: now,
	}
	if err := m.store.CreateWebhookEndpoint(t.Context(), endpoint); err != nil {
		t.Fatal(err)
	}
	// The job looks at the last whole hour, 11:00 to 12:00.
	expiries := map[string]time.Time{
		"expired":        now.Add(-40 * time.Minute),
		"expiring":       now.Add(-40*time.Minute + licenseExpiringNotice),
		"expires later":  now.Add(-5 * time.Minute),
		"expired before": now.Add(-100 * time.Minute),
	}
	ids := map[string]string{}
	for name, exp := range expiries {
		l := &coditect.License{
			ID: newID(), TenantID: tenant, Name: name, Status: coditect.LicenseActive, Seats: 1, ExpiresAt: &exp,
			LeaseTTLSeconds: 60, HeartbeatIntervalSeconds: 20, KeyDigest: newID(), KeyPrefix: "k", CreatedAt: now, UpdatedAt: now,
		}
		if err := m.store.CreateLicense(t.Context(), l); err != nil {
			t.Fatal(err)
		}
		ids[l.ID] = name
	}
	if err := (&licenseExpiryWorker{m: m}).Work(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range q.args {
		d, err := m.store.GetWebhookDelivery(t.Context(), tenant, a.(webhookDeliveryArgs).DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		for id, name := range ids {
			if strings.Contains(string(d.Payload), id) {
				got[name] = d.EventType
			}
		}
	}
	want := map[string]string{"expired": coditect.WebhookLicenseExpired, "expiring": coditect.WebhookLicenseExpiring}
	if len(got) != len(want) || got["expired"] != want["expired"] || got["expiring"] != want["expiring"] {
		t.Fatalf("got events %v, want %v", got, want)
	}
}
