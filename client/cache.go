package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// cacheVersion is the format of the cache file; other versions are ignored.
const cacheVersion = 1

// maxCacheFile bounds what is read from the cache file.
const maxCacheFile = 1 << 20

// cacheEntry is the offline cache of one license on one machine: a JSON file
// in Config.CacheDir, mode 0600, replaced atomically on every write.
type cacheEntry struct {
	Version      int    `json:"version"`
	LicenseToken string `json:"license_token,omitempty"`
	LicenseID    string `json:"license_id,omitempty"`
	SessionID    string `json:"session_id,omitempty"`
	// HeartbeatIntervalSeconds paces an offline lease's attempts to go
	// back online.
	HeartbeatIntervalSeconds int `json:"heartbeat_interval_seconds,omitempty"`
	// LastSeen is this machine's clock when the server last answered.
	LastSeen time.Time `json:"last_seen"`
	// CheckedAt is the latest clock reading of an offline check; with
	// LastSeen it is the high-water mark a clock set back falls behind.
	CheckedAt time.Time `json:"checked_at"`
	// JWKS holds the server's keys when none are pinned (discovered online).
	JWKS json.RawMessage `json:"jwks,omitempty"`
}

// highWater is the latest time this machine's clock is known to have shown.
func (e *cacheEntry) highWater() time.Time {
	if e.CheckedAt.After(e.LastSeen) {
		return e.CheckedAt
	}
	return e.LastSeen
}

// cache reads and writes one cache file; its mutex orders the writes of one
// Client (processes sharing the file each replace it whole).
type cache struct {
	path string
	mu   sync.Mutex
}

// newCache returns the cache for a license key and fingerprint at one
// server, or nil when dir is empty (offline use disabled). The file name is
// a digest: the license key is never written to disk.
func newCache(dir, baseURL, licenseKey, fingerprint string) *cache {
	if dir == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(baseURL + "\x00" + licenseKey + "\x00" + fingerprint))
	return &cache{path: filepath.Join(dir, "license-"+hex.EncodeToString(sum[:16])+".json")}
}

// load returns the cached entry; fs.ErrNotExist when there is none.
func (c *cache) load() (*cacheEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read()
}

func (c *cache) read() (*cacheEntry, error) {
	f, err := os.Open(c.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCacheFile))
	if err != nil {
		return nil, err
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil || e.Version != cacheVersion {
		return nil, fmt.Errorf("cache file %s is unreadable; it is rewritten at the next online acquire", c.path)
	}
	return &e, nil
}

// update applies fn to the cached entry (a fresh one when there is none or
// it is unreadable) and writes the result.
func (c *cache) update(fn func(e *cacheEntry)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.read()
	if err != nil {
		e = &cacheEntry{}
	}
	fn(e)
	e.Version = cacheVersion
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(c.path, b)
}

// writeFileAtomic replaces path with data, mode 0600, creating its directory
// with mode 0700: readers see the old file or the new one, never a part.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// CreateTemp uses mode 0600.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// createFile creates path holding data, mode 0600, unless it exists: then it
// reports false and writes nothing. The file appears complete or not at all.
func createFile(path string, data []byte) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return false, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	// Link fails when path exists, unlike Rename, which would replace it.
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}
