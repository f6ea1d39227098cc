package storetest

import (
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// newSigningKey returns a key whose private half is stored sealed; its ID
// stands in for a JWK thumbprint.
func newSigningKey() *coditect.SigningKey {
	return &coditect.SigningKey{
		ID:                  "kid-" + newID(),
		Algorithm:           "EdDSA",
		PublicKey:           []byte{0x00, 0x01, 0xfe, 0xff, 0x20, 0x00},
		EncryptedPrivateKey: []byte{0x00, 0x9a, 0xff, 0x00, 0x42},
		CreatedAt:           base,
	}
}

func createSigningKey(t *testing.T, s coditect.Store, edit ...func(*coditect.SigningKey)) *coditect.SigningKey {
	t.Helper()
	k := newSigningKey()
	for _, e := range edit {
		e(k)
	}
	noError(t, s.CreateSigningKey(t.Context(), k))
	return k
}

// storedSigningKey is what a store gives back for k.
func storedSigningKey(k *coditect.SigningKey) *coditect.SigningKey {
	w := *k
	// Nil bytes come back empty.
	w.PublicKey = append([]byte{}, k.PublicKey...)
	w.EncryptedPrivateKey = append([]byte{}, k.EncryptedPrivateKey...)
	w.CreatedAt = stored(k.CreatedAt)
	w.RetiredAt = storedPtr(k.RetiredAt)
	return &w
}

// listSigningKeys returns the keys with the given IDs, in the store's
// order. Keys belong to the deployment, so on a shared database the list
// holds other tests' keys too.
func listSigningKeys(t *testing.T, s coditect.Store, ids ...string) []*coditect.SigningKey {
	t.Helper()
	all, err := s.ListSigningKeys(t.Context())
	noError(t, err)
	out := []*coditect.SigningKey{}
	for _, k := range all {
		if slices.Contains(ids, k.ID) {
			out = append(out, k)
		}
	}
	return out
}

// getSigningKey returns the listed key with the given ID.
func getSigningKey(t *testing.T, s coditect.Store, id string) *coditect.SigningKey {
	t.Helper()
	ks := listSigningKeys(t, s, id)
	if len(ks) != 1 {
		t.Fatalf("got %d keys with ID %s, want 1", len(ks), id)
	}
	return ks[0]
}

func signingKeyIDs(ks []*coditect.SigningKey) []string {
	return ids(ks, func(k *coditect.SigningKey) string { return k.ID })
}

func testSigningKeys(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("CreateAndList", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		sealed := newSigningKey()
		external := newSigningKey()
		external.EncryptedPrivateKey = nil
		external.ExternalRef = "kms://projects/p/keys/" + external.ID
		external.CreatedAt = base.Add(time.Minute + 123456)
		for _, k := range []*coditect.SigningKey{sealed, external} {
			noError(t, s.CreateSigningKey(t.Context(), k))
			got, want := getSigningKey(t, s, k.ID), storedSigningKey(k)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %s, want %s", show(got), show(want))
			}
			if got.RetiredAt != nil {
				t.Errorf("got retired_at %v, want nil", *got.RetiredAt)
			}
		}
	})

	t.Run("ListNewestFirst", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		at := func(d time.Duration) func(*coditect.SigningKey) {
			return func(k *coditect.SigningKey) { k.CreatedAt = base.Add(d) }
		}
		middle := createSigningKey(t, s, at(time.Minute))
		oldest := createSigningKey(t, s, at(0))
		// Two keys of the same millisecond: the greater ID comes first.
		prefix := "kid-" + newID()
		tieB := createSigningKey(t, s, at(2*time.Minute), func(k *coditect.SigningKey) { k.ID = prefix + "-b" })
		tieA := createSigningKey(t, s, at(2*time.Minute+400*time.Microsecond), func(k *coditect.SigningKey) { k.ID = prefix + "-a" })
		newest := createSigningKey(t, s, at(3*time.Minute))
		want := []string{newest.ID, tieB.ID, tieA.ID, middle.ID, oldest.ID}
		if got := signingKeyIDs(listSigningKeys(t, s, want...)); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})

	t.Run("DuplicateIsConflict", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		k := createSigningKey(t, s)
		dup := newSigningKey()
		dup.ID = k.ID
		dup.CreatedAt = base.Add(time.Hour)
		wantCode(t, s.CreateSigningKey(t.Context(), dup), coditect.CodeConflict)
		if got, want := getSigningKey(t, s, k.ID), storedSigningKey(k); !reflect.DeepEqual(got, want) {
			t.Errorf("after the duplicate: got %s, want %s", show(got), show(want))
		}
	})

	t.Run("ExactlyOnePrivateHalf", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		neither := newSigningKey()
		neither.EncryptedPrivateKey = nil
		empty := newSigningKey()
		empty.EncryptedPrivateKey = []byte{}
		both := newSigningKey()
		both.ExternalRef = "kms://projects/p/keys/" + both.ID
		for _, k := range []*coditect.SigningKey{neither, empty, both} {
			wantCode(t, s.CreateSigningKey(t.Context(), k), coditect.CodeInvalidRequest)
		}
		if got := listSigningKeys(t, s, neither.ID, empty.ID, both.ID); len(got) != 0 {
			t.Errorf("got %s, want no keys", show(got))
		}
	})

	t.Run("Retire", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		k := createSigningKey(t, s)
		other := createSigningKey(t, s)
		at := base.Add(24*time.Hour + 987654)

		changed, err := s.RetireSigningKey(t.Context(), k.ID, at)
		noError(t, err)
		if !changed {
			t.Error("first retirement: got false, want true")
		}
		want := storedSigningKey(k)
		want.RetiredAt = ptr(stored(at))
		if got := getSigningKey(t, s, k.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("after retiring: got %s, want %s", show(got), show(want))
		}
		if got := getSigningKey(t, s, other.ID); got.RetiredAt != nil {
			t.Errorf("another key: got retired_at %v, want nil", *got.RetiredAt)
		}

		// Retiring again keeps the first retirement time.
		changed, err = s.RetireSigningKey(t.Context(), k.ID, at.Add(time.Hour))
		noError(t, err)
		if changed {
			t.Error("second retirement: got true, want false")
		}
		if got := getSigningKey(t, s, k.ID); !reflect.DeepEqual(got, want) {
			t.Errorf("after retiring again: got %s, want %s", show(got), show(want))
		}
	})

	t.Run("RetireUnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		changed, err := s.RetireSigningKey(t.Context(), "kid-"+newID(), base)
		wantCode(t, err, coditect.CodeNotFound)
		if changed {
			t.Error("got true, want false")
		}
	})

	t.Run("ConcurrentRetireOneWins", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		k := createSigningKey(t, s)
		const n = 20
		changed := make([]bool, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				changed[i], errs[i] = s.RetireSigningKey(t.Context(), k.ID, base.Add(time.Duration(i)*time.Second))
			})
		}
		wg.Wait()
		wins := 0
		for i := range n {
			noError(t, errs[i])
			if changed[i] {
				wins++
			}
		}
		if wins != 1 {
			t.Errorf("got %d retirements reported, want 1", wins)
		}
	})
}
