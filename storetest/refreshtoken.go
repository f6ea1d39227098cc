package storetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// tokenFixture is a tenant with one user, the parent of refresh tokens.
type tokenFixture struct {
	tenant *coditect.Tenant
	user   *coditect.User
}

func newTokenFixture(t *testing.T, s coditect.Store) tokenFixture {
	t.Helper()
	tn := createTenant(t, s)
	id := newID()
	u := &coditect.User{ID: id, TenantID: tn.ID, Email: id + "@example.com", PasswordHash: "x", Role: coditect.RoleAdmin, CreatedAt: base}
	noError(t, s.CreateUser(t.Context(), u))
	return tokenFixture{tenant: tn, user: u}
}

func (f tokenFixture) newToken(familyID string) *coditect.RefreshToken {
	return &coditect.RefreshToken{
		// Shaped like the hex SHA-256 the callers store.
		ID:        newID() + newID()[:28],
		TenantID:  f.tenant.ID,
		UserID:    f.user.ID,
		FamilyID:  familyID,
		ExpiresAt: base.Add(30 * 24 * time.Hour),
		CreatedAt: base,
	}
}

func (f tokenFixture) token(t *testing.T, s coditect.Store, familyID string) *coditect.RefreshToken {
	t.Helper()
	rt := f.newToken(familyID)
	noError(t, s.CreateRefreshToken(t.Context(), rt))
	return rt
}

// storedRefreshToken is what a store gives back for rt.
func storedRefreshToken(rt *coditect.RefreshToken) *coditect.RefreshToken {
	w := *rt
	w.ExpiresAt = stored(rt.ExpiresAt)
	w.CreatedAt = stored(rt.CreatedAt)
	w.UsedAt = storedPtr(rt.UsedAt)
	w.RevokedAt = storedPtr(rt.RevokedAt)
	return &w
}

func findToken(t *testing.T, s coditect.Store, id string) *coditect.RefreshToken {
	t.Helper()
	got, err := s.FindRefreshToken(t.Context(), id)
	noError(t, err)
	return got
}

func testRefreshTokens(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("CreateAndFind", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newTokenFixture(t, s)
		fresh := f.newToken(newID())
		spent := f.newToken(fresh.FamilyID)
		spent.CreatedAt = base.Add(time.Minute + 111)
		spent.UsedAt = ptr(base.Add(2*time.Minute + 222))
		spent.RevokedAt = ptr(base.Add(3*time.Minute + 333))
		for _, rt := range []*coditect.RefreshToken{fresh, spent} {
			noError(t, s.CreateRefreshToken(t.Context(), rt))
			if got, want := findToken(t, s, rt.ID), storedRefreshToken(rt); !reflect.DeepEqual(got, want) {
				t.Errorf("got %s, want %s", show(got), show(want))
			}
		}
	})

	t.Run("DuplicateIsConflictAcrossTenants", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f, g := newTokenFixture(t, s), newTokenFixture(t, s)
		rt := f.token(t, s, newID())
		for _, fx := range []tokenFixture{f, g} {
			dup := fx.newToken(newID())
			dup.ID = rt.ID
			wantCode(t, s.CreateRefreshToken(t.Context(), dup), coditect.CodeConflict)
		}
	})

	t.Run("UnknownUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f, g := newTokenFixture(t, s), newTokenFixture(t, s)
		rt := f.newToken(newID())
		rt.UserID = newID()
		wantCode(t, s.CreateRefreshToken(t.Context(), rt), coditect.CodeNotFound)
		// Another tenant's user is no user of this tenant.
		rt = f.newToken(newID())
		rt.UserID = g.user.ID
		wantCode(t, s.CreateRefreshToken(t.Context(), rt), coditect.CodeNotFound)
	})

	t.Run("FindUnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.FindRefreshToken(t.Context(), newID())
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("UseDetectsReuse", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newTokenFixture(t, s)
		rt := f.token(t, s, newID())
		at := base.Add(5*time.Minute + 123456)

		used, err := s.UseRefreshToken(t.Context(), f.tenant.ID, rt.ID, at)
		noError(t, err)
		if !used {
			t.Error("first use: got false, want true")
		}
		want := storedRefreshToken(rt)
		want.UsedAt = ptr(stored(at))
		if got := findToken(t, s, rt.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("after first use: got %s, want %s", show(got), show(want))
		}

		used, err = s.UseRefreshToken(t.Context(), f.tenant.ID, rt.ID, at.Add(time.Hour))
		noError(t, err)
		if used {
			t.Error("second use: got true, want false")
		}
		if got := findToken(t, s, rt.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("after second use: got %s, want %s", show(got), show(want))
		}
	})

	t.Run("UseUnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f, g := newTokenFixture(t, s), newTokenFixture(t, s)
		rt := f.token(t, s, newID())
		_, err := s.UseRefreshToken(t.Context(), f.tenant.ID, newID(), base)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.UseRefreshToken(t.Context(), g.tenant.ID, rt.ID, base)
		wantCode(t, err, coditect.CodeNotFound)
		if got := findToken(t, s, rt.ID); got.UsedAt != nil {
			t.Errorf("after another tenant's use: got used_at %v, want nil", *got.UsedAt)
		}
	})

	t.Run("ConcurrentUseOneWins", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newTokenFixture(t, s)
		rt := f.token(t, s, newID())
		const n = 20
		used := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				used[i], errs[i] = s.UseRefreshToken(t.Context(), f.tenant.ID, rt.ID, base.Add(time.Duration(i)*time.Second))
			})
		}
		wg.Wait()
		wins := 0
		for i := range n {
			noError(t, errs[i])
			if used[i] {
				wins++
			}
		}
		if wins != 1 {
			t.Errorf("got %d uses reported, want 1", wins)
		}
	})

	t.Run("RevokeFamily", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f, g := newTokenFixture(t, s), newTokenFixture(t, s)
		family := newID()
		a := f.token(t, s, family)
		b := f.token(t, s, family)
		early := f.newToken(family)
		early.RevokedAt = ptr(base.Add(time.Minute))
		noError(t, s.CreateRefreshToken(t.Context(), early))
		otherFamily := f.token(t, s, newID())
		// The same family ID in another tenant is another family.
		foreign := g.token(t, s, family)

		at := base.Add(10*time.Minute + 987654)
		noError(t, s.RevokeRefreshFamily(t.Context(), f.tenant.ID, family, at))
		check := func(when string) {
			t.Helper()
			for _, tc := range []struct {
				rt      *coditect.RefreshToken
				revoked *time.Time
			}{
				{a, ptr(at)},
				{b, ptr(at)},
				{early, early.RevokedAt},
				{otherFamily, nil},
				{foreign, nil},
			} {
				want := storedRefreshToken(tc.rt)
				want.RevokedAt = storedPtr(tc.revoked)
				if got := findToken(t, s, tc.rt.ID); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %s, want %s", when, show(got), show(want))
				}
			}
		}
		check("after revoking")

		// Revoking again changes nothing, nor does an unknown family or
		// the family's ID under another tenant without it.
		noError(t, s.RevokeRefreshFamily(t.Context(), f.tenant.ID, family, at.Add(time.Hour)))
		noError(t, s.RevokeRefreshFamily(t.Context(), f.tenant.ID, newID(), at))
		noError(t, s.RevokeRefreshFamily(t.Context(), createTenant(t, s).ID, family, at))
		check("after revoking again")
	})
}
