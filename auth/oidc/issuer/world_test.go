package issuer_test

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
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

var cheap = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const pw = "a long unusual passphrase"

// world is a server with two workspaces (acme and other), a member of
// each, and the issuer mounted as in production.
type world struct {
	db      *database.DB
	ts      *tenants.Service
	srv     *httptest.Server
	iss     *issuer.Issuer
	keys    *keys.Manager
	clients *clients.Service
	agents  *registry.Service
	tenants map[string]int
	flows   *signin.Flows
	mux     *http.ServeMux
	// approvals decides CIBA requests; hooks records their webhooks.
	approvals *approval.Service
	hooks     *webhooks.Service
}

func newWorld(t testing.TB, db *database.DB) *world {
	t.Helper()
	ctx := context.Background()
	rec := audit.NewRecorder()
	w := &world{db: db, ts: tenants.NewService(db.Client, rec), tenants: map[string]int{}, clients: clients.NewService(db.Client, rec)}
	hash, err := password.Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range []string{"acme", "other"} {
		tn, err := w.ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug))
		if err != nil {
			t.Fatal(err)
		}
		w.tenants[slug] = tn.ID
		sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
		if _, err := w.ts.AddMember(sys, tenants.NewMember{Email: "ann@" + slug + ".test", Name: "Ann " + slug,
			Role: viewer.RoleAdmin, PasswordHash: hash, EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	w.srv = httptest.NewUnstartedServer(nil)
	w.srv.Start()
	t.Cleanup(w.srv.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	flows := signin.New(signin.Config{Client: db.Client, Tenants: w.ts, Audit: rec, Mail: &mail.Outbox{Client: db.Client, Log: log},
		BaseURL: w.srv.URL, Hashing: cheap, Log: log})
	w.keys, err = keys.NewManager(db.Client, []byte(strings.Repeat("k", 32)), rec)
	if err != nil {
		t.Fatal(err)
	}
	w.agents = registry.NewService(db.Client, rec, w.clients)
	// The agents' ping endpoints are on loopback, which a server's
	// default ping client refuses (tenants/webhooks).
	w.hooks, err = webhooks.New(webhooks.Config{Client: db.Client, Audit: rec, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log,
		PingClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	w.approvals = approval.New(approval.Config{Client: db.Client, Audit: rec, Flows: flows, Webhooks: w.hooks, BaseURL: w.srv.URL, Log: log})
	w.iss = issuer.New(issuer.Config{Client: db.Client, Tenants: w.ts, Keys: w.keys, Flows: flows, Audit: rec,
		BaseURL: w.srv.URL, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log, Authority: registry.Authority{S: w.agents},
		Approvals: w.approvals})
	w.clients.OnChange = w.iss.ForgetClient
	w.ts.OnSettingsChange = w.iss.ForgetWorkspace
	mux := http.NewServeMux()
	signin.NewHandler(flows, w.ts).Mount(mux)
	w.iss.Mount(mux)
	w.srv.Config.Handler = mux
	w.flows, w.mux = flows, mux
	return w
}

func (w *world) issuerURL(slug string) string { return w.srv.URL + "/t/" + slug }

// register adds a client to a workspace and returns its id and secret.
func (w *world) register(t testing.TB, slug string, in clients.NewClient) (string, string) {
	t.Helper()
	ctx := viewer.AsSystem(viewer.ForTenant(context.Background(), w.tenants[slug]), "test")
	c, secret, err := w.clients.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return c.ClientID, secret
}

func (w *world) sys(slug string) context.Context {
	return viewer.AsSystem(viewer.ForTenant(context.Background(), w.tenants[slug]), "test")
}

// browser is a user agent with cookies that follows redirects on the
// server and stops at the first redirect elsewhere (the client's
// callback), which it returns.
type browser struct {
	t    testing.TB
	w    *world
	http *http.Client
}

func (w *world) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, w: w}
	b.http = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), w.srv.URL+"/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *browser) signIn(slug, email string) {
	b.t.Helper()
	resp, err := b.http.Post(b.w.srv.URL+"/t/"+slug+"/auth/signin", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.t.Fatalf("sign-in: %d", resp.StatusCode)
	}
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// page is a response the browser ended on.
type page struct {
	status   int
	location string // where the server sent the browser outside itself
	body     string
	url      string
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.http.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) page {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body), url: resp.Request.URL.String()}
}

// submit posts the page's form (its hidden fields plus extra) to action,
// as a browser would from the server's page.
func (b *browser) submit(p page, action string, extra url.Values) page {
	b.t.Helper()
	form := url.Values{}
	for _, m := range hidden.FindAllStringSubmatch(p.body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// What Chromium sends for a form posted from a page served with
	// Referrer-Policy: no-referrer, as the issuer's pages are.
	req.Header.Set("Origin", "null")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}

// authorize runs the browser through the authorize endpoint to the
// client's callback, approving consent when asked, and returns the
// callback's query.
func (b *browser) authorize(authURL string) url.Values {
	b.t.Helper()
	p := b.get(authURL)
	if p.status == http.StatusOK && strings.Contains(p.body, `name="consent"`) {
		p = b.submit(p, "/t/"+slugOf(authURL)+"/oauth2/authorize", url.Values{"consent": {"approve"}})
	}
	if p.location == "" {
		b.t.Fatalf("authorize ended on %s with %d: %s", p.url, p.status, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Query()
}

func slugOf(u string) string {
	_, rest, _ := strings.Cut(u, "/t/")
	slug, _, _ := strings.Cut(rest, "/")
	return slug
}

// postForm sends a token-endpoint style request and decodes the JSON.
func postForm(t *testing.T, u string, form url.Values, basicID, basicSecret string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

func oauthErr(err error) string {
	if re, ok := err.(*oauth2.RetrieveError); ok {
		return re.ErrorCode
	}
	return ""
}

func countAudit(t *testing.T, w *world, slug, action string) int {
	t.Helper()
	n, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Count(w.sys(slug))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
