// Command coditect-bench is the load tool of the license server: it sets up
// its own licenses through the admin API, drives the client API from many
// concurrent workers and reports throughput, latency per operation, errors
// and seats in use over time.
//
// Modes:
//
//	cycle      C workers doing acquire -> heartbeat x k -> release, closed loop
//	heartbeat  C workers heartbeating pre-acquired sessions, closed loop
//	lifecycle  C simulated clients: acquire, heartbeat at the license's
//	           interval divided by --compress, then release or vanish
//	hello      no server: C workers against a bare net/http "hello" handler
//	           in this process, to compare this machine with others
//
// The server's default rate limits (per license key, per client IP, per
// session) cap one loopback client far below the server's capacity, so
// benchmarks start the server with --rate-limits=false (see bench.mk and
// docs/benchmarks.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "coditect-bench:", err)
		os.Exit(1)
	}
}

// config is every setting of one run.
type config struct {
	URL           string
	AdminEmail    string
	AdminPassword string
	Mode          string
	Concurrency   int
	Duration      time.Duration
	MaxOps        int64
	K             int
	Licenses      int
	Seats         int
	Sessions      int
	LeaseTTL      int
	Compress      float64
	VanishProb    float64
	HoldMean      time.Duration
	Sample        time.Duration
	Timeout       time.Duration
	JSON          bool
	Seed          int64
	CPUProfile    string
}

func parseConfig(args []string, getenv func(string) string, errOut io.Writer) (config, error) {
	c := config{}
	fs := flag.NewFlagSet("coditect-bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "base URL of the server")
	fs.StringVar(&c.AdminEmail, "admin-email", getenv("CODITECT_ADMIN_EMAIL"), "admin account that creates the licenses (env CODITECT_ADMIN_EMAIL)")
	fs.StringVar(&c.AdminPassword, "admin-password", getenv("CODITECT_ADMIN_PASSWORD"), "its password (env CODITECT_ADMIN_PASSWORD)")
	fs.StringVar(&c.Mode, "mode", "cycle", "cycle, heartbeat, lifecycle, or hello (calibrate the machine: no server needed)")
	fs.IntVar(&c.Concurrency, "c", 8, "concurrent workers (simulated clients in lifecycle mode)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to run")
	fs.Int64Var(&c.MaxOps, "max-ops", 0, "stop after this many operations (0: no limit)")
	fs.IntVar(&c.K, "k", 1, "heartbeats per cycle (cycle mode)")
	fs.IntVar(&c.Licenses, "licenses", 1, "licenses to spread the workers over")
	fs.IntVar(&c.Seats, "seats", 0, "seats per license (0: enough for every worker, never exhausted)")
	fs.IntVar(&c.Sessions, "sessions", 0, "sessions held in heartbeat mode (0: 4 per worker)")
	fs.IntVar(&c.LeaseTTL, "lease-ttl", 0, "lease_ttl_seconds of the licenses (0: server default)")
	fs.Float64Var(&c.Compress, "compress", 60, "lifecycle: divide the heartbeat interval and hold times by this factor")
	fs.Float64Var(&c.VanishProb, "vanish", 0.1, "lifecycle: probability that a client vanishes instead of releasing")
	fs.DurationVar(&c.HoldMean, "hold", 30*time.Minute, "lifecycle: mean session length before compression (exponential)")
	fs.DurationVar(&c.Sample, "sample", 250*time.Millisecond, "how often to sample seats in use")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.Int64Var(&c.Seed, "seed", 1, "random seed for lifecycle mode")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the tool's own CPU profile to this file (how much of the machine the tool takes)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case c.Mode != "cycle" && c.Mode != "heartbeat" && c.Mode != "lifecycle" && c.Mode != "hello":
		return c, fmt.Errorf("--mode %q: want cycle, heartbeat, lifecycle or hello", c.Mode)
	case c.Mode == "hello" && c.Duration <= 0:
		return c, errors.New("--mode hello needs --duration")
	case c.Mode == "hello":
		return c, nil
	case c.Concurrency < 1 || c.Licenses < 1 || c.K < 0 || c.Seats < 0 || c.Sessions < 0:
		return c, errors.New("-c and --licenses must be at least 1; -k, --seats and --sessions not negative")
	case c.Duration <= 0 && c.MaxOps <= 0:
		return c, errors.New("set --duration or --max-ops: a run must be bounded")
	case c.AdminEmail == "" || c.AdminPassword == "":
		return c, errors.New("set --admin-email and --admin-password (or CODITECT_ADMIN_EMAIL and CODITECT_ADMIN_PASSWORD)")
	case c.Compress <= 0 || c.VanishProb < 0 || c.VanishProb > 1:
		return c, errors.New("--compress must be positive and --vanish between 0 and 1")
	}
	if c.Sessions == 0 {
		c.Sessions = 4 * c.Concurrency
	}
	if c.Seats == 0 {
		// Each worker holds at most one seat (heartbeat mode: its share of
		// the sessions), so this many seats are never exhausted.
		perLicense := (c.Concurrency + c.Licenses - 1) / c.Licenses
		if c.Mode == "heartbeat" {
			perLicense = (c.Sessions + c.Licenses - 1) / c.Licenses
		}
		c.Seats = perLicense
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, out, errOut io.Writer) error {
	cfg, err := parseConfig(args, getenv, errOut)
	if err != nil {
		return err
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.Mode == "hello" {
		return hello(ctx, cfg.Concurrency, cfg.Duration, out)
	}
	rep, err := newRunner(cfg).Run(ctx)
	if err != nil {
		return err
	}
	if cfg.JSON {
		return rep.WriteJSON(out)
	}
	rep.WriteTable(out)
	return nil
}
