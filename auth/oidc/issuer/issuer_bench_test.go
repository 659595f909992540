package issuer_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/testdb"
)

// benchConnections is how many requests are in flight, as in the issue's
// load target: 16 concurrent connections.
const benchConnections = 16

// BenchmarkIssuer measures the issuer's hot endpoints over loopback HTTP,
// 16 requests in flight, on each dialect:
//
//   - client_credentials/{basic,private_key_jwt}/{opaque,jwt}: a token for
//     a client acting for itself. basic is client_secret_basic (a SHA-256
//     compare); private_key_jwt signs a fresh ES256 assertion with a fresh
//     jti per request (client side, inside the timing), which the issuer
//     verifies and records against replay. jwt access tokens are ES256.
//   - refresh: refresh-token rotation for a code-flow client (scope
//     openid: a new ES256 JWT access token, ID token and refresh token,
//     the old refresh token spent). Each of the 16 workers follows its own
//     chain, obtained with the code flow before the timing starts.
//   - introspect/opaque: RFC 7662 introspection of opaque access tokens by
//     the client they were issued to (client_secret_basic).
//
// The client runs in the same process: ns/op covers both ends. The
// per-core figures of docs/benchmarks.md come from scripts/load.sh, which
// pins the server and the load generator to separate cores.
func BenchmarkIssuer(b *testing.B) {
	for _, d := range testdb.Dialects(b) {
		b.Run(testdb.Name(d), func(b *testing.B) {
			bw := newBenchWorld(b, newWorld(b, testdb.Open(b, d)))
			for _, auth := range []string{"basic", "private_key_jwt"} {
				for _, format := range []string{"opaque", "jwt"} {
					c := bw.clientCredentials(b, auth, format)
					b.Run("client_credentials/"+auth+"/"+format, func(b *testing.B) {
						bw.parallel(b, func(*worker) error {
							_, err := bw.token(c.form(bw.tokenURL), c)
							return err
						})
					})
				}
			}
			b.Run("refresh", bw.benchRefresh)
			b.Run("introspect/opaque", bw.benchIntrospect)
		})
	}
}

// benchWorld is the world of world_test.go plus what the benchmarks need:
// an HTTP client keeping 16 connections alive, and the workspace's URLs.
type benchWorld struct {
	*world
	http     *http.Client
	tokenURL string
	// refreshes holds the newest refresh token of each chain between
	// rounds of the refresh benchmark.
	refreshes chan string
	refresher *benchClient
	// introspected is a pool of opaque access tokens of introspector.
	introspector *benchClient
	introspected []string
}

func newBenchWorld(tb testing.TB, w *world) *benchWorld {
	tr := &http.Transport{MaxIdleConns: 4 * benchConnections, MaxIdleConnsPerHost: 4 * benchConnections, IdleConnTimeout: time.Minute}
	tb.Cleanup(tr.CloseIdleConnections)
	return &benchWorld{world: w, http: &http.Client{Transport: tr}, tokenURL: w.issuerURL("acme") + "/oauth2/token",
		refreshes: make(chan string, 1024)}
}

// benchClient is a registered client and how it authenticates.
type benchClient struct {
	id, secret string
	key        jose.Signer // private_key_jwt, else nil
}

// form is a client_credentials request, with a fresh assertion for a
// private_key_jwt client.
func (c *benchClient) form(aud string) url.Values {
	f := url.Values{"grant_type": {"client_credentials"}}
	if c.key != nil {
		f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		f.Set("client_assertion", c.assertion(aud))
	}
	return f
}

// assertion is a private_key_jwt client assertion (RFC 7523) with a fresh
// jti.
func (c *benchClient) assertion(aud string) string {
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"iss": c.id, "sub": c.id, "aud": aud,
		"jti": base64.RawURLEncoding.EncodeToString(jti), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	obj, err := c.key.Sign(payload)
	if err != nil {
		panic(err)
	}
	s, _ := obj.CompactSerialize()
	return s
}

func (bw *benchWorld) clientCredentials(tb testing.TB, auth, format string) *benchClient {
	tb.Helper()
	in := clients.NewClient{Name: "bench " + auth + " " + format, GrantTypes: []string{clients.GrantClientCredentials}, TokenFormat: format}
	c := &benchClient{}
	if auth == "private_key_jwt" {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		kid := "bench-" + format
		pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}}})
		in.JWKS = pub
		c.key, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			tb.Fatal(err)
		}
	}
	c.id, c.secret = bw.register(tb, "acme", in)
	// One request outside any timing: it must work, and it builds the
	// workspace's provider.
	if _, err := bw.token(c.form(bw.tokenURL), c); err != nil {
		tb.Fatalf("client_credentials %s %s: %v", auth, format, err)
	}
	return c
}

// tokenResponse is the part of a token response the benchmarks read.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// post sends a form to the issuer, authenticated with HTTP Basic when c
// has a secret, and returns the body of a 200 response.
func (bw *benchWorld) post(u string, form url.Values, c *benchClient) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.secret != "" {
		req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	}
	resp, err := bw.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return body, nil
}

func (bw *benchWorld) token(form url.Values, c *benchClient) (tokenResponse, error) {
	var out tokenResponse
	body, err := bw.post(bw.tokenURL, form, c)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" {
		return out, fmt.Errorf("no access token in %s", body)
	}
	return out, nil
}

// worker is one of the 16 request loops of a benchmark.
type worker struct {
	n       int
	refresh string // the newest refresh token of the worker's chain
}

// parallel runs fn from 16 goroutines, whatever GOMAXPROCS is (so -cpu 1
// measures the same 16 in flight on one core).
func (bw *benchWorld) parallel(b *testing.B, fn func(*worker) error) {
	b.Helper()
	bw.parallelWith(b, func(*worker) {}, fn, func(*worker) {})
}

func (bw *benchWorld) parallelWith(b *testing.B, start func(*worker), fn func(*worker) error, end func(*worker)) {
	b.Helper()
	b.SetParallelism(max(1, (benchConnections+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0)))
	var failed atomic.Value
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &worker{}
		start(w)
		defer end(w)
		for pb.Next() {
			if err := fn(w); err != nil {
				failed.CompareAndSwap(nil, err)
				return
			}
			w.n++
		}
	})
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// benchRefresh rotates refresh tokens: each worker takes a chain from
// bw.refreshes, refreshes it as often as the benchmark asks, and puts the
// newest token back for the next round.
func (bw *benchWorld) benchRefresh(b *testing.B) {
	if bw.refresher == nil {
		bw.refresher = &benchClient{}
		bw.refresher.id, bw.refresher.secret = bw.register(b, "acme", clients.NewClient{Name: "bench refresh",
			RedirectURIs: []string{callback}})
	}
	workers := max(1, (benchConnections+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0)) * runtime.GOMAXPROCS(0)
	for len(bw.refreshes) < workers {
		bw.refreshes <- bw.codeFlow(b, bw.refresher)
	}
	bw.parallelWith(b,
		func(w *worker) { w.refresh = <-bw.refreshes },
		func(w *worker) error {
			out, err := bw.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {w.refresh}}, bw.refresher)
			if err != nil {
				return err
			}
			if out.RefreshToken == "" || out.RefreshToken == w.refresh {
				return fmt.Errorf("refresh did not rotate")
			}
			w.refresh = out.RefreshToken
			return nil
		},
		func(w *worker) { bw.refreshes <- w.refresh })
}

// codeFlow signs in, authorizes c (consenting the first time) and returns
// the refresh token of the code exchange.
func (bw *benchWorld) codeFlow(tb testing.TB, c *benchClient) string {
	tb.Helper()
	iss := bw.issuerURL("acme")
	conf := oauth2.Config{ClientID: c.id, ClientSecret: c.secret, RedirectURL: callback, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: iss + "/oauth2/authorize", TokenURL: iss + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
	br := bw.browser(tb)
	br.signIn("acme", "ann@acme.test")
	verifier := oauth2.GenerateVerifier()
	q := br.authorize(conf.AuthCodeURL("state-bench", oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		tb.Fatal(err)
	}
	if tok.RefreshToken == "" {
		tb.Fatal("the code exchange returned no refresh token")
	}
	return tok.RefreshToken
}

// benchIntrospect introspects a pool of 256 opaque access tokens, each
// worker walking it from its own offset, as the client they were issued to.
func (bw *benchWorld) benchIntrospect(b *testing.B) {
	if bw.introspector == nil {
		bw.introspector = bw.clientCredentials(b, "basic", "opaque")
		for range 256 {
			out, err := bw.token(bw.introspector.form(bw.tokenURL), bw.introspector)
			if err != nil {
				b.Fatal(err)
			}
			bw.introspected = append(bw.introspected, out.AccessToken)
		}
	}
	introspectURL := bw.issuerURL("acme") + "/oauth2/introspect"
	var offsets atomic.Int64
	active := []byte(`"active":true`)
	bw.parallelWith(b,
		func(w *worker) { w.n = int(offsets.Add(17)) },
		func(w *worker) error {
			tok := bw.introspected[w.n%len(bw.introspected)]
			body, err := bw.post(introspectURL, url.Values{"token": {tok}, "token_type_hint": {"access_token"}}, bw.introspector)
			if err != nil {
				return err
			}
			if !bytes.Contains(body, active) {
				return fmt.Errorf("token inactive: %s", body)
			}
			return nil
		},
		func(*worker) {})
}
