package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

func newAuditEvent(tenantID string, edit ...func(*coditect.AuditEvent)) *coditect.AuditEvent {
	e := &coditect.AuditEvent{
		ID:         newID(),
		TenantID:   tenantID,
		ActorType:  coditect.ActorUser,
		ActorID:    "actor-" + tenantID,
		Action:     "license.update",
		TargetType: "license",
		TargetID:   "target-" + tenantID,
		IP:         "192.0.2.7",
		CreatedAt:  base,
	}
	for _, fn := range edit {
		fn(e)
	}
	return e
}

func recordAudit(t *testing.T, s coditect.Store, tenantID string, edit ...func(*coditect.AuditEvent)) *coditect.AuditEvent {
	t.Helper()
	e := newAuditEvent(tenantID, edit...)
	noError(t, s.RecordAudit(t.Context(), e))
	return e
}

// storedAuditEvent is what a store gives back for e.
func storedAuditEvent(e *coditect.AuditEvent) *coditect.AuditEvent {
	w := *e
	w.CreatedAt = stored(e.CreatedAt)
	return &w
}

func eventIDs(es []*coditect.AuditEvent) []string {
	return ids(es, func(e *coditect.AuditEvent) string { return e.ID })
}

func testAudit(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("RoundTripsEveryField", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		full := recordAudit(t, s, tn.ID, func(e *coditect.AuditEvent) {
			e.IP = "2001:db8::1"
			e.Before = map[string]any{"seats": float64(5), "features": []any{"sso"}, "name": "ünïcode"}
			e.After = map[string]any{"seats": float64(6), "nested": map[string]any{"ok": true, "none": nil}}
			e.CreatedAt = base.Add(time.Minute + 456789)
		})
		bare := recordAudit(t, s, tn.ID, func(e *coditect.AuditEvent) {
			e.ActorType, e.ActorID = coditect.ActorAnonymous, ""
			e.Action = "auth.login_failed"
			e.TargetType, e.TargetID, e.IP = "", "", ""
		})
		empty := recordAudit(t, s, tn.ID, func(e *coditect.AuditEvent) {
			e.ActorType = coditect.ActorSystem
			e.Before, e.After = map[string]any{}, map[string]any{}
		})
		es, err := s.ListAuditEvents(t.Context(), tn.ID, coditect.AuditFilter{})
		noError(t, err)
		want := []*coditect.AuditEvent{storedAuditEvent(empty), storedAuditEvent(bare), storedAuditEvent(full)}
		if !reflect.DeepEqual(es, want) {
			t.Errorf("got %s, want %s", show(es), show(want))
		}
		// show cannot tell nil from empty; DeepEqual did, and says so here.
		if len(es) == 3 && (es[1].Before != nil || es[1].After != nil || es[0].Before == nil || es[0].After == nil) {
			t.Errorf("got before/after %#v/%#v and %#v/%#v, want nil for nil and empty for empty",
				es[1].Before, es[1].After, es[0].Before, es[0].After)
		}
	})

	t.Run("DuplicateIDIsConflict", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		e := recordAudit(t, s, tn.ID)
		dup := newAuditEvent(tn.ID, func(d *coditect.AuditEvent) { d.ID = e.ID })
		wantCode(t, s.RecordAudit(t.Context(), dup), coditect.CodeConflict)
	})

	t.Run("UnknownTenantIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		wantCode(t, s.RecordAudit(t.Context(), newAuditEvent(newID())), coditect.CodeNotFound)
	})

	t.Run("ListPagesNewestFirstExactlyOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		var want []string
		for range 8 {
			want = append(want, recordAudit(t, s, tn.ID).ID)
		}
		slices.Reverse(want)
		// With and without a filter: each has a query of its own.
		for _, filter := range []coditect.AuditFilter{{}, {Action: "license.update"}, {ActorID: "actor-" + tn.ID}, {TargetID: "target-" + tn.ID}} {
			var got []string
			for page := 0; ; page++ {
				if page > 10 {
					t.Fatal("pagination does not end")
				}
				filter.Limit = 3
				es, err := s.ListAuditEvents(t.Context(), tn.ID, filter)
				noError(t, err)
				if len(es) > 3 {
					t.Fatalf("got page of %d, want at most 3", len(es))
				}
				if len(es) == 0 {
					break
				}
				got = append(got, eventIDs(es)...)
				filter.After = es[len(es)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Errorf("filter %+v: got IDs %v, want %v", filter, got, want)
			}
		}
	})

	t.Run("ListLimitDefaultsAndClamps", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		for range 51 {
			recordAudit(t, s, tn.ID)
		}
		wantLimits(t, 51, func(limit int) (int, error) {
			es, err := s.ListAuditEvents(t.Context(), tn.ID, coditect.AuditFilter{Limit: limit})
			return len(es), err
		})
	})

	t.Run("ListFilters", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		at := func(minutes int) func(*coditect.AuditEvent) {
			return func(e *coditect.AuditEvent) { e.CreatedAt = base.Add(time.Duration(minutes) * time.Minute) }
		}
		who := func(actor, action, target string) func(*coditect.AuditEvent) {
			return func(e *coditect.AuditEvent) { e.ActorID, e.Action, e.TargetID = actor, action, target }
		}
		e1 := recordAudit(t, s, tn.ID, at(0), who("ana", "license.create", "lic-1"))
		e2 := recordAudit(t, s, tn.ID, at(1), who("ana", "license.update", "lic-1"))
		e3 := recordAudit(t, s, tn.ID, at(2), who("bob", "license.update", "lic-2"))
		e4 := recordAudit(t, s, tn.ID, at(3), who("bob", "user.update", "lic-1"))
		e5 := recordAudit(t, s, tn.ID, at(4), who("ana", "license.update", "lic-2"))
		// Another tenant's events with the same actors, actions and targets.
		other := createTenant(t, s)
		recordAudit(t, s, other.ID, at(1), who("ana", "license.update", "lic-1"))

		from, to := base.Add(time.Minute), base.Add(3*time.Minute)
		// A bound's sub-millisecond digits are cut as a stored time's are,
		// so these still meet the events at 1 and 3 minutes exactly.
		fromFine, toFine := stored(from).Add(999*time.Microsecond), stored(to).Add(999*time.Microsecond)
		for _, tc := range []struct {
			name   string
			filter coditect.AuditFilter
			want   []*coditect.AuditEvent
		}{
			{"none", coditect.AuditFilter{}, []*coditect.AuditEvent{e5, e4, e3, e2, e1}},
			{"action", coditect.AuditFilter{Action: "license.update"}, []*coditect.AuditEvent{e5, e3, e2}},
			{"action is exact", coditect.AuditFilter{Action: "license"}, nil},
			{"actor", coditect.AuditFilter{ActorID: "bob"}, []*coditect.AuditEvent{e4, e3}},
			{"target", coditect.AuditFilter{TargetID: "lic-1"}, []*coditect.AuditEvent{e4, e2, e1}},
			{"actor and action", coditect.AuditFilter{ActorID: "ana", Action: "license.update"}, []*coditect.AuditEvent{e5, e2}},
			{"target and actor", coditect.AuditFilter{TargetID: "lic-1", ActorID: "ana"}, []*coditect.AuditEvent{e2, e1}},
			{"target and action", coditect.AuditFilter{TargetID: "lic-2", Action: "license.update"}, []*coditect.AuditEvent{e5, e3}},
			{"target, actor and action", coditect.AuditFilter{TargetID: "lic-1", ActorID: "bob", Action: "user.update"}, []*coditect.AuditEvent{e4}},
			{"from is inclusive", coditect.AuditFilter{From: &from}, []*coditect.AuditEvent{e5, e4, e3, e2}},
			{"to is exclusive", coditect.AuditFilter{To: &to}, []*coditect.AuditEvent{e3, e2, e1}},
			{"from and to", coditect.AuditFilter{From: &from, To: &to}, []*coditect.AuditEvent{e3, e2}},
			{"from and to, sub-millisecond", coditect.AuditFilter{From: &fromFine, To: &toFine}, []*coditect.AuditEvent{e3, e2}},
			{"empty range", coditect.AuditFilter{From: &to, To: &from}, nil},
			{"action in range", coditect.AuditFilter{Action: "license.update", From: &from, To: &to}, []*coditect.AuditEvent{e3, e2}},
			{"actor in range", coditect.AuditFilter{ActorID: "ana", To: &to}, []*coditect.AuditEvent{e2, e1}},
			{"target in range", coditect.AuditFilter{TargetID: "lic-1", From: &from}, []*coditect.AuditEvent{e4, e2}},
			{"after", coditect.AuditFilter{After: e3.ID}, []*coditect.AuditEvent{e2, e1}},
			{"action after", coditect.AuditFilter{Action: "license.update", After: e5.ID, Limit: 1}, []*coditect.AuditEvent{e3}},
			{"actor after", coditect.AuditFilter{ActorID: "ana", After: e5.ID}, []*coditect.AuditEvent{e2, e1}},
			{"target after", coditect.AuditFilter{TargetID: "lic-1", After: e4.ID}, []*coditect.AuditEvent{e2, e1}},
		} {
			es, err := s.ListAuditEvents(t.Context(), tn.ID, tc.filter)
			noError(t, err)
			if got, want := eventIDs(es), eventIDs(tc.want); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, want)
			}
		}
	})

	t.Run("ListIsTenantScoped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		shared := func(e *coditect.AuditEvent) { e.ActorID, e.TargetID = "same-actor", "same-target" }
		ea := recordAudit(t, s, a.ID, shared)
		eb := recordAudit(t, s, b.ID, shared)
		for _, tc := range []struct {
			tenant string
			want   []string
		}{{a.ID, []string{ea.ID}}, {b.ID, []string{eb.ID}}, {newID(), []string{}}} {
			for _, filter := range []coditect.AuditFilter{{}, {Action: ea.Action}, {ActorID: "same-actor"}, {TargetID: "same-target"}} {
				es, err := s.ListAuditEvents(t.Context(), tc.tenant, filter)
				noError(t, err)
				if got := eventIDs(es); !slices.Equal(got, tc.want) {
					t.Errorf("tenant %s, filter %+v: got %v, want %v", tc.tenant, filter, got, tc.want)
				}
			}
		}
	})
}
