package gateway_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

var cheap = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const (
	pw        = "a long unusual passphrase"
	callback  = "http://127.0.0.1:9/callback"
	jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	grantCIBA = "urn:openid:params:grant-type:ciba"
	apiKey    = "sk_live_THE_UPSTREAM_KEY_0123456789"
	refund    = `[{"type":"refund","invoice":"INV-1001","amount":"42.00","currency":"EUR"}]`
	// refundCall is the call that executes that refund.
	refundCall = `{"invoice":"INV-1001","amount":"42.00","currency":"EUR","note":"as approved"}`
)

const refundSchema = `{"type":"object","required":["invoice","amount","currency"],"additionalProperties":false,
 "properties":{"type":{"const":"refund"},"invoice":{"type":"string","pattern":"^INV-[0-9]+$"},
 "amount":{"type":"string","pattern":"^[0-9]+\\.[0-9]{2}$"},"currency":{"enum":["EUR","USD"]}}}`

// upstream is the fake billing API on loopback: it needs the API key in
// X-Api-Key and, to prove the gateway scrubs, echoes it back.
type upstream struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []*http.Request
	keys  []string
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.calls = append(u.calls, r.Clone(context.Background()))
		u.keys = append(u.keys, r.Header.Get("X-Api-Key"))
		u.mu.Unlock()
		key := r.Header.Get("X-Api-Key")
		if key != "Token "+apiKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/redirect-away"):
			http.Redirect(w, r, "http://elsewhere.example/steal", http.StatusFound)
			return
		case strings.HasPrefix(r.URL.Path, "/v1/redirect-home"):
			http.Redirect(w, r, "/v1/invoices/INV-1", http.StatusFound)
			return
		}
		w.Header().Set("X-Echo-Key", key)
		w.Header().Set("X-Internal-Trace", "trace-secret")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "query": r.URL.RawQuery, "method": r.Method,
			"echo": key, "auth": r.Header.Get("Authorization"), "cookie": r.Header.Get("Cookie"), "body": string(body),
			"internal_notes": "do not show", "nested": map[string]any{"internal_notes": "nor this", "ok": true}})
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// lastHeader is a header of the last call the upstream got.
func (u *upstream) lastHeader(name string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.calls) == 0 {
		return ""
	}
	return u.calls[len(u.calls)-1].Header.Get(name)
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.calls)
}

// world is a workspace with the issuer, the vault and the gateway mounted
// as in production, the billing agent, and the billing tool.
type world struct {
	t         testing.TB
	db        *database.DB
	ts        *tenants.Service
	srv       *httptest.Server
	iss       *issuer.Issuer
	agents    *registry.Service
	approvals *approval.Service
	flows     *signin.Flows
	vault     *vault.Service
	tools     *gateway.Service
	up        *upstream
	tenantID  int
	key       *clientKey
	billing   string
	agentID   int
	annID     int
	credID    int
	toolID    int
}

const annEmail = "ann@acme.test"

func newWorld(t testing.TB, db *database.DB) *world {
	t.Helper()
	ctx := context.Background()
	rec := audit.NewRecorder()
	w := &world{t: t, db: db, ts: tenants.NewService(db.Client, rec)}
	cs := clients.NewService(db.Client, rec)
	hash, err := password.Hash(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := w.ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "ACME")
	if err != nil {
		t.Fatal(err)
	}
	w.tenantID = tn.ID
	if _, err := w.ts.AddMember(w.sys(), tenants.NewMember{Email: annEmail, Name: "Ann", Role: viewer.RoleAdmin,
		PasswordHash: hash, EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"}, {Name: "refunds:preview", Description: "Preview refunds"},
		{Name: "refunds:execute", Description: "Execute refunds", Approval: &settings.ApprovalRule{}}}
	types := []settings.DetailType{{Type: "refund", Description: "One refund", Schema: json.RawMessage(refundSchema), Approval: &settings.ApprovalRule{WaitMinutes: 5}}}
	if _, err := w.ts.UpdateSettings(w.sys(), tenants.SettingsUpdate{Scopes: &catalog, DetailTypes: &types}); err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewUnstartedServer(nil)
	w.srv.Start()
	t.Cleanup(w.srv.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.flows = signin.New(signin.Config{Client: db.Client, Tenants: w.ts, Audit: rec, Mail: &mail.Outbox{Client: db.Client, Log: log},
		BaseURL: w.srv.URL, Hashing: cheap, Log: log})
	w.flows.MailNow()
	km, err := keys.NewManager(db.Client, []byte(strings.Repeat("k", 32)), rec)
	if err != nil {
		t.Fatal(err)
	}
	w.agents = registry.NewService(db.Client, rec, cs)
	hooks, err := webhooks.New(webhooks.Config{Client: db.Client, Audit: rec, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	w.approvals = approval.New(approval.Config{Client: db.Client, Audit: rec, Flows: w.flows, Webhooks: hooks, BaseURL: w.srv.URL, Log: log})
	w.iss = issuer.New(issuer.Config{Client: db.Client, Tenants: w.ts, Keys: km, Flows: w.flows, Audit: rec,
		BaseURL: w.srv.URL, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log, Authority: registry.Authority{S: w.agents},
		Approvals: w.approvals})
	cs.OnChange = w.iss.ForgetClient
	w.ts.OnSettingsChange = w.iss.ForgetWorkspace
	w.vault, err = vault.New(vault.Config{Client: db.Client, Audit: rec, Masters: [][]byte{[]byte(strings.Repeat("v", 32))}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	w.tools = gateway.NewService(db.Client, rec)
	gw := gateway.New(gateway.Config{Client: db.Client, Tenants: w.ts, Tokens: w.iss, Vault: w.vault, Audit: rec, Log: log})
	t.Cleanup(gw.Wait)
	mux := http.NewServeMux()
	signin.NewHandler(w.flows, w.ts).Mount(mux)
	w.iss.Mount(mux)
	gw.Mount(mux)
	mux.Handle("/t/{slug}/", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(rw, r, http.StatusNotFound, "no such endpoint")
	}))
	w.srv.Config.Handler = httpx.Chain(gw.Guard(mux), httpx.RequestContext)

	// The billing agent, allowed the billing tool.
	w.key = newClientKey(t)
	made, err := w.agents.Create(w.sys(), registry.NewAgent{Name: "billing", SponsorEmail: annEmail,
		Ceiling: []string{"openid", "invoices:read", "refunds:preview", "refunds:execute"}, Tools: []string{"billing"},
		JWKS: w.key.publicJWKS(t), RedirectURIs: []string{callback}})
	if err != nil {
		t.Fatal(err)
	}
	w.billing, w.agentID = made.Client.ClientID, made.Agent.ID
	ann, err := db.Client.User.Query().Where(user.Email(annEmail)).Only(w.sys())
	if err != nil {
		t.Fatal(err)
	}
	w.annID = ann.ID

	// The upstream, its key in the vault, and the tool.
	w.up = newUpstream(t)
	cred, err := w.vault.Create(w.sys(), vault.NewCredential{Name: "billing key", Kind: credential.KindAPIKey,
		OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Token: apiKey}})
	if err != nil {
		t.Fatal(err)
	}
	w.credID = cred.ID
	tl, err := w.tools.CreateTool(w.sys(), w.billingTool("billing", w.up.srv.URL+"/v1", true))
	if err != nil {
		t.Fatal(err)
	}
	w.toolID = tl.ID
	return w
}

func (w *world) billingTool(name, upstream string, internal bool) gateway.ToolInput {
	return gateway.ToolInput{Name: name, UpstreamURL: upstream, Injection: tool.InjectionHeader, HeaderName: "X-Api-Key",
		HeaderTemplate: "Token {secret}", CredentialID: w.credID, Internal: internal,
		Operations: `[{"method":"GET","path":"/invoices/*","scope":"invoices:read"},
			{"method":"GET","path":"/redirect-away","scope":"invoices:read"},
			{"method":"GET","path":"/redirect-home","scope":"invoices:read"},
			{"method":"POST","path":"/refunds/preview","scope":"refunds:preview"},
			{"method":"POST","path":"/refunds","scope":"refunds:execute","approval":true},
			{"method":"GET","path":"/files/**","scope":"invoices:read"}]`,
		Redaction: `{"headers":["X-Internal-Trace"],"json_fields":["internal_notes"]}`, MaxBodyBytes: 1 << 16}
}

func (w *world) sys() context.Context {
	return viewer.AsSystem(viewer.ForTenant(context.Background(), w.tenantID), "test")
}

func (w *world) issuerURL() string { return w.srv.URL + "/t/acme" }

// ownToken is the agent's own token (client_credentials).
func (w *world) ownToken(scope string) string {
	w.t.Helper()
	st, out := w.post("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
	if st != http.StatusOK {
		w.t.Fatalf("client_credentials: %d %v", st, out)
	}
	return out["access_token"].(string)
}

// post sends billing's authenticated form to an endpoint of the issuer.
func (w *world) post(path string, form url.Values) (int, map[string]any) {
	w.t.Helper()
	form.Set("client_id", w.billing)
	form.Set("client_assertion_type", jwtBearer)
	form.Set("client_assertion", w.key.assertion(w.t, w.billing, w.issuerURL(), randomJTI(), time.Now().Add(time.Minute)))
	req, _ := http.NewRequest(http.MethodPost, w.issuerURL()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// obo is billing's on-behalf-of token for Ann, delegated in the browser.
func (w *world) obo() string {
	w.t.Helper()
	b := w.browser()
	b.signIn()
	conf := oauth2.Config{ClientID: w.billing, RedirectURL: callback, Scopes: []string{"openid", "invoices:read", "refunds:preview"},
		Endpoint: oauth2.Endpoint{AuthURL: w.issuerURL() + "/oauth2/authorize", TokenURL: w.issuerURL() + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(conf.AuthCodeURL("state-gw", oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("client_assertion_type", jwtBearer),
		oauth2.SetAuthURLParam("client_assertion", w.key.assertion(w.t, w.billing, w.issuerURL()+"/oauth2/token", randomJTI(), time.Now().Add(time.Minute))))
	if err != nil {
		w.t.Fatalf("Ann's delegation: %v", err)
	}
	return tok.AccessToken
}

// approvalToken runs CIBA for the refund: billing asks with its
// on-behalf-of token, Ann approves after a passkey, billing redeems.
func (w *world) approvalToken(obo string) string {
	w.t.Helper()
	st, out := w.post("/oauth2/bc-authorize", url.Values{"login_hint": {annEmail}, "scope": {"openid refunds:execute"},
		"authorization_details": {refund}, "binding_message": {"Refund INV-1001"}, "subject_token": {obo},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}})
	if st != http.StatusOK {
		w.t.Fatalf("bc-authorize: %d %v", st, out)
	}
	id := out["auth_req_id"].(string)
	rows, err := w.db.Client.ApprovalRequest.Query().Order(ent.Desc(approvalrequest.FieldID)).All(w.sys())
	if err != nil || len(rows) == 0 {
		w.t.Fatalf("approval requests: %v", err)
	}
	if _, err := w.approvals.Decide(w.approver("pwd", "hwk"), approval.Decision{ID: rows[0].PublicID, Approve: true}); err != nil {
		w.t.Fatalf("Ann approves: %v", err)
	}
	st, out = w.post("/oauth2/token", url.Values{"grant_type": {grantCIBA}, "auth_req_id": {id}})
	if st != http.StatusOK {
		w.t.Fatalf("redeem: %d %v", st, out)
	}
	return out["access_token"].(string)
}

// approver is Ann in the dashboard, signed in with amr.
func (w *world) approver(amr ...string) context.Context {
	w.t.Helper()
	u, err := w.db.Client.User.Get(w.sys(), w.annID)
	if err != nil {
		w.t.Fatal(err)
	}
	var sid int
	if err := entx.InTx(w.sys(), w.db.Client, func(tx *ent.Tx) error {
		st, err := w.flows.SessionManager().Start(w.sys(), tx, u, amr, time.Hour)
		sid = st.Session.ID
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tenantID, Kind: viewer.Human, ID: w.annID,
		Label: annEmail, Role: viewer.RoleAdmin, SessionID: sid})
}

// browser is Ann's user agent: it follows redirects on the server and
// stops at the first one elsewhere (the client's callback).
type browser struct {
	w    *world
	http *http.Client
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{w: w}
	b.http = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), w.srv.URL+"/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *browser) signIn() {
	resp, err := b.http.Post(b.w.srv.URL+"/t/acme/auth/signin", "application/json",
		strings.NewReader(`{"email":"`+annEmail+`","password":"`+pw+`"}`))
	if err != nil {
		b.w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.w.t.Fatalf("sign-in: %d", resp.StatusCode)
	}
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

type page struct {
	status   int
	location string
	body     string
	url      string
}

func (b *browser) read(resp *http.Response) page {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body), url: resp.Request.URL.String()}
}

func (b *browser) authorize(authURL string) url.Values {
	resp, err := b.http.Get(authURL)
	if err != nil {
		b.w.t.Fatal(err)
	}
	p := b.read(resp)
	if p.status == http.StatusOK && strings.Contains(p.body, `name="consent"`) {
		form := url.Values{}
		for _, m := range hidden.FindAllStringSubmatch(p.body, -1) {
			form.Set(m[1], strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(m[2]))
		}
		form.Set("consent", "approve")
		req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+"/t/acme/oauth2/authorize", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "null")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := b.http.Do(req)
		if err != nil {
			b.w.t.Fatal(err)
		}
		p = b.read(resp)
	}
	if p.location == "" {
		b.w.t.Fatalf("authorize ended on %s with %d: %s", p.url, p.status, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return u.Query()
}

// clientKey is the agent's ES256 key.
type clientKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newClientKey(t testing.TB) *clientKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &clientKey{priv: priv, kid: randomJTI()}
}

func (k *clientKey) publicJWKS(t testing.TB) []byte {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (k *clientKey) assertion(t testing.TB, clientID, aud, jti string, exp time.Time) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := josejwt.Signed(signer).Claims(josejwt.Claims{Issuer: clientID, Subject: clientID, Audience: josejwt.Audience{aud},
		ID: jti, IssuedAt: josejwt.NewNumericDate(time.Now()), Expiry: josejwt.NewNumericDate(exp)}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func randomJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// answer is what the agent sees of a gateway call: everything of it.
type answer struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

// everything is the answer as one string, to search for the secret.
func (a answer) everything() string {
	var b strings.Builder
	for k, vs := range a.header {
		b.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	b.WriteString(a.body)
	return b.String()
}

// call sends a request to the gateway as the agent.
func (w *world) call(method, path, token string, body string, hdr map[string]string) answer {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.srv.URL+"/t/acme/gateway/"+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return w.do(req)
}

func (w *world) do(req *http.Request) answer {
	w.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	_ = json.Unmarshal(raw, &a.json)
	if strings.Contains(a.everything(), apiKey) || strings.Contains(a.everything(), base64.StdEncoding.EncodeToString([]byte(apiKey))) {
		w.t.Fatalf("the agent saw the secret: %s", a.everything())
	}
	return a
}
