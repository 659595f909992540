package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/graph"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `mandate serve args...` in-process until the returned
// stop function is called; stop returns what serve returned.
func startServe(t *testing.T, addr string, args ...string) (stderr *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	root := newRootCmd(io.Discard, stderr)
	root.SetArgs(append([]string{"serve", "--addr", addr}, args...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not come up:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(35 * time.Second):
				result = errors.New("serve did not stop")
			}
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stderr, stop
}

func TestServeZeroConfigCreatesDatabaseAndSecret(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, k := range []string{"MANDATE_DATABASE_URL", "MANDATE_SECRET", "MANDATE_SECRET_FILE", "MANDATE_ADDR", "MANDATE_BASE_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	addr := freeAddr(t)
	stderr, stop := startServe(t, addr, "--demo")
	for _, f := range []string{"mandate.db", "mandate.secret"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s not created: %v", f, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	out := stderr.String()
	if !strings.Contains(out, "Workspace:  demo") || !strings.Contains(out, "API token:  mdt_") {
		t.Fatalf("demo did not print how to sign in:\n%s", out)
	}
	tok := out[strings.Index(out, "API token:  ")+len("API token:  "):]
	tok = strings.Fields(tok)[0]
	if strings.Contains(out[strings.Index(out, "mandate listening"):], tok) {
		t.Fatal("the token appears in a log line")
	}
	body := gql(t, "http://"+addr+"/t/demo/graphql", tok, `{ viewer { role } members(first: 5) { totalCount edges { node { user { email } } } } }`)
	if !strings.Contains(body, "admin@demo.test") || !strings.Contains(body, `"role":"owner"`) {
		t.Fatalf("demo workspace query = %s", body)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	// A second start keeps the secret and the data.
	secret1, _ := os.ReadFile(filepath.Join(dir, "mandate.secret"))
	_, stop = startServe(t, addr, "--demo")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	secret2, _ := os.ReadFile(filepath.Join(dir, "mandate.secret"))
	if !bytes.Equal(secret1, secret2) {
		t.Fatal("the generated secret changed on restart")
	}
}

func gql(t *testing.T, url, token, query string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return string(out)
}

func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MANDATE_DATABASE_URL", filepath.Join(dir, "m.db"))
	addr := freeAddr(t)
	_, stop := startServe(t, addr)
	// A slow upload: the request is in flight when shutdown begins.
	pr, pw := io.Pipe()
	respc := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/t/none/graphql", pr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			respc <- nil
			return
		}
		respc <- resp
	}()
	_, _ = pw.Write([]byte(`{"query":`))
	time.Sleep(100 * time.Millisecond) // let the request reach the handler
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// New connections are refused once shutdown starts.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections during shutdown")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, _ = pw.Write([]byte(`"{ __typename }"}`))
	pw.Close()
	resp := <-respc
	if resp == nil {
		t.Fatal("the in-flight request failed during shutdown")
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound { // workspace "none" does not exist
		t.Fatalf("in-flight request got %d", resp.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

func TestServeRefusesADatabaseAheadOfTheBinary(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			db := testdb.Open(t, d)
			_, latest, err := db.Versions(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			q := "INSERT INTO mandate_schema_migrations (version_id, is_applied) VALUES (" + strconv.FormatInt(latest+1, 10) + ", true)"
			if _, err := db.SQL.Exec(q); err != nil {
				t.Fatal(err)
			}
			url := db.Target.DSN
			if d != "postgres" {
				url = db.Target.Path
			}
			t.Setenv("MANDATE_DATABASE_URL", url)
			t.Setenv("MANDATE_SECRET", strings.Repeat("s", 40))
			root := newRootCmd(io.Discard, io.Discard)
			root.SetArgs([]string{"serve", "--addr", freeAddr(t)})
			err = root.ExecuteContext(context.Background())
			if !errors.Is(err, database.ErrAhead) || !strings.Contains(err.Error(), "newer mandate") {
				t.Fatalf("serve on a database ahead: %v", err)
			}
		})
	}
}

func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	c := Config{Addr: "nonsense", BaseURL: "ftp://x", DatabaseURL: "mysql://x", LogFormat: "xml", LogLevel: "loud", Secret: secret("short"),
		privatePings: "sometimes"}
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"addr", "base URL", "unsupported scheme", "log format", "log level", "MANDATE_SECRET", "MANDATE_PRIVATE_PINGS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	ok := Config{Addr: "127.0.0.1:8080", LogFormat: "json", LogLevel: "info"}
	if err := ok.Validate(); err != nil || ok.PrivatePings {
		t.Fatalf("default config rejected (%v) or private pings allowed", err)
	}
	dev := Config{Addr: "127.0.0.1:8080", LogFormat: "json", LogLevel: "info", privatePings: "true"}
	if err := dev.Validate(); err != nil || !dev.PrivatePings {
		t.Fatalf("MANDATE_PRIVATE_PINGS=true: %v, %v", err, dev.PrivatePings)
	}
	if got := ok.EffectiveBaseURL(); got != "http://127.0.0.1:8080" {
		t.Fatalf("base URL = %q", got)
	}
}

func TestSecretNeverFormats(t *testing.T) {
	c := Config{Secret: secret("super-secret-value-that-is-long-enough")}
	for _, s := range []string{c.Secret.String(), c.Secret.GoString()} {
		if strings.Contains(s, "super") {
			t.Fatal("secret formatted in clear")
		}
	}
}

// The HTTP hygiene table: each row is a request and what must come back.
func TestHTTPHygiene(t *testing.T) {
	db := testdb.Open(t, "sqlite3")
	ts := tenants.NewService(db.Client, audit.NewRecorder())
	ctx := context.Background()
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := ts.CreateAPIToken(viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test"), tenants.NewAPIToken{Name: "t", Role: viewer.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	srv := httptest.NewServer(newHandler(log, ts, db.Ping, false, testFlows(db, ts, log), testKeys(t, db), nil, nil))
	defer srv.Close()

	// node > (user > membership) x 7 > id: deeper than the limit.
	deep := "{ node(id: 1) { ... on Membership { " + strings.Repeat("user { membership { ", 7) + "id" + strings.Repeat(" } }", 7) + " } } }"
	if graph.MaxDepth >= 16 {
		t.Fatal("the deep query is no longer deeper than the limit")
	}
	cases := []struct {
		name, method, path, body string
		auth                     bool
		status                   int
		contentType, contains    string
	}{
		{"health", "GET", "/healthz", "", false, 200, "application/json", `"ok"`},
		{"ready", "GET", "/readyz", "", false, 200, "application/json", `"ready"`},
		{"health wrong method", "POST", "/healthz", "", false, 405, "application/problem+json", `"status":405`},
		{"unknown tenant endpoint", "GET", "/t/acme/nothing-here", "", false, 404, "application/problem+json", `"title":"Not Found"`},
		{"graphql without token", "POST", "/t/acme/graphql", `{"query":"{ viewer { role } }"}`, false, 401, "application/json", `"UNAUTHENTICATED"`},
		{"graphql unknown workspace", "POST", "/t/nope/graphql", `{"query":"{ viewer { role } }"}`, true, 404, "application/json", `"NOT_FOUND"`},
		{"graphql GET refused", "GET", "/t/acme/graphql?query={viewer{role}}", "", true, 405, "application/problem+json", "method not allowed"},
		{"graphql syntax error", "POST", "/t/acme/graphql", `{"query":"{ viewer { "}`, true, 422, "application/json", "GRAPHQL_PARSE_FAILED"},
		{"graphql unknown field", "POST", "/t/acme/graphql", `{"query":"{ secrets }"}`, true, 422, "application/json", "GRAPHQL_VALIDATION_FAILED"},
		{"graphql too deep", "POST", "/t/acme/graphql", `{"query":"` + deep + `"}`, true, 200, "application/json", "DEPTH_LIMIT_EXCEEDED"},
		{"graphql bad input", "POST", "/t/acme/graphql", `{"query":"mutation { createAPIToken(input: {name: \"\", role: member}) { token } }"}`, true, 200, "application/json", `"BAD_USER_INPUT"`},
		{"body too large", "POST", "/t/acme/graphql", `{"query":"` + strings.Repeat("x", 2<<20) + `"}`, true, 413, "application/problem+json", "too large"},
		{"dashboard route", "GET", "/w/acme/members", "", false, 0, "text/html", "<"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.auth {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if tc.status != 0 && resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Fatalf("content type %q, want %q", ct, tc.contentType)
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Fatalf("body lacks %q: %.300s", tc.contains, body)
			}
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
			} {
				if resp.Header.Get(h) != want {
					t.Fatalf("%s = %q", h, resp.Header.Get(h))
				}
			}
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Fatal("no CSP with frame-ancestors 'none'")
			}
			if resp.Header.Get("Strict-Transport-Security") != "" {
				t.Fatal("HSTS on plain http")
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Fatal("no request id")
			}
			if strings.Contains(string(body), "goroutine") || strings.Contains(string(body), ".go:") {
				t.Fatalf("internals leaked: %.300s", body)
			}
		})
	}
	if strings.Contains(logs.String(), tok) {
		t.Fatal("a token reached the logs")
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	db := testdb.Open(t, "sqlite3")
	ts := tenants.NewService(db.Client, audit.NewRecorder())
	for _, https := range []bool{true, false} {
		rec := httptest.NewRecorder()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		newHandler(log, ts, db.Ping, https, testFlows(db, ts, log), testKeys(t, db), nil, nil).
			ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != https {
			t.Fatalf("https=%v: HSTS present=%v", https, got)
		}
	}
}

// testFlows builds the sign-in flows over db with the dev outbox.
func testFlows(db *database.DB, ts *tenants.Service, log *slog.Logger) *signin.Flows {
	return testFlowsAt(db, ts, log, "http://127.0.0.1:8080")
}

func testFlowsAt(db *database.DB, ts *tenants.Service, log *slog.Logger, base string) *signin.Flows {
	a := &app{db: db, tenants: ts, log: log}
	f, err := a.signinFlows(base)
	if err != nil {
		panic(err)
	}
	return f
}

// Every page an email links to is served by the dashboard app.
func TestHostedPagesAreServed(t *testing.T) {
	db := testdb.Open(t, "sqlite3")
	ts := tenants.NewService(db.Client, audit.NewRecorder())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := newHandler(log, ts, db.Ping, false, testFlows(db, ts, log), testKeys(t, db), nil, nil)
	for _, p := range append(hostedPages, "verify-email?token=x", "reset-password?token=x") {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/t/acme/"+p, nil))
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("/t/acme/%s: %d %s", p, rec.Code, ct)
		}
	}
	for _, p := range []string{"confirm-email", "accept-invitation", "verify-email", "reset-password"} {
		if !slices.Contains(hostedPages, p) {
			t.Errorf("emails link to /t/{slug}/%s but it is not a hosted page", p)
		}
	}
}

// testKeys is a signing-key manager over db with a test master secret.
func testKeys(t *testing.T, db *database.DB) *keys.Manager {
	t.Helper()
	m, err := keys.NewManager(db.Client, []byte(strings.Repeat("k", 32)), audit.NewRecorder())
	if err != nil {
		t.Fatal(err)
	}
	return m
}
