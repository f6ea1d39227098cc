package storetest

import (
	"reflect"
	"testing"

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
}
