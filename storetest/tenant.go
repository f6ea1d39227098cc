package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

func testTenants(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("CreateAndGet", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		got, err := s.GetTenant(t.Context(), tn.ID)
		noError(t, err)
		want := &coditect.Tenant{ID: tn.ID, Name: tn.Name, CreatedAt: stored(tn.CreatedAt)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %s, want %s", show(got), show(want))
		}
	})

	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.GetTenant(t.Context(), newID())
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("DuplicateIDIsConflict", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		err := s.CreateTenant(t.Context(), &coditect.Tenant{ID: tn.ID, Name: "again", CreatedAt: base})
		wantCode(t, err, coditect.CodeConflict)
	})

	t.Run("Count", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		before, err := s.CountTenants(t.Context())
		noError(t, err)
		for range 3 {
			createTenant(t, s)
		}
		after, err := s.CountTenants(t.Context())
		noError(t, err)
		// Other tests may add tenants to a shared database meanwhile.
		if after-before < 3 {
			t.Errorf("got count %d after creating 3 tenants on %d, want at least %d", after, before, before+3)
		}
	})

	t.Run("ListPagesByIDExactlyOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// UUIDv7s are ordered: every tenant made from here on sorts after
		// from, so the walk need not cross the rest of a shared database.
		from := newID()
		var want []string
		for range 7 {
			want = append(want, createTenant(t, s).ID)
		}
		got := walkAscending(t, from, 3, want[len(want)-1], func(after string, n int) ([]string, error) {
			ts, err := s.ListTenants(t.Context(), after, n)
			return tenantIDs(ts), err
		})
		if got := keep(got, want); !slices.Equal(got, want) {
			t.Errorf("got IDs %v, want %v", got, want)
		}
	})

	t.Run("ListRoundTrips", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		from := newID()
		tn := createTenant(t, s)
		ts, err := s.ListTenants(t.Context(), from, 1)
		noError(t, err)
		want := []*coditect.Tenant{{ID: tn.ID, Name: tn.Name, CreatedAt: stored(tn.CreatedAt)}}
		if !reflect.DeepEqual(ts, want) {
			t.Errorf("got %s, want %s", show(ts), show(want))
		}
	})

	t.Run("ListLimitClamps", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		from := newID()
		for range 3 {
			createTenant(t, s)
		}
		// Other tests add tenants to a shared database meanwhile, so only
		// the small limits have an exact answer here; ListUsers checks
		// the rest of the rule.
		for _, tc := range []struct{ limit, want int }{{-3, 1}, {1, 1}, {2, 2}} {
			ts, err := s.ListTenants(t.Context(), from, tc.limit)
			noError(t, err)
			if len(ts) != tc.want {
				t.Errorf("limit %d: got %d tenants, want %d", tc.limit, len(ts), tc.want)
			}
		}
		ts, err := s.ListTenants(t.Context(), from, 0)
		noError(t, err)
		if len(ts) < 3 || len(ts) > 50 {
			t.Errorf("limit 0: got %d tenants, want 3 to 50", len(ts))
		}
	})
}

func testUsers(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	newUser := func(tenantID string) *coditect.User {
		id := newID()
		return &coditect.User{
			ID:           id,
			TenantID:     tenantID,
			Email:        id + "@example.com",
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
			Role:         coditect.RoleAdmin,
			CreatedAt:    base,
		}
	}
	storedUser := func(u *coditect.User) *coditect.User {
		w := *u
		w.CreatedAt = stored(u.CreatedAt)
		return &w
	}
	createUser := func(t *testing.T, s coditect.Store, tenantID string) *coditect.User {
		t.Helper()
		u := newUser(tenantID)
		noError(t, s.CreateUser(t.Context(), u))
		return u
	}

	t.Run("CreateGetAndFindByEmail", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		plain := newUser(tn.ID)
		flagged := newUser(tn.ID)
		flagged.Role = coditect.RoleOwner
		flagged.PlatformAdmin = true
		flagged.Disabled = true
		for _, u := range []*coditect.User{plain, flagged} {
			noError(t, s.CreateUser(t.Context(), u))
			want := storedUser(u)
			got, err := s.GetUser(t.Context(), tn.ID, u.ID)
			noError(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GetUser: got %s, want %s", show(got), show(want))
			}
			got, err = s.FindUserByEmail(t.Context(), u.Email)
			noError(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("FindUserByEmail: got %s, want %s", show(got), show(want))
			}
		}
	})

	t.Run("DuplicateEmailIsConflictAcrossTenants", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		u := newUser(a.ID)
		noError(t, s.CreateUser(t.Context(), u))
		dup := newUser(b.ID)
		dup.Email = u.Email
		wantCode(t, s.CreateUser(t.Context(), dup), coditect.CodeConflict)
	})

	t.Run("DuplicateIDIsConflict", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		u := newUser(tn.ID)
		noError(t, s.CreateUser(t.Context(), u))
		dup := newUser(tn.ID)
		dup.ID = u.ID
		wantCode(t, s.CreateUser(t.Context(), dup), coditect.CodeConflict)
	})

	t.Run("UnknownTenantIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		wantCode(t, s.CreateUser(t.Context(), newUser(newID())), coditect.CodeNotFound)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		u := newUser(a.ID)
		noError(t, s.CreateUser(t.Context(), u))

		_, err := s.GetUser(t.Context(), a.ID, newID())
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.GetUser(t.Context(), b.ID, u.ID)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.FindUserByEmail(t.Context(), "nobody-"+newID()+"@example.com")
		wantCode(t, err, coditect.CodeNotFound)
	})
	t.Run("ListPagesByIDExactlyOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		var want []string
		for range 7 {
			want = append(want, createUser(t, s, tn.ID).ID)
		}
		got := walkAscending(t, "", 3, "", func(after string, n int) ([]string, error) {
			us, err := s.ListUsers(t.Context(), tn.ID, after, n)
			return userIDs(us), err
		})
		if !slices.Equal(got, want) {
			t.Errorf("got IDs %v, want %v", got, want)
		}
	})

	t.Run("ListRoundTrips", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		u := newUser(tn.ID)
		u.PlatformAdmin, u.Disabled, u.Role = true, true, coditect.RoleViewer
		noError(t, s.CreateUser(t.Context(), u))
		us, err := s.ListUsers(t.Context(), tn.ID, "", 0)
		noError(t, err)
		if want := []*coditect.User{storedUser(u)}; !reflect.DeepEqual(us, want) {
			t.Errorf("got %s, want %s", show(us), show(want))
		}
	})

	t.Run("ListLimitDefaultsAndClamps", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		for range 51 {
			createUser(t, s, tn.ID)
		}
		wantLimits(t, 51, func(limit int) (int, error) {
			us, err := s.ListUsers(t.Context(), tn.ID, "", limit)
			return len(us), err
		})
	})

	t.Run("ListIsTenantScoped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		ua := createUser(t, s, a.ID)
		ub := createUser(t, s, b.ID)
		for _, tc := range []struct {
			tenant string
			want   []string
		}{{a.ID, []string{ua.ID}}, {b.ID, []string{ub.ID}}, {newID(), []string{}}} {
			us, err := s.ListUsers(t.Context(), tc.tenant, "", 0)
			noError(t, err)
			if got := userIDs(us); !slices.Equal(got, tc.want) {
				t.Errorf("tenant %s: got %v, want %v", tc.tenant, got, tc.want)
			}
		}
	})

	t.Run("UpdateWritesRoleDisabledAndPassword", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		u := createUser(t, s, tn.ID)
		want := storedUser(u)
		want.Role = coditect.RoleOwner
		want.Disabled = true
		want.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3$bmV3aGFzaA"

		// Only those three fields change, whatever else the caller passes.
		edit := *want
		edit.Email = "changed-" + u.Email
		edit.PlatformAdmin = true
		edit.CreatedAt = base.Add(time.Hour)
		noError(t, s.UpdateUser(t.Context(), &edit))
		got, err := s.GetUser(t.Context(), tn.ID, u.ID)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after update: got %s, want %s", show(got), show(want))
		}

		want.Disabled = false
		noError(t, s.UpdateUser(t.Context(), want))
		got, err = s.GetUser(t.Context(), tn.ID, u.ID)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after enabling again: got %s, want %s", show(got), show(want))
		}
	})

	t.Run("UpdateUnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		u := createUser(t, s, a.ID)

		unknown := newUser(a.ID)
		wantCode(t, s.UpdateUser(t.Context(), unknown), coditect.CodeNotFound)
		// The same user ID under another tenant is another tenant's user.
		foreign := storedUser(u)
		foreign.TenantID = b.ID
		foreign.Role = coditect.RoleOwner
		wantCode(t, s.UpdateUser(t.Context(), foreign), coditect.CodeNotFound)
		got, err := s.GetUser(t.Context(), a.ID, u.ID)
		noError(t, err)
		if want := storedUser(u); !reflect.DeepEqual(got, want) {
			t.Errorf("after another tenant's update: got %s, want %s", show(got), show(want))
		}
	})
}

func tenantIDs(ts []*coditect.Tenant) []string {
	return ids(ts, func(t *coditect.Tenant) string { return t.ID })
}

func userIDs(us []*coditect.User) []string {
	return ids(us, func(u *coditect.User) string { return u.ID })
}
