// Command coditect-license-server is the CODITECT License Platform server:
// client API, admin API and background jobs in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "keys" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := runKeys(ctx, os.Args[2:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	cfg, err := ParseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "coditect-license-server:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := &Main{Config: cfg, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Open(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "coditect-license-server:", err)
		_ = m.Close()
		os.Exit(1)
	}
	runErr := m.Run(ctx)
	if err := m.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "coditect-license-server:", runErr)
		os.Exit(1)
	}
}
