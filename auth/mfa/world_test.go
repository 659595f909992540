package mfa_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The tests here run over real HTTP on loopback, with a real SMTP server
// in-process, on every dialect, and with an injected clock so codes are
// computed for known times.

// clock is the injected time, safe to read from concurrent requests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// inbox is an SMTP server on loopback that hands each message to the test.
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

// next waits (bounded) for the next message, with quoted-printable soft
// breaks undone.
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

const pw = "a long and unusual passphrase"

// cheap argon2 parameters keep the suite fast; production uses Default.
var cheap = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

type world struct {
	db    *database.DB
	srv   *httptest.Server
	inbox *inbox
	ts    *tenants.Service
	sys   context.Context
	clock *clock
	flows *signin.Flows
	mfa   *mfa.Service
	tid   int
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	in := newInbox(t)
	ctx := context.Background()
	// Near the wall clock (the cookie jar expires cookies by it), on a
	// step boundary so that "the next step" is exactly 30 seconds on.
	ck := &clock{t: time.Now().UTC().Truncate(30 * time.Second)}
	rec := &audit.Recorder{Now: ck.Now}
	ts := tenants.NewService(db.Client, rec)
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme Billing")
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	w := &world{db: db, inbox: in, ts: ts, sys: sys, clock: ck, tid: tn.ID}
	mux := http.NewServeMux()
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	sender, err := mail.ParseSMTPURL("smtp://" + in.addr + "?tls=none&from=id@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	w.flows = signin.New(signin.Config{Client: db.Client, Tenants: ts, Audit: rec, Mail: sender, BaseURL: w.srv.URL, Hashing: cheap})
	w.mfa, err = mfa.New(mfa.Config{Client: db.Client, Flows: w.flows, Audit: rec, MasterSecret: []byte(strings.Repeat("m", 32))})
	if err != nil {
		t.Fatal(err)
	}
	w.flows.SetFactors(signin.FactorList{w.mfa})
	auth := signin.NewHandler(w.flows, ts)
	auth.Mount(mux)
	mfa.NewHandler(w.mfa, auth).Mount(mux)
	return w
}

// policy sets the workspace's MFA policy.
func (w *world) policy(t *testing.T, p settings.MFAPolicy) {
	t.Helper()
	s := string(p)
	if _, err := w.ts.UpdateSettings(w.sys, tenants.SettingsUpdate{MFAPolicy: &s}); err != nil {
		t.Fatal(err)
	}
}

// person is a verified member of the workspace with the password pw.
type person struct {
	id    int
	email string
	role  viewer.Role
}

func (w *world) member(t *testing.T, email string, role viewer.Role) person {
	t.Helper()
	h, err := password.Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	m, err := w.ts.AddMember(w.sys, tenants.NewMember{Email: email, Role: role, PasswordHash: h, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return person{id: m.UserID, email: email, role: role}
}

// as is p acting in the workspace without a session (an admin through
// GraphQL with its own checks, for the service-level tests).
func (w *world) as(p person) context.Context {
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tid, Kind: viewer.Human, ID: p.id, Label: p.email, Role: p.role})
}

// count is how many audit events of action the workspace has.
func (w *world) count(t *testing.T, action string) int {
	t.Helper()
	n, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Count(w.sys)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lastEvent is the latest audit event of action.
func (w *world) lastEvent(t *testing.T, action string) map[string]string {
	t.Helper()
	e, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Order(auditevent.BySeq()).All(w.sys)
	if err != nil || len(e) == 0 {
		t.Fatalf("no %s event (%v)", action, err)
	}
	return e[len(e)-1].Details
}

// factor reads p's authenticator app row as the system.
func (w *world) factor(t *testing.T, p person) (secretSealed []byte, confirmed bool, lastStep int64, found bool) {
	t.Helper()
	f, err := w.db.Client.TOTPFactor.Query().Where(totpfactor.UserID(p.id)).Only(w.sys)
	if err != nil {
		return nil, false, 0, false
	}
	return f.SecretSealed, f.ConfirmedAt != nil, f.LastUsedStep, true
}

// code is the authenticator app's code for secret now plus offset steps.
func (w *world) code(t *testing.T, secret string, steps int) string {
	t.Helper()
	c, err := mfa.CodeAt(secret, w.clock.Now().Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
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

// do sends a JSON body to /t/acme/auth/path; a CSRF token in the answer
// becomes the browser's.
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
	if tok, ok := a.body["csrfToken"].(string); ok && resp.StatusCode == 200 {
		b.csrf = tok
	}
	return a
}

func (b *browser) signIn(email string) answer {
	b.t.Helper()
	return b.do("POST", "signin", map[string]string{"email": email, "password": pw})
}

// cookie is the browser's cookie named name for the server, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func expect(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || (code != "" && a.body["code"] != code) {
		t.Fatalf("got %d %s, want %d %s", a.status, a.raw, status, code)
	}
}

// amr is the session amr of a sign-in answer.
func amr(t *testing.T, a answer) []string {
	t.Helper()
	s, ok := a.body["session"].(map[string]any)
	if !ok {
		t.Fatalf("no session in %s", a.raw)
	}
	var out []string
	for _, x := range s["amr"].([]any) {
		out = append(out, x.(string))
	}
	return out
}

// strs turns a JSON array into strings.
func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// enroll sets up and confirms an authenticator app for the signed-in b
// and returns its secret and recovery codes.
func (w *world) enroll(t *testing.T, b *browser) (string, []string) {
	t.Helper()
	e := b.do("POST", "mfa/totp/begin", nil)
	expect(t, e, 200, "")
	secret := e.body["secret"].(string)
	c := b.do("POST", "mfa/totp/confirm", map[string]string{"code": w.code(t, secret, 0)})
	expect(t, c, 200, "")
	return secret, strs(c.body["recoveryCodes"])
}

// signedIn is a browser signed in as p with the password alone (p has no
// second factor).
func (w *world) signedIn(t *testing.T, p person) *browser {
	t.Helper()
	b := w.browser(t)
	a := b.signIn(p.email)
	expect(t, a, 200, "")
	if a.body["status"] != nil {
		t.Fatalf("sign-in of %s wants a second step: %s", p.email, a.raw)
	}
	return b
}
