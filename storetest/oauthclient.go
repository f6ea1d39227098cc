package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

func newOAuthClient(tenantID string) *coditect.OAuthClient {
	id := newID()
	return &coditect.OAuthClient{
		ID:           id,
		TenantID:     tenantID,
		Name:         "Client " + id,
		SecretDigest: "digest-" + id,
		Role:         coditect.RoleViewer,
		CreatedBy:    newID(),
		CreatedAt:    base,
	}
}

func createOAuthClient(t *testing.T, s coditect.Store, tenantID string) *coditect.OAuthClient {
	t.Helper()
	c := newOAuthClient(tenantID)
	noError(t, s.CreateOAuthClient(t.Context(), c))
	return c
}

// storedOAuthClient is what a store gives back for c.
func storedOAuthClient(c *coditect.OAuthClient) *coditect.OAuthClient {
	w := *c
	w.CreatedAt = stored(c.CreatedAt)
	return &w
}

func clientIDs(cs []*coditect.OAuthClient) []string {
	return ids(cs, func(c *coditect.OAuthClient) string { return c.ID })
}

func testOAuthClients(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("CreateGetAndFind", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		plain := newOAuthClient(tn.ID)
		plain.CreatedBy = ""
		flagged := newOAuthClient(tn.ID)
		flagged.Role = coditect.RoleAdmin
		flagged.Disabled = true
		flagged.CreatedAt = base.Add(time.Minute + 123456)
		for _, c := range []*coditect.OAuthClient{plain, flagged} {
			noError(t, s.CreateOAuthClient(t.Context(), c))
			want := storedOAuthClient(c)
			got, err := s.GetOAuthClient(t.Context(), tn.ID, c.ID)
			noError(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GetOAuthClient: got %s, want %s", show(got), show(want))
			}
			got, err = s.FindOAuthClient(t.Context(), c.ID)
			noError(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("FindOAuthClient: got %s, want %s", show(got), show(want))
			}
		}
	})

	t.Run("DuplicateIDIsConflictAcrossTenants", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		c := createOAuthClient(t, s, a.ID)
		for _, tenantID := range []string{a.ID, b.ID} {
			dup := newOAuthClient(tenantID)
			dup.ID = c.ID
			wantCode(t, s.CreateOAuthClient(t.Context(), dup), coditect.CodeConflict)
		}
	})

	t.Run("UnknownTenantIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		wantCode(t, s.CreateOAuthClient(t.Context(), newOAuthClient(newID())), coditect.CodeNotFound)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		c := createOAuthClient(t, s, a.ID)
		_, err := s.GetOAuthClient(t.Context(), b.ID, c.ID)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.GetOAuthClient(t.Context(), a.ID, newID())
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.FindOAuthClient(t.Context(), newID())
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("ListPagesByIDExactlyOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		var want []string
		for range 7 {
			want = append(want, createOAuthClient(t, s, tn.ID).ID)
		}
		got := walkAscending(t, "", 3, "", func(after string, n int) ([]string, error) {
			cs, err := s.ListOAuthClients(t.Context(), tn.ID, after, n)
			return clientIDs(cs), err
		})
		if !slices.Equal(got, want) {
			t.Errorf("got IDs %v, want %v", got, want)
		}
		cs, err := s.ListOAuthClients(t.Context(), tn.ID, want[5], 0)
		noError(t, err)
		if len(cs) != 1 || !reflect.DeepEqual(cs[0], mustGetOAuthClient(t, s, tn.ID, want[6])) {
			t.Errorf("after %s: got %s, want the last client whole", want[5], show(cs))
		}
	})

	t.Run("ListLimitDefaultsAndClamps", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		for range 51 {
			createOAuthClient(t, s, tn.ID)
		}
		wantLimits(t, 51, func(limit int) (int, error) {
			cs, err := s.ListOAuthClients(t.Context(), tn.ID, "", limit)
			return len(cs), err
		})
	})

	t.Run("ListIsTenantScoped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		ca := createOAuthClient(t, s, a.ID)
		cb := createOAuthClient(t, s, b.ID)
		for _, tc := range []struct {
			tenant string
			want   []string
		}{{a.ID, []string{ca.ID}}, {b.ID, []string{cb.ID}}, {newID(), []string{}}} {
			cs, err := s.ListOAuthClients(t.Context(), tc.tenant, "", 0)
			noError(t, err)
			if got := clientIDs(cs); !slices.Equal(got, tc.want) {
				t.Errorf("tenant %s: got %v, want %v", tc.tenant, got, tc.want)
			}
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		c := createOAuthClient(t, s, a.ID)
		kept := createOAuthClient(t, s, a.ID)

		wantCode(t, s.DeleteOAuthClient(t.Context(), b.ID, c.ID), coditect.CodeNotFound)
		wantCode(t, s.DeleteOAuthClient(t.Context(), a.ID, newID()), coditect.CodeNotFound)
		mustGetOAuthClient(t, s, a.ID, c.ID)

		noError(t, s.DeleteOAuthClient(t.Context(), a.ID, c.ID))
		_, err := s.GetOAuthClient(t.Context(), a.ID, c.ID)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.FindOAuthClient(t.Context(), c.ID)
		wantCode(t, err, coditect.CodeNotFound)
		wantCode(t, s.DeleteOAuthClient(t.Context(), a.ID, c.ID), coditect.CodeNotFound)
		cs, err := s.ListOAuthClients(t.Context(), a.ID, "", 0)
		noError(t, err)
		if got, want := clientIDs(cs), []string{kept.ID}; !slices.Equal(got, want) {
			t.Errorf("clients left: got %v, want %v", got, want)
		}
	})
}

func mustGetOAuthClient(t *testing.T, s coditect.Store, tenantID, id string) *coditect.OAuthClient {
	t.Helper()
	c, err := s.GetOAuthClient(t.Context(), tenantID, id)
	noError(t, err)
	return c
}
