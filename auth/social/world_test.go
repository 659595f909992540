package social_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/predicate"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/graph"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

var cheap = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const pw = "a long unusual passphrase"

// clock is the server's clock, which a test may move forward.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// world is one Mandate server with two workspaces: "upstream", whose
// OpenID Connect issuer signs people in, and "acme", which federates to
// it as its provider "up" (generic oidc) — plus the GraphQL API, so tests
// drive the account page's calls too.
type world struct {
	db     *database.DB
	srv    *httptest.Server
	ts     *tenants.Service
	flows  *signin.Flows
	social *social.Service
	// vault keeps connected accounts (conns) as the server does.
	vault   *vault.Service
	conns   *vault.Connections
	clock   *clock
	tenants map[string]int
	// upClient is acme's client registration at upstream.
	upClient, upSecret string
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
	rec := &audit.Recorder{Now: clk.Now}
	w := &world{db: db, ts: tenants.NewService(db.Client, rec), clock: clk, tenants: map[string]int{}}
	for _, slug := range []string{"upstream", "acme"} {
		tn, err := w.ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug))
		if err != nil {
			t.Fatal(err)
		}
		w.tenants[slug] = tn.ID
	}
	open := string(settings.SignUpOpen)
	if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{SignUpMode: &open}); err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewUnstartedServer(nil)
	w.srv.Start()
	t.Cleanup(w.srv.Close)
	log := slog.New(slog.NewTextHandler(testLog{t}, nil))
	w.flows = signin.New(signin.Config{Client: db.Client, Tenants: w.ts, Audit: rec, Mail: &mail.Outbox{Client: db.Client, Log: log},
		BaseURL: w.srv.URL, Hashing: cheap, Log: log})
	signing, err := keys.NewManager(db.Client, []byte(strings.Repeat("k", 32)), rec)
	if err != nil {
		t.Fatal(err)
	}
	cs := clients.NewService(db.Client, rec)
	iss := issuer.New(issuer.Config{Client: db.Client, Tenants: w.ts, Keys: signing, Flows: w.flows, Audit: rec,
		BaseURL: w.srv.URL, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log, Now: clk.Now})
	cs.OnChange = iss.ForgetClient
	w.ts.OnSettingsChange = iss.ForgetWorkspace
	w.vault, err = vault.New(vault.Config{Client: db.Client, Audit: rec, Masters: [][]byte{[]byte(strings.Repeat("v", 32))}, Now: clk.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	w.conns = vault.NewConnections(w.vault)
	w.social, err = social.New(social.Config{Client: db.Client, Tenants: w.ts, Audit: rec, Flows: w.flows,
		MasterSecret: []byte(strings.Repeat("m", 32)), BaseURL: w.srv.URL, Log: log, Tokens: w.conns})
	if err != nil {
		t.Fatal(err)
	}
	w.conns.Refresher = w.social
	mux := http.NewServeMux()
	sh := signin.NewHandler(w.flows, w.ts)
	sh.Mount(mux)
	iss.Mount(mux)
	social.NewHandler(w.social).Mount(mux)
	mux.Handle("/t/{slug}/graphql", graph.NewHandler(db.Client, w.ts, log).WithSessions(sh).WithAccounts(w.flows).WithSocial(w.social).WithConnections(w.conns))
	// The hosted pages the dance ends on.
	for _, p := range []string{"signin", "account"} {
		mux.HandleFunc("GET /t/{slug}/"+p, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, p+" page") })
	}
	w.srv.Config.Handler = mux

	// acme's registration at upstream, and the provider pointing there.
	c, secret, err := cs.Create(w.sys("upstream"), clients.NewClient{Name: "ACME sign-in",
		RedirectURIs: []string{w.srv.URL + "/t/acme/auth/social/up/callback"}, Scopes: []string{"openid", "email", "profile"}})
	if err != nil {
		t.Fatal(err)
	}
	w.upClient, w.upSecret = c.ClientID, secret
	if _, err := w.social.CreateProvider(w.sys("acme"), social.NewProvider{Slug: "up", Kind: social.KindOIDC, DisplayName: "Upstream",
		ClientID: c.ClientID, ClientSecret: secret, Issuer: w.srv.URL + "/t/upstream", AllowSignUp: true}); err != nil {
		t.Fatal(err)
	}
	return w
}

// testLog sends the server's log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (w *world) sys(slug string) context.Context {
	return viewer.AsSystem(viewer.ForTenant(context.Background(), w.tenants[slug]), "test")
}

// addUser adds a member with a password to a workspace.
func (w *world) addUser(t *testing.T, slug, email string) *ent.User {
	t.Helper()
	hash, err := password.Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	m, err := w.ts.AddMember(w.sys(slug), tenants.NewMember{Email: email, Name: "Person " + email, Role: viewer.RoleMember,
		PasswordHash: hash, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.db.Client.User.Get(w.sys(slug), m.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// userByEmail finds a user in a workspace, or nil.
func (w *world) userByEmail(t *testing.T, slug, email string) *ent.User {
	t.Helper()
	u, err := w.db.Client.User.Query().Where(user.Email(email)).Only(w.sys(slug))
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (w *world) links(t *testing.T, slug string, where ...predicate.FederatedIdentity) []*ent.FederatedIdentity {
	t.Helper()
	out, err := w.db.Client.FederatedIdentity.Query().Where(where...).All(w.sys(slug))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *world) countUsers(t *testing.T, slug string) int {
	t.Helper()
	n, err := w.db.Client.User.Query().Count(w.sys(slug))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// audits returns the details of a workspace's events of action.
func (w *world) audits(t *testing.T, slug, action string) []*ent.AuditEvent {
	t.Helper()
	evs, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Order(ent.Asc(auditevent.FieldID)).All(w.sys(slug))
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// browser is a user agent with cookies. It follows redirects (on the
// server and on fake providers) until a hosted page (sign-in or account),
// which it does not load: the redirect to it is the answer.
type browser struct {
	t    *testing.T
	w    *world
	http *http.Client
	// stopAt, when set, also stops before a URL it matches.
	stopAt func(*url.URL) bool
}

var hostedPage = regexp.MustCompile(`^/t/[^/]+/(signin|account)$`)

func (w *world) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, w: w}
	b.http = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 15 || hostedPage.MatchString(req.URL.Path) || b.stopAt != nil && b.stopAt(req.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// page is the response a browser ended on.
type page struct {
	status   int
	location string
	body     string
	url      *url.URL
}

// landed parses where a final redirect sends the browser.
func (p page) landed(t *testing.T) *url.URL {
	t.Helper()
	if p.location == "" {
		t.Fatalf("no redirect: %d at %s: %s", p.status, p.url, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (b *browser) read(resp *http.Response) page {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body), url: resp.Request.URL}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.w.srv.URL + u
	}
	resp, err := b.http.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

// signIn signs in to a workspace with a password.
func (b *browser) signIn(slug, email string) {
	b.t.Helper()
	resp, err := b.http.Post(b.w.srv.URL+"/t/"+slug+"/auth/signin", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.t.Fatalf("sign-in of %s at %s: %d", email, slug, resp.StatusCode)
	}
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// through drives the browser from u to the end of a dance: it follows
// redirects, approves the upstream's consent page when shown, and returns
// the answer that ends it.
func (b *browser) through(u string) page {
	b.t.Helper()
	p := b.get(u)
	if p.status == http.StatusOK && strings.Contains(p.body, `name="consent"`) {
		form := url.Values{}
		for _, m := range hidden.FindAllStringSubmatch(p.body, -1) {
			form.Set(m[1], strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(m[2]))
		}
		form.Set("consent", "approve")
		req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+p.url.Path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.w.srv.URL)
		resp, err := b.http.Do(req)
		if err != nil {
			b.t.Fatal(err)
		}
		p = b.read(resp)
	}
	return p
}

// session is the browser's session in a workspace, or nil.
type sessionInfo struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Session struct {
		ID  string   `json:"id"`
		AMR []string `json:"amr"`
	} `json:"session"`
	CSRF string `json:"csrfToken"`
}

func (b *browser) session(slug string) *sessionInfo {
	b.t.Helper()
	p := b.get("/t/" + slug + "/auth/session")
	if p.status != http.StatusOK {
		return nil
	}
	var s sessionInfo
	if err := json.Unmarshal([]byte(p.body), &s); err != nil {
		b.t.Fatal(err)
	}
	return &s
}

// graphql runs an operation as the browser's signed-in person.
func (b *browser) graphql(slug, query string, vars map[string]any) (map[string]json.RawMessage, []gqlError) {
	b.t.Helper()
	s := b.session(slug)
	if s == nil {
		b.t.Fatal("graphql: not signed in")
	}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+"/t/"+slug+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signin.CSRFHeader, s.CSRF)
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []gqlError                 `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.t.Fatal(err)
	}
	return out.Data, out.Errors
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

// wantLanded checks a dance ended on path with the given error code
// ("" for none).
func wantLanded(t *testing.T, p page, path, code string) *url.URL {
	t.Helper()
	u := p.landed(t)
	if u.Path != path || u.Query().Get("error") != code {
		t.Fatalf("landed on %s; want %s with error %q", u, path, code)
	}
	return u
}

func itoa(n int) string { return strconv.Itoa(n) }

// teeTo copies what r reads into sb.
func teeTo(r io.Reader, sb *strings.Builder) io.Reader { return io.TeeReader(r, sb) }
