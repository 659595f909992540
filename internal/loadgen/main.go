// Command loadgen sends a fixed number of authenticated GraphQL requests to a
// Mandate server on this machine and prints one line of throughput and
// latency figures. It is plumbing for scripts/load.sh (`make bench`): it
// knows HTTP and GraphQL's response shape, no domain concept.
//
// It only talks to loopback addresses, checked both on the URL and on every
// connection it dials, and it always stops: after -n requests or -timeout,
// whichever comes first. It exits non-zero if any request failed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const defaultQuery = `{ viewer { kind } members(first: 20) { totalCount edges { node { id role user { email } } } } }`

// maxShownErrors bounds how many distinct failures are printed.
const maxShownErrors = 5

type config struct {
	url         string
	token       string
	label       string
	query       string
	requests    int
	concurrency int
	timeout     time.Duration
	// cookie and csrf authenticate as a signed-in browser instead of a
	// bearer token.
	cookie string
	csrf   string
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "", "the GraphQL endpoint, e.g. http://127.0.0.1:8080/t/bench/graphql (loopback only)")
	flag.StringVar(&c.token, "token", "", "API token sent as a bearer token (default: $LOADGEN_TOKEN)")
	flag.StringVar(&c.label, "label", "load", "label printed before the figures")
	flag.StringVar(&c.query, "query", defaultQuery, "the GraphQL query to send")
	flag.IntVar(&c.requests, "n", 5000, "number of requests to send")
	flag.IntVar(&c.concurrency, "c", 64, "number of requests in flight at once")
	flag.DurationVar(&c.timeout, "timeout", 2*time.Minute, "stop after this long even if requests remain")
	flag.StringVar(&c.cookie, "cookie", "", "a session cookie (name=value) to send instead of a bearer token (default: $LOADGEN_COOKIE)")
	flag.StringVar(&c.csrf, "csrf", "", "the session's CSRF token, sent as X-CSRF-Token (default: $LOADGEN_CSRF)")
	flag.Parse()
	if c.token == "" {
		c.token = os.Getenv("LOADGEN_TOKEN")
	}
	if c.cookie == "" {
		c.cookie = os.Getenv("LOADGEN_COOKIE")
	}
	if c.csrf == "" {
		c.csrf = os.Getenv("LOADGEN_CSRF")
	}
	if err := c.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res := run(c)
	fmt.Println(res.line(c))
	for _, msg := range res.samples {
		fmt.Fprintln(os.Stderr, "loadgen: failure:", msg)
	}
	if res.timedOut {
		fmt.Fprintf(os.Stderr, "loadgen: stopped by the %s timeout after %d of %d requests\n", c.timeout, res.done, c.requests)
	}
	if res.failed > 0 || res.done < c.requests {
		os.Exit(1)
	}
}

func (c config) validate() error {
	var errs []error
	u, err := url.Parse(c.url)
	switch {
	case c.url == "":
		errs = append(errs, errors.New("-url is required"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("-url %q must be an absolute http(s) URL", c.url))
	case !loopbackHost(u.Hostname()):
		errs = append(errs, fmt.Errorf("-url %q: only 127.0.0.1, localhost or [::1] may be targeted", c.url))
	}
	if c.token == "" && c.cookie == "" {
		errs = append(errs, errors.New("no credential: pass -token (or LOADGEN_TOKEN), or -cookie and -csrf"))
	}
	if c.query == "" {
		errs = append(errs, errors.New("-query must not be empty"))
	}
	if c.requests < 1 {
		errs = append(errs, errors.New("-n must be at least 1"))
	}
	if c.concurrency < 1 {
		errs = append(errs, errors.New("-c must be at least 1"))
	}
	if c.timeout <= 0 {
		errs = append(errs, errors.New("-timeout must be positive"))
	}
	return errors.Join(errs...)
}

// loopbackHost reports whether host names this machine: localhost or a
// loopback IP (127.0.0.0/8, ::1).
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dialLoopbackOnly refuses a connection to any non-loopback address, whatever
// a name resolved to.
func dialLoopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
	}
	return nil
}

type result struct {
	done, failed int
	elapsed      time.Duration
	latencies    []time.Duration
	samples      []string
	timedOut     bool
}

func (r result) line(c config) string {
	rate := 0.0
	if r.elapsed > 0 {
		rate = float64(r.done) / r.elapsed.Seconds()
	}
	return fmt.Sprintf("%s: %d requests, %d concurrent, %.1f req/s, p50 %.2f ms, p99 %.2f ms, errors %d",
		c.label, r.done, c.concurrency, rate, ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 99)), r.failed)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func run(c config) result {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"query": c.query})
	client := &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, Control: dialLoopbackOnly}).DialContext,
			MaxIdleConns:        c.concurrency,
			MaxIdleConnsPerHost: c.concurrency,
			IdleConnTimeout:     30 * time.Second,
		},
		// A redirect could lead off this machine: never follow one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()

	var (
		next    atomic.Int64
		mu      sync.Mutex
		res     result
		wg      sync.WaitGroup
		workers = min(c.concurrency, c.requests)
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var failed int
			var samples []string
			for next.Add(1) <= int64(c.requests) {
				if ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				err := send(ctx, client, c, body)
				if ctx.Err() != nil && err != nil {
					break // cut off by the timeout: not a server failure
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					failed++
					if len(samples) < maxShownErrors {
						samples = append(samples, err.Error())
					}
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.failed += failed
			for _, s := range samples {
				if len(res.samples) < maxShownErrors && !slices.Contains(res.samples, s) {
					res.samples = append(res.samples, s)
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.done = len(res.latencies)
	res.timedOut = ctx.Err() != nil && res.done < c.requests
	slices.Sort(res.latencies)
	return res
}

// send makes one request and checks it succeeded: status 200 and a GraphQL
// response with data and no errors.
func send(ctx context.Context, client *http.Client, c config, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
		req.Header.Set("X-CSRF-Token", c.csrf)
	} else {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, snippet(raw))
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("response is not a JSON object: %s", snippet(raw))
	}
	if errs, ok := out["errors"]; ok {
		return fmt.Errorf("GraphQL errors: %s", snippet(errs))
	}
	if _, ok := out["data"]; !ok {
		return errors.New("response has no data")
	}
	return nil
}

func snippet(b []byte) string {
	const limit = 300
	b = bytes.TrimSpace(b)
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}
