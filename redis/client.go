package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ClientOptions tune the connections of ParseURL. A zero field keeps the
// value the URL's query sets (go-redis names: pool_size, dial_timeout,
// read_timeout, write_timeout, max_retries), else the default below.
type ClientOptions struct {
	// PoolSize is the number of connections per Redis node; default 10 per
	// GOMAXPROCS (the go-redis default).
	PoolSize int
	// DialTimeout bounds opening a connection; default 2 s.
	DialTimeout time.Duration
	// ReadTimeout and WriteTimeout bound one command; default 1 s each, so
	// that a ledger call against a hung Redis fails fast with
	// coditect.Unavailable instead of holding the request. Timeout, if set,
	// is the value of whichever of the two is zero.
	Timeout      time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// MaxRetries is how often a command that failed on the network is
	// retried, on a fresh connection; default 1 (enough to get past a
	// connection that died with a Redis restart), -1 for none. Every ledger
	// call may safely run twice.
	MaxRetries int
}

// Defaults of ClientOptions.
const (
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = time.Second
	DefaultWriteTimeout = time.Second
	DefaultMaxRetries   = 1
	// defaultDialerRetries makes a refused connection fail at once (go-redis
	// would dial 5 times, 100 ms apart); MaxRetries still retries the
	// command on a fresh connection.
	defaultDialerRetries = 1
)

// ParseURL returns a go-redis client for a Redis URL:
//
//	redis://[user:password@]host:port[/db][?option=value...]  one server
//	rediss://...                                               one server over TLS
//	redis+cluster://[user:password@]host1:port1,host2:port2   Redis Cluster, from seed nodes
//	rediss+cluster://...                                       Redis Cluster over TLS
//	redis://host1:port1,redis://host2:port2                    Redis Cluster, from seed nodes
//
// A cluster has only database 0; all of its nodes share the scheme, the
// credentials and the options of the first URL. Characters such as ',' '@'
// or '/' in credentials must be percent-encoded. Query options are those of
// go-redis's ParseURL and ParseClusterURL; opts override them. The client
// connects lazily: use Ledger.Ping to check that Redis answers.
func ParseURL(rawURL string, opts ClientOptions) (goredis.UniversalClient, error) {
	rawURL = strings.TrimSpace(rawURL)
	var urls []string
	switch scheme, _, _ := strings.Cut(rawURL, "://"); scheme {
	case "redis+cluster", "rediss+cluster":
		urls = splitClusterURL(rawURL)
	case "redis", "rediss":
		if strings.Contains(rawURL, ",") {
			urls = strings.Split(rawURL, ",")
			break
		}
		o, err := goredis.ParseURL(rawURL)
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password and all
		}
		if err != nil {
			return nil, fmt.Errorf("parse redis URL %s: %w", redact(rawURL), err)
		}
		opts.apply(&o.PoolSize, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries)
		set(&o.DialerRetries, 0, defaultDialerRetries)
		return goredis.NewClient(o), nil
	default:
		return nil, fmt.Errorf("parse redis URL %s: the scheme must be redis, rediss, redis+cluster or rediss+cluster", redact(rawURL))
	}
	o, err := parseClusterURLs(urls)
	if err != nil {
		return nil, fmt.Errorf("parse redis cluster URL %s: %w", redact(rawURL), err)
	}
	opts.apply(&o.PoolSize, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries)
	set(&o.DialerRetries, 0, defaultDialerRetries)
	return goredis.NewClusterClient(o), nil
}

func (c ClientOptions) apply(pool *int, dial, read, write *time.Duration, retries *int) {
	set(&c.ReadTimeout, 0, c.Timeout)
	set(&c.WriteTimeout, 0, c.Timeout)
	set(pool, c.PoolSize, 0)
	set(dial, c.DialTimeout, DefaultDialTimeout)
	set(read, c.ReadTimeout, DefaultReadTimeout)
	set(write, c.WriteTimeout, DefaultWriteTimeout)
	set(retries, c.MaxRetries, DefaultMaxRetries)
}

// set sets *field to v if v is not zero, else to def if *field is zero.
func set[T comparable](field *T, v, def T) {
	var zero T
	if v != zero {
		*field = v
	} else if *field == zero {
		*field = def
	}
}

// splitClusterURL turns redis+cluster://user@h1:p1,h2:p2/path?query into
// redis://user@h1:p1/path?query and redis://user@h2:p2/path?query.
func splitClusterURL(rawURL string) []string {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	scheme = strings.TrimSuffix(scheme, "+cluster")
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	var urls []string
	for h := range strings.SplitSeq(hosts, ",") {
		urls = append(urls, scheme+"://"+userinfo+h+tail)
	}
	return urls
}

// parseClusterURLs checks that the URLs name nodes of one cluster and turns
// them into go-redis cluster options.
func parseClusterURLs(urls []string) (*goredis.ClusterOptions, error) {
	var first *url.URL
	var more []string
	for _, s := range urls {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			return nil, errors.New("a node URL is malformed")
		}
		switch {
		case u.Scheme != "redis" && u.Scheme != "rediss":
			return nil, fmt.Errorf("node %q: the scheme must be redis or rediss", u.Host)
		case u.Hostname() == "":
			return nil, errors.New("a node has no host")
		case strings.Trim(u.Path, "/") != "" && strings.Trim(u.Path, "/") != "0":
			return nil, fmt.Errorf("node %q: Redis Cluster has only database 0", u.Host)
		}
		if first == nil {
			first = u
			continue
		}
		if u.Scheme != first.Scheme || u.User.String() != first.User.String() || (u.RawQuery != "" && u.RawQuery != first.RawQuery) {
			return nil, fmt.Errorf("node %q: every node must have the scheme, credentials and options of the first", u.Host)
		}
		port := u.Port()
		if port == "" {
			port = "6379"
		}
		more = append(more, net.JoinHostPort(u.Hostname(), port))
	}
	c := *first
	c.Path = ""
	q := c.Query()
	for _, addr := range more {
		q.Add("addr", addr)
	}
	c.RawQuery = q.Encode()
	o, err := goredis.ParseClusterURL(c.String())
	if err != nil {
		return nil, err
	}
	if o.TLSConfig != nil {
		// One TLS config serves every node: an empty ServerName makes the
		// TLS dialer verify each node under the host it dials.
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return o, nil
}

// redact hides the password of a URL (or of each URL in a list) for error
// messages.
func redact(rawURL string) string {
	parts := strings.Split(rawURL, ",")
	for i, p := range parts {
		if u, err := url.Parse(p); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				parts[i] = u.Redacted()
			}
		} else if err != nil && strings.Contains(p, "@") {
			parts[i] = "<malformed>"
		}
	}
	return strings.Join(parts, ",")
}
