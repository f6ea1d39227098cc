// Command coditect-license is the client CLI of the CODITECT License
// Platform, built on the Go SDK (package client): acquire, heartbeat and
// release seats, show a license's status, print this machine's fingerprint,
// verify license tokens offline, and run a command while holding a seat.
//
// Run `coditect-license help` for the commands, flags and exit codes.
package main

import (
	"io"
	"os"
	"os/signal"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is the whole CLI with the process's stdin and signals.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{
		stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: getenv,
		notify: signal.Notify, stopNotify: signal.Stop,
	}
	return c.main(args)
}
