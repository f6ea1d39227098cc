package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The operations the tool times.
const (
	opAcquire = iota
	opHeartbeat
	opRelease
	numOps
)

var opNames = [numOps]string{"acquire", "heartbeat", "release"}

// errKey groups errors by operation, HTTP status and problem code.
type errKey struct {
	Op     string
	Status int
	Code   string
}

// recorder holds one worker's measurements, so workers never contend.
type recorder struct {
	lat    [numOps][]time.Duration
	errs   map[errKey]int
	cycles int
}

// runner is one load run.
type runner struct {
	cfg      config
	api      *api
	licenses []license
	stop     chan struct{}
	stopOnce sync.Once
	ops      atomic.Int64
}

func newRunner(cfg config) *runner {
	return &runner{cfg: cfg, api: newAPI(cfg.URL, cfg.Concurrency, cfg.Timeout), stop: make(chan struct{})}
}

func (r *runner) halt() { r.stopOnce.Do(func() { close(r.stop) }) }

func (r *runner) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// take claims one operation of the --max-ops budget.
func (r *runner) take() bool {
	if r.stopped() {
		return false
	}
	if r.cfg.MaxOps > 0 && r.ops.Add(1) > r.cfg.MaxOps {
		r.halt()
		return false
	}
	return true
}

// sleep waits d or until the run stops; it reports whether the run goes on.
func (r *runner) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.stop:
		return false
	}
}

// timed runs one operation, records its latency (successes only) or its
// error, and returns the error.
func (rec *recorder) timed(op int, f func() error) error {
	start := time.Now()
	err := f()
	if err == nil {
		rec.lat[op] = append(rec.lat[op], time.Since(start))
		return nil
	}
	k := errKey{Op: opNames[op], Code: "other"}
	var ae *apiError
	if errors.As(err, &ae) {
		k.Status, k.Code = ae.Status, ae.Code
	}
	rec.errs[k]++
	return err
}

// Run sets up the licenses, runs the mode and returns the report.
func (r *runner) Run(ctx context.Context) (*report, error) {
	cfg := r.cfg
	token, err := r.api.login(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return nil, err
	}
	stamp := time.Now().UTC().Format("20060102T150405")
	for i := range cfg.Licenses {
		l, err := r.api.createLicense(ctx, token, fmt.Sprintf("coditect-bench %s %s #%d", cfg.Mode, stamp, i+1), cfg.Seats, cfg.LeaseTTL)
		if err != nil {
			return nil, err
		}
		r.licenses = append(r.licenses, l)
	}

	var held []session
	if cfg.Mode == "heartbeat" {
		if held, err = r.preAcquire(ctx); err != nil {
			return nil, err
		}
	}

	samples := make(chan []sample, 1)
	samplerDone := make(chan struct{})
	go func() { samples <- r.sampleSeats(ctx, samplerDone) }()

	recs := make([]*recorder, cfg.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	if cfg.Duration > 0 {
		timer := time.AfterFunc(cfg.Duration, r.halt)
		defer timer.Stop()
	}
	go func() {
		select {
		case <-ctx.Done():
			r.halt()
		case <-r.stop:
		}
	}()
	for w := range cfg.Concurrency {
		rec := &recorder{errs: map[errKey]int{}}
		recs[w] = rec
		wg.Go(func() {
			switch cfg.Mode {
			case "cycle":
				r.cycleWorker(ctx, w, rec)
			case "heartbeat":
				r.heartbeatWorker(ctx, w, rec, held)
			case "lifecycle":
				r.lifecycleWorker(ctx, w, rec)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.halt()
	close(samplerDone)
	series := <-samples

	// Give back what the run still holds; not measured.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	r.releaseAll(cleanup, held)
	return newReport(cfg, r.licenses, elapsed, recs, series), nil
}

// licenseOf spreads workers (or sessions) over the licenses.
func (r *runner) licenseOf(i int) license { return r.licenses[i%len(r.licenses)] }

// cycleWorker runs acquire -> heartbeat x k -> release as fast as it can.
// Requests carry ctx, not the run's deadline: a run that reaches its
// duration lets in-flight requests finish, and only Ctrl-C cancels them.
func (r *runner) cycleWorker(ctx context.Context, w int, rec *recorder) {
	lic := r.licenseOf(w)
	fp := fmt.Sprintf("bench-cycle-%d", w)
	for n := 0; ; n++ {
		if !r.take() {
			return
		}
		var s session
		if err := rec.timed(opAcquire, func() (err error) {
			s, err = r.api.acquire(ctx, lic.Key, fp, fmt.Sprint(n))
			return err
		}); err != nil {
			if !r.backoff(err) {
				return
			}
			continue
		}
		for range r.cfg.K {
			if !r.take() {
				break
			}
			if err := rec.timed(opHeartbeat, func() error { return r.api.heartbeat(ctx, s) }); err != nil {
				break
			}
		}
		if !r.take() {
			// Out of budget mid-cycle: give the seat back, unmeasured.
			_ = r.api.release(context.WithoutCancel(ctx), s)
			return
		}
		if rec.timed(opRelease, func() error { return r.api.release(ctx, s) }) == nil {
			rec.cycles++
		}
	}
}

// backoff waits a little after a refused or failed request so a failing
// server is not spun on; it reports whether the run goes on.
func (r *runner) backoff(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusTooManyRequests || ae.Status >= 500 || ae.Code == "transport") {
		return r.sleep(50 * time.Millisecond)
	}
	return !r.stopped()
}

// preAcquire takes the sessions that heartbeat mode keeps alive, c at a time.
func (r *runner) preAcquire(ctx context.Context) ([]session, error) {
	held := make([]session, r.cfg.Sessions)
	errs := make(chan error, r.cfg.Concurrency)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(held) {
					return
				}
				s, err := r.api.acquire(ctx, r.licenseOf(i).Key, fmt.Sprintf("bench-hb-%d", i), "main")
				if err != nil {
					errs <- fmt.Errorf("acquire session %d: %w", i, err)
					return
				}
				held[i] = s
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		r.releaseAll(ctx, held)
		return nil, err
	}
	return held, nil
}

func (r *runner) heartbeatWorker(ctx context.Context, w int, rec *recorder, held []session) {
	var mine []session
	for i := w; i < len(held); i += r.cfg.Concurrency {
		mine = append(mine, held[i])
	}
	if len(mine) == 0 {
		return
	}
	for n := 0; r.take(); n++ {
		s := mine[n%len(mine)]
		if err := rec.timed(opHeartbeat, func() error { return r.api.heartbeat(ctx, s) }); err != nil && !r.backoff(err) {
			return
		}
	}
}

// lifecycleWorker simulates one client after another on one worker: each
// acquires (waiting while seats are exhausted), heartbeats at the license's
// interval divided by --compress for an exponentially distributed time,
// then releases, or vanishes with probability --vanish and leaves its lease
// to expire.
func (r *runner) lifecycleWorker(ctx context.Context, w int, rec *recorder) {
	rng := rand.New(rand.NewPCG(uint64(r.cfg.Seed), uint64(w)))
	lic := r.licenseOf(w)
	interval := max(time.Millisecond, time.Duration(float64(lic.HeartbeatIntervalSeconds)*float64(time.Second)/r.cfg.Compress))
	for n := 0; ; n++ {
		fp := fmt.Sprintf("bench-life-%d-%d", w, n)
		var s session
		for {
			if !r.take() {
				return
			}
			err := rec.timed(opAcquire, func() (err error) {
				s, err = r.api.acquire(ctx, lic.Key, fp, "main")
				return err
			})
			if err == nil {
				break
			}
			// Wait as a real client would: Retry-After (compressed like every
			// other interval) when seats are exhausted, with jitter.
			wait := interval / 4
			var ae *apiError
			if errors.As(err, &ae) && ae.RetryAfter > 0 {
				wait = max(wait, time.Duration(float64(ae.RetryAfter)/r.cfg.Compress))
			}
			if !r.sleep(wait + time.Duration(rng.Int64N(int64(wait/2)+1))) {
				return
			}
		}
		hold := time.Duration(rng.ExpFloat64() * float64(r.cfg.HoldMean) / r.cfg.Compress)
		end := time.Now().Add(hold)
		lost := false
		for time.Now().Before(end) && !lost {
			if !r.sleep(min(interval, time.Until(end))) {
				_ = r.api.release(context.WithoutCancel(ctx), s)
				return
			}
			if time.Now().After(end) || !r.take() {
				break
			}
			var ae *apiError
			if err := rec.timed(opHeartbeat, func() error { return r.api.heartbeat(ctx, s) }); errors.As(err, &ae) && ae.Status == http.StatusGone {
				lost = true
			}
		}
		if r.stopped() {
			_ = r.api.release(context.WithoutCancel(ctx), s)
			return
		}
		if lost || rng.Float64() < r.cfg.VanishProb {
			rec.cycles++ // a vanished client: its lease expires on its own
			continue
		}
		if !r.take() {
			_ = r.api.release(context.WithoutCancel(ctx), s)
			return
		}
		if rec.timed(opRelease, func() error { return r.api.release(ctx, s) }) == nil {
			rec.cycles++
		}
	}
}

func (r *runner) releaseAll(ctx context.Context, held []session) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.cfg.Concurrency)
	for _, s := range held {
		if s.ID == "" {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_ = r.api.release(ctx, s)
		})
	}
	wg.Wait()
}

// sample is seats in use at one instant, summed over the run's licenses,
// with the fullest license.
type sample struct {
	At      float64 `json:"t_seconds"`
	InUse   int     `json:"in_use"`
	MaxOne  int     `json:"max_license_in_use"`
	Failure string  `json:"error,omitempty"`
}

// sampleSeats polls GET /api/v1/license for every license until done.
func (r *runner) sampleSeats(ctx context.Context, done <-chan struct{}) []sample {
	var out []sample
	start := time.Now()
	tick := time.NewTicker(r.cfg.Sample)
	defer tick.Stop()
	for {
		s := sample{At: time.Since(start).Seconds()}
		for _, l := range r.licenses {
			n, err := r.api.seatsInUse(ctx, l.Key)
			if err != nil {
				s.Failure = err.Error()
				continue
			}
			s.InUse += n
			s.MaxOne = max(s.MaxOne, n)
		}
		out = append(out, s)
		select {
		case <-done:
			return out
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
	}
}
