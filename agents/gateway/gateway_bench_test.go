package gateway_test

import (
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/testdb"
)

// BenchmarkGatewayOverhead measures what the gateway adds to a call (token
// check, agent and tool lookup, vault open, injection, scrubbing, the
// audit event) against calling the upstream directly, both at 64
// concurrent callers on loopback: it reports the added p50 and p99.
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
			tok := w.ownToken("invoices:read")
			client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
			direct := func() error {
				req, _ := http.NewRequest("GET", w.up.srv.URL+"/v1/invoices/INV-1", nil)
				req.Header.Set("X-Api-Key", "Token "+apiKey)
				return roundTrip(client, req)
			}
			viaGateway := func() error {
				req, _ := http.NewRequest("GET", w.srv.URL+"/t/acme/gateway/billing/invoices/INV-1", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				return roundTrip(client, req)
			}
			const concurrency = 64
			par := (concurrency + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
			measure := func(b *testing.B, fn func() error) []time.Duration {
				var mu sync.Mutex
				var all []time.Duration
				b.SetParallelism(par)
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
			// The direct baseline, the same number of calls, untimed.
			b.StopTimer()
			base := measure(b, direct)
			b.StartTimer()
			gw := measure(b, viaGateway)
			b.StopTimer()
			if len(base) == 0 || len(gw) == 0 {
				return
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(pct(gw, 50)-pct(base, 50)), "p50-added-ms")
			b.ReportMetric(ms(pct(gw, 99)-pct(base, 99)), "p99-added-ms")
			b.ReportMetric(ms(pct(gw, 50)), "p50-gateway-ms")
			b.ReportMetric(ms(pct(base, 50)), "p50-direct-ms")
		})
	}
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
