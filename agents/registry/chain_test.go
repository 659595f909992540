package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

const (
	chainPassword = "a long unusual passphrase"
	callbackURL   = "http://127.0.0.1:9/callback"
	apiResource   = "https://api.example"
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	exchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessType    = "urn:ietf:params:oauth:token-type:access_token"
	deviceGrant   = "urn:ietf:params:oauth:grant-type:device_code"
)

// catalog is acme's scope catalog: refunds:execute needs an admin, so ann
// (a member) cannot delegate it.
var catalog = []settings.Scope{
	{Name: "invoices:read", Description: "Read invoices"},
	{Name: "invoices:write", Description: "Edit invoices"},
	{Name: "refunds:preview", Description: "Preview refunds"},
	{Name: "refunds:execute", Description: "Execute refunds", MinRole: "admin"},
	{Name: "payroll:read", Description: "Read payroll"},
}

// chainWorld is a server as production wires it: two workspaces, the
// sign-in handler, the issuer, and the agent registry as its Authority.
type chainWorld struct {
	db      *database.DB
	srv     *httptest.Server
	ts      *tenants.Service
	flows   *signin.Flows
	clients *clients.Service
	reg     *registry.Service
	iss     *issuer.Issuer
	tenant  map[string]int
	user    map[string]int // email → user id
}

func newChainWorld(t *testing.T, db *database.DB) *chainWorld {
	t.Helper()
	ctx := context.Background()
	rec := audit.NewRecorder()
	w := &chainWorld{db: db, ts: tenants.NewService(db.Client, rec), tenant: map[string]int{}, user: map[string]int{}}
	cheap := password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	hash, err := password.Hash(chainPassword, cheap)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string][]tenants.NewMember{
		"acme":  {{Email: "sam@acme.test", Name: "Sam", Role: viewer.RoleAdmin}, {Email: "ann@acme.test", Name: "Ann", Role: viewer.RoleMember}},
		"other": {{Email: "olga@other.test", Name: "Olga", Role: viewer.RoleAdmin}},
	}
	for _, slug := range []string{"acme", "other"} {
		tn, err := w.ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug))
		if err != nil {
			t.Fatal(err)
		}
		w.tenant[slug] = tn.ID
		for _, m := range members[slug] {
			m.PasswordHash, m.EmailVerified = hash, true
			ms, err := w.ts.AddMember(w.sys(slug), m)
			if err != nil {
				t.Fatal(err)
			}
			w.user[m.Email] = ms.UserID
		}
	}
	w.srv = httptest.NewServer(nil)
	t.Cleanup(w.srv.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.flows = signin.New(signin.Config{Client: db.Client, Tenants: w.ts, Audit: rec, Mail: &mail.Outbox{Client: db.Client, Log: log},
		BaseURL: w.srv.URL, Hashing: cheap, Log: log})
	km, err := keys.NewManager(db.Client, []byte(strings.Repeat("k", 32)), rec)
	if err != nil {
		t.Fatal(err)
	}
	w.clients = clients.NewService(db.Client, rec)
	w.reg = registry.NewService(db.Client, rec, w.clients)
	iss := issuer.New(issuer.Config{Client: db.Client, Tenants: w.ts, Keys: km, Flows: w.flows, Audit: rec,
		BaseURL: w.srv.URL, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log, Authority: registry.Authority{S: w.reg}})
	w.iss = iss
	w.clients.OnChange = iss.ForgetClient
	w.ts.OnSettingsChange = iss.ForgetWorkspace
	mux := http.NewServeMux()
	signin.NewHandler(w.flows, w.ts).Mount(mux)
	iss.Mount(mux)
	w.srv.Config.Handler = mux
	if _, err := w.ts.UpdateSettings(w.admin("acme", "sam@acme.test"), tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *chainWorld) sys(slug string) context.Context {
	return viewer.AsSystem(viewer.ForTenant(context.Background(), w.tenant[slug]), "test")
}

// admin is an admin member acting in the dashboard.
func (w *chainWorld) admin(slug, email string) context.Context {
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tenant[slug], Kind: viewer.Human,
		ID: w.user[email], Label: email, Role: viewer.RoleAdmin})
}

// asAgent is an agent acting with its own token.
func (w *chainWorld) asAgent(slug string, a *agentCred) context.Context {
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tenant[slug], Kind: viewer.Agent,
		ID: a.id, Label: a.clientID})
}

func (w *chainWorld) issuerURL(slug string) string { return w.srv.URL + "/t/" + slug }
func (w *chainWorld) tokenURL(slug string) string  { return w.issuerURL(slug) + "/oauth2/token" }

// agentCred is a registered agent and its private key.
type agentCred struct {
	name     string
	id       int
	clientID string
	priv     *ecdsa.PrivateKey
	kid      string
}

func newAgentKey(t *testing.T, name string) *agentCred {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &agentCred{name: name, priv: priv, kid: randomID()}
}

func (a *agentCred) jwks(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &a.priv.PublicKey, KeyID: a.kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertion is an RFC 7523 client assertion with a fresh jti.
func (a *agentCred) assertion(t *testing.T, aud string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: a.priv, KeyID: a.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := josejwt.Signed(signer).Claims(josejwt.Claims{Issuer: a.clientID, Subject: a.clientID, Audience: josejwt.Audience{aud},
		ID: randomID(), IssuedAt: josejwt.NewNumericDate(time.Now()), Expiry: josejwt.NewNumericDate(time.Now().Add(time.Minute))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// authn are the form fields of private_key_jwt at slug's endpoints.
func (a *agentCred) authn(t *testing.T, w *chainWorld, slug string) url.Values {
	return url.Values{"client_id": {a.clientID}, "client_assertion_type": {assertionType},
		"client_assertion": {a.assertion(t, w.tokenURL(slug))}}
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (w *chainWorld) create(t *testing.T, name string, in registry.NewAgent) *agentCred {
	t.Helper()
	a := newAgentKey(t, name)
	in.Name, in.JWKS = name, a.jwks(t)
	c, err := w.reg.Create(w.admin("acme", "sam@acme.test"), in)
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	a.id, a.clientID = c.Agent.ID, c.Client.ClientID
	return a
}

func (w *chainWorld) subagent(t *testing.T, parent *agentCred, name string, in registry.NewAgent) (*agentCred, error) {
	t.Helper()
	a := newAgentKey(t, name)
	in.Name, in.JWKS = name, a.jwks(t)
	c, err := w.reg.RegisterSubagent(w.asAgent("acme", parent), in)
	if err != nil {
		return nil, err
	}
	a.id, a.clientID = c.Agent.ID, c.Client.ClientID
	return a, nil
}

// post sends a form and decodes the JSON answer.
func post(t *testing.T, u string, form url.Values, basicID, basicSecret string) (int, map[string]any) {
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
	return resp.StatusCode, out
}

func merge(a, b url.Values) url.Values {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// token asks slug's token endpoint, authenticating as a.
func (w *chainWorld) token(t *testing.T, slug string, a *agentCred, form url.Values) (int, map[string]any) {
	t.Helper()
	return post(t, w.tokenURL(slug), merge(a.authn(t, w, slug), form), "", "")
}

func (w *chainWorld) clientCredentials(t *testing.T, a *agentCred, scope string) (int, map[string]any) {
	t.Helper()
	return w.token(t, "acme", a, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
}

// exchange is RFC 8693: a presents subject and receives a token for the
// same person.
func (w *chainWorld) exchange(t *testing.T, slug string, a *agentCred, subject string, extra url.Values) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {exchangeGrant}, "subject_token": {subject}, "subject_token_type": {accessType}}
	return w.token(t, slug, a, merge(form, extra))
}

// refreshStopped wants a refresh token that acts under authority since
// withdrawn to mint nothing: a fresh JWT would be accepted by resource
// servers that check it locally, refresh after refresh.
func (w *chainWorld) refreshStopped(t *testing.T, what string, a *agentCred, rt string) {
	t.Helper()
	if rt == "" {
		t.Errorf("%s: no refresh token was issued", what)
		return
	}
	status, out := w.token(t, "acme", a, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		at, _ := out["access_token"].(string)
		if at != "" {
			t.Errorf("%s: want invalid_grant, got %d with a new access token (introspects %v; JWT claims %v)",
				what, status, w.introspect(t, a, at), w.verifyJWT(t, "acme", at))
			return
		}
		t.Errorf("%s: want invalid_grant, got %d %v", what, status, out)
	}
}

// introspect asks as agent a.
func (w *chainWorld) introspect(t *testing.T, a *agentCred, tok string) map[string]any {
	t.Helper()
	status, out := post(t, w.issuerURL("acme")+"/oauth2/introspect", merge(a.authn(t, w, "acme"), url.Values{"token": {tok}}), "", "")
	if status != http.StatusOK {
		t.Fatalf("introspection as %s: %d %v", a.name, status, out)
	}
	return out
}

// rs is a resource server (the gateway) with a secret, registered for
// apiResource: it may introspect every token meant for the API.
type rs struct{ slug, id, secret string }

func (w *chainWorld) introspectAs(t *testing.T, r rs, tok string) map[string]any {
	t.Helper()
	status, out := post(t, w.issuerURL(r.slug)+"/oauth2/introspect", url.Values{"token": {tok}}, r.id, r.secret)
	if status != http.StatusOK {
		t.Fatalf("introspection as %s: %d %v", r.id, status, out)
	}
	return out
}

func active(m map[string]any) bool { return m["active"] == true }

// inactive wants exactly {"active":false}: nothing about the token leaks.
func inactive(t *testing.T, what string, m map[string]any) {
	t.Helper()
	if len(m) != 1 || m["active"] != false {
		t.Fatalf("%s: want {\"active\":false}, got %v", what, m)
	}
}

// actOf is the nested act claim for a chain, the current actor first.
func actOf(chain ...string) map[string]any {
	var act map[string]any
	for i := len(chain) - 1; i >= 0; i-- {
		next := map[string]any{"sub": chain[i]}
		if act != nil {
			next["act"] = act
		}
		act = next
	}
	return act
}

func scopesOf(m map[string]any) []string {
	s, _ := m["scope"].(string)
	out := strings.Fields(s)
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// verifyJWT checks an access token's signature against the workspace's
// published keys and returns its claims.
func (w *chainWorld) verifyJWT(t *testing.T, slug, raw string) map[string]any {
	t.Helper()
	resp, err := http.Get(w.issuerURL(slug) + "/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
	if err != nil {
		t.Fatalf("not a JWT: %v", err)
	}
	ks := set.Key(obj.Signatures[0].Header.KeyID)
	if len(ks) != 1 {
		t.Fatalf("kid %q not published", obj.Signatures[0].Header.KeyID)
	}
	payload, err := obj.Verify(ks[0])
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func (w *chainWorld) countAudit(t *testing.T, action string) int {
	t.Helper()
	n, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Count(w.sys("acme"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *chainWorld) grant(t *testing.T, id any) *ent.DelegationGrant {
	t.Helper()
	s, _ := id.(string)
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("grant_id %v", id)
	}
	g, err := w.db.Client.DelegationGrant.Get(w.sys("acme"), n)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// browser is a person's user agent: cookies, and it stops at the first
// redirect away from the server (the agent's callback).
type browser struct {
	t    *testing.T
	w    *chainWorld
	http *http.Client
}

func (w *chainWorld) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, w: w, http: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), w.srv.URL+"/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

func (b *browser) signIn(slug, email string) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": chainPassword})
	resp, err := b.http.Post(b.w.srv.URL+"/t/"+slug+"/auth/signin", "application/json", strings.NewReader(string(body)))
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("sign-in: %d", resp.StatusCode)
	}
}

type page struct {
	status   int
	location string
	body     string
}

func (b *browser) read(resp *http.Response) page {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.http.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

func hiddenFields(body string) url.Values {
	form := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	return form
}

// submit posts a page's hidden fields plus extra from the server's origin,
// as the page's form does.
func (b *browser) submit(p page, action string, extra url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+action, strings.NewReader(merge(hiddenFields(p.body), extra).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.w.srv.URL)
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

func callbackQuery(t *testing.T, p page) url.Values {
	t.Helper()
	if !strings.HasPrefix(p.location, callbackURL) {
		t.Fatalf("not redirected to the callback: %d %q\n%.600s", p.status, p.location, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// delegation is the planner's side of the code flow with PKCE, through
// golang.org/x/oauth2, authenticating with private_key_jwt.
type delegation struct {
	conf     oauth2.Config
	verifier string
}

func (w *chainWorld) delegation(planner *agentCred, scopes ...string) *delegation {
	conf := oauth2.Config{ClientID: planner.clientID, RedirectURL: callbackURL, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: w.issuerURL("acme") + "/oauth2/authorize", TokenURL: w.tokenURL("acme"),
			AuthStyle: oauth2.AuthStyleInParams}}
	return &delegation{conf: conf, verifier: oauth2.GenerateVerifier()}
}

func (d *delegation) url(opts ...oauth2.AuthCodeOption) string {
	return d.conf.AuthCodeURL("state-"+randomID(), append(opts, oauth2.S256ChallengeOption(d.verifier))...)
}

func (d *delegation) exchange(t *testing.T, w *chainWorld, planner *agentCred, code string, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	tok, err := d.conf.Exchange(context.Background(), code, append([]oauth2.AuthCodeOption{oauth2.VerifierOption(d.verifier),
		oauth2.SetAuthURLParam("client_assertion_type", assertionType),
		oauth2.SetAuthURLParam("client_assertion", planner.assertion(t, w.tokenURL("acme")))}, opts...)...)
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	return tok
}

// approve takes the browser through the consent page, checking it, to the
// callback's code.
func (b *browser) approve(authURL string, planner *agentCred) url.Values {
	b.t.Helper()
	p := b.get(authURL)
	if p.status != http.StatusOK || !strings.Contains(p.body, `name="consent"`) {
		b.t.Fatalf("no consent page: %d %q\n%.600s", p.status, p.location, p.body)
	}
	form := hiddenFields(p.body)
	if !strings.Contains(p.body, "Delegate to the agent "+planner.name) || !strings.Contains(p.body, "sam@acme.test") ||
		!strings.Contains(p.body, `name="expiry"`) || form.Get("csrf") == "" || form.Get("client_id") != planner.clientID ||
		!strings.HasPrefix(form.Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		b.t.Fatalf("consent page does not name the agent, its sponsor and the expiry:\n%s", p.body)
	}
	return callbackQuery(b.t, b.submit(p, "/t/acme/oauth2/authorize", url.Values{"consent": {"approve"}, "expiry": {"0"}}))
}

// refused wants the protocol error and one more token.exchange_refused
// event.
func (w *chainWorld) refused(t *testing.T, wantErr string, do func() (int, map[string]any)) {
	t.Helper()
	before := w.countAudit(t, "token.exchange_refused")
	status, out := do()
	if out["error"] != wantErr || out["access_token"] != nil || status < 400 {
		t.Fatalf("want %s, got %d %v", wantErr, status, out)
	}
	if after := w.countAudit(t, "token.exchange_refused"); after != before+1 {
		t.Fatalf("token.exchange_refused events: %d, want %d", after, before+1)
	}
}

func wantStatus(t *testing.T, w *chainWorld, want string, agents ...*agentCred) {
	t.Helper()
	for _, a := range agents {
		got, err := w.db.Client.Agent.Get(w.sys("acme"), a.id)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Status) != want {
			t.Fatalf("%s is %s, want %s", a.name, got.Status, want)
		}
	}
}

func names(as []*ent.Agent) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	slices.Sort(out)
	return out
}

// The reference scenario over real HTTP: ann delegates to the planner in
// the browser, the planner registers support, which registers billing;
// each exchanges the token of the agent above it (RFC 8693) and gets a
// narrower one with the whole chain in act. Every refusal is the
// protocol's error and audited; revoking an agent, a grant or the person
// stops every token below at once; nothing crosses workspaces.
func TestDelegationChainOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newChainWorld(t, db)
		ann := strconv.Itoa(w.user["ann@acme.test"])
		gateway := rs{slug: "acme"}
		{
			c, secret, err := w.clients.Create(w.admin("acme", "sam@acme.test"), clients.NewClient{Name: "Tool gateway",
				GrantTypes: []string{clients.GrantClientCredentials}, Audience: []string{apiResource}})
			if err != nil {
				t.Fatal(err)
			}
			gateway.id, gateway.secret = c.ClientID, secret
		}
		var (
			planner, support, billing, helper, stranger *agentCred
			plannerTok, supportTok, billingTok          string
			grant1                                      *ent.DelegationGrant
			b                                           = w.browser(t)
		)
		b.signIn("acme", "ann@acme.test")

		t.Run("1 the planner has an identity of its own", func(t *testing.T) {
			planner = w.create(t, "Planner", registry.NewAgent{SponsorEmail: "sam@acme.test",
				Ceiling:      []string{"invoices:read", "invoices:write", "refunds:preview", "refunds:execute"},
				Tools:        []string{"invoices.api", "refunds.api"},
				RedirectURIs: []string{callbackURL},
				// The API the agents call: tokens for it are what the
				// gateway introspects.
				Audience: []string{apiResource}})
			// An agent's client is the registry's: the application API
			// refuses to change it.
			if _, err := w.clients.Update(w.admin("acme", "sam@acme.test"), planner.clientID, clients.Change{Audience: []string{"https://elsewhere.example"}}); apperr.KindOf(err) != apperr.Forbidden {
				t.Fatalf("changing an agent's client as an app: %v", err)
			}
			stranger = w.create(t, "Stranger", registry.NewAgent{SponsorEmail: "sam@acme.test", Ceiling: []string{"invoices:read"}})

			status, out := w.clientCredentials(t, planner, "invoices:read")
			if status != http.StatusOK {
				t.Fatalf("client_credentials: %d %v", status, out)
			}
			own, _ := out["access_token"].(string)
			claims := w.verifyJWT(t, "acme", own)
			if claims["sub"] != planner.clientID || claims["client_id"] != planner.clientID || claims["scope"] != "invoices:read" ||
				claims["act"] != nil || claims["grant_id"] != nil {
				t.Fatalf("the planner's own token: %v", claims)
			}
			if in := w.introspect(t, planner, own); !active(in) || in["sub"] != planner.clientID || in["act"] != nil {
				t.Fatalf("introspection of its own token: %v", in)
			}
			if status, out := w.clientCredentials(t, planner, "invoices:read payroll:read"); status != http.StatusBadRequest || out["error"] != "invalid_scope" {
				t.Fatalf("a scope beyond the ceiling: %d %v", status, out)
			}
			// Not a shared password: a secret is refused by default.
			if _, err := w.reg.Create(w.admin("acme", "sam@acme.test"), registry.NewAgent{Name: "Secretive", SponsorEmail: "sam@acme.test",
				Ceiling: []string{"invoices:read"}, Secret: true}); apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("an agent with a secret: %v", err)
			}
			// Only an admin registers a top-level agent.
			if _, err := w.reg.Create(w.asAgent("acme", planner), registry.NewAgent{Name: "Rogue", SponsorEmail: "sam@acme.test",
				Ceiling: []string{"invoices:read"}, JWKS: planner.jwks(t)}); apperr.KindOf(err) != apperr.Forbidden {
				t.Fatalf("an agent registering a top-level agent: %v", err)
			}
		})

		t.Run("2 ann delegates to the planner in the browser", func(t *testing.T) {
			d := w.delegation(planner, "invoices:read", "invoices:write", "refunds:preview")
			q := b.approve(d.url(oauth2.SetAuthURLParam("resource", apiResource)), planner)
			if q.Get("code") == "" || q.Get("iss") != w.issuerURL("acme") {
				t.Fatalf("callback: %v", q)
			}
			// The planner names its run: support's run starts under it.
			tok := d.exchange(t, w, planner, q.Get("code"), oauth2.SetAuthURLParam("run", "run-planner-1"))
			plannerTok = tok.AccessToken

			in := w.introspect(t, planner, plannerTok)
			if !active(in) || in["sub"] != ann || in["client_id"] != planner.clientID || !reflect.DeepEqual(in["act"], actOf(planner.clientID)) ||
				in["grant_id"] == nil || !reflect.DeepEqual(scopesOf(in), sorted("invoices:read", "invoices:write", "refunds:preview")) {
				t.Fatalf("introspection of the delegated token: %v", in)
			}
			grant1 = w.grant(t, in["grant_id"])
			if grant1.UserID != w.user["ann@acme.test"] || grant1.AgentID != planner.id || grant1.Status != delegationgrant.StatusActive ||
				time.Until(grant1.ExpiresAt) > time.Hour || time.Until(grant1.ExpiresAt) < 58*time.Minute {
				t.Fatalf("grant: %+v (expiry 0 is 1 hour)", grant1)
			}
			claims := w.verifyJWT(t, "acme", plannerTok)
			exp, _ := claims["exp"].(float64)
			if claims["sub"] != ann || claims["client_id"] != planner.clientID || !reflect.DeepEqual(claims["act"], actOf(planner.clientID)) ||
				claims["grant_id"] != in["grant_id"] || exp != in["exp"] || int64(exp) > grant1.ExpiresAt.Unix() ||
				!slices.Contains(stringsOf(claims["aud"]), apiResource) {
				t.Fatalf("JWT claims: %v", claims)
			}
			// The refresh token does not outlive the grant either.
			if tok.RefreshToken != "" {
				status, rin := post(t, w.issuerURL("acme")+"/oauth2/introspect", merge(planner.authn(t, w, "acme"),
					url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}), "", "")
				if status != http.StatusOK || !active(rin) || rin["exp"] != float64(grant1.ExpiresAt.Unix()) {
					t.Fatalf("refresh token (grant expires %d): %d %v", grant1.ExpiresAt.Unix(), status, rin)
				}
			}
			if in := w.introspectAs(t, gateway, plannerTok); !active(in) || in["sub"] != ann {
				t.Fatalf("the gateway's introspection: %v", in)
			}
			if n := w.countAudit(t, "grant.given"); n != 1 {
				t.Fatalf("grant.given events: %d", n)
			}

			// An active grant that covers the request is reused: no consent.
			again := w.delegation(planner, "invoices:read")
			q = callbackQuery(t, b.get(again.url()))
			tok2 := again.exchange(t, w, planner, q.Get("code"))
			if in := w.introspect(t, planner, tok2.AccessToken); !active(in) || in["grant_id"] != strconv.Itoa(grant1.ID) || in["scope"] != "invoices:read" {
				t.Fatalf("reused grant: %v", in)
			}
			if n := w.countAudit(t, "grant.given"); n != 1 {
				t.Fatalf("grant.given events after reuse: %d", n)
			}
		})

		t.Run("3 the planner registers support, which registers billing", func(t *testing.T) {
			var err error
			support, err = w.subagent(t, planner, "Support", registry.NewAgent{Ceiling: []string{"invoices:read", "refunds:preview", "refunds:execute"},
				Tools: []string{"invoices.api", "refunds.api"}, ParentRun: "run-planner-1"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.subagent(t, planner, "Wide", registry.NewAgent{Ceiling: []string{"invoices:read", "payroll:read"}}); apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("a ceiling wider than the parent's: %v", err)
			}
			if _, err := w.subagent(t, planner, "Tooled", registry.NewAgent{Ceiling: []string{"invoices:read"}, Tools: []string{"payroll.api"}}); apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("a tool the parent lacks: %v", err)
			}
			if _, err := w.reg.RegisterSubagent(w.admin("acme", "sam@acme.test"), registry.NewAgent{Name: "Human-made",
				Ceiling: []string{"invoices:read"}, JWKS: planner.jwks(t)}); apperr.KindOf(err) != apperr.Forbidden {
				t.Fatalf("a person registering a subagent: %v", err)
			}
			billing, err = w.subagent(t, support, "Billing", registry.NewAgent{Ceiling: []string{"invoices:read", "refunds:preview"},
				Tools: []string{"refunds.api"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.subagent(t, support, "Billing wider", registry.NewAgent{Ceiling: []string{"invoices:write"}}); apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("a grandchild beyond support's ceiling: %v", err)
			}
			helper, err = w.subagent(t, planner, "Helper", registry.NewAgent{Ceiling: []string{"invoices:read"}})
			if err != nil {
				t.Fatal(err)
			}
			// Depth: planner 0, support 1, billing 2, ledger 3 (the default
			// limit); nothing below.
			ledger, err := w.subagent(t, billing, "Ledger", registry.NewAgent{Ceiling: []string{"invoices:read"}})
			if err != nil {
				t.Fatalf("depth 3: %v", err)
			}
			if _, err := w.subagent(t, ledger, "Too deep", registry.NewAgent{Ceiling: []string{"invoices:read"}}); apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("depth 4: %v", err)
			}
			got, err := w.db.Client.Agent.Get(w.sys("acme"), billing.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.ParentID != support.id || got.Depth != 2 || got.SponsorID != w.user["sam@acme.test"] {
				t.Fatalf("billing: parent %d depth %d sponsor %d", got.ParentID, got.Depth, got.SponsorID)
			}
			if status, out := w.clientCredentials(t, billing, "invoices:read"); status != http.StatusOK {
				t.Fatalf("billing's own token: %d %v", status, out)
			}
		})

		t.Run("4 each hop exchanges the token above it and only narrows", func(t *testing.T) {
			status, out := w.exchange(t, "acme", support, plannerTok, url.Values{"run": {"run-support-1"}, "parent_run": {"run-planner-1"}})
			if status != http.StatusOK || out["issued_token_type"] != accessType || out["access_token"] == nil {
				t.Fatalf("support's exchange: %d %v", status, out)
			}
			supportTok = out["access_token"].(string)
			in := w.introspectAs(t, gateway, supportTok)
			// requested (all) ∩ subject ∩ support's ceiling ∩ ann's role:
			// invoices:write is beyond support's ceiling.
			if !active(in) || in["sub"] != ann || in["client_id"] != support.clientID || !reflect.DeepEqual(in["act"], actOf(support.clientID, planner.clientID)) ||
				in["grant_id"] != strconv.Itoa(grant1.ID) || in["run"] != "run-support-1" ||
				!reflect.DeepEqual(scopesOf(in), sorted("invoices:read", "refunds:preview")) {
				t.Fatalf("support's token: %v", in)
			}
			if in := w.introspect(t, support, supportTok); !active(in) || in["run"] != "run-support-1" {
				t.Fatalf("support introspecting its token: %v", in)
			}
			claims := w.verifyJWT(t, "acme", supportTok)
			if exp, _ := claims["exp"].(float64); claims["sub"] != ann || !reflect.DeepEqual(claims["act"], actOf(support.clientID, planner.clientID)) ||
				claims["run"] != "run-support-1" || int64(exp) > grant1.ExpiresAt.Unix() || !slices.Contains(stringsOf(claims["aud"]), apiResource) {
				t.Fatalf("support's JWT: %v", claims)
			}

			status, out = w.exchange(t, "acme", billing, supportTok, url.Values{"scope": {"invoices:read"}, "run": {"run-billing-1"},
				"resource": {apiResource}})
			if status != http.StatusOK || out["issued_token_type"] != accessType {
				t.Fatalf("billing's exchange: %d %v", status, out)
			}
			billingTok = out["access_token"].(string)
			in = w.introspectAs(t, gateway, billingTok)
			if !active(in) || in["sub"] != ann || in["client_id"] != billing.clientID ||
				!reflect.DeepEqual(in["act"], actOf(billing.clientID, support.clientID, planner.clientID)) ||
				in["grant_id"] != strconv.Itoa(grant1.ID) || in["run"] != "run-billing-1" || in["scope"] != "invoices:read" {
				t.Fatalf("billing's token: %v", in)
			}
			if claims := w.verifyJWT(t, "acme", billingTok); !reflect.DeepEqual(claims["act"], actOf(billing.clientID, support.clientID, planner.clientID)) {
				t.Fatalf("billing's JWT act: %v", claims["act"])
			}

			// What ann may do now bounds every hop: when refunds:preview
			// needs an admin, exchanges stop carrying it.
			stricter := slices.Clone(catalog)
			stricter[2].MinRole = "admin"
			if _, err := w.ts.UpdateSettings(w.admin("acme", "sam@acme.test"), tenants.SettingsUpdate{Scopes: &stricter}); err != nil {
				t.Fatal(err)
			}
			status, out = w.exchange(t, "acme", support, plannerTok, nil)
			if status != http.StatusOK || !reflect.DeepEqual(scopesOf(out), []string{"invoices:read"}) {
				t.Fatalf("exchange after ann's role lost refunds:preview: %d %v", status, out)
			}
			if _, err := w.ts.UpdateSettings(w.admin("acme", "sam@acme.test"), tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("5 refusals", func(t *testing.T) {
			t.Run("widening the subject token's scope", func(t *testing.T) {
				w.refused(t, "invalid_scope", func() (int, map[string]any) {
					return w.exchange(t, "acme", support, plannerTok, url.Values{"scope": {"invoices:read refunds:execute"}})
				})
			})
			t.Run("a scope beyond the agent's ceiling", func(t *testing.T) {
				w.refused(t, "invalid_scope", func() (int, map[string]any) {
					return w.exchange(t, "acme", billing, supportTok, url.Values{"scope": {"invoices:write"}})
				})
			})
			t.Run("a resource outside the subject token's audience", func(t *testing.T) {
				w.refused(t, "invalid_target", func() (int, map[string]any) {
					return w.exchange(t, "acme", support, plannerTok, url.Values{"resource": {"https://payroll.example"}})
				})
			})
			t.Run("a sibling takes support's token", func(t *testing.T) {
				w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", helper, supportTok, nil) })
			})
			t.Run("an unrelated agent takes the planner's token", func(t *testing.T) {
				w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", stranger, plannerTok, nil) })
			})
			t.Run("an ancestor takes a descendant's token back up", func(t *testing.T) {
				w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", planner, billingTok, nil) })
			})
			t.Run("the planner widens its own token", func(t *testing.T) {
				w.refused(t, "invalid_scope", func() (int, map[string]any) {
					return w.exchange(t, "acme", planner, plannerTok, url.Values{"scope": {"invoices:read refunds:execute"}})
				})
			})
			t.Run("the subject is the agent's own client_credentials token", func(t *testing.T) {
				_, out := w.clientCredentials(t, support, "invoices:read")
				own, _ := out["access_token"].(string)
				w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", support, own, nil) })
				_, out = w.clientCredentials(t, planner, "invoices:read")
				own, _ = out["access_token"].(string)
				w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", support, own, nil) })
			})
			t.Run("ann delegates a scope her role does not hold", func(t *testing.T) {
				d := w.delegation(planner, "invoices:read", "refunds:execute")
				q := callbackQuery(t, b.get(d.url()))
				if q.Get("error") != "invalid_scope" || q.Get("code") != "" {
					t.Fatalf("callback: %v", q)
				}
			})
		})

		t.Run("7 nothing crosses workspaces", func(t *testing.T) {
			status, out := w.exchange(t, "other", support, plannerTok, nil)
			if status != http.StatusUnauthorized || out["error"] != "invalid_client" {
				t.Fatalf("exchange at the other workspace: %d %v", status, out)
			}
			c, secret, err := w.clients.Create(w.admin("other", "olga@other.test"), clients.NewClient{Name: "Other gateway",
				GrantTypes: []string{clients.GrantClientCredentials}, Audience: []string{apiResource}})
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{plannerTok, supportTok, billingTok} {
				inactive(t, "introspection at the other workspace", w.introspectAs(t, rs{slug: "other", id: c.ClientID, secret: secret}, tok))
			}
			status, out = post(t, w.issuerURL("other")+"/oauth2/introspect", merge(planner.authn(t, w, "other"), url.Values{"token": {plannerTok}}), "", "")
			if status != http.StatusUnauthorized || out["error"] != "invalid_client" {
				t.Fatalf("the planner at the other workspace: %d %v", status, out)
			}
		})

		var deviceGrantID string
		t.Run("8 ann approves the planner on the device page", func(t *testing.T) {
			status, da := post(t, w.issuerURL("acme")+"/oauth2/device_authorization",
				merge(planner.authn(t, w, "acme"), url.Values{"scope": {"invoices:read"}}), "", "")
			if status != http.StatusOK || da["device_code"] == nil || da["verification_uri_complete"] == nil {
				t.Fatalf("device authorization: %d %v", status, da)
			}
			poll := func() (int, map[string]any) {
				return w.token(t, "acme", planner, url.Values{"grant_type": {deviceGrant}, "device_code": {da["device_code"].(string)}})
			}
			if status, out := poll(); status != http.StatusBadRequest || out["error"] != "authorization_pending" {
				t.Fatalf("poll before approval: %d %v", status, out)
			}
			p := b.get(da["verification_uri_complete"].(string))
			form := hiddenFields(p.body)
			if p.status != http.StatusOK || form.Get("user_code") == "" || form.Get("csrf") == "" || !strings.Contains(p.body, "Planner") {
				t.Fatalf("device page: %d %v\n%.600s", p.status, form, p.body)
			}
			if done := b.submit(p, "/t/acme/device", url.Values{"decision": {"approve"}}); done.status != http.StatusOK || !strings.Contains(done.body, "is connected") {
				t.Fatalf("approval: %d %.600s", done.status, done.body)
			}
			time.Sleep(5 * time.Second) // the poll interval, as a device keeps it
			status, out := poll()
			if status != http.StatusOK {
				t.Fatalf("poll after approval: %d %v", status, out)
			}
			deviceTok := out["access_token"].(string)
			in := w.introspect(t, planner, deviceTok)
			if !active(in) || in["sub"] != ann || !reflect.DeepEqual(in["act"], actOf(planner.clientID)) || in["grant_id"] == nil ||
				in["grant_id"] == strconv.Itoa(grant1.ID) || in["scope"] != "invoices:read" {
				t.Fatalf("device token: %v", in)
			}
			deviceGrantID, _ = in["grant_id"].(string)
			g := w.grant(t, in["grant_id"])
			if g.AgentID != planner.id || g.UserID != w.user["ann@acme.test"] || time.Until(g.ExpiresAt) > 24*time.Hour {
				t.Fatalf("device grant: %+v", g)
			}
			if exp, _ := in["exp"].(float64); int64(exp) > g.ExpiresAt.Unix() {
				t.Fatalf("device token outlives its grant: %v > %v", exp, g.ExpiresAt.Unix())
			}
		})

		t.Run("6a revoking support stops support and billing, not the planner", func(t *testing.T) {
			for _, tok := range []string{plannerTok, supportTok, billingTok} {
				if !active(w.introspectAs(t, gateway, tok)) {
					t.Fatal("a chain token was inactive before revocation")
				}
			}
			changed, err := w.reg.SetStatus(w.admin("acme", "sam@acme.test"), support.id, registry.Revoked)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(changed); !reflect.DeepEqual(got, []string{"Billing", "Ledger", "Support"}) {
				t.Fatalf("revoked: %v", got)
			}
			wantStatus(t, w, "revoked", support, billing)
			inactive(t, "support's token", w.introspectAs(t, gateway, supportTok))
			inactive(t, "billing's token", w.introspectAs(t, gateway, billingTok))
			if status, out := w.clientCredentials(t, billing, "invoices:read"); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
				t.Fatalf("billing's own token after revocation: %d %v", status, out)
			}
			if status, out := w.exchange(t, "acme", support, plannerTok, nil); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
				t.Fatalf("support's exchange after revocation: %d %v", status, out)
			}
			if in := w.introspectAs(t, gateway, plannerTok); !active(in) {
				t.Fatal("the planner's delegated token stopped with its subagent")
			}
			if in := w.introspect(t, planner, plannerTok); !active(in) {
				t.Fatal("the planner's delegated token stopped with its subagent")
			}
		})

		var helperTok, plannerRT string
		t.Run("6b revoking the grant stops every token of its chain", func(t *testing.T) {
			d := w.delegation(planner, "invoices:read")
			q := b.approve(d.url(oauth2.SetAuthURLParam("prompt", "consent")), planner)
			tok := d.exchange(t, w, planner, q.Get("code"))
			in := w.introspect(t, planner, tok.AccessToken)
			if !active(in) || in["grant_id"] == strconv.Itoa(grant1.ID) {
				t.Fatalf("a fresh grant: %v", in)
			}
			grant2 := w.grant(t, in["grant_id"])
			// A token without an audience cannot be stretched to a resource.
			w.refused(t, "invalid_target", func() (int, map[string]any) {
				return w.exchange(t, "acme", helper, tok.AccessToken, url.Values{"resource": {apiResource}})
			})
			status, out := w.exchange(t, "acme", helper, tok.AccessToken, nil)
			if status != http.StatusOK {
				t.Fatalf("helper's exchange: %d %v", status, out)
			}
			h := out["access_token"].(string)
			if in := w.introspect(t, helper, h); !active(in) || !reflect.DeepEqual(in["act"], actOf(helper.clientID, planner.clientID)) {
				t.Fatalf("helper's token: %v", in)
			}
			if err := w.db.Client.DelegationGrant.UpdateOne(grant2).SetStatus(delegationgrant.StatusRevoked).SetRevokedAt(time.Now()).
				SetRevokedBy("ann").Exec(w.sys("acme")); err != nil {
				t.Fatal(err)
			}
			inactive(t, "the planner's token under the revoked grant", w.introspect(t, planner, tok.AccessToken))
			inactive(t, "helper's token under the revoked grant", w.introspect(t, helper, h))
			w.refreshStopped(t, "refreshing under the revoked grant", planner, tok.RefreshToken)
			w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", helper, tok.AccessToken, nil) })
			if !active(w.introspect(t, planner, plannerTok)) {
				t.Fatal("a token under another grant stopped")
			}
			// ... and helper may still act under grant 1.
			status, out = w.exchange(t, "acme", helper, plannerTok, nil)
			if status != http.StatusOK {
				t.Fatalf("helper's exchange under grant 1: %d %v", status, out)
			}
			helperTok = out["access_token"].(string)
		})

		t.Run("6d suspending the planner suspends its subtree; resuming resumes it", func(t *testing.T) {
			changed, err := w.reg.SetStatus(w.admin("acme", "sam@acme.test"), planner.id, registry.Suspended)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(changed); !reflect.DeepEqual(got, []string{"Helper", "Planner"}) {
				t.Fatalf("suspended: %v", got)
			}
			wantStatus(t, w, "suspended", planner, helper)
			wantStatus(t, w, "revoked", support, billing)
			wantStatus(t, w, "active", stranger)
			inactive(t, "the planner's token while suspended", w.introspectAs(t, gateway, plannerTok))
			inactive(t, "helper's token while suspended", w.introspectAs(t, gateway, helperTok))
			for _, a := range []*agentCred{planner, helper} {
				if status, out := w.clientCredentials(t, a, "invoices:read"); status != http.StatusUnauthorized || out["error"] != "invalid_client" {
					t.Fatalf("%s while suspended: %d %v", a.name, status, out)
				}
			}
			// Its client is disabled, so the issuer cannot trust its
			// redirect_uri: an error page, no code.
			if p := b.get(w.delegation(planner, "invoices:read").url()); p.status != http.StatusUnauthorized || p.location != "" {
				t.Fatalf("authorize for a suspended agent: %d %q", p.status, p.location)
			}

			changed, err = w.reg.SetStatus(w.admin("acme", "sam@acme.test"), planner.id, registry.Active)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(changed); !reflect.DeepEqual(got, []string{"Helper", "Planner"}) {
				t.Fatalf("resumed: %v", got)
			}
			wantStatus(t, w, "active", planner, helper)
			wantStatus(t, w, "revoked", support, billing)
			for _, a := range []*agentCred{planner, helper} {
				if status, out := w.clientCredentials(t, a, "invoices:read"); status != http.StatusOK {
					t.Fatalf("%s after resuming: %d %v", a.name, status, out)
				}
			}
			// Suspension revoked no grant: the planner gets a token without
			// asking ann again, under the longest-lived grant that covers
			// the request (the device flow's day), and helper takes it
			// further.
			given := w.countAudit(t, "grant.given")
			d := w.delegation(planner, "invoices:read")
			q := callbackQuery(t, b.get(d.url()))
			resumed := d.exchange(t, w, planner, q.Get("code"))
			plannerTok, plannerRT = resumed.AccessToken, resumed.RefreshToken
			if in := w.introspect(t, planner, plannerTok); !active(in) || in["grant_id"] != deviceGrantID {
				t.Fatalf("the planner's token after resuming (device grant %s): %v", deviceGrantID, in)
			}
			if n := w.countAudit(t, "grant.given"); n != given {
				t.Fatalf("a new grant after resuming: %d grant.given events, want %d", n, given)
			}
			status, out := w.exchange(t, "acme", helper, plannerTok, nil)
			if status != http.StatusOK {
				t.Fatalf("helper's exchange after resuming: %d %v", status, out)
			}
			helperTok = out["access_token"].(string)
		})

		t.Run("6c disabling ann stops every token acting for her", func(t *testing.T) {
			if !active(w.introspect(t, planner, plannerTok)) || !active(w.introspect(t, helper, helperTok)) {
				t.Fatal("the chain's tokens were inactive before")
			}
			if _, err := w.flows.SetDisabled(w.admin("acme", "sam@acme.test"), w.user["ann@acme.test"], true); err != nil {
				t.Fatal(err)
			}
			inactive(t, "the planner's token", w.introspect(t, planner, plannerTok))
			inactive(t, "helper's token", w.introspect(t, helper, helperTok))
			w.refreshStopped(t, "refreshing for a disabled person", planner, plannerRT)
			w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", helper, plannerTok, nil) })
			// The agents themselves are untouched.
			if status, _ := w.clientCredentials(t, planner, "invoices:read"); status != http.StatusOK {
				t.Fatalf("the planner's own token: %d", status)
			}
		})

		if n, err := db.Client.Agent.Query().Where(agent.StatusEQ(agent.StatusRevoked)).Count(w.sys("acme")); err != nil || n != 3 {
			t.Fatalf("revoked agents: %d %v", n, err)
		}
	})
}

func stringsOf(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
