package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

func testWebhooks(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("endpoints are kept per tenant", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn, other := createTenant(t, s), createTenant(t, s)
		e := &coditect.WebhookEndpoint{
			ID: newID(), TenantID: tn.ID, URL: "https://hooks.example.com/in", Description: "ops",
			Events: []string{coditect.WebhookSessionExpired, coditect.WebhookLicenseCreated}, Secret: "s3cret", CreatedAt: base,
		}
		noError(t, s.CreateWebhookEndpoint(t.Context(), e))
		bare := &coditect.WebhookEndpoint{ID: newID(), TenantID: tn.ID, URL: "http://x.example", Secret: "x", CreatedAt: base}
		noError(t, s.CreateWebhookEndpoint(t.Context(), bare))
		want := *e
		want.CreatedAt = stored(e.CreatedAt)
		got, err := s.GetWebhookEndpoint(t.Context(), tn.ID, e.ID)
		noError(t, err)
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("GetWebhookEndpoint: got %s, want %s", show(got), show(&want))
		}
		list, err := s.ListWebhookEndpoints(t.Context(), tn.ID)
		noError(t, err)
		if gotIDs := ids(list, func(e *coditect.WebhookEndpoint) string { return e.ID }); !slices.Equal(gotIDs, []string{e.ID, bare.ID}) {
			t.Errorf("ListWebhookEndpoints: got %v, want %v", gotIDs, []string{e.ID, bare.ID})
		}
		if len(list) == 2 && (list[1].Events == nil || len(list[1].Events) != 0) {
			t.Errorf("events of an endpoint created with none: got %#v, want empty", list[1].Events)
		}
		_, err = s.GetWebhookEndpoint(t.Context(), other.ID, e.ID)
		wantCode(t, err, coditect.CodeNotFound)
		if l, err := s.ListWebhookEndpoints(t.Context(), other.ID); err != nil || len(l) != 0 {
			t.Errorf("another tenant's list: got %d endpoints (%v), want 0", len(l), err)
		}
		wantCode(t, s.DeleteWebhookEndpoint(t.Context(), other.ID, e.ID), coditect.CodeNotFound)
		noError(t, s.DeleteWebhookEndpoint(t.Context(), tn.ID, e.ID))
		_, err = s.GetWebhookEndpoint(t.Context(), tn.ID, e.ID)
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("deliveries are logged per endpoint and go with it", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		e := &coditect.WebhookEndpoint{ID: newID(), TenantID: tn.ID, URL: "https://h.example", Secret: "k", CreatedAt: base}
		noError(t, s.CreateWebhookEndpoint(t.Context(), e))
		first := &coditect.WebhookDelivery{
			ID: newID(), TenantID: tn.ID, EndpointID: e.ID, EventType: coditect.WebhookTest,
			Payload: []byte(`{"type":"webhook.test"}`), Status: coditect.DeliveryPending, CreatedAt: base, UpdatedAt: base,
		}
		second := *first
		second.ID = newID()
		for _, d := range []*coditect.WebhookDelivery{first, &second} {
			noError(t, s.CreateWebhookDelivery(t.Context(), d))
		}
		orphan := *first
		orphan.ID, orphan.EndpointID = newID(), newID()
		wantCode(t, s.CreateWebhookDelivery(t.Context(), &orphan), coditect.CodeNotFound)

		done := base.Add(time.Minute)
		first.Status, first.Attempts, first.ResponseStatus, first.LastError = coditect.DeliverySucceeded, 4, 200, "earlier: 500"
		first.UpdatedAt, first.DeliveredAt = done, &done
		noError(t, s.UpdateWebhookDelivery(t.Context(), first))
		got, err := s.GetWebhookDelivery(t.Context(), tn.ID, first.ID)
		noError(t, err)
		want := *first
		want.CreatedAt, want.UpdatedAt, want.DeliveredAt = stored(first.CreatedAt), stored(done), storedPtr(&done)
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("GetWebhookDelivery: got %s, want %s", show(got), show(&want))
		}
		list, err := s.ListWebhookDeliveries(t.Context(), tn.ID, e.ID, 10)
		noError(t, err)
		if gotIDs := ids(list, func(d *coditect.WebhookDelivery) string { return d.ID }); !slices.Equal(gotIDs, []string{second.ID, first.ID}) {
			t.Errorf("ListWebhookDeliveries: got %v, want newest first %v", gotIDs, []string{second.ID, first.ID})
		}
		noError(t, s.DeleteWebhookEndpoint(t.Context(), tn.ID, e.ID))
		_, err = s.GetWebhookDelivery(t.Context(), tn.ID, first.ID)
		wantCode(t, err, coditect.CodeNotFound)
	})
}
