package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// hello measures the machine rather than the server: a bare net/http
// "hello" handler on loopback, driven by the same HTTP client and
// concurrency as the real runs. The targets were set on a machine
// where this answers about 55,000 requests/s at C = 64; the ratio tells how
// this machine compares, which is how the tables should be read.
func hello(ctx context.Context, c int, d time.Duration, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	a := newAPI("http://"+ln.Addr().String(), c, 10*time.Second)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				t := time.Now()
				if err := a.do(ctx, http.MethodGet, "/", "", nil, "", nil); err != nil {
					return
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return fmt.Errorf("hello: no request succeeded")
	}
	slices.Sort(all)
	fmt.Fprintf(out, "calibration: bare net/http hello world on loopback, c=%d, %v: %.0f requests/s (p50 %.2f ms, p99 %.2f ms)\n",
		c, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(), quantile(all, 0.50), quantile(all, 0.99))
	return nil
}
