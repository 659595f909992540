package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/testdb"
)

// concurrency is how many calls are in flight, or how many callers there
// are, in BenchmarkGatewayOverhead.
const concurrency = 64

// pacedRate is the calls per second the paced run offers: 64 agents each
// calling a tool about every 64 ms.
const pacedRate = 1000

// BenchmarkGatewayOverhead measures what the gateway adds to a call (token
// check, agent and tool lookup, vault open, injection, scrubbing, the
// audit event) against calling the upstream directly, on loopback, in two
// ways, and reports the added p50 and p99 of each:
//
//   - saturated: 64 calls always in flight (a closed loop), so that on a
//     small machine the added latency is mostly queueing behind the calls
//     ahead; a bare httputil.ReverseProxy, which checks and records
//     nothing, is measured the same way as the floor any proxy meets.
//   - paced: 64 callers on their own connections offering 1,000 calls per
//     second between them (an open loop): the added latency is the time
//     the gateway itself takes per call.
func BenchmarkGatewayOverhead(b *testing.B) {
	for _, d := range testdb.Dialects(b) {
		b.Run(testdb.Name(d), func(b *testing.B) {
			w := newWorld(b, testdb.Open(b, d))
			w.up.srv.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Api-Key") != "Token "+apiKey {
					rw.WriteHeader(http.StatusUnauthorized)
					return
				}
				rw.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(rw, `{"invoice":"INV-1","amount":"42.00"}`)
			})
			upURL, _ := url.Parse(w.up.srv.URL)
			bare := httputil.NewSingleHostReverseProxy(upURL)
			bare.Transport = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 128}
			proxy := httptest.NewServer(bare)
			b.Cleanup(proxy.Close)
			tok := w.ownToken("invoices:read")
			client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
			call := func(base string, gateway bool) func() error {
				return func() error {
					var req *http.Request
					if gateway {
						req, _ = http.NewRequest("GET", base+"/t/acme/gateway/billing/invoices/INV-1", nil)
						req.Header.Set("Authorization", "Bearer "+tok)
					} else {
						req, _ = http.NewRequest("GET", base+"/v1/invoices/INV-1", nil)
						req.Header.Set("X-Api-Key", "Token "+apiKey)
					}
					return roundTrip(client, req)
				}
			}
			direct, viaProxy, viaGateway := call(w.up.srv.URL, false), call(proxy.URL, false), call(w.srv.URL, true)
			report := func(b *testing.B, base, gw []time.Duration) {
				if len(base) == 0 || len(gw) == 0 {
					return
				}
				b.ReportMetric(ms(pct(gw, 50)-pct(base, 50)), "p50-added-ms")
				b.ReportMetric(ms(pct(gw, 99)-pct(base, 99)), "p99-added-ms")
				b.ReportMetric(ms(pct(gw, 50)), "p50-gateway-ms")
				b.ReportMetric(ms(pct(base, 50)), "p50-direct-ms")
			}
			b.Run("saturated", func(b *testing.B) {
				// The baselines, the same number of calls, untimed.
				b.StopTimer()
				base := saturate(b, direct)
				floor := saturate(b, viaProxy)
				b.StartTimer()
				gw := saturate(b, viaGateway)
				b.StopTimer()
				report(b, base, gw)
				if len(floor) > 0 && len(base) > 0 {
					b.ReportMetric(ms(pct(floor, 50)-pct(base, 50)), "p50-added-by-bare-proxy-ms")
				}
			})
			b.Run("one_at_a_time", func(b *testing.B) {
				b.StopTimer()
				base := sequential(b, direct)
				b.StartTimer()
				gw := sequential(b, viaGateway)
				b.StopTimer()
				report(b, base, gw)
			})
			b.Run("paced", func(b *testing.B) {
				b.StopTimer()
				base, _ := pace(b, direct)
				b.StartTimer()
				gw, rate := pace(b, viaGateway)
				b.StopTimer()
				report(b, base, gw)
				b.ReportMetric(rate, "calls/s")
			})
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// saturate makes b.N calls with 64 always in flight and returns their
// latencies, sorted.
func saturate(b *testing.B, fn func() error) []time.Duration {
	var mu sync.Mutex
	var all []time.Duration
	b.SetParallelism((concurrency + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			if err := fn(); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	slices.Sort(all)
	return all
}

// sequential makes b.N calls one after the other.
func sequential(b *testing.B, fn func() error) []time.Duration {
	all := make([]time.Duration, 0, b.N)
	for range b.N {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
	}
	slices.Sort(all)
	return all
}

// pace makes b.N calls from 64 callers, call k due at k/pacedRate seconds
// from the start whatever the others are doing, and returns their
// latencies, sorted, and the rate achieved. A call is timed from when it
// is sent: how late the caller's timer woke it depends on how busy the
// two cores are, which is not the gateway's latency. A caller that falls
// behind sends its next call at once, and the rate achieved says so.
func pace(b *testing.B, fn func() error) ([]time.Duration, float64) {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for c := range concurrency {
		wg.Go(func() {
			var mine []time.Duration
			for k := c; k < b.N; k += concurrency {
				due := start.Add(time.Duration(k) * time.Second / pacedRate)
				time.Sleep(time.Until(due))
				sent := time.Now()
				if err := fn(); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(sent))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(all)
	return all, float64(len(all)) / took.Seconds()
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100]
}

func roundTrip(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return &statusError{resp.StatusCode}
	}
	return nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + http.StatusText(e.code) }
