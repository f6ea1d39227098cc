package redis_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license/redis"
)

// connOptions are the settings ParseURL derives, for either kind of client.
type connOptions struct {
	Addrs                                  []string
	Username, Password                     string
	DB                                     int
	TLS                                    bool
	TLSServerName                          string
	PoolSize                               int
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	MaxRetries                             int
}

func optionsOf(t *testing.T, c goredis.UniversalClient) (connOptions, bool) {
	t.Helper()
	switch c := c.(type) {
	case *goredis.Client:
		o := c.Options()
		got := connOptions{[]string{o.Addr}, o.Username, o.Password, o.DB, o.TLSConfig != nil, "", o.PoolSize, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries}
		if o.TLSConfig != nil {
			got.TLSServerName = o.TLSConfig.ServerName
		}
		return got, false
	case *goredis.ClusterClient:
		o := c.Options()
		got := connOptions{o.Addrs, o.Username, o.Password, 0, o.TLSConfig != nil, "", o.PoolSize, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries}
		if o.TLSConfig != nil {
			got.TLSServerName = o.TLSConfig.ServerName
		}
		return got, true
	}
	t.Fatalf("client type %T: want *goredis.Client or *goredis.ClusterClient", c)
	return connOptions{}, false
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	defaults := func(o connOptions) connOptions {
		if o.DialTimeout == 0 {
			o.DialTimeout = redis.DefaultDialTimeout
		}
		if o.ReadTimeout == 0 {
			o.ReadTimeout = redis.DefaultReadTimeout
		}
		if o.WriteTimeout == 0 {
			o.WriteTimeout = redis.DefaultWriteTimeout
		}
		if o.MaxRetries == 0 {
			o.MaxRetries = redis.DefaultMaxRetries
		}
		return o
	}
	tests := []struct {
		name        string
		url         string
		opts        redis.ClientOptions
		wantCluster bool
		want        connOptions
	}{
		{"Plain", "redis://127.0.0.1:6379/0", redis.ClientOptions{}, false,
			connOptions{Addrs: []string{"127.0.0.1:6379"}}},
		{"CredentialsAndDB", "redis://user:pa%2Css@cache.internal:6380/3", redis.ClientOptions{}, false,
			connOptions{Addrs: []string{"cache.internal:6380"}, Username: "user", Password: "pa,ss", DB: 3}},
		{"PasswordOnly", "redis://:secret@cache/", redis.ClientOptions{}, false,
			connOptions{Addrs: []string{"cache:6379"}, Password: "secret"}},
		{"TLS", "rediss://cache.example.com:6380", redis.ClientOptions{}, false,
			connOptions{Addrs: []string{"cache.example.com:6380"}, TLS: true, TLSServerName: "cache.example.com"}},
		{"URLOptionsKept", "redis://cache:6379?pool_size=7&read_timeout=5s&dial_timeout=3s", redis.ClientOptions{}, false,
			connOptions{Addrs: []string{"cache:6379"}, PoolSize: 7, ReadTimeout: 5 * time.Second, DialTimeout: 3 * time.Second}},
		{"OptionsOverrideURL", "redis://cache:6379?pool_size=7&read_timeout=5s",
			redis.ClientOptions{PoolSize: 3, ReadTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second, DialTimeout: time.Second, MaxRetries: -1}, false,
			connOptions{Addrs: []string{"cache:6379"}, PoolSize: 3, ReadTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second, DialTimeout: time.Second, MaxRetries: -1}},
		{"Timeout", "redis://cache:6379?read_timeout=5s", redis.ClientOptions{Timeout: 3 * time.Second, WriteTimeout: time.Second}, false,
			connOptions{Addrs: []string{"cache:6379"}, ReadTimeout: 3 * time.Second, WriteTimeout: time.Second}},
		{"ClusterScheme", "redis+cluster://u:p@h1:7000,h2:7001,h3", redis.ClientOptions{}, true,
			connOptions{Addrs: []string{"h1:7000", "h2:7001", "h3:6379"}, Username: "u", Password: "p"}},
		{"ClusterSchemeOneSeed", "redis+cluster://h1:7000/0?read_timeout=3s", redis.ClientOptions{}, true,
			connOptions{Addrs: []string{"h1:7000"}, ReadTimeout: 3 * time.Second}},
		{"ClusterTLS", "rediss+cluster://h1:7000,h2:7001", redis.ClientOptions{PoolSize: 4}, true,
			connOptions{Addrs: []string{"h1:7000", "h2:7001"}, TLS: true, PoolSize: 4}},
		{"ClusterList", "redis://:p@h1:7000,redis://:p@h2:7001/0, redis://:p@h3:7002", redis.ClientOptions{}, true,
			connOptions{Addrs: []string{"h1:7000", "h2:7001", "h3:7002"}, Password: "p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := redis.ParseURL(tt.url, tt.opts)
			if err != nil {
				t.Fatalf("ParseURL(%q): got error %v, want nil", tt.url, err)
			}
			defer c.Close()
			got, cluster := optionsOf(t, c)
			want := defaults(tt.want)
			if want.MaxRetries == -1 {
				want.MaxRetries = 0 // a built go-redis client stores "no retries" as 0
			}
			if got.PoolSize == 0 || want.PoolSize == 0 {
				want.PoolSize = got.PoolSize // the go-redis default depends on GOMAXPROCS
			}
			if cluster != tt.wantCluster {
				t.Errorf("cluster client: got %t, want %t", cluster, tt.wantCluster)
			}
			if !slices.Equal(got.Addrs, want.Addrs) {
				t.Errorf("Addrs: got %v, want %v", got.Addrs, want.Addrs)
			}
			if !equalOptions(got, want) {
				t.Errorf("options: got %+v, want %+v", got, want)
			}
		})
	}
}

func equalOptions(a, b connOptions) bool {
	a.Addrs, b.Addrs = nil, nil
	return a.Username == b.Username && a.Password == b.Password && a.DB == b.DB && a.TLS == b.TLS &&
		a.TLSServerName == b.TLSServerName && a.PoolSize == b.PoolSize && a.DialTimeout == b.DialTimeout &&
		a.ReadTimeout == b.ReadTimeout && a.WriteTimeout == b.WriteTimeout && a.MaxRetries == b.MaxRetries
}

func TestParseURLRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
	}{
		{"Empty", ""},
		{"OtherScheme", "http://cache:6379"},
		{"NoScheme", "cache:6379"},
		{"BadDB", "redis://cache:6379/x"},
		{"BadPort", "redis://u:secret@cache:x:y"},
		{"BadUserinfo", "redis://u:secret^@cache:6379"},
		{"UnknownOption", "redis://cache:6379?bogus=1"},
		{"ClusterNoHost", "redis+cluster://"},
		{"ClusterEmptyHost", "redis+cluster://h1:7000,,h2:7001"},
		{"ClusterDB", "redis+cluster://h1:7000,h2:7001/2"},
		{"ClusterListDB", "redis://:secret@h1:7000/2,redis://:secret@h2:7001"},
		{"ClusterMixedSchemes", "redis://h1:7000,rediss://h2:7001"},
		{"ClusterMixedCredentials", "redis://:secret@h1:7000,redis://h2:7001"},
		{"ClusterMixedOptions", "redis://h1:7000?pool_size=3,redis://h2:7001?pool_size=4"},
		{"ClusterNotURL", "redis://h1:7000,h2:7001"},
		{"ClusterUnknownOption", "redis+cluster://h1:7000,h2:7001?bogus=1"},
		{"ClusterMalformed", "redis://h1:7000,redis://h2:x:y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := redis.ParseURL(tt.url, redis.ClientOptions{})
			if err == nil {
				c.Close()
				t.Fatalf("ParseURL(%q): got nil error, want one", tt.url)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q: shows the password", err)
			}
		})
	}
}
