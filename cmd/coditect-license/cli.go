package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/coditect/coditect-license/client"
)

// Exit codes. They are part of the CLI's contract: scripts branch on them.
const (
	exitOK          = 0   // success; `run`: CMD's own status
	exitError       = 1   // any other error
	exitUsage       = 2   // bad flags or arguments
	exitInvalid     = 65  // verify: the token does not verify (EX_DATAERR)
	exitUnavailable = 69  // the server cannot be reached and no offline license applies (EX_UNAVAILABLE)
	exitNoSeat      = 75  // every seat is in use, also after --wait; or rate limited (EX_TEMPFAIL)
	exitLost        = 76  // the lease or session was lost; `run` stopped CMD
	exitRefused     = 77  // the license key is invalid, or the license expired or suspended (EX_NOPERM)
	exitCannotRun   = 126 // run: CMD cannot be executed
	exitNotFound    = 127 // run: CMD not found
)

const usageText = `coditect-license: the client of the CODITECT License Platform.

Usage:
  coditect-license COMMAND [flags] [args]

Commands:
  acquire       take a seat; print the session as shell exports (or --json)
  heartbeat     extend a session's lease (--session, --token)
  release       give a session's seat back (--session, --token)
  status        show the license, its seats and how many are in use
  fingerprint   print this machine's fingerprint for --product
  verify TOKEN  verify a license token offline (--jwks FILE or --server URL; TOKEN - reads stdin)
  run [--wait DURATION] -- CMD [ARGS...]
                hold a seat while CMD runs; forward SIGINT and SIGTERM to it;
                release the seat when it exits and exit with its status
  help          show this help; "COMMAND -h" shows a command's flags

Configuration (flags win over the environment):
  --server URL        CODITECT_SERVER         the license server
  --key KEY           CODITECT_LICENSE_KEY    the license key (prefer the variable:
                                              flags show in the process list)
  --product NAME      CODITECT_PRODUCT        keys the fingerprint (default "coditect")
  --fingerprint FPR   CODITECT_FINGERPRINT    use FPR instead of this machine's
  --cache-dir DIR     CODITECT_CACHE_DIR      offline cache (default: the user cache dir;
                                              --cache-dir= disables offline use)
  --jwks FILE         CODITECT_JWKS           pinned public keys (a JWKS file)
  --session ID        CODITECT_SESSION_ID     heartbeat, release
  --token TOKEN       CODITECT_SESSION_TOKEN  heartbeat, release

Session flow in a shell:
  eval "$(coditect-license acquire)"   # exports CODITECT_SESSION_ID and _TOKEN
  coditect-license heartbeat           # every CODITECT_HEARTBEAT_INTERVAL seconds
  coditect-license release

Exit codes:
    0  success (run: the exit status of CMD)
    1  any other error
    2  usage error
   65  verify: the token does not verify, has expired or is for another machine
   69  the server cannot be reached and no offline license applies
   75  no free seat (every seat is in use, also after --wait), or rate limited
   76  the lease was lost (heartbeat: the session ended; run: CMD was stopped)
   77  the license key is invalid, or the license has expired or is suspended
  126  run: CMD cannot be executed
  127  run: CMD was not found
  128+N  run: CMD was killed by signal N
`

// cli is one invocation of the command; its fields are the process's
// environment, replaced in tests.
type cli struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	getenv     func(string) string
	notify     func(c chan<- os.Signal, sig ...os.Signal)
	stopNotify func(c chan<- os.Signal)
	// sleep waits between attempts of run --wait; nil means a real timer.
	sleep func(ctx context.Context, d time.Duration) error
}

func (c *cli) main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "acquire":
		return c.acquire(rest)
	case "heartbeat":
		return c.heartbeat(rest)
	case "release":
		return c.release(rest)
	case "status":
		return c.status(rest)
	case "fingerprint":
		return c.fingerprint(rest)
	case "verify":
		return c.verify(rest)
	case "run":
		return c.run(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usageText)
		return exitOK
	case "version", "--version":
		fmt.Fprintf(c.stdout, "coditect-license %s\n", client.Version)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "coditect-license: unknown command %q\n\n%s", cmd, usageText)
	return exitUsage
}

// options are the flags every command shares.
type options struct {
	fs          *flag.FlagSet
	server      string
	key         string
	product     string
	fingerprint string
	instanceID  string
	cacheDir    string
	jwks        string
	timeout     time.Duration
	json        bool
	verbose     bool
}

// flags returns a command's flag set with the shared flags, defaulted from
// the environment.
func (c *cli) flags(name, usage string) *options {
	o := &options{fs: flag.NewFlagSet("coditect-license "+name, flag.ContinueOnError)}
	fs := o.fs
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: coditect-license %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, "\nRun \"coditect-license help\" for the environment variables and exit codes.\n")
	}
	fs.StringVar(&o.server, "server", c.getenv("CODITECT_SERVER"), "license server base `URL` (CODITECT_SERVER)")
	fs.StringVar(&o.key, "key", c.getenv("CODITECT_LICENSE_KEY"), "license `KEY` (CODITECT_LICENSE_KEY; prefer the variable)")
	fs.StringVar(&o.product, "product", or(c.getenv("CODITECT_PRODUCT"), "coditect"), "product `NAME` that keys the fingerprint (CODITECT_PRODUCT)")
	fs.StringVar(&o.fingerprint, "fingerprint", c.getenv("CODITECT_FINGERPRINT"), "use `FPR` instead of this machine's fingerprint (CODITECT_FINGERPRINT)")
	fs.StringVar(&o.instanceID, "instance-id", c.getenv("CODITECT_INSTANCE_ID"), "instance `ID`: the same ID on this machine gets the same session (CODITECT_INSTANCE_ID)")
	fs.StringVar(&o.cacheDir, "cache-dir", c.getenv("CODITECT_CACHE_DIR"), "offline cache `DIR` (CODITECT_CACHE_DIR; default: the user cache dir; empty disables)")
	fs.StringVar(&o.jwks, "jwks", c.getenv("CODITECT_JWKS"), "pinned public keys: a JWKS `FILE` (CODITECT_JWKS)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up on the server after `DURATION`")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	fs.BoolVar(&o.verbose, "v", false, "log the SDK's debug messages to stderr")
	return o
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// parse parses args; it returns an exit code when the command should stop.
func (o *options) parse(args []string) (int, bool) {
	if err := o.fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return exitOK, false
	} else if err != nil {
		return exitUsage, false
	}
	return 0, true
}

func (c *cli) usageError(o *options, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "coditect-license: "+format+"\n", args...)
	o.fs.Usage()
	return exitUsage
}

// config builds the SDK configuration. needFingerprint is false for the
// commands that never send a fingerprint nor take an offline lease
// (heartbeat, release, status, verify): they get no cache either.
func (c *cli) config(o *options, needFingerprint bool) (client.Config, error) {
	cfg := client.Config{
		BaseURL: o.server, LicenseKey: o.key, Product: o.product, Fingerprint: o.fingerprint,
		InstanceID: o.instanceID, ClientName: "coditect-license", ClientVersion: client.Version,
		User: or(c.getenv("USER"), c.getenv("USERNAME")),
	}
	cfg.Hostname, _ = os.Hostname()
	if !needFingerprint {
		// These commands send no fingerprint and take no offline lease:
		// spare reading the machine ID, and write no cache.
		if cfg.Fingerprint == "" {
			cfg.Fingerprint = "unused"
		}
		o.cacheDir = ""
	}
	if o.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cacheSet := !needFingerprint
	o.fs.Visit(func(f *flag.Flag) { cacheSet = cacheSet || f.Name == "cache-dir" })
	cfg.CacheDir = o.cacheDir
	if cfg.CacheDir == "" && !cacheSet && c.getenv("CODITECT_CACHE_DIR") == "" {
		if dir, err := client.DefaultCacheDir(o.product); err == nil {
			cfg.CacheDir = dir
		}
	}
	if o.jwks != "" {
		b, err := os.ReadFile(o.jwks)
		if err != nil {
			return cfg, fmt.Errorf("read --jwks: %w", err)
		}
		cfg.JWKS = b
	}
	if cfg.BaseURL == "" {
		return cfg, errors.New("no server: set --server or CODITECT_SERVER")
	}
	return cfg, nil
}

// newClient builds the SDK client, reporting errors; ok is false on failure.
func (c *cli) newClient(o *options, needKey, needFingerprint bool) (*client.Client, int, bool) {
	cfg, err := c.config(o, needFingerprint)
	if err != nil {
		return nil, c.usageError(o, "%v", err), false
	}
	if needKey && cfg.LicenseKey == "" {
		return nil, c.usageError(o, "no license key: set CODITECT_LICENSE_KEY or --key"), false
	}
	cl, err := client.New(cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "coditect-license: %v\n", err)
		return nil, exitError, false
	}
	return cl, 0, true
}

// fail reports err on stderr and returns its exit code.
func (c *cli) fail(err error) int {
	code := exitCode(err)
	msg := err.Error()
	var ce *client.Error
	if code == exitNoSeat && errors.As(err, &ce) {
		msg = "no free seat: " + strings.TrimSuffix(or(ce.Detail, msg), ".") + " (try again later, or use run --wait)"
	}
	fmt.Fprintf(c.stderr, "coditect-license: %s\n", msg)
	return code
}

// exitCode maps an SDK error to the CLI's exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, client.ErrSeatsExhausted), errors.Is(err, client.ErrRateLimited):
		return exitNoSeat
	case errors.Is(err, client.ErrInvalidKey), errors.Is(err, client.ErrLicenseExpired), errors.Is(err, client.ErrLicenseSuspended):
		return exitRefused
	case errors.Is(err, client.ErrLeaseLost):
		return exitLost
	case errors.Is(err, client.ErrUnreachable), errors.Is(err, client.ErrOfflineUnavailable):
		return exitUnavailable
	}
	return exitError
}

func (c *cli) context(o *options) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), o.timeout)
}

func (c *cli) printJSON(v any) {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (c *cli) acquire(args []string) int {
	o := c.flags("acquire", "[flags]")
	if code, ok := o.parse(args); !ok {
		return code
	}
	cl, code, ok := c.newClient(o, true, true)
	if !ok {
		return code
	}
	ctx, cancel := c.context(o)
	defer cancel()
	s, err := cl.AcquireSession(ctx)
	if err != nil {
		return c.fail(err)
	}
	if o.json {
		c.printJSON(map[string]any{
			"session_id": s.ID, "session_token": s.Token, "license_id": s.LicenseID, "instance_id": s.InstanceID,
			"expires_at": s.ExpiresAt, "lease_ttl_seconds": int(s.LeaseTTL.Seconds()),
			"heartbeat_interval_seconds": int(s.HeartbeatInterval.Seconds()), "license_token": s.LicenseToken,
		})
		return exitOK
	}
	fmt.Fprintf(c.stdout, "export CODITECT_SESSION_ID=%s\nexport CODITECT_SESSION_TOKEN=%s\nexport CODITECT_SESSION_EXPIRES_AT=%s\nexport CODITECT_HEARTBEAT_INTERVAL=%d\n",
		shellQuote(s.ID), shellQuote(s.Token), s.ExpiresAt.UTC().Format(time.RFC3339), int(s.HeartbeatInterval.Seconds()))
	return exitOK
}

// shellQuote quotes s for a POSIX shell unless it is plainly safe.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/+=", r)) {
			safe = false
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sessionFlags adds --session and --token.
func (c *cli) sessionFlags(o *options) (*string, *string) {
	id := o.fs.String("session", c.getenv("CODITECT_SESSION_ID"), "session `ID` (CODITECT_SESSION_ID)")
	token := o.fs.String("token", c.getenv("CODITECT_SESSION_TOKEN"), "session `TOKEN` (CODITECT_SESSION_TOKEN)")
	return id, token
}

func (c *cli) heartbeat(args []string) int {
	o := c.flags("heartbeat", "[--session ID --token TOKEN]")
	id, token := c.sessionFlags(o)
	if code, ok := o.parse(args); !ok {
		return code
	}
	if *id == "" || *token == "" {
		return c.usageError(o, "no session: set --session and --token, or CODITECT_SESSION_ID and CODITECT_SESSION_TOKEN")
	}
	cl, code, ok := c.newClient(o, false, false)
	if !ok {
		return code
	}
	ctx, cancel := c.context(o)
	defer cancel()
	b, err := cl.Heartbeat(ctx, *id, *token)
	if err != nil {
		return c.fail(err)
	}
	if o.json {
		c.printJSON(map[string]any{"session_id": b.SessionID, "expires_at": b.ExpiresAt, "heartbeat_interval_seconds": int(b.HeartbeatInterval.Seconds())})
		return exitOK
	}
	fmt.Fprintf(c.stdout, "session %s extended until %s; next heartbeat in %s\n", b.SessionID, b.ExpiresAt.UTC().Format(time.RFC3339), b.HeartbeatInterval)
	return exitOK
}

func (c *cli) release(args []string) int {
	o := c.flags("release", "[--session ID --token TOKEN]")
	id, token := c.sessionFlags(o)
	if code, ok := o.parse(args); !ok {
		return code
	}
	if *id == "" || *token == "" {
		return c.usageError(o, "no session: set --session and --token, or CODITECT_SESSION_ID and CODITECT_SESSION_TOKEN")
	}
	cl, code, ok := c.newClient(o, false, false)
	if !ok {
		return code
	}
	ctx, cancel := c.context(o)
	defer cancel()
	if err := cl.Release(ctx, *id, *token); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "session %s released\n", *id)
	return exitOK
}

func (c *cli) status(args []string) int {
	o := c.flags("status", "[flags]")
	if code, ok := o.parse(args); !ok {
		return code
	}
	cl, code, ok := c.newClient(o, true, false)
	if !ok {
		return code
	}
	ctx, cancel := c.context(o)
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		return c.fail(err)
	}
	if o.json {
		c.printJSON(map[string]any{
			"license_id": st.LicenseID, "name": st.Name, "status": st.Status, "seats": st.Seats, "seats_in_use": st.SeatsInUse,
			"expires_at": st.ExpiresAt, "features": st.Features, "lease_ttl_seconds": int(st.LeaseTTL.Seconds()),
			"heartbeat_interval_seconds": int(st.HeartbeatInterval.Seconds()),
		})
		return exitOK
	}
	expires := "never"
	if st.ExpiresAt != nil {
		expires = st.ExpiresAt.UTC().Format(time.RFC3339)
	}
	features := strings.Join(st.Features, ", ")
	if features == "" {
		features = "none"
	}
	fmt.Fprintf(c.stdout, "license   %s (%s)\nstatus    %s\nseats     %d of %d in use\nexpires   %s\nfeatures  %s\nlease     %s, heartbeat every %s\n",
		st.Name, st.LicenseID, st.Status, st.SeatsInUse, st.Seats, expires, features, st.LeaseTTL, st.HeartbeatInterval)
	return exitOK
}

func (c *cli) fingerprint(args []string) int {
	o := c.flags("fingerprint", "[--product NAME]")
	if code, ok := o.parse(args); !ok {
		return code
	}
	fpr := o.fingerprint
	if fpr == "" {
		var err error
		if fpr, err = client.Fingerprint(o.product); err != nil {
			fmt.Fprintf(c.stderr, "coditect-license: %v\n", err)
			return exitError
		}
	}
	fmt.Fprintln(c.stdout, fpr)
	return exitOK
}

func (c *cli) verify(args []string) int {
	o := c.flags("verify", "(--jwks FILE | --server URL) [--this-machine] TOKEN")
	thisMachine := o.fs.Bool("this-machine", false, "also require the token to be bound to this machine (--product or --fingerprint)")
	if code, ok := o.parse(args); !ok {
		return code
	}
	if o.fs.NArg() != 1 {
		return c.usageError(o, "verify takes one TOKEN (or - to read it from stdin)")
	}
	token := o.fs.Arg(0)
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(c.stdin, 64<<10))
		if err != nil {
			fmt.Fprintf(c.stderr, "coditect-license: read stdin: %v\n", err)
			return exitError
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)
	keys, code, ok := c.verifyKeys(o)
	if !ok {
		return code
	}
	claims, err := client.VerifyLicenseToken(token, keys, time.Now())
	if err == nil && *thisMachine {
		fpr := o.fingerprint
		if fpr == "" {
			if fpr, err = client.Fingerprint(o.product); err != nil {
				fmt.Fprintf(c.stderr, "coditect-license: %v\n", err)
				return exitError
			}
		}
		if claims.Fingerprint != fpr {
			err = client.ErrWrongMachine
		}
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "coditect-license: %v\n", err)
		return exitInvalid
	}
	if o.json {
		c.printJSON(map[string]any{
			"kid": claims.KeyID, "iss": claims.Issuer, "sub": claims.LicenseID, "tid": claims.TenantID, "sid": claims.SessionID,
			"fpr": claims.Fingerprint, "seats": claims.Seats, "features": claims.Features,
			"iat": claims.IssuedAt, "nbf": claims.NotBefore, "exp": claims.ExpiresAt,
		})
		return exitOK
	}
	fmt.Fprintf(c.stdout, "valid license token\nlicense      %s (tenant %s)\nseats        %d\nfeatures     %s\nfingerprint  %s\nsession      %s\nissuer       %s\nkey          %s\nissued       %s\nvalid until  %s\n",
		claims.LicenseID, claims.TenantID, claims.Seats, strings.Join(claims.Features, ", "), claims.Fingerprint, claims.SessionID,
		claims.Issuer, claims.KeyID, claims.IssuedAt.Format(time.RFC3339), claims.ExpiresAt.Format(time.RFC3339))
	return exitOK
}

// verifyKeys reads the keys from --jwks, else fetches them from --server.
func (c *cli) verifyKeys(o *options) (map[string]ed25519.PublicKey, int, bool) {
	if o.jwks != "" {
		b, err := os.ReadFile(o.jwks)
		if err != nil {
			fmt.Fprintf(c.stderr, "coditect-license: read --jwks: %v\n", err)
			return nil, exitError, false
		}
		keys, err := client.ParseJWKS(b)
		if err != nil {
			fmt.Fprintf(c.stderr, "coditect-license: %s: %v\n", o.jwks, err)
			return nil, exitError, false
		}
		return keys, 0, true
	}
	if o.server == "" {
		return nil, c.usageError(o, "verify needs the public keys: --jwks FILE (offline) or --server URL"), false
	}
	cl, code, ok := c.newClient(o, false, false)
	if !ok {
		return nil, code, false
	}
	ctx, cancel := c.context(o)
	defer cancel()
	keys, err := cl.FetchJWKS(ctx)
	if err != nil {
		return nil, c.fail(err), false
	}
	return keys, 0, true
}
