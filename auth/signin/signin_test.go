package signin_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// inbox is a real SMTP server on loopback that hands each message to the
// test.
type inbox struct {
	addr string
	msgs chan string
}

type smtpBackend struct{ msgs chan string }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b.msgs}, nil }

type smtpSession struct{ msgs chan string }

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err == nil {
		s.msgs <- string(b)
	}
	return err
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func newInbox(t *testing.T) *inbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	msgs := make(chan string, 16)
	srv := smtp.NewServer(smtpBackend{msgs})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return &inbox{addr: ln.Addr().String(), msgs: msgs}
}

// next waits for the next message (bounded) and returns it decoded from
// quoted-printable enough to read links.
func (in *inbox) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-in.msgs:
		m = strings.ReplaceAll(m, "=\r\n", "")
		return strings.ReplaceAll(m, "=3D", "=")
	case <-time.After(10 * time.Second):
		t.Fatal("no email arrived")
		return ""
	}
}

func (in *inbox) empty(t *testing.T) {
	t.Helper()
	select {
	case m := <-in.msgs:
		t.Fatalf("unexpected email:\n%.300s", m)
	case <-time.After(300 * time.Millisecond):
	}
}

var tokenInLink = regexp.MustCompile(`/t/acme/([a-z-]+)\?token=([A-Za-z0-9_-]{43})`)

func linkToken(t *testing.T, msg, page string) string {
	t.Helper()
	for _, m := range tokenInLink.FindAllStringSubmatch(msg, -1) {
		if m[1] == page {
			return m[2]
		}
	}
	t.Fatalf("no %s link in:\n%s", page, msg)
	return ""
}

type world struct {
	db    *database.DB
	srv   *httptest.Server
	inbox *inbox
	ts    *tenants.Service
	sys   context.Context
}

// cheap argon2 parameters keep the suite fast; production uses Default.
var cheap = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	in := newInbox(t)
	ctx := context.Background()
	rec := audit.NewRecorder()
	ts := tenants.NewService(db.Client, rec)
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme Billing")
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	open := "open"
	if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{SignUpMode: &open}); err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, inbox: in, ts: ts, sys: sys}
	mux := http.NewServeMux()
	w.srv = httptest.NewUnstartedServer(mux)
	w.srv.Start()
	t.Cleanup(w.srv.Close)
	sender, err := mail.ParseSMTPURL("smtp://" + in.addr + "?tls=none&from=id@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	flows := signin.New(signin.Config{Client: db.Client, Tenants: ts, Audit: rec, Mail: sender, BaseURL: w.srv.URL, Hashing: cheap})
	signin.NewHandler(flows, ts).Mount(mux)
	return w
}

// browser is a client with its own cookie jar and CSRF token.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func (w *world) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: w.srv.URL, c: &http.Client{Jar: jar}}
}

type answer struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (b *browser) do(method, path string, body any, headers ...string) answer {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, b.base+"/t/acme/auth/"+path, r)
	req.Header.Set("Content-Type", "application/json")
	if b.csrf != "" {
		req.Header.Set(signin.CSRFHeader, b.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw), header: resp.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (b *browser) signIn(email, pw string) answer {
	b.t.Helper()
	a := b.do("POST", "signin", map[string]string{"email": email, "password": pw})
	if tok, ok := a.body["csrfToken"].(string); ok {
		b.csrf = tok
	}
	return a
}

func expect(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || (code != "" && a.body["code"] != code) {
		t.Fatalf("got %d %s, want %d %s", a.status, a.raw, status, code)
	}
}

const pw = "a long and unusual passphrase"

func TestSignUpVerifySignInAndSessions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		b := w.browser(t)
		expect(t, b.do("POST", "signup", map[string]string{"email": "Ann@Acme.test", "password": pw, "name": "Ann"}), 202, "")
		msg := w.inbox.next(t)
		if !strings.Contains(msg, "Acme Billing") || !strings.Contains(msg, "To: <ann@acme.test>") {
			t.Fatalf("verification email lacks the workspace or recipient:\n%.600s", msg)
		}
		// Not verified yet: the right password is told so, nothing more.
		expect(t, b.signIn("ann@acme.test", pw), 403, "email_not_verified")
		tok := linkToken(t, msg, "verify-email")
		expect(t, b.do("POST", "verify-email", map[string]string{"token": tok}), 200, "")
		expect(t, b.do("POST", "verify-email", map[string]string{"token": tok}), 400, "invalid_link")

		a := b.signIn("ANN@acme.test", pw)
		expect(t, a, 200, "")
		if b.csrf == "" {
			t.Fatal("no CSRF token after sign-in")
		}
		cookie := a.header.Get("Set-Cookie")
		for _, want := range []string{"mandate_acme=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Fatalf("cookie %q lacks %s", cookie, want)
			}
		}
		cur := b.do("GET", "session", nil)
		expect(t, cur, 200, "")
		if cur.body["csrfToken"] != b.csrf {
			t.Fatal("the session answer does not give the page its CSRF token back")
		}
		s := cur.body["session"].(map[string]any)
		if amr, _ := s["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" || s["authTime"] == nil {
			t.Fatalf("session records no amr/auth_time: %v", s)
		}

		// A second browser: see both sessions, revoke the first from it.
		b2 := w.browser(t)
		expect(t, b2.signIn("ann@acme.test", pw), 200, "")
		list := b2.do("GET", "sessions", nil)
		ss := list.body["sessions"].([]any)
		if len(ss) != 2 {
			t.Fatalf("sessions = %s", list.raw)
		}
		var firstID string
		for _, x := range ss {
			if m := x.(map[string]any); m["current"] == false {
				firstID = m["id"].(string)
			}
		}
		// Without the CSRF token, or from another origin, nothing changes.
		saved := b2.csrf
		b2.csrf = ""
		expect(t, b2.do("POST", "sessions/revoke", map[string]string{"id": firstID}), 403, "csrf")
		b2.csrf = "wrong"
		expect(t, b2.do("POST", "sessions/revoke", map[string]string{"id": firstID}), 403, "csrf")
		b2.csrf = saved
		expect(t, b2.do("POST", "sessions/revoke", map[string]string{"id": firstID}, "Origin", "https://evil.example"), 403, "csrf")
		expect(t, b2.do("POST", "sessions/revoke", map[string]string{"id": firstID}, "Origin", w.srv.URL), 200, "")
		expect(t, b.do("GET", "session", nil), 401, "no_session")

		expect(t, b2.do("POST", "signout", nil), 204, "")
		expect(t, b2.do("GET", "session", nil), 401, "no_session")

		for _, action := range []string{"user.signed_up", "user.email_verified", "signin.succeeded", "session.revoked", "signout"} {
			n, err := db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Count(w.sys)
			if err != nil || n == 0 {
				t.Errorf("no %s audit event (%v)", action, err)
			}
		}
	})
}

func TestAnswersDoNotRevealAccounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		b := w.browser(t)
		expect(t, b.do("POST", "signup", map[string]string{"email": "ann@acme.test", "password": pw}), 202, "")
		w.inbox.next(t)
		// Sign-up for an existing address answers exactly like a new one;
		// the owner of the address is told instead.
		again := b.do("POST", "signup", map[string]string{"email": "ann@acme.test", "password": pw})
		fresh := b.do("POST", "signup", map[string]string{"email": "bob@acme.test", "password": pw})
		if again.status != fresh.status || again.raw != fresh.raw {
			t.Fatalf("sign-up answers differ: %q vs %q", again.raw, fresh.raw)
		}
		w.inbox.next(t)
		w.inbox.next(t)
		// Forgot password: same answer for a known and an unknown address.
		known := b.do("POST", "forgot-password", map[string]string{"email": "ann@acme.test"})
		unknown := b.do("POST", "forgot-password", map[string]string{"email": "nobody@acme.test"})
		if known.status != 202 || known.raw != unknown.raw {
			t.Fatalf("forgot answers differ: %q vs %q", known.raw, unknown.raw)
		}
		w.inbox.next(t)
		w.inbox.empty(t)
		// Sign-in: an unknown address and a wrong password read the same.
		x := b.signIn("nobody@acme.test", pw)
		y := b.signIn("ann@acme.test", "not the password at all")
		if x.status != 401 || x.body["detail"] != y.body["detail"] || x.body["code"] != y.body["code"] {
			t.Fatalf("sign-in answers differ: %q vs %q", x.raw, y.raw)
		}
		n, _ := db.Client.AuditEvent.Query().Where(auditevent.Action("signin.failed")).Count(w.sys)
		if n != 2 {
			t.Fatalf("%d failed sign-ins audited, want 2", n)
		}
	})
}

func TestBurstsLockOutWithoutRevealingAccounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		b := w.browser(t)
		expect(t, b.do("POST", "signup", map[string]string{"email": "ann@acme.test", "password": pw}), 202, "")
		expect(t, b.do("POST", "verify-email", map[string]string{"token": linkToken(t, w.inbox.next(t), "verify-email")}), 200, "")
		burst := func(email string) answer {
			var last answer
			for i := 0; i < ratelimit.AccountPolicy.MaxFailures+1; i++ {
				last = b.signIn(email, "wrong password number x")
			}
			return last
		}
		known, unknown := burst("ann@acme.test"), burst("ghost@acme.test")
		for _, a := range []answer{known, unknown} {
			expect(t, a, 429, "rate_limited")
			if ra := a.header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Fatalf("no Retry-After: %v", a.header)
			}
		}
		if known.body["detail"] != unknown.body["detail"] {
			t.Fatal("a locked account answers differently from a locked unknown address")
		}
		// Locked means locked, even with the right password.
		expect(t, b.signIn("ann@acme.test", pw), 429, "rate_limited")
		n, _ := db.Client.AuditEvent.Query().Where(auditevent.Action("signin.locked")).Count(w.sys)
		if n == 0 {
			t.Fatal("the lock-out was not audited")
		}
		// The lock is in the database: a new server on it still refuses.
		w2 := newWorldOn(t, db, w)
		expect(t, w2.signIn("ann@acme.test", pw), 429, "rate_limited")
	})
}

// newWorldOn is a second server over the same database (a restart, or
// another replica).
func newWorldOn(t *testing.T, db *database.DB, w *world) *browser {
	t.Helper()
	rec := audit.NewRecorder()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	flows := signin.New(signin.Config{Client: db.Client, Tenants: tenants.NewService(db.Client, rec), Audit: rec, BaseURL: srv.URL, Hashing: cheap})
	signin.NewHandler(flows, tenants.NewService(db.Client, rec)).Mount(mux)
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: srv.URL, c: &http.Client{Jar: jar}}
}

func TestResetPasswordEndsEverySession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		b := w.browser(t)
		expect(t, b.do("POST", "signup", map[string]string{"email": "ann@acme.test", "password": pw}), 202, "")
		expect(t, b.do("POST", "verify-email", map[string]string{"token": linkToken(t, w.inbox.next(t), "verify-email")}), 200, "")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		other := w.browser(t)
		expect(t, other.do("POST", "forgot-password", map[string]string{"email": "ann@acme.test"}), 202, "")
		tok := linkToken(t, w.inbox.next(t), "reset-password")
		expect(t, other.do("POST", "reset-password", map[string]string{"token": tok, "newPassword": "password"}), 400, "invalid_input")
		// A refused new password did not spend the link.
		newPW := "another unusual passphrase"
		expect(t, other.do("POST", "reset-password", map[string]string{"token": tok, "newPassword": newPW}), 200, "")
		expect(t, other.do("POST", "reset-password", map[string]string{"token": tok, "newPassword": newPW}), 400, "invalid_link")
		expect(t, b.do("GET", "session", nil), 401, "no_session")
		expect(t, other.signIn("ann@acme.test", pw), 401, "invalid_credentials")
		expect(t, other.signIn("ann@acme.test", newPW), 200, "")
	})
}

func TestCrossSiteSignInIsRefused(t *testing.T) {
	w := newWorld(t, testdb.Open(t, "sqlite3"))
	b := w.browser(t)
	expect(t, b.do("POST", "signin", map[string]string{"email": "a@acme.test", "password": pw}, "Origin", "https://evil.example"), 403, "csrf")
	expect(t, b.do("POST", "signin", map[string]string{"email": "a@acme.test", "password": pw}, "Sec-Fetch-Site", "cross-site"), 403, "csrf")
	expect(t, b.do("POST", "signin", map[string]string{"email": "a@acme.test", "password": pw, "extra": "x"}), 400, "invalid_input")
}

// Requests that send mail are bounded per address (silently: the answer
// stays the same) and per client (429).
func TestMailFloodsAreBounded(t *testing.T) {
	w := newWorld(t, testdb.Open(t, "sqlite3"))
	b := w.browser(t)
	expect(t, b.do("POST", "signup", map[string]string{"email": "ann@acme.test", "password": pw}), 202, "")
	w.inbox.next(t)
	sent := 1
	for i := 0; i < ratelimit.MailAccountPolicy.MaxFailures+2; i++ {
		expect(t, b.do("POST", "forgot-password", map[string]string{"email": "ann@acme.test"}), 202, "")
	}
	for ; ; sent++ {
		select {
		case <-w.inbox.msgs:
			continue
		case <-time.After(500 * time.Millisecond):
		}
		break
	}
	if sent != ratelimit.MailAccountPolicy.MaxFailures {
		t.Fatalf("%d emails reached one address, want the cap of %d", sent, ratelimit.MailAccountPolicy.MaxFailures)
	}
	var last answer
	for i := 0; i < ratelimit.MailIPPolicy.MaxFailures; i++ {
		last = b.do("POST", "forgot-password", map[string]string{"email": "someone" + string(rune('a'+i)) + "@acme.test"})
	}
	expect(t, last, 429, "rate_limited")
}
