package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Fingerprint returns this machine's fingerprint for a product: the hex
// HMAC-SHA256 of the raw machine ID ([MachineID]) keyed by the product name.
// It is stable across runs, differs between products on the same machine,
// and does not reveal the machine ID, which never leaves the machine.
func Fingerprint(product string) (string, error) {
	return FingerprintOf(product, MachineID)
}

// FingerprintOf is [Fingerprint] over another source of machine IDs: tests
// inject a fixed one, and a vendor with its own notion of a machine (a
// hardware dongle, a cloud instance ID) passes it here.
func FingerprintOf(product string, machineID func() (string, error)) (string, error) {
	if product == "" {
		return "", errors.New("fingerprint: the product name is required")
	}
	id, err := machineID()
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	id = strings.TrimSpace(id)
	if id == "" {
		return "", errors.New("fingerprint: the machine ID is empty")
	}
	mac := hmac.New(sha256.New, []byte(product))
	mac.Write([]byte(id))
	return hex.EncodeToString(mac.Sum(nil)), nil
}

// MachineID returns this machine's raw identifier:
//
//   - Linux: /etc/machine-id, else /var/lib/dbus/machine-id;
//   - macOS: IOPlatformUUID, from `ioreg -rd1 -c IOPlatformExpertDevice`;
//   - Windows: MachineGuid, from `reg query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid`;
//   - FreeBSD: /etc/hostid.
//
// When the platform has none of these (a minimal container, another OS), the
// fallback is a random ID created once and kept in the user's configuration
// directory (os.UserConfigDir()/coditect-license/machine-id, mode 0600). It
// is stable for that user on that machine until the file is deleted; it is
// per user, not per machine. Hostnames and MAC addresses are not used: they
// change with renames, VPNs, docker bridges and Wi-Fi MAC randomisation.
func MachineID() (string, error) {
	return systemSource.machineID()
}

// machineSource reads machine IDs; its functions are swapped in tests.
type machineSource struct {
	goos      string
	readFile  func(name string) ([]byte, error)
	command   func(name string, args ...string) ([]byte, error)
	configDir func() (string, error)
}

var systemSource = machineSource{
	goos:      runtime.GOOS,
	readFile:  os.ReadFile,
	command:   runCommand,
	configDir: os.UserConfigDir,
}

func runCommand(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).Output()
}

func (s machineSource) machineID() (string, error) {
	id, err := s.platformID()
	if err == nil {
		return id, nil
	}
	fb, ferr := s.fallbackID()
	if ferr != nil {
		return "", fmt.Errorf("machine ID: %w; fallback: %w", err, ferr)
	}
	return fb, nil
}

func (s machineSource) platformID() (string, error) {
	switch s.goos {
	case "linux":
		return s.firstFile("/etc/machine-id", "/var/lib/dbus/machine-id")
	case "freebsd":
		return s.firstFile("/etc/hostid")
	case "darwin":
		out, err := s.command("ioreg", "-rd1", "-c", "IOPlatformExpertDevice")
		if err != nil {
			return "", fmt.Errorf("ioreg: %w", err)
		}
		return parseIOReg(out)
	case "windows":
		out, err := s.command("reg", "query", `HKLM\SOFTWARE\Microsoft\Cryptography`, "/v", "MachineGuid")
		if err != nil {
			return "", fmt.Errorf("reg query: %w", err)
		}
		return parseRegQuery(out)
	}
	return "", fmt.Errorf("no machine ID source on %s", s.goos)
}

func (s machineSource) firstFile(paths ...string) (string, error) {
	var errs []error
	for _, p := range paths {
		b, err := s.readFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// systemd writes "uninitialized" until the first boot completes.
		if id := strings.TrimSpace(string(b)); id != "" && id != "uninitialized" {
			return id, nil
		}
		errs = append(errs, fmt.Errorf("%s holds no machine ID", p))
	}
	return "", errors.Join(errs...)
}

// parseIOReg finds `"IOPlatformUUID" = "…"` in ioreg's output.
func parseIOReg(out []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == `"IOPlatformUUID"` {
			if id := strings.Trim(strings.TrimSpace(v), `"`); id != "" {
				return id, nil
			}
		}
	}
	return "", errors.New("ioreg printed no IOPlatformUUID")
}

// parseRegQuery finds `MachineGuid REG_SZ …` in reg query's output.
func parseRegQuery(out []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MachineGuid" && f[1] == "REG_SZ" {
			return f[2], nil
		}
	}
	return "", errors.New("reg query printed no MachineGuid")
}

// fallbackID reads, or creates once, a random ID in the user's config dir.
func (s machineSource) fallbackID() (string, error) {
	dir, err := s.configDir()
	if err != nil {
		return "", fmt.Errorf("user config dir: %w", err)
	}
	path := filepath.Join(dir, "coditect-license", "machine-id")
	if b, err := s.readFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
		return "", fmt.Errorf("%s is empty; delete it to create a new ID", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	created, err := createFile(path, []byte(id+"\n"))
	if err != nil {
		return "", fmt.Errorf("create %s: %w", path, err)
	}
	if !created {
		// Another process created it first: use its ID.
		b, err := s.readFile(path)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return id, nil
}
