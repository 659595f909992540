package signin_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// clockWorld is a server on an injected clock, with one verified member
// whose password was hashed with weaker parameters than the server's.
func clockWorld(t *testing.T, secure bool) (*browser, *time.Time, *tenants.Service, context.Context, *httptest.Server) {
	t.Helper()
	db := testdb.Open(t, "sqlite3")
	// Near the wall clock: the client's cookie jar expires cookies by it.
	now := time.Now().UTC().Truncate(time.Second)
	rec := &audit.Recorder{Now: func() time.Time { return now }}
	ts := tenants.NewService(db.Client, rec)
	ctx := context.Background()
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	weak := password.Params{MemoryKiB: 512, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	h, _ := password.Hash(pw, weak)
	if _, err := ts.AddMember(sys, tenants.NewMember{Email: "ann@acme.test", Role: viewer.RoleMember, PasswordHash: h, EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	flows := signin.New(signin.Config{Client: db.Client, Tenants: ts, Audit: rec, BaseURL: srv.URL, Hashing: cheap,
		Sessions: session.New(db.Client, rec.Now, secure)})
	signin.NewHandler(flows, ts).Mount(mux)
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: srv.URL, c: &http.Client{Jar: jar}}, &now, ts, sys, srv
}

func TestSessionTimeouts(t *testing.T) {
	b, now, ts, sys, _ := clockWorld(t, false)
	// Workspace policy: 60 minutes in all, 20 idle.
	life, idle := 60, 20
	if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{SessionLifetimeMinutes: &life, SessionIdleMinutes: &idle}); err != nil {
		t.Fatal(err)
	}
	expect(t, b.signIn("ann@acme.test", pw), 200, "")
	*now = now.Add(19 * time.Minute)
	expect(t, b.do("GET", "session", nil), 200, "") // activity keeps it alive
	*now = now.Add(19 * time.Minute)
	expect(t, b.do("GET", "session", nil), 200, "")
	*now = now.Add(21 * time.Minute)
	expect(t, b.do("GET", "session", nil), 401, "no_session") // idle too long

	expect(t, b.signIn("ann@acme.test", pw), 200, "")
	for i := 0; i < 3; i++ {
		*now = now.Add(19 * time.Minute)
		expect(t, b.do("GET", "session", nil), 200, "")
	}
	*now = now.Add(4 * time.Minute) // 61 minutes after sign-in, though active
	expect(t, b.do("GET", "session", nil), 401, "no_session")
}

func TestIdleSessionsAreNotListed(t *testing.T) {
	b, now, ts, sys, _ := clockWorld(t, false)
	life, idle := 60, 20
	if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{SessionLifetimeMinutes: &life, SessionIdleMinutes: &idle}); err != nil {
		t.Fatal(err)
	}
	other := &browser{t: t, base: b.base, c: &http.Client{Jar: newJar()}}
	expect(t, b.signIn("ann@acme.test", pw), 200, "")
	expect(t, other.signIn("ann@acme.test", pw), 200, "")
	*now = now.Add(15 * time.Minute)
	expect(t, b.do("GET", "session", nil), 200, "")
	*now = now.Add(15 * time.Minute) // the other browser has been idle 30 minutes
	list := b.do("GET", "sessions", nil)
	expect(t, list, 200, "")
	if n := len(list.body["sessions"].([]any)); n != 1 {
		t.Fatalf("%d sessions listed, want only the active one: %s", n, list.raw)
	}
}

func newJar() http.CookieJar {
	j, _ := cookiejar.New(nil)
	return j
}

func TestSignInUpgradesAnOldHash(t *testing.T) {
	b, _, ts, sys, _ := clockWorld(t, false)
	expect(t, b.signIn("ann@acme.test", pw), 200, "")
	u, err := ts.Client().User.Query().Where(user.Email("ann@acme.test")).Only(sys)
	if err != nil {
		t.Fatal(err)
	}
	if password.NeedsRehash(u.PasswordHash, cheap) {
		t.Fatalf("hash %q was not upgraded to the server's parameters", u.PasswordHash[:30])
	}
	if err := password.Verify(pw, u.PasswordHash); err != nil {
		t.Fatal("the upgraded hash does not verify")
	}
}

func TestEverySignInStartsANewSession(t *testing.T) {
	b, _, _, _, srv := clockWorld(t, false)
	first := b.signIn("ann@acme.test", pw)
	expect(t, first, 200, "")
	second := b.signIn("ann@acme.test", pw)
	expect(t, second, 200, "")
	c1, c2 := first.header.Get("Set-Cookie"), second.header.Get("Set-Cookie")
	if c1 == c2 || first.body["session"].(map[string]any)["id"] == second.body["session"].(map[string]any)["id"] {
		t.Fatal("a second sign-in reused the session id")
	}
	// A cookie planted before sign-in (fixation) is never adopted.
	req, _ := http.NewRequest("POST", srv.URL+"/t/acme/auth/signin", strings.NewReader(`{"email":"ann@acme.test","password":"`+pw+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: "mandate_acme", Value: strings.Repeat("A", 43)})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if sc := resp.Header.Get("Set-Cookie"); strings.Contains(sc, strings.Repeat("A", 43)) || sc == "" {
		t.Fatalf("planted cookie adopted: %q", sc)
	}
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	b, _, _, _, _ := clockWorld(t, true)
	a := b.signIn("ann@acme.test", pw)
	expect(t, a, 200, "")
	c := a.header.Get("Set-Cookie")
	for _, want := range []string{"__Host-mandate_acme=", "Secure", "HttpOnly", "Path=/", "SameSite=Lax"} {
		if !strings.Contains(c, want) {
			t.Fatalf("cookie %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, "Domain=") {
		t.Fatal("a __Host- cookie must not set Domain")
	}
}
