package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
	"github.com/coditect/coditect-license/httpapi"
	"github.com/coditect/coditect-license/seat"
)

// Config is the server's whole configuration. Every field has a flag and a
// CODITECT_* environment variable (the flag wins).
type Config struct {
	Listen string
	// DebugListen, when set, serves Go's profiler (/debug/pprof/) on its
	// own listener, apart from the API. Off by default.
	DebugListen string
	DataDir     string
	Database    string
	Redis       string
	// RedisAllowEviction starts the server even when Redis may evict keys.
	RedisAllowEviction bool
	RedisPoolSize      int
	RedisTimeout       time.Duration
	RedisPrefix        string
	DatabaseMaxConns   int
	LogLevel           string
	LogFormat          string
	AdminEmail         string
	AdminPassword      string
	Issuer             string
	AccessTokenTTL     time.Duration
	SweepInterval      time.Duration
	ShutdownTimeout    time.Duration
	TrustProxy         bool
	RefreshTokenTTL    time.Duration
	// MasterKey (base64, from CODITECT_MASTER_KEY only: never a flag)
	// seals the signing keys at rest.
	MasterKey       string
	OIDCIssuer      string
	OIDCAudience    string
	OIDCJWKSURL     string
	OIDCTenantClaim string
	OIDCRoleClaim   string
	// WebhookAllowPrivate lets webhook endpoints point at loopback,
	// private and link-local addresses (refused by default).
	WebhookAllowPrivate bool
	// WebhookRetryBase is the first backoff step of a failed webhook
	// delivery; each next step doubles, up to 6 h, for 24 h.
	WebhookRetryBase time.Duration
	// Metrics serves GET /metrics (Prometheus) on the main listener.
	Metrics bool
	// RateLimits false turns every rate limit off.
	RateLimits  bool
	Limits      httpapi.Limits
	CORSOrigins []string

	// UsageMinuteRetention is how long usage history is kept per minute
	// before it is rolled up into hours; UsageRetention how long it is
	// kept at all.
	UsageMinuteRetention time.Duration
	UsageRetention       time.Duration
}

// DefaultConfig returns the embedded default: SQLite and an in-memory ledger
// in ./data, listening on loopback.
func DefaultConfig() Config {
	return Config{
		Listen:           "127.0.0.1:8080",
		DataDir:          "./data",
		LogLevel:         "info",
		LogFormat:        "text",
		Issuer:           "coditect-license-server",
		AccessTokenTTL:   15 * time.Minute,
		SweepInterval:    5 * time.Second,
		ShutdownTimeout:  15 * time.Second,
		RedisTimeout:     time.Second,
		RedisPrefix:      "coditect",
		RateLimits:       true,
		Metrics:          true,
		RefreshTokenTTL:  httpapi.DefaultRefreshTokenTTL,
		WebhookRetryBase: 30 * time.Second,
		OIDCTenantClaim:  auth.DefaultTenantClaim,
		OIDCRoleClaim:    auth.DefaultRoleClaim,
		Limits:           httpapi.DefaultLimits(),

		UsageMinuteRetention: seat.DefaultUsageRetention.Minute, // 14 days
		UsageRetention:       seat.DefaultUsageRetention.Total,  // 400 days
	}
}

// envName is the environment variable matching a flag name.
func envName(flagName string) string {
	return "CODITECT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseConfig reads flags from args and environment variables through
// getenv, then validates the result. Usage goes to out.
func ParseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("coditect-license-server", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to listen on (host:port)")
	fs.StringVar(&c.DebugListen, "debug-listen", c.DebugListen, "serve the Go profiler (/debug/pprof/) on this host:port, apart from the API (unset: off; keep it on loopback)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the SQLite file and the server's keys")
	fs.StringVar(&c.Database, "database", c.Database, "durable store: sqlite:PATH (default sqlite:DATA_DIR/coditect.db) or postgres://URL")
	fs.IntVar(&c.DatabaseMaxConns, "database-max-conns", c.DatabaseMaxConns, "PostgreSQL pool size (0: the driver's default)")
	fs.StringVar(&c.Redis, "redis", c.Redis, "Redis URL for the seat ledger: redis://, rediss://, redis+cluster://h1:p1,h2:p2 (unset: in-memory ledger)")
	fs.BoolVar(&c.RedisAllowEviction, "redis-allow-eviction", c.RedisAllowEviction, "start even if Redis' maxmemory-policy can evict seat state (unsafe)")
	fs.IntVar(&c.RedisPoolSize, "redis-pool-size", c.RedisPoolSize, "Redis connections per node (0: the client's default)")
	fs.DurationVar(&c.RedisTimeout, "redis-timeout", c.RedisTimeout, "Redis dial, read and write timeout")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", c.RedisPrefix, "prefix of every Redis key, so deployments can share one Redis")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.AdminEmail, "admin-email", c.AdminEmail, "email of the first owner, created on an empty store")
	fs.StringVar(&c.AdminPassword, "admin-password", c.AdminPassword, "password of the first owner (prefer the environment variable)")
	fs.StringVar(&c.Issuer, "issuer", c.Issuer, "issuer (iss) of license and access tokens")
	fs.DurationVar(&c.AccessTokenTTL, "access-token-ttl", c.AccessTokenTTL, "lifetime of admin access tokens")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", c.SweepInterval, "how often expired sessions are swept and heartbeats written back")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long a graceful shutdown waits for requests in flight")
	fs.DurationVar(&c.UsageMinuteRetention, "usage-minute-retention", c.UsageMinuteRetention, "how long usage history is kept per minute before it is rolled up into hours")
	fs.DurationVar(&c.UsageRetention, "usage-retention", c.UsageRetention, "how long usage history is kept at all (hours become days after 30 days)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "take client IPs from X-Forwarded-For (only behind a proxy you run)")
	fs.DurationVar(&c.RefreshTokenTTL, "refresh-token-ttl", c.RefreshTokenTTL, "lifetime of an unused refresh token")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate, "allow webhook endpoints on loopback, private and link-local addresses")
	fs.DurationVar(&c.WebhookRetryBase, "webhook-retry-base", c.WebhookRetryBase, "first backoff step of a failed webhook delivery (doubles each retry, for up to 24h)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, "single sign-on: accept access tokens of this OpenID Connect issuer (https URL)")
	fs.StringVar(&c.OIDCAudience, "oidc-audience", c.OIDCAudience, "single sign-on: the audience the issuer's tokens must carry")
	fs.StringVar(&c.OIDCJWKSURL, "oidc-jwks-url", c.OIDCJWKSURL, "single sign-on: the issuer's JWKS URL (default: discovered)")
	fs.StringVar(&c.OIDCTenantClaim, "oidc-tenant-claim", c.OIDCTenantClaim, "single sign-on: the claim holding the tenant ID")
	fs.StringVar(&c.OIDCRoleClaim, "oidc-role-claim", c.OIDCRoleClaim, "single sign-on: the claim holding the role (owner, admin, viewer)")
	fs.BoolVar(&c.Metrics, "metrics", c.Metrics, "serve Prometheus metrics at GET /metrics on the listener, without credentials (false: 404)")
	fs.BoolVar(&c.RateLimits, "rate-limits", c.RateLimits, "enforce rate limits (false turns them all off)")
	fs.Var((*limitFlag)(&c.Limits.LicenseKey), "rate-limit-license", "acquires and status reads per license key: RATE/s:BURST")
	fs.Var((*limitFlag)(&c.Limits.ClientIP), "rate-limit-ip", "client API calls with a license key per client IP: RATE/s:BURST")
	fs.Var((*limitFlag)(&c.Limits.Session), "rate-limit-session", "heartbeats and releases per session: RATE/s:BURST")
	fs.Var((*limitFlag)(&c.Limits.Admin), "rate-limit-admin", "admin API calls per signed-in subject: RATE/s:BURST")
	fs.Var((*limitFlag)(&c.Limits.LoginIP), "rate-limit-login-ip", "token endpoint calls per client IP: RATE/s:BURST")
	fs.Var((*listFlag)(&c.CORSOrigins), "cors-origins", "comma-separated origins of separately hosted dashboards allowed by CORS")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: coditect-license-server [flags]\n\nEvery flag can also be set with its CODITECT_* environment variable,\ne.g. --data-dir as CODITECT_DATA_DIR. Flags win.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && !set[f.Name] && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s: %w", envName(f.Name), err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if c.Database == "" {
		if v := getenv("CODITECT_DATABASE_URL"); v != "" {
			c.Database = v
		}
	}
	c.MasterKey = getenv("CODITECT_MASTER_KEY")
	return c, c.Validate()
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen %q is not host:port: %w", c.Listen, err)
	}
	if c.DebugListen != "" {
		if _, _, err := net.SplitHostPort(c.DebugListen); err != nil {
			return fmt.Errorf("--debug-listen %q is not host:port: %w", c.DebugListen, err)
		}
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	if c.Database == "" {
		c.Database = "sqlite:" + filepath.Join(c.DataDir, "coditect.db")
	}
	if !strings.HasPrefix(c.Database, "sqlite:") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return fmt.Errorf("--database %q: want sqlite:PATH or postgres://URL", redactURL(c.Database))
	}
	if c.Redis != "" && !hasAnyPrefix(c.Redis, "redis://", "rediss://", "redis+cluster://", "rediss+cluster://") {
		return fmt.Errorf("--redis %q: want redis://, rediss://, redis+cluster:// or rediss+cluster:// (unset for the in-memory ledger)", redactURL(c.Redis))
	}
	if strings.ContainsAny(c.RedisPrefix, "{}") || c.RedisPrefix == "" {
		return fmt.Errorf("--redis-prefix %q: want a non-empty prefix without braces", c.RedisPrefix)
	}
	if c.RedisPoolSize < 0 || c.DatabaseMaxConns < 0 {
		return errors.New("--redis-pool-size and --database-max-conns must not be negative")
	}
	if c.WebhookRetryBase < 100*time.Millisecond || c.WebhookRetryBase > time.Hour {
		return fmt.Errorf("--webhook-retry-base %v: want between 100ms and 1h", c.WebhookRetryBase)
	}
	if c.RefreshTokenTTL < time.Minute {
		return fmt.Errorf("--refresh-token-ttl %v: want at least 1m", c.RefreshTokenTTL)
	}
	if (c.OIDCIssuer == "") != (c.OIDCAudience == "") {
		return errors.New("--oidc-issuer and --oidc-audience go together: set both or neither")
	}
	origins, ok := httpapi.NormalizeOrigins(c.CORSOrigins)
	if !ok {
		return fmt.Errorf("--cors-origins %q: want scheme://host[:port] entries", strings.Join(c.CORSOrigins, ","))
	}
	c.CORSOrigins = origins
	if c.RedisTimeout < 10*time.Millisecond {
		return fmt.Errorf("--redis-timeout %v: want at least 10ms", c.RedisTimeout)
	}
	if _, err := c.level(); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return errors.New("--admin-email and --admin-password go together: set both or neither")
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		return fmt.Errorf("--access-token-ttl %v: want 1m to 24h", c.AccessTokenTTL)
	}
	if c.SweepInterval < 100*time.Millisecond {
		return fmt.Errorf("--sweep-interval %v: want at least 100ms", c.SweepInterval)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout %v: want a positive duration", c.ShutdownTimeout)
	}
	if c.UsageMinuteRetention < time.Hour {
		return fmt.Errorf("--usage-minute-retention %v: want at least 1h", c.UsageMinuteRetention)
	}
	if c.UsageRetention < c.UsageMinuteRetention || c.UsageRetention < 24*time.Hour {
		return fmt.Errorf("--usage-retention %v: want at least 24h and at least --usage-minute-retention (%v)", c.UsageRetention, c.UsageMinuteRetention)
	}
	return nil
}

func (c *Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// LogValue logs the configuration with secrets masked.
func (c Config) LogValue() slog.Value {
	pw := ""
	if c.AdminPassword != "" {
		pw = "********"
	}
	return slog.GroupValue(
		slog.String("listen", c.Listen), slog.String("debug_listen", c.DebugListen), slog.String("data_dir", c.DataDir),
		slog.String("database", redactURL(c.Database)), slog.Int("database_max_conns", c.DatabaseMaxConns),
		slog.String("redis", redactURL(c.Redis)), slog.Bool("redis_allow_eviction", c.RedisAllowEviction),
		slog.Int("redis_pool_size", c.RedisPoolSize), slog.Duration("redis_timeout", c.RedisTimeout),
		slog.String("redis_prefix", c.RedisPrefix),
		slog.String("log_level", c.LogLevel), slog.String("log_format", c.LogFormat),
		slog.String("admin_email", c.AdminEmail), slog.String("admin_password", pw),
		slog.Bool("master_key_from_env", c.MasterKey != ""),
		slog.String("issuer", c.Issuer), slog.Duration("access_token_ttl", c.AccessTokenTTL),
		slog.Duration("sweep_interval", c.SweepInterval), slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Duration("usage_minute_retention", c.UsageMinuteRetention), slog.Duration("usage_retention", c.UsageRetention),
		slog.Bool("trust_proxy", c.TrustProxy), slog.Bool("rate_limits", c.RateLimits), slog.Bool("metrics", c.Metrics),
		slog.Duration("refresh_token_ttl", c.RefreshTokenTTL), slog.String("oidc_issuer", c.OIDCIssuer),
		slog.String("cors_origins", strings.Join(c.CORSOrigins, ",")),
		slog.Bool("webhook_allow_private", c.WebhookAllowPrivate), slog.Duration("webhook_retry_base", c.WebhookRetryBase),
	)
}

// limitFlag reads a rate limit written RATE:BURST (RATE per second).
type limitFlag coditect.Limit

func (f *limitFlag) String() string {
	if f == nil || f.Rate == 0 {
		return ""
	}
	return strconv.FormatFloat(f.Rate, 'g', -1, 64) + ":" + strconv.Itoa(f.Burst)
}

func (f *limitFlag) Set(s string) error {
	r, b, ok := strings.Cut(s, ":")
	rate, err1 := strconv.ParseFloat(r, 64)
	burst, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || !(coditect.Limit{Rate: rate, Burst: burst}).Valid() {
		return fmt.Errorf("%q: want RATE:BURST with a positive rate per second and a burst of at least 1", s)
	}
	*f = limitFlag{Rate: rate, Burst: burst}
	return nil
}

// listFlag reads a comma-separated list.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(s string) error {
	*f = strings.Split(s, ",")
	return nil
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// redactURL hides the passwords of a URL-shaped setting, also in a
// comma-separated list of URLs.
func redactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = redactOne(p)
	}
	return strings.Join(parts, ",")
}

func redactOne(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return s
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + ":********" + rest[at:]
}
