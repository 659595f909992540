package passkey_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/passkey"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	entpasskey "github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The tests drive the real HTTP endpoints on loopback with a virtual
// authenticator (github.com/descope/virtualwebauthn) standing in for the
// browser and the device. The server's base URL is http://localhost:PORT,
// so the relying-party id is "localhost", as in a browser test.

// cheap argon2 parameters keep the suite fast; production uses Default.
var cheap = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const pw = "a long and unusual passphrase"

// clock is the flows' clock, which a test may move forward.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// letters captures the mail the flows send (invitations).
type letters struct{ msgs chan mail.Message }

func (l letters) Send(_ context.Context, m mail.Message) error {
	l.msgs <- m
	return nil
}

type world struct {
	t     *testing.T
	db    *database.DB
	c     *ent.Client
	srv   *httptest.Server
	base  string // http://localhost:PORT
	ts    *tenants.Service
	flows *signin.Flows
	svc   *passkey.Service
	clock *clock
	mail  letters
	// sys is the system of each workspace, by slug.
	sys map[string]context.Context
}

// newWorld serves workspaces "acme" and "beta" on one server, wired as
// cmd/mandate wires them.
func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
	rec := audit.NewRecorder()
	rec.Now = clk.Now
	ts := tenants.NewService(db.Client, rec)
	w := &world{t: t, db: db, c: db.Client, ts: ts, clock: clk, mail: letters{make(chan mail.Message, 16)}, sys: map[string]context.Context{}}
	for _, slug := range []string{"acme", "beta"} {
		tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug[:1])+slug[1:]+" Inc")
		if err != nil {
			t.Fatal(err)
		}
		w.sys[slug] = viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	}
	mux := http.NewServeMux()
	w.srv = httptest.NewUnstartedServer(mux)
	w.srv.Start()
	t.Cleanup(w.srv.Close)
	_, port, _ := net.SplitHostPort(w.srv.Listener.Addr().String())
	w.base = "http://localhost:" + port
	w.flows = signin.New(signin.Config{Client: db.Client, Tenants: ts, Audit: rec, Mail: w.mail, BaseURL: w.base, Hashing: cheap})
	w.svc = passkey.New(passkey.Config{Client: db.Client, Flows: w.flows, Audit: rec, BaseURL: w.base})
	w.flows.SetFactors(signin.FactorList{w.svc})
	auth := signin.NewHandler(w.flows, ts)
	auth.Mount(mux)
	passkey.NewHandler(w.svc, auth).Mount(mux)
	return w
}

// member adds a verified member to workspace slug, with a password unless
// pw is empty.
func (w *world) member(slug, email, password_ string) *ent.User {
	w.t.Helper()
	var h string
	if password_ != "" {
		var err error
		if h, err = password.Hash(password_, cheap); err != nil {
			w.t.Fatal(err)
		}
	}
	m, err := w.ts.AddMember(w.sys[slug], tenants.NewMember{Email: email, Role: viewer.RoleMember, PasswordHash: h, EmailVerified: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.user(slug, m.UserID)
}

func (w *world) user(slug string, id int) *ent.User {
	w.t.Helper()
	u, err := w.c.User.Query().Where(user.ID(id)).WithMembership().Only(w.sys[slug])
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *world) passkeys(slug string, userID int) []*ent.Passkey {
	w.t.Helper()
	ks, err := w.c.Passkey.Query().Where(entpasskey.UserID(userID)).Order(ent.Asc(entpasskey.FieldID)).All(w.sys[slug])
	if err != nil {
		w.t.Fatal(err)
	}
	return ks
}

// events counts a workspace's audit events of action.
func (w *world) events(slug, action string) int {
	w.t.Helper()
	n, err := w.c.AuditEvent.Query().Where(auditevent.Action(action)).Count(w.sys[slug])
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// browser is one browser: a cookie jar, the CSRF token of its session,
// and the origin its pages are on.
type browser struct {
	t      *testing.T
	w      *world
	slug   string
	c      *http.Client
	jar    *cookiejar.Jar
	csrf   string
	origin string
}

func (w *world) browser(slug string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: w.t, w: w, slug: slug, c: &http.Client{Jar: jar}, jar: jar, origin: w.base}
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func (a answer) code() string { s, _ := a.body["code"].(string); return s }

// post sends a JSON body (a string is sent as is) to /t/{slug}/auth/path.
func (b *browser) do(method, path string, body any) answer {
	b.t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	default:
		j, _ := json.Marshal(v)
		r = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, b.w.base+"/t/"+b.slug+"/auth/"+path, r)
	req.Header.Set("Content-Type", "application/json")
	if method != http.MethodGet {
		req.Header.Set("Origin", b.origin)
	}
	if b.csrf != "" {
		req.Header.Set(signin.CSRFHeader, b.csrf)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	if tok, ok := a.body["csrfToken"].(string); ok {
		b.csrf = tok
	}
	return a
}

func (b *browser) signIn(email, password string) answer {
	b.t.Helper()
	return b.do("POST", "signin", map[string]string{"email": email, "password": password})
}

func expect(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || (code != "" && a.code() != code) {
		t.Fatalf("got %d %s, want %d %s", a.status, a.raw, status, code)
	}
}

// device is a virtual authenticator holding one credential.
type device struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
	rp   virtualwebauthn.RelyingParty
}

// newDevice is an authenticator for the test server's relying party
// (synced makes it backup eligible: a synced passkey).
func (w *world) newDevice(synced bool) *device {
	return &device{
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{BackupEligible: synced, BackupState: synced}),
		cred: fullLengthEC2Credential(),
		rp:   virtualwebauthn.RelyingParty{ID: "localhost", Name: "Acme Inc", Origin: w.base},
	}
}

// fullLengthEC2Credential is a virtual EC2 credential whose public
// coordinates are each 32 bytes. virtualwebauthn writes them with
// big.Int.Bytes, which drops leading zero bytes (about 1 key in 64), and
// go-webauthn rightly refuses a coordinate of the wrong length: a test
// would then fail at random.
func fullLengthEC2Credential() virtualwebauthn.Credential {
	for {
		c := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
		k, err := x509.ParsePKCS8PrivateKey(c.Key.Data)
		if err != nil {
			panic(err)
		}
		ec := k.(*ecdsa.PrivateKey)
		if len(ec.X.Bytes()) == 32 && len(ec.Y.Bytes()) == 32 {
			return c
		}
	}
}

// create answers creation options as navigator.credentials.create would,
// and keeps the user handle the server gave.
func (d *device) create(t *testing.T, options string) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(options)
	if err != nil {
		t.Fatalf("creation options %s: %v", options, err)
	}
	d.auth.Options.UserHandle = []byte(opts.UserID)
	return virtualwebauthn.CreateAttestationResponse(d.rp, d.auth, d.cred, *opts)
}

// get answers request options as navigator.credentials.get would.
func (d *device) get(t *testing.T, options string) string {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(options)
	if err != nil {
		t.Fatalf("request options %s: %v", options, err)
	}
	return virtualwebauthn.CreateAssertionResponse(d.rp, d.auth, d.cred, *opts)
}

// register runs a whole registration for the browser's session.
func (b *browser) register(d *device, name string) answer {
	b.t.Helper()
	begin := b.do("POST", "passkeys/register/begin", map[string]string{"name": name})
	expect(b.t, begin, 200, "")
	return b.do("POST", "passkeys/register/finish", d.create(b.t, begin.raw))
}

// login runs a whole passwordless sign-in.
func (b *browser) login(d *device) answer {
	b.t.Helper()
	begin := b.do("POST", "passkeys/login/begin", nil)
	expect(b.t, begin, 200, "")
	return b.do("POST", "passkeys/login/finish", d.get(b.t, begin.raw))
}

// amr is the session's amr of a sign-in answer.
func amr(t *testing.T, a answer) []string {
	t.Helper()
	s, _ := a.body["session"].(map[string]any)
	raw, _ := s["amr"].([]any)
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(string))
	}
	if len(out) == 0 {
		t.Fatalf("no session amr in %s", a.raw)
	}
	return out
}

// cookie returns a cookie the browser holds for the server, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.w.base + "/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the browser's jar.
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.w.base + "/")
	b.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

var tokenInLink = regexp.MustCompile(`accept-invitation\?token=([A-Za-z0-9_-]{43})`)

// invitation waits for an invitation email and returns its token.
func (w *world) invitation() string {
	w.t.Helper()
	select {
	case m := <-w.mail.msgs:
		match := tokenInLink.FindStringSubmatch(m.Text)
		if match == nil {
			w.t.Fatalf("no invitation link in %q", m.Text)
		}
		return match[1]
	case <-time.After(10 * time.Second):
		w.t.Fatal("no invitation was mailed")
		return ""
	}
}
