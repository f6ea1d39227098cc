package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/coditect/coditect-license/client"
)

// run holds a seat while a command runs.
func (c *cli) run(args []string) int {
	o := c.flags("run", "[--wait DURATION] [--kill-after DURATION] -- CMD [ARGS...]")
	wait := o.fs.Duration("wait", 0, "wait up to `DURATION` for a free seat instead of exiting 75 at once")
	killAfter := o.fs.Duration("kill-after", 10*time.Second, "when the lease is lost, SIGKILL CMD `DURATION` after SIGTERM")
	if code, ok := o.parse(args); !ok {
		return code
	}
	if o.fs.NArg() == 0 {
		return c.usageError(o, "run needs a command: coditect-license run -- CMD [ARGS...]")
	}
	cfg, err := c.config(o, true)
	if err != nil {
		return c.usageError(o, "%v", err)
	}
	if cfg.LicenseKey == "" {
		return c.usageError(o, "no license key: set CODITECT_LICENSE_KEY or --key")
	}
	// A session lost to a long outage or a server restart is taken again.
	cfg.Reacquire = true
	cl, err := client.New(cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "coditect-license: %v\n", err)
		return exitError
	}
	lease, code := c.acquireWaiting(cl, *wait, o.timeout)
	if lease == nil {
		return code
	}
	if lease.Offline() {
		fmt.Fprintf(c.stderr, "coditect-license: the license server cannot be reached; running on the offline license until %s\n",
			lease.ExpiresAt().Format(time.RFC3339))
	}
	return c.supervise(lease, o.fs.Args(), *killAfter)
}

// acquireWaiting acquires a lease, retrying while every seat is taken for
// up to wait, at the pace of the server's Retry-After.
func (c *cli) acquireWaiting(cl *client.Client, wait, timeout time.Duration) (*client.Lease, int) {
	sleep := c.sleep
	if sleep == nil {
		sleep = realSleep
	}
	deadline := time.Now().Add(wait)
	announced := false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		lease, err := cl.Acquire(ctx)
		cancel()
		if err == nil {
			return lease, exitOK
		}
		remaining := time.Until(deadline)
		if exitCode(err) != exitNoSeat || remaining <= 0 {
			if wait > 0 && exitCode(err) == exitNoSeat {
				fmt.Fprintf(c.stderr, "coditect-license: no seat freed within --wait %s\n", wait)
			}
			return nil, c.fail(err)
		}
		pause := time.Second
		var ce *client.Error
		if errors.As(err, &ce) && ce.RetryAfter > 0 {
			pause = ce.RetryAfter
		}
		pause = min(pause, remaining)
		if !announced {
			fmt.Fprintf(c.stderr, "coditect-license: %v; waiting up to %s for a free seat\n", err, wait)
			announced = true
		}
		if err := sleep(context.Background(), pause); err != nil {
			return nil, exitError
		}
	}
}

func realSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// supervise runs argv while the lease is held: it forwards SIGINT and
// SIGTERM, stops the command when the lease is lost, and releases the seat
// when the command exits.
func (c *cli) supervise(lease *client.Lease, argv []string, killAfter time.Duration) int {
	release := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := lease.Release(ctx); err != nil {
			fmt.Fprintf(c.stderr, "coditect-license: %v (the seat frees when its lease expires)\n", err)
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.stdin, c.stdout, c.stderr
	sigs := make(chan os.Signal, 4)
	c.notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer c.stopNotify(sigs)
	if err := cmd.Start(); err != nil {
		release()
		fmt.Fprintf(c.stderr, "coditect-license: %v\n", err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return exitNotFound
		}
		return exitCannotRun
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	lost := lease.Lost()
	var lostErr error
	var kill <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-lost:
			lost = nil
			lostErr = err
			fmt.Fprintf(c.stderr, "coditect-license: %v; stopping %s\n", err, argv[0])
			if cmd.Process.Signal(syscall.SIGTERM) != nil {
				_ = cmd.Process.Kill()
			}
			kill = time.After(killAfter)
		case <-kill:
			_ = cmd.Process.Kill()
		case err := <-done:
			release()
			if lostErr != nil {
				return exitLost
			}
			return commandExit(err)
		}
	}
}

// commandExit returns the exit code a shell would report for a command
// that ended with err: its status, or 128+N when signal N killed it.
func commandExit(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return exitError
}
