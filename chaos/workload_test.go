//go:build chaos

package chaos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/coditect/coditect-license/chaos"
)

// lic is a license under test.
type lic struct {
	ID, Key string
	Seats   int
	TTL     time.Duration
}

// workload runs clients that acquire, heartbeat and release seats over
// HTTP, and records every call in a history.
type workload struct {
	hist *chaos.History
	// bases are the servers' base URLs; client i talks to bases[i%len].
	bases      []string
	licenses   []lic
	perLicense int           // clients per license
	beats      int           // heartbeats per hold
	think      time.Duration // pause between calls (randomised up to twice)
	timeout    time.Duration // per request
	// loseAcquires is the share of granted acquires whose answer the
	// client throws away, as if the network lost it, before retrying with
	// the same instance_id.
	loseAcquires float64
	// vanish is the share of holds a client ends by disappearing instead
	// of releasing (only sensible with short TTLs).
	vanish float64

	client *http.Client

	mu       sync.Mutex
	counts   map[string]int
	slow503  []time.Duration // latencies of 503 answers
	no503Hdr int             // 503 answers without Retry-After
	mismatch []string        // lost-answer retries that did not get the same session back
	odd      []string        // answers outside the contract
}

func (w *workload) count(key string) {
	w.mu.Lock()
	w.counts[key]++
	w.mu.Unlock()
}

// answer is one HTTP exchange; sent is false when the request provably
// never reached a server (connection refused).
type answer struct {
	status int
	header http.Header
	body   map[string]any
	sent   bool
	took   time.Duration
}

func (w *workload) do(ctx context.Context, base, method, path, auth string, body any) answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		panic(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", auth)
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		return answer{sent: !errors.Is(err, syscall.ECONNREFUSED), took: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, sent: true, took: time.Since(start)}
	if err != nil {
		a.status = 0 // the answer was cut off: unknown
		return a
	}
	_ = json.Unmarshal(raw, &a.body)
	if a.status == http.StatusServiceUnavailable {
		w.mu.Lock()
		w.slow503 = append(w.slow503, a.took)
		if resp.Header.Get("Retry-After") == "" {
			w.no503Hdr++
		}
		w.mu.Unlock()
	}
	return a
}

func (w *workload) expiry(a answer) int64 {
	s, _ := a.body["expires_at"].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		w.mu.Lock()
		w.odd = append(w.odd, fmt.Sprintf("expires_at %q: %v", s, err))
		w.mu.Unlock()
		return 0
	}
	return t.UnixNano()
}

// run drives the clients until ctx ends and returns when all have stopped.
func (w *workload) run(ctx context.Context) {
	if w.hist == nil {
		w.hist = chaos.NewHistory()
	}
	w.counts = map[string]int{}
	if w.client == nil {
		w.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	}
	var wg sync.WaitGroup
	n := 0
	for _, l := range w.licenses {
		for range w.perLicense {
			id := n
			n++
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.client1(ctx, id, l)
			}()
		}
	}
	wg.Wait()
}

func (w *workload) pause(ctx context.Context, rng *rand.Rand) {
	d := w.think
	if d > 0 {
		d += time.Duration(rng.Int64N(int64(d)))
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// backoff waits as a client should after a failed call: Retry-After when
// the server sent one, the think time otherwise.
func (w *workload) backoff(ctx context.Context, rng *rand.Rand, a answer) {
	if secs, err := strconv.Atoi(a.header.Get("Retry-After")); err == nil && secs > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(secs) * time.Second):
		}
		return
	}
	w.pause(ctx, rng)
}

// client1 is one client: acquire (retrying with the same instance_id when
// the answer is unknown), heartbeat a few times, release (retrying until
// it is confirmed).
func (w *workload) client1(ctx context.Context, id int, l lic) {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	base := w.bases[id%len(w.bases)]
	instance := fmt.Sprintf("client-%03d", id)
	op := func(kind chaos.Kind) chaos.Op {
		return chaos.Op{Client: id, License: l.ID, Seats: l.Seats, TTL: l.TTL, Instance: instance, Kind: kind}
	}
	record := func(o chaos.Op, a answer, res chaos.Result) {
		if !a.sent {
			w.count(o.Kind.String() + " not sent")
			return // never reached a server: no effect, nothing to check
		}
		o.Result = res
		if res == chaos.Unknown {
			o.Return = chaos.Never
		}
		w.count(fmt.Sprintf("%s %d", o.Kind, a.status))
		w.hist.Add(o)
	}
	body := map[string]any{"fingerprint": "fp-" + instance, "instance_id": "main", "client_name": "chaos"}
	incarnation := 0
	for ctx.Err() == nil {
		// Acquire.
		var session, token string
		lose := rng.Float64() < w.loseAcquires
		for session == "" && ctx.Err() == nil {
			o := op(chaos.Acquire)
			o.Call = w.hist.Now()
			a := w.do(ctx, base, "POST", "/api/v1/sessions", "License "+l.Key, body)
			o.Return = w.hist.Now()
			switch a.status {
			case http.StatusCreated, http.StatusOK:
				o.Session, _ = a.body["session_id"].(string)
				o.ExpiresAt = w.expiry(a)
				res := chaos.Granted
				if a.status == http.StatusOK {
					res = chaos.Renewed
				}
				if lose && a.status == http.StatusCreated {
					// The answer is "lost": the client never saw it and asks
					// again with the same instance_id.
					lose = false
					lostSession := o.Session
					o.Session, o.ExpiresAt = "", 0
					record(o, a, chaos.Unknown)
					r := op(chaos.Acquire)
					r.Call = w.hist.Now()
					b := w.do(ctx, base, "POST", "/api/v1/sessions", "License "+l.Key, body)
					r.Return = w.hist.Now()
					got, _ := b.body["session_id"].(string)
					// A retry that the end of the run cut off (no answer, the
					// run's context done) proves nothing either way.
					cutOff := b.status == 0 && ctx.Err() != nil
					if !cutOff && (b.status != http.StatusOK || got != lostSession) {
						w.mu.Lock()
						w.mismatch = append(w.mismatch, fmt.Sprintf("%s: lost %s, retry got %d %s", instance, lostSession, b.status, got))
						w.mu.Unlock()
					}
					switch b.status {
					case http.StatusOK, http.StatusCreated:
						r.Session, r.ExpiresAt = got, w.expiry(b)
						res := chaos.Renewed
						if b.status == http.StatusCreated {
							res = chaos.Granted
						}
						record(r, b, res)
						session = got
						token, _ = b.body["session_token"].(string)
					case http.StatusConflict:
						record(r, b, chaos.Refused)
					default:
						record(r, b, chaos.Unknown)
					}
					continue
				}
				record(o, a, res)
				session = o.Session
				token, _ = a.body["session_token"].(string)
			case http.StatusConflict:
				record(o, a, chaos.Refused)
				w.pause(ctx, rng)
			default:
				w.noteOdd("acquire", a)
				record(o, a, chaos.Unknown)
				w.backoff(ctx, rng, a)
			}
		}
		if session == "" {
			return
		}
		// Hold: heartbeat a few times.
		held := true
		for i := 0; i < w.beats && held && ctx.Err() == nil; i++ {
			w.pause(ctx, rng)
			o := op(chaos.Heartbeat)
			o.Session = session
			o.Call = w.hist.Now()
			a := w.do(ctx, base, "POST", "/api/v1/sessions/"+session+"/heartbeat", "Bearer "+token, nil)
			o.Return = w.hist.Now()
			switch a.status {
			case http.StatusOK:
				o.ExpiresAt = w.expiry(a)
				record(o, a, chaos.OK)
			case http.StatusGone:
				record(o, a, chaos.Lost)
				held = false
			default:
				w.noteOdd("heartbeat", a)
				record(o, a, chaos.Unknown)
				w.backoff(ctx, rng, a)
			}
		}
		if !held || ctx.Err() != nil {
			continue
		}
		if rng.Float64() < w.vanish {
			// Disappear: a new incarnation of this client starts over with
			// another instance ID; the old lease must expire on its own.
			incarnation++
			instance = fmt.Sprintf("client-%03d.%d", id, incarnation)
			body["fingerprint"] = "fp-" + instance
			continue
		}
		// Release until the server confirms it.
		for ctx.Err() == nil {
			o := op(chaos.Release)
			o.Session = session
			o.Call = w.hist.Now()
			a := w.do(ctx, base, "DELETE", "/api/v1/sessions/"+session, "Bearer "+token, nil)
			o.Return = w.hist.Now()
			if a.status == http.StatusNoContent {
				record(o, a, chaos.Released)
				break
			}
			w.noteOdd("release", a)
			record(o, a, chaos.Unknown)
			w.backoff(ctx, rng, a)
		}
		w.pause(ctx, rng)
	}
}

// noteOdd remembers an answer that no fault explains: anything but a
// network failure or 503.
func (w *workload) noteOdd(what string, a answer) {
	if a.status == 0 || a.status == http.StatusServiceUnavailable {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.odd = append(w.odd, fmt.Sprintf("%s: %d %v", what, a.status, a.body))
}

// verify checks the recorded history: the invariant sweep and the
// linearizability check must pass; strict also requires every refusal to
// be justified (fault-free runs).
func (w *workload) verify(t *testing.T, strict bool) {
	t.Helper()
	ops := w.hist.Ops()
	w.mu.Lock()
	keys := make([]string, 0, len(w.counts))
	for k := range w.counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	summary := ""
	for _, k := range keys {
		summary += fmt.Sprintf("%s=%d ", k, w.counts[k])
	}
	odd, mismatch := w.odd, w.mismatch
	w.mu.Unlock()
	t.Logf("%d operations: %s", len(ops), summary)
	for _, s := range odd {
		t.Errorf("answer outside the contract: %s", s)
	}
	for _, s := range mismatch {
		t.Errorf("a retried acquire took another seat: %s", s)
	}
	for _, o := range chaos.Sweep(ops) {
		t.Errorf("invariant sweep: %s", o)
	}
	grants := 0
	for _, o := range ops {
		if o.Result == chaos.Granted {
			grants++
		}
	}
	if grants == 0 {
		t.Errorf("no acquire was granted: the run proves nothing")
	}
	for _, s := range []bool{false, true} {
		start := time.Now()
		v := chaos.Check(ops, s, 90*time.Second)
		name := map[bool]string{false: "safety", true: "strict"}[s]
		t.Logf("linearizability (%s model): %v in %v", name, v.Result, time.Since(start).Round(time.Millisecond))
		if v.Result == porcupine.Ok {
			continue
		}
		for _, e := range v.Explain(3) {
			t.Log(e)
		}
		if s && !strict {
			t.Logf("the strict model is informational here: it flags refusals while the model has a free seat")
			continue
		}
		path := filepath.Join(os.TempDir(), fmt.Sprintf("chaos-%s-%s.html", filepath.Base(t.Name()), name))
		if f, err := os.Create(path); err == nil {
			_ = v.Visualize(f)
			f.Close()
		}
		t.Errorf("linearizability (%s model): %v; see %s", name, v.Result, path)
	}
}
