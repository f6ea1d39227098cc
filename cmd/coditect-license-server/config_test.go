package main

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	t.Parallel()

	t.Run("defaults are the embedded setup", func(t *testing.T) {
		c, err := ParseConfig(nil, env(nil), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != "127.0.0.1:8080" || c.DataDir != "./data" || c.Database != "sqlite:data/coditect.db" || c.Redis != "" {
			t.Fatalf("got %+v, want loopback, ./data and SQLite", c)
		}
	})

	t.Run("environment variables set flags and flags win", func(t *testing.T) {
		c, err := ParseConfig([]string{"--listen", "127.0.0.1:9999"}, env(map[string]string{
			"CODITECT_LISTEN": "127.0.0.1:1111", "CODITECT_DATA_DIR": "/tmp/x", "CODITECT_SWEEP_INTERVAL": "2s",
			"CODITECT_LOG_FORMAT": "json", "CODITECT_TRUST_PROXY": "true",
		}), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != "127.0.0.1:9999" || c.DataDir != "/tmp/x" || c.SweepInterval != 2*time.Second || c.LogFormat != "json" || !c.TrustProxy {
			t.Fatalf("got %+v", c)
		}
		if c.Database != "sqlite:/tmp/x/coditect.db" {
			t.Fatalf("got database %q, want it under the data dir", c.Database)
		}
	})

	t.Run("rate limits and CORS origins", func(t *testing.T) {
		c, err := ParseConfig([]string{"--rate-limit-license", "2.5:7", "--cors-origins", "https://a.example.com/, http://localhost:5173"},
			env(map[string]string{"CODITECT_RATE_LIMIT_SESSION": "1:3"}), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Limits.LicenseKey.Rate != 2.5 || c.Limits.LicenseKey.Burst != 7 || c.Limits.Session.Burst != 3 || !c.RateLimits {
			t.Fatalf("got %+v", c.Limits)
		}
		if strings.Join(c.CORSOrigins, ",") != "https://a.example.com,http://localhost:5173" {
			t.Fatalf("got origins %v", c.CORSOrigins)
		}
		if (*limitFlag)(&c.Limits.LicenseKey).String() != "2.5:7" {
			t.Fatalf("got %q", (*limitFlag)(&c.Limits.LicenseKey).String())
		}
	})

	t.Run("usage retention defaults to 14 and 400 days", func(t *testing.T) {
		c, err := ParseConfig(nil, env(map[string]string{"CODITECT_USAGE_RETENTION": "800h"}), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if c.UsageMinuteRetention != 336*time.Hour || c.UsageRetention != 800*time.Hour {
			t.Fatalf("got %v and %v, want 336h and 800h", c.UsageMinuteRetention, c.UsageRetention)
		}
		if DefaultConfig().UsageRetention != 9600*time.Hour {
			t.Fatalf("got default retention %v, want 9600h", DefaultConfig().UsageRetention)
		}
	})

	t.Run("metrics are on unless turned off", func(t *testing.T) {
		c, err := ParseConfig(nil, env(nil), &bytes.Buffer{})
		if err != nil || !c.Metrics {
			t.Fatalf("default: got Metrics %v, %v, want true", c.Metrics, err)
		}
		c, err = ParseConfig(nil, env(map[string]string{"CODITECT_METRICS": "false"}), &bytes.Buffer{})
		if err != nil || c.Metrics {
			t.Fatalf("CODITECT_METRICS=false: got Metrics %v, %v, want false", c.Metrics, err)
		}
		c, err = ParseConfig([]string{"--metrics=false"}, env(nil), &bytes.Buffer{})
		if err != nil || c.Metrics {
			t.Fatalf("--metrics=false: got Metrics %v, %v, want false", c.Metrics, err)
		}
	})

	t.Run("CODITECT_DATABASE_URL is an alias", func(t *testing.T) {
		c, err := ParseConfig(nil, env(map[string]string{"CODITECT_DATABASE_URL": "sqlite:/tmp/y.db"}), &bytes.Buffer{})
		if err != nil || c.Database != "sqlite:/tmp/y.db" {
			t.Fatalf("got %q, %v", c.Database, err)
		}
	})

	t.Run("help is not an error to report", func(t *testing.T) {
		var out bytes.Buffer
		_, err := ParseConfig([]string{"-h"}, env(nil), &out)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "CODITECT_DATA_DIR") {
			t.Fatalf("got %v and usage %q", err, out.String())
		}
	})

	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"listen without port":    {[]string{"--listen", "localhost"}, nil, "--listen"},
		"empty data dir":         {[]string{"--data-dir", ""}, nil, "--data-dir"},
		"unknown database":       {[]string{"--database", "mysql://u:secret@h/db"}, nil, "u:********@h"},
		"unknown redis scheme":   {[]string{"--redis", "memcached://127.0.0.1:11211"}, nil, "--redis"},
		"negative pool size":     {[]string{"--redis-pool-size", "-1"}, nil, "negative"},
		"tiny redis timeout":     {[]string{"--redis-timeout", "1ms"}, nil, "--redis-timeout"},
		"bad log level":          {[]string{"--log-level", "loud"}, nil, "--log-level"},
		"bad log format":         {[]string{"--log-format", "xml"}, nil, "--log-format"},
		"email without password": {[]string{"--admin-email", "a@b.c"}, nil, "go together"},
		"token ttl too short":    {[]string{"--access-token-ttl", "1s"}, nil, "--access-token-ttl"},
		"sweep too often":        {[]string{"--sweep-interval", "1ms"}, nil, "--sweep-interval"},
		"zero shutdown timeout":  {[]string{"--shutdown-timeout", "0s"}, nil, "--shutdown-timeout"},
		"tiny minute retention":  {[]string{"--usage-minute-retention", "59m"}, nil, "--usage-minute-retention"},
		"short usage retention":  {[]string{"--usage-minute-retention", "72h", "--usage-retention", "48h"}, nil, "--usage-retention"},
		"bad env duration":       {nil, map[string]string{"CODITECT_SWEEP_INTERVAL": "soon"}, "CODITECT_SWEEP_INTERVAL"},
		"stray argument":         {[]string{"serve"}, nil, "unexpected argument"},
		"unknown flag":           {[]string{"--nope"}, nil, "not defined"},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			_, err := ParseConfig(tc.args, env(tc.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks a password: %v", err)
			}
		})
	}
}

func TestConfigLogValueMasksSecrets(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.AdminEmail, c.AdminPassword = "a@example.com", "hunter2-hunter2"
	c.Database = "postgres://app:pgsecret@db/coditect"
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{"hunter2", "pgsecret"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log line leaks %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "app:********@db") || !strings.Contains(out, "admin_password=********") {
		t.Fatalf("got %s, want masked values", out)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"redis://:pw@h:6379": "redis://:********@h:6379",
		"postgres://u@h/db":  "postgres://u:********@h/db",
		"sqlite:/data/x.db":  "sqlite:/data/x.db",
		"redis://h:6379/0":   "redis://h:6379/0",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestDebugListenMustBeHostPort(t *testing.T) {
	c := DefaultConfig()
	c.DebugListen = "6060"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--debug-listen") {
		t.Fatalf("Validate() = %v, want a --debug-listen error", err)
	}
}
