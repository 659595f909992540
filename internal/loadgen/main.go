// Command loadgen sends a fixed number of requests to a Mandate server on
// this machine and prints one line of throughput and latency figures. It
// is plumbing for scripts/load.sh (`make bench`): it knows HTTP, GraphQL's
// response shape and the OAuth 2.0 protocol (oauth.go), no domain concept.
//
// A scenario (-scenario) says what one request is: an authenticated
// GraphQL query (graphql, the default), a client_credentials token request,
// a refresh-token rotation, an RFC 8693 token exchange by a subagent, or a
// token introspection. Each of the -c workers prepares what its requests
// need first (for refresh, a refresh token from an authorization code
// flow; for exchange, a token the user delegated to the agent), then all
// of them send -warmup requests that are not measured, then -n that are.
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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const defaultQuery = `{ viewer { kind } members(first: 20) { totalCount edges { node { id role user { email } } } } }`

// maxShownErrors bounds how many distinct failures are printed.
const maxShownErrors = 5

// Scenarios.
const (
	scenarioGraphQL           = "graphql"
	scenarioClientCredentials = "client_credentials"
	scenarioRefresh           = "refresh"
	scenarioIntrospect        = "introspect"
	scenarioExchange          = "exchange"
)

type config struct {
	scenario    string
	url         string
	token       string
	label       string
	query       string
	requests    int
	warmup      int
	concurrency int
	timeout     time.Duration
	// cookie and csrf authenticate as a signed-in browser instead of a
	// bearer token.
	cookie string
	csrf   string
	// The OAuth scenarios' client, and for refresh and exchange the user
	// who signs in to authorize it.
	clientID     string
	clientSecret string
	clientKey    string // a file holding the client's private JWK: private_key_jwt
	username     string
	password     string
	redirectURI  string
	// scope is what the subagent asks for in the exchange scenario.
	scope string
	// serverPID, when set, is the server process whose CPU time the
	// figures report (Linux /proc).
	serverPID int
}

func main() {
	var c config
	var newKey string
	flag.StringVar(&c.scenario, "scenario", scenarioGraphQL, "what one request is: graphql, client_credentials, refresh, exchange or introspect")
	flag.StringVar(&c.url, "url", "", "graphql: the GraphQL endpoint, e.g. http://127.0.0.1:8080/t/bench/graphql; the OAuth scenarios: the issuer, e.g. http://127.0.0.1:8080/t/bench (loopback only)")
	flag.StringVar(&c.token, "token", "", "API token sent as a bearer token (default: $LOADGEN_TOKEN)")
	flag.StringVar(&c.label, "label", "load", "label printed before the figures")
	flag.StringVar(&c.query, "query", defaultQuery, "the GraphQL query to send")
	flag.IntVar(&c.requests, "n", 5000, "number of measured requests")
	flag.IntVar(&c.warmup, "warmup", 0, "number of requests sent before the measured ones, not measured")
	flag.IntVar(&c.concurrency, "c", 64, "number of requests in flight at once (one connection each)")
	flag.DurationVar(&c.timeout, "timeout", 2*time.Minute, "stop after this long even if requests remain")
	flag.StringVar(&c.cookie, "cookie", "", "a session cookie (name=value) to send instead of a bearer token (default: $LOADGEN_COOKIE)")
	flag.StringVar(&c.csrf, "csrf", "", "the session's CSRF token, sent as X-CSRF-Token (default: $LOADGEN_CSRF)")
	flag.StringVar(&c.clientID, "client-id", "", "the OAuth client")
	flag.StringVar(&c.clientSecret, "client-secret", "", "the client's secret, sent with client_secret_basic (default: $LOADGEN_CLIENT_SECRET)")
	flag.StringVar(&c.clientKey, "client-key", "", "a file with the client's private ES256 JWK: authenticate with private_key_jwt, a fresh assertion per request")
	flag.StringVar(&c.username, "username", "", "refresh, exchange: the email of the user who authorizes the client")
	flag.StringVar(&c.password, "password", "", "refresh, exchange: that user's password (default: $LOADGEN_PASSWORD)")
	flag.StringVar(&c.redirectURI, "redirect-uri", "", "refresh, exchange: the client's registered redirect URI (never contacted)")
	flag.StringVar(&c.scope, "scope", "", "exchange: the scope the subagent asks for (the user delegates it with openid to the agent, -client-id, which registers the subagent)")
	flag.IntVar(&c.serverPID, "server-pid", 0, "the server's process id: report its CPU time during the measured requests")
	flag.StringVar(&newKey, "new-es256-key", "", "write a new private ES256 JWK to this file, print its public JWK set, and exit")
	flag.Parse()
	if newKey != "" {
		if err := writeNewKey(newKey, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		return
	}
	for _, v := range []struct {
		dst *string
		env string
	}{{&c.token, "LOADGEN_TOKEN"}, {&c.cookie, "LOADGEN_COOKIE"}, {&c.csrf, "LOADGEN_CSRF"},
		{&c.clientSecret, "LOADGEN_CLIENT_SECRET"}, {&c.password, "LOADGEN_PASSWORD"}} {
		if *v.dst == "" {
			*v.dst = os.Getenv(v.env)
		}
	}
	if err := c.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res := run(c)
	if res.setupErr != nil {
		fmt.Printf("%s: not run: %v\n", c.label, res.setupErr)
		os.Exit(1)
	}
	fmt.Println(res.line(c))
	for _, msg := range res.samples {
		fmt.Fprintln(os.Stderr, "loadgen: failure:", msg)
	}
	if res.timedOut {
		fmt.Fprintf(os.Stderr, "loadgen: stopped by the %s timeout after %d of %d requests\n", c.timeout, res.done, c.requests)
	}
	if res.failed > 0 || res.warmupFailed > 0 || res.done < c.requests {
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
	switch c.scenario {
	case scenarioGraphQL:
		if c.token == "" && c.cookie == "" {
			errs = append(errs, errors.New("no credential: pass -token (or LOADGEN_TOKEN), or -cookie and -csrf"))
		}
		if c.query == "" {
			errs = append(errs, errors.New("-query must not be empty"))
		}
	case scenarioClientCredentials, scenarioIntrospect, scenarioRefresh, scenarioExchange:
		if c.clientID == "" {
			errs = append(errs, errors.New("-client-id is required"))
		}
		if (c.clientSecret == "") == (c.clientKey == "") {
			errs = append(errs, errors.New("pass one of -client-secret (or LOADGEN_CLIENT_SECRET) and -client-key"))
		}
		if (c.scenario == scenarioRefresh || c.scenario == scenarioExchange) && (c.username == "" || c.password == "" || c.redirectURI == "") {
			errs = append(errs, fmt.Errorf("%s needs -username, -password (or LOADGEN_PASSWORD) and -redirect-uri", c.scenario))
		}
		if c.scenario == scenarioExchange && (c.clientKey == "" || c.scope == "") {
			errs = append(errs, errors.New("exchange needs -client-key (the agent's) and -scope"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown -scenario %q", c.scenario))
	}
	if c.requests < 1 {
		errs = append(errs, errors.New("-n must be at least 1"))
	}
	if c.warmup < 0 {
		errs = append(errs, errors.New("-warmup must not be negative"))
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

// sender makes one request of a worker and checks its answer.
type sender func(ctx context.Context) error

type result struct {
	done, failed int
	elapsed      time.Duration
	latencies    []time.Duration
	samples      []string
	timedOut     bool
	setupErr     error
	warmupFailed int
	// CPU time used during the measured requests, by this process and by
	// the server (-server-pid; -1 when unknown), and how busy each core
	// was (by anything: PostgreSQL, other work on the machine).
	selfCPU, serverCPU time.Duration
	coresBusy          []float64
}

func (r result) line(c config) string {
	rate := 0.0
	if r.elapsed > 0 {
		rate = float64(r.done) / r.elapsed.Seconds()
	}
	s := fmt.Sprintf("%s: %d requests, %d concurrent, %.1f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, errors %d",
		c.label, r.done, c.concurrency, rate, ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 99)),
		ms(percentile(r.latencies, 100)), r.failed)
	if c.warmup > 0 {
		s += fmt.Sprintf(", after %d warm-up", c.warmup)
		if r.warmupFailed > 0 {
			s += fmt.Sprintf(" (%d failed)", r.warmupFailed)
		}
	}
	if r.elapsed > 0 {
		s += fmt.Sprintf(", loadgen CPU %.0f%%", 100*r.selfCPU.Seconds()/r.elapsed.Seconds())
		if r.serverCPU >= 0 && c.serverPID != 0 {
			s += fmt.Sprintf(", server CPU %.0f%%", 100*r.serverCPU.Seconds()/r.elapsed.Seconds())
		}
		if len(r.coresBusy) > 0 {
			busy := make([]string, len(r.coresBusy))
			for i, b := range r.coresBusy {
				busy[i] = fmt.Sprintf("%d:%.0f%%", i, 100*b)
			}
			s += ", cores busy " + strings.Join(busy, " ")
		}
	}
	return s
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

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, Control: dialLoopbackOnly}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     30 * time.Second,
		},
		// A redirect could lead off this machine: never follow one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func run(c config) result {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	workers := min(c.concurrency, c.requests)
	client := newHTTPClient(workers)
	defer client.CloseIdleConnections()

	var senders []sender
	var err error
	if c.scenario == scenarioGraphQL {
		senders = graphQLSenders(c, client, workers)
	} else {
		senders, err = oauthSenders(ctx, c, client, workers)
	}
	if err != nil {
		return result{setupErr: err}
	}
	var warm result
	if c.warmup > 0 {
		warm = phase(ctx, senders, c.warmup)
	}
	self0, srv0, cores0 := selfCPU(), processCPU(c.serverPID), coreTimes()
	res := phase(ctx, senders, c.requests)
	res.coresBusy = busyBetween(cores0, coreTimes())
	res.warmupFailed = warm.failed
	for _, s := range warm.samples {
		if len(res.samples) < maxShownErrors && !slices.Contains(res.samples, s) {
			res.samples = append(res.samples, s)
		}
	}
	res.selfCPU = selfCPU() - self0
	res.serverCPU = -1
	if srv1 := processCPU(c.serverPID); srv0 >= 0 && srv1 >= 0 {
		res.serverCPU = srv1 - srv0
	}
	res.timedOut = ctx.Err() != nil && res.done < c.requests
	return res
}

// phase has every worker send requests until n have been sent in all.
func phase(ctx context.Context, senders []sender, n int) result {
	var (
		next atomic.Int64
		mu   sync.Mutex
		res  result
		wg   sync.WaitGroup
	)
	start := time.Now()
	for _, send := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var failed int
			var samples []string
			for next.Add(1) <= int64(n) {
				if ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				err := send(ctx)
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
	slices.Sort(res.latencies)
	return res
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the CPU time process pid has used, from /proc/pid/stat
// (utime and stime, in clock ticks of 1/100 s, the Linux default); -1 if
// unknown.
func processCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces: count from its end.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// coreTime is one core's line of /proc/stat: time busy and in all, in
// clock ticks.
type coreTime struct{ busy, total int64 }

// coreTimes reads every core's times from /proc/stat; nil if unknown.
func coreTimes() []coreTime {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	var out []coreTime
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var t coreTime
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			if i >= 8 {
				break // guest times are already counted in user and nice
			}
			t.total += n
			if i != 3 && i != 4 { // idle, iowait
				t.busy += n
			}
		}
		out = append(out, t)
	}
	return out
}

// busyBetween is the fraction of each core's time that was busy between
// two readings.
func busyBetween(a, b []coreTime) []float64 {
	if len(a) == 0 || len(a) != len(b) {
		return nil
	}
	out := make([]float64, len(a))
	for i := range a {
		if d := b[i].total - a[i].total; d > 0 {
			out[i] = float64(b[i].busy-a[i].busy) / float64(d)
		}
	}
	return out
}

func graphQLSenders(c config, client *http.Client, workers int) []sender {
	body, _ := json.Marshal(map[string]string{"query": c.query})
	senders := make([]sender, workers)
	for i := range senders {
		senders[i] = func(ctx context.Context) error { return sendGraphQL(ctx, client, c, body) }
	}
	return senders
}

// sendGraphQL makes one request and checks it succeeded: status 200 and a
// GraphQL response with data and no errors.
func sendGraphQL(ctx context.Context, client *http.Client, c config, body []byte) error {
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
