package client_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/coditect/coditect-license/client"
)

func fixedID(id string) func() (string, error) {
	return func() (string, error) { return id, nil }
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)

	t.Run("is a stable 64-digit hex HMAC that hides the machine ID", func(t *testing.T) {
		t.Parallel()
		a, err := client.FingerprintOf("acme-cad", fixedID("4c4c4544-0042-3510"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := client.FingerprintOf("acme-cad", fixedID("4c4c4544-0042-3510\n"))
		if a != b {
			t.Fatalf("got %s and %s for the same machine, want equal", a, b)
		}
		if !hex64.MatchString(a) {
			t.Fatalf("got %q, want 64 lowercase hex digits", a)
		}
		if strings.Contains(a, "4c4c4544") {
			t.Fatalf("got %q, which contains the raw machine ID", a)
		}
		// The documented construction: HMAC-SHA256 keyed by the product.
		mac := hmac.New(sha256.New, []byte("acme-cad"))
		mac.Write([]byte("4c4c4544-0042-3510"))
		if want := hex.EncodeToString(mac.Sum(nil)); a != want {
			t.Fatalf("got %s, want HMAC-SHA256 %s", a, want)
		}
	})

	t.Run("differs between products and between machines", func(t *testing.T) {
		t.Parallel()
		a, _ := client.FingerprintOf("acme-cad", fixedID("m1"))
		b, _ := client.FingerprintOf("acme-render", fixedID("m1"))
		c, _ := client.FingerprintOf("acme-cad", fixedID("m2"))
		if a == b || a == c {
			t.Fatalf("got %s, %s, %s, want three different fingerprints", a, b, c)
		}
	})

	t.Run("needs a product and a machine ID", func(t *testing.T) {
		t.Parallel()
		if _, err := client.FingerprintOf("", fixedID("m1")); err == nil {
			t.Fatal("got no error for an empty product, want one")
		}
		if _, err := client.FingerprintOf("p", fixedID("  ")); err == nil {
			t.Fatal("got no error for a blank machine ID, want one")
		}
		boom := errors.New("boom")
		if _, err := client.FingerprintOf("p", func() (string, error) { return "", boom }); !errors.Is(err, boom) {
			t.Fatalf("got %v, want the source's error", err)
		}
	})

	t.Run("of this machine is stable", func(t *testing.T) {
		t.Parallel()
		a, err := client.Fingerprint("acme-cad")
		if err != nil {
			skipOrFail(t, "no machine ID here: %v", err)
		}
		b, err := client.Fingerprint("acme-cad")
		if err != nil || a != b || !hex64.MatchString(a) {
			t.Fatalf("got %q then %q (%v), want the same 64 hex digits", a, b, err)
		}
	})
}

func TestMachineID(t *testing.T) {
	t.Parallel()
	ioreg := `+-o J316sAP  <class IOPlatformExpertDevice, id 0x100000248, registered, matched, active, busy 0 (1 ms), retain 33>
    {
      "IOPlatformSerialNumber" = "C02XXXXXXX"
      "IOPlatformUUID" = "564D0B5E-1B2C-4D5E-8F90-A1B2C3D4E5F6"
      "model" = <"MacBookPro18,3">
    }
`
	reg := "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\r\n    MachineGuid    REG_SZ    6f9d2c1e-3b4a-4c5d-9e8f-0a1b2c3d4e5f\r\n\r\n"
	cases := []struct {
		name     string
		goos     string
		files    map[string]string
		commands map[string]string
		want     string
	}{
		{"linux reads /etc/machine-id", "linux", map[string]string{"/etc/machine-id": "0123456789abcdef0123456789abcdef\n"}, nil, "0123456789abcdef0123456789abcdef"},
		{"linux falls back to the dbus machine-id", "linux", map[string]string{"/etc/machine-id": "\n", "/var/lib/dbus/machine-id": "dbus-id\n"}, nil, "dbus-id"},
		{"linux skips an uninitialized machine-id", "linux", map[string]string{"/etc/machine-id": "uninitialized\n", "/var/lib/dbus/machine-id": "dbus-id"}, nil, "dbus-id"},
		{"freebsd reads /etc/hostid", "freebsd", map[string]string{"/etc/hostid": "a-b-c\n"}, nil, "a-b-c"},
		{"macOS reads IOPlatformUUID", "darwin", nil, map[string]string{"ioreg": ioreg}, "564D0B5E-1B2C-4D5E-8F90-A1B2C3D4E5F6"},
		{"windows reads MachineGuid", "windows", nil, map[string]string{"reg": reg}, "6f9d2c1e-3b4a-4c5d-9e8f-0a1b2c3d4e5f"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := client.MachineIDFor(tc.goos, tc.files, tc.commands, "")()
			if err != nil || got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}

	t.Run("without a platform ID, a random ID is created once in the config dir", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, goos := range []string{"linux", "darwin", "windows", "plan9"} {
			src := client.MachineIDFor(goos, nil, map[string]string{"ioreg": "nothing here", "reg": "ERROR"}, dir)
			first, err := src()
			if err != nil {
				t.Fatalf("%s: %v", goos, err)
			}
			second, _ := src()
			if first != second || len(first) != 32 {
				t.Fatalf("%s: got %q then %q, want the same 32-digit ID", goos, first, second)
			}
		}
		path := filepath.Join(dir, "coditect-license", "machine-id")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Fatalf("got mode %v, want 0600", fi.Mode().Perm())
		}
	})

	t.Run("an empty fallback file is an error, not a new ID", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "coditect-license", "machine-id")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if id, err := client.MachineIDFor("plan9", nil, nil, dir)(); err == nil {
			t.Fatalf("got %q, want an error", id)
		}
	})

	t.Run("without a platform ID or config dir it fails", func(t *testing.T) {
		t.Parallel()
		if id, err := client.MachineIDFor("plan9", nil, nil, "")(); err == nil {
			t.Fatalf("got %q, want an error", id)
		}
	})

	t.Run("parsers reject output without an ID", func(t *testing.T) {
		t.Parallel()
		if id, err := client.ParseIOReg([]byte(`"IOPlatformUUID" = ""`)); err == nil {
			t.Fatalf("ioreg: got %q, want an error", id)
		}
		if id, err := client.ParseRegQuery([]byte("MachineGuid REG_DWORD 0x1")); err == nil {
			t.Fatalf("reg: got %q, want an error", id)
		}
	})

	t.Run("of this machine works", func(t *testing.T) {
		t.Parallel()
		if runtime.GOOS != "linux" {
			t.Skip("checked on Linux")
		}
		id, err := client.MachineID()
		if err != nil || id == "" {
			t.Fatalf("got %q (%v), want an ID", id, err)
		}
	})
}
