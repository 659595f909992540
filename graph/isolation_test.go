package graph_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/mandatehq/mandate/agents/gateway"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/apitoken"
	"github.com/mandatehq/mandate/ent/auditchain"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/ent/oauthconsent"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/ent/outboxmessage"
	"github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/ent/recoverycode"
	entsession "github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/signingkey"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/graph"
	"github.com/mandatehq/mandate/graph/generated"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// This file is the tenant-isolation table of the GraphQL API: every Query
// and Mutation field, each run over HTTP with workspace A's owner token (or,
// for a person's own connected apps and grants, A's member's session; for
// registering a subagent, A's agent's own access token) against
// workspace B's ids. A field missing from the table fails
// TestGraphQLIsolationTableCoversEveryField.

// workspace is one side of the fixture.
type workspace struct {
	slug   string
	tenant *ent.Tenant
	owner  *ent.Membership
	member *ent.Membership // a plain member, with its user
	token  *ent.APIToken   // the owner token the requests use
	secret string
	spare  *ent.APIToken // a second token, a revocation target
	event  *ent.AuditEvent
	chain  *ent.AuditChain
	system context.Context

	session  *ent.Session       // a live session of member
	login    session.Started    // that session's cookie and CSRF token
	disabled *ent.Membership    // a member whose account is disabled
	mail     *ent.OutboxMessage // a message in the workspace's dev outbox

	app     *ent.OAuthClient  // a confidential application
	offApp  *ent.OAuthClient  // a disabled application
	key     *ent.SigningKey   // a signing key
	consent *ent.OAuthConsent // member's consent to app
	refresh *ent.OAuthToken   // app's refresh token for member

	agent    *ent.Agent           // a top-level agent, sponsored by owner
	agentKey *agentKey            // the agent's private key
	offAgent *ent.Agent           // a suspended agent
	grant    *ent.DelegationGrant // member's grant to agent
}

// ids returns the workspace's rows that GraphQL can name, by type.
func (w workspace) ids() map[string]int {
	return map[string]int{
		"Tenant":     w.tenant.ID,
		"User":       w.member.UserID,
		"Membership": w.member.ID,
		"APIToken":   w.spare.ID,
		"AuditEvent": w.event.ID,
		"AuditChain": w.chain.ID,
		"Session":    w.session.ID,
	}
}

// fixtures is what newWorkspace builds with besides the tenants service.
type fixtures struct {
	c        *ent.Client
	ts       *tenants.Service
	flows    *signin.Flows
	sessions *session.Manager
	clients  *clients.Service
	keys     *keys.Manager
	agents   *registry.Service
	grants   *delegation.Service
	social   *social.Service
	webhooks *webhooks.Service
	vault    *vault.Service
}

func newWorkspace(t *testing.T, fx fixtures, slug string) workspace {
	t.Helper()
	ctx := context.Background()
	c, ts := fx.c, fx.ts
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug))
	if err != nil {
		t.Fatalf("create %s: %v", slug, err)
	}
	w := workspace{slug: slug, tenant: tn, system: viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")}
	if w.owner, err = ts.AddMember(w.system, tenants.NewMember{Email: "owner@" + slug + ".example", Role: viewer.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	if w.member, err = ts.AddMember(w.system, tenants.NewMember{Email: "member@" + slug + ".example", Role: viewer.RoleMember}); err != nil {
		t.Fatal(err)
	}
	if w.token, w.secret, err = ts.CreateAPIToken(w.system, tenants.NewAPIToken{Name: "owner", Role: viewer.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	if w.spare, _, err = ts.CreateAPIToken(w.system, tenants.NewAPIToken{Name: "spare", Role: viewer.RoleMember}); err != nil {
		t.Fatal(err)
	}
	if w.event, err = c.AuditEvent.Query().Where(auditevent.TenantID(tn.ID)).First(w.system); err != nil {
		t.Fatal(err)
	}
	if w.chain, err = c.AuditChain.Query().Where(auditchain.TenantID(tn.ID)).Only(w.system); err != nil {
		t.Fatal(err)
	}
	w.login = startLogin(t, fx, w.system, w.member.UserID)
	w.session = w.login.Session
	if w.disabled, err = ts.AddMember(w.system, tenants.NewMember{Email: "disabled@" + slug + ".example", Role: viewer.RoleMember}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.flows.SetDisabled(w.system, w.disabled.UserID, true); err != nil {
		t.Fatal(err)
	}
	// Kept directly (synchronously), not through a flow that mails later.
	box := &mail.Outbox{Client: c, Log: slog.New(slog.DiscardHandler)}
	if err := box.Send(w.system, mail.Message{To: "seed@" + slug + ".example", Subject: "seed of " + slug, Text: "seed"}); err != nil {
		t.Fatal(err)
	}
	if w.mail, err = c.OutboxMessage.Query().Where(outboxmessage.TenantID(tn.ID)).Only(w.system); err != nil {
		t.Fatal(err)
	}
	// An agent run, for agentTrace.
	rtx, err := c.Tx(w.system)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.NewRecorder().Record(w.system, rtx, audit.Event{Action: "token.issued", RunID: "run-of-" + slug,
		Scope: []string{"openid"}}); err != nil {
		t.Fatal(err)
	}
	// Traces are read from the recorded runs (the issuer writes the row with
	// a run's first token).
	if err := rtx.AgentRun.Create().SetRunID("run-of-" + slug).SetAgentID(0).SetClientID("").SetScopes([]string{"openid"}).
		SetLastSeenAt(time.Now()).Exec(w.system); err != nil {
		t.Fatal(err)
	}
	if err := rtx.Commit(); err != nil {
		t.Fatal(err)
	}

	// The issuer's rows: a scope catalog, two applications (one disabled),
	// a signing key, and the member's consent to the first app with a
	// refresh token it holds for them.
	catalog := []settings.Scope{{Name: slug + ":read", Description: "Read " + slug + "'s things"}}
	if _, err := ts.UpdateSettings(w.system, tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
		t.Fatal(err)
	}
	if w.app, _, err = fx.clients.Create(w.system, clients.NewClient{Name: "app of " + slug,
		RedirectURIs: []string{"https://" + slug + ".example/cb"}}); err != nil {
		t.Fatal(err)
	}
	off, _, err := fx.clients.Create(w.system, clients.NewClient{Name: "off app of " + slug,
		RedirectURIs: []string{"https://" + slug + ".example/off"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.offApp, err = fx.clients.SetDisabled(w.system, off.ClientID, true); err != nil {
		t.Fatal(err)
	}
	if w.key, err = fx.keys.Rotate(w.system, keys.ES256, 0, keys.DefaultTokenLifetime); err != nil {
		t.Fatal(err)
	}
	w.consent, w.refresh = connect(t, fx, w.system, w.member.UserID, w.app.ClientID)

	// The agents' rows: an agent the owner sponsors, the member's grant to
	// it, and a second agent, suspended.
	w.agent, w.agentKey = newAgent(t, fx, w.system, "agent of "+slug, "owner@"+slug+".example", slug+":read")
	w.grant = giveGrant(t, fx, w.system, w.member.UserID, w.agent.ID, slug+":read")
	offAgent, _ := newAgent(t, fx, w.system, "off agent of "+slug, "owner@"+slug+".example", slug+":read")
	if _, err := fx.agents.SetStatus(w.system, offAgent.ID, registry.Suspended); err != nil {
		t.Fatal(err)
	}
	if w.offAgent, err = c.Agent.Get(w.system, offAgent.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

// agentKey is an agent's ES256 key pair.
type agentKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newAgentKey(t *testing.T) *agentKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &agentKey{priv: priv, kid: rand.Text()}
}

// jwks is the public JWK set the agent registers.
func (k *agentKey) jwks(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newAgent registers a top-level agent as a workspace's system, with a
// fresh key.
func newAgent(t *testing.T, fx fixtures, ctx context.Context, name, sponsor string, scopes ...string) (*ent.Agent, *agentKey) {
	t.Helper()
	key := newAgentKey(t)
	made, err := fx.agents.Create(ctx, registry.NewAgent{Name: name, SponsorEmail: sponsor, Ceiling: scopes, JWKS: []byte(key.jwks(t))})
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return made.Agent, key
}

// giveGrant records, as a workspace's system, a person's grant to an
// agent for an hour.
func giveGrant(t *testing.T, fx fixtures, ctx context.Context, userID, agentID int, scopes ...string) *ent.DelegationGrant {
	t.Helper()
	g, err := fx.c.DelegationGrant.Create().SetUserID(userID).SetAgentID(agentID).SetScopes(scopes).
		SetExpiresAt(time.Now().Add(time.Hour).UTC().Truncate(time.Second)).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// connect records, as a workspace's system, that a user let an app in, and
// a refresh token the app holds for them.
func connect(t *testing.T, fx fixtures, ctx context.Context, userID int, clientID string) (*ent.OAuthConsent, *ent.OAuthToken) {
	t.Helper()
	consent, err := fx.c.OAuthConsent.Create().SetUserID(userID).SetClientID(clientID).
		SetScopes([]string{"openid", "offline_access"}).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	tok, err := fx.c.OAuthToken.Create().SetKind(oauthtoken.KindRefresh).
		SetSignature(fmt.Sprintf("sig-%d-%d-%s", viewer.FromContext(ctx).TenantID, userID, clientID)).
		SetRequestID(fmt.Sprintf("req-%d-%d-%s", viewer.FromContext(ctx).TenantID, userID, clientID)).
		SetClientID(clientID).SetSubject(strconv.Itoa(userID)).SetRequestedAt(now).SetExpiresAt(now.Add(time.Hour)).
		SetData([]byte("{}")).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return consent, tok
}

// startSession opens a live session for a user, as the workspace's system.
func startSession(t *testing.T, fx fixtures, ctx context.Context, userID int) *ent.Session {
	t.Helper()
	return startLogin(t, fx, ctx, userID).Session
}

// startLogin opens a live session for a user, as the workspace's system,
// and returns its cookie value and CSRF token too.
func startLogin(t *testing.T, fx fixtures, ctx context.Context, userID int) session.Started {
	t.Helper()
	tx, err := fx.c.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := tx.User.Get(ctx, userID)
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	st, err := fx.sessions.Start(ctx, tx, u, []string{"pwd"}, time.Hour)
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return st
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

type gqlResponse struct {
	status int
	Data   map[string]json.RawMessage `json:"data"`
	Errors []gqlError                 `json:"errors"`
}

// codes returns the error codes of the response, in order.
func (r gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.code())
	}
	return out
}

// errorsWithout renders the errors' codes and messages with the id left
// out, to compare two answers.
func errorsWithout(r gqlResponse, id int) string {
	var b strings.Builder
	for _, e := range r.Errors {
		msg := e.Message
		if id != 0 {
			msg = strings.ReplaceAll(msg, strconv.Itoa(id), "<id>")
		}
		fmt.Fprintf(&b, "[%s] %s; ", e.code(), msg)
	}
	return b.String()
}

// field decodes data.name into v.
func (r gqlResponse) field(t *testing.T, name string, v any) {
	t.Helper()
	raw, ok := r.Data[name]
	if !ok {
		t.Fatalf("response has no data.%s: status %d, errors %+v", name, r.status, r.Errors)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("data.%s = %s: %v", name, raw, err)
	}
}

// env is what every case works with.
type env struct {
	srv    *httptest.Server
	c      *ent.Client
	ts     *tenants.Service
	fx     fixtures
	a, b   workspace
	sysAll context.Context // the system, bound to no tenant
	mailed chan mailEvent  // each email the flows kept or failed to send

	// stray is a consent row in B naming A's member's user id, with a
	// refresh token: only the tenant tells it from A's member's own.
	stray        *ent.OAuthConsent
	strayRefresh *ent.OAuthToken
	// strayGrant is a grant in B, to B's agent, naming A's member's user id.
	strayGrant *ent.DelegationGrant
}

// mailEvent is one email the flows handed to the dev outbox.
type mailEvent struct {
	tenant int    // the workspace whose outbox kept it
	err    string // why it was not kept
}

// mailSignal is the log handler of the flows and of the dev outbox. The
// flows mail after answering; the outbox logs each message it keeps (and
// the flows each one that fails), which is how a case waits for its email
// without sleeping.
type mailSignal struct{ events chan<- mailEvent }

func (mailSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h mailSignal) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h mailSignal) WithGroup(string) slog.Handler          { return h }

func (h mailSignal) Handle(ctx context.Context, r slog.Record) error {
	var ev mailEvent
	switch {
	case strings.Contains(r.Message, "dev outbox"):
		ev.tenant = viewer.FromContext(ctx).TenantID
	case r.Message == "send email":
		ev.err = r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "err" {
				ev.err = a.Value.String()
			}
			return true
		})
	default:
		return nil
	}
	select {
	case h.events <- ev:
	default: // nobody waits for it: the case would fail on its own count
	}
	return nil
}

// waitMail waits (bounded) for the next email the flows keep and returns
// the tenant whose outbox kept it.
func (e *env) waitMail(t *testing.T) int {
	t.Helper()
	select {
	case ev := <-e.mailed:
		if ev.err != "" {
			t.Fatalf("an email was not kept: %s", ev.err)
		}
		return ev.tenant
	case <-time.After(10 * time.Second):
		t.Fatal("no email was kept in 10s")
		return 0
	}
}

// as runs an operation at /t/{slug}/graphql with a bearer token.
func (e *env) as(t *testing.T, slug, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return e.send(t, slug, func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+token) }, query, vars)
}

// asPerson runs an operation at /t/{slug}/graphql as a signed-in person:
// the session cookie and its CSRF token, as the dashboard sends them.
func (e *env) asPerson(t *testing.T, slug string, login session.Started, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return e.send(t, slug, func(req *http.Request) {
		req.AddCookie(&http.Cookie{Name: e.fx.sessions.CookieName(slug), Value: login.Token})
		req.Header.Set(signin.CSRFHeader, login.CSRF)
	}, query, vars)
}

// send posts an operation at /t/{slug}/graphql, authenticated by authorize.
func (e *env) send(t *testing.T, slug string, authorize func(*http.Request), query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/t/"+slug+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	authorize(req)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := gqlResponse{status: res.StatusCode}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("decode response (status %d): %v", res.StatusCode, err)
	}
	return out
}

// actor runs an operation as one principal.
type actor func(t *testing.T, query string, vars map[string]any) gqlResponse

// asA runs an operation as A's owner token in A.
func (e *env) asA(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return e.as(t, e.a.slug, e.a.secret, query, vars)
}

// state is every row of a tenant, read as the system.
func (e *env) state(t *testing.T, tid int) []string {
	t.Helper()
	ctx := e.sysAll
	var out []string
	add := func(kind string, tenant int, s string) {
		if tenant == tid {
			out = append(out, kind+" "+s)
		}
	}
	tns, err := e.c.Tenant.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range tns {
		add("tenant", x.ID, x.String())
	}
	us, err := e.c.User.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range us {
		add("user", x.TenantID, x.String())
	}
	ms, err := e.c.Membership.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ms {
		add("membership", x.TenantID, x.String())
	}
	toks, err := e.c.APIToken.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range toks {
		add("token", x.TenantID, x.String())
	}
	evs, err := e.c.AuditEvent.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range evs {
		add("event", x.TenantID, x.String())
	}
	chs, err := e.c.AuditChain.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range chs {
		add("chain", x.TenantID, x.String())
	}
	ss, err := e.c.Session.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ss {
		add("session", x.TenantID, x.String())
	}
	ots, err := e.c.OneTimeToken.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ots {
		add("link", x.TenantID, x.String())
	}
	msgs, err := e.c.OutboxMessage.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range msgs {
		add("outbox", x.TenantID, x.String())
	}
	// Secrets are left out of String(): their hashes show a change.
	apps, err := e.c.OAuthClient.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range apps {
		add("oauth_client", x.TenantID, x.String()+" secret_hash="+x.SecretHash)
	}
	sks, err := e.c.SigningKey.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range sks {
		add("signing_key", x.TenantID, fmt.Sprintf("%s sealed=%x", x, sha256.Sum256(x.PrivateSealed)))
	}
	cons, err := e.c.OAuthConsent.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cons {
		add("consent", x.TenantID, x.String())
	}
	otoks, err := e.c.OAuthToken.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range otoks {
		add("oauth_token", x.TenantID, x.String())
	}
	ags, err := e.c.Agent.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ags {
		add("agent", x.TenantID, x.String())
	}
	gs, err := e.c.DelegationGrant.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range gs {
		add("grant", x.TenantID, x.String())
	}
	sort.Strings(out)
	return out
}

// bUnchanged fails if B's rows differ from before.
func (e *env) bUnchanged(t *testing.T, before []string) {
	t.Helper()
	after := e.state(t, e.b.tenant.ID)
	if !slices.Equal(before, after) {
		t.Errorf("B's rows changed:\nbefore %q\nafter  %q", before, after)
	}
}

// gqlCase is one entry of the table: an operation of A against B.
type gqlCase struct {
	field string // "Query.node", "Mutation.addMember"
	name  string
	run   func(t *testing.T, e *env)
}

func id(n int) string { return strconv.Itoa(n) }

// connection is the shape of a relay connection.
type connection struct {
	TotalCount int `json:"totalCount"`
	Edges      []struct {
		Node struct {
			ID string `json:"id"`
		} `json:"node"`
	} `json:"edges"`
}

func (c connection) ids() []string {
	var out []string
	for _, e := range c.Edges {
		out = append(out, e.Node.ID)
	}
	return out
}

// connectionCase checks a connection field: A sees exactly its own rows,
// and a filter naming B's rows finds nothing.
func connectionCase(field string, own func(t *testing.T, e *env) []int, bID func(e *env) int, hasUser bool) gqlCase {
	return gqlCase{
		field: "Query." + field,
		name:  "only A's rows",
		run: func(t *testing.T, e *env) {
			want := own(t, e)
			if len(want) == 0 {
				t.Fatal("fixture: A has no rows")
			}
			q := fmt.Sprintf(`{ %s(first: 500) { totalCount edges { node { id } } } }`, field)
			r := e.asA(t, q, nil)
			if len(r.Errors) != 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			var conn connection
			r.field(t, field, &conn)
			got := conn.ids()
			wantIDs := make([]string, len(want))
			for i, n := range want {
				wantIDs[i] = id(n)
			}
			sort.Strings(got)
			sort.Strings(wantIDs)
			if !slices.Equal(got, wantIDs) || conn.TotalCount != len(want) {
				t.Errorf("%s = %v (totalCount %d); want A's %v", field, got, conn.TotalCount, wantIDs)
			}
			if slices.Contains(got, id(bID(e))) {
				t.Errorf("%s lists B's row %d", field, bID(e))
			}

			// Filters naming B's rows find nothing.
			filters := []string{fmt.Sprintf(`{id: %q}`, id(bID(e))), fmt.Sprintf(`{idIn: [%q]}`, id(bID(e)))}
			if hasUser {
				filters = append(filters, fmt.Sprintf(`{hasUserWith: [{id: %q}]}`, id(e.b.member.UserID)))
			}
			for _, f := range filters {
				r := e.asA(t, fmt.Sprintf(`{ %s(where: %s) { totalCount edges { node { id } } } }`, field, f), nil)
				var conn connection
				r.field(t, field, &conn)
				if len(r.Errors) != 0 || conn.TotalCount != 0 || len(conn.Edges) != 0 {
					t.Errorf("%s(where: %s) = %v (totalCount %d), errors %+v; want nothing", field, f, conn.ids(), conn.TotalCount, r.Errors)
				}
			}
		},
	}
}

// membershipIDs lists A's memberships, read as the system.
func membershipIDs(t *testing.T, e *env) []int {
	ids, err := e.c.Membership.Query().Where(membership.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// mutationOnB runs a mutation on one of B's ids (bVars) and wants
// NOT_FOUND, no data, B unchanged, and the same answer as for an id that
// exists nowhere (missing). With aVars, the same mutation on A's own row
// must then work, so a resolver that always fails cannot pass.
func mutationOnB(t *testing.T, e *env, op, field string, bVars, aVars map[string]any, missing map[string]any) {
	t.Helper()
	mutationOnBBy(t, e, e.asA, op, field, bVars, aVars, missing)
}

// mutationOnBBy is mutationOnB with another of A's principals acting.
func mutationOnBBy(t *testing.T, e *env, by actor, op, field string, bVars, aVars map[string]any, missing map[string]any) {
	t.Helper()
	before := e.state(t, e.b.tenant.ID)
	r := by(t, op, bVars)
	if got := r.codes(); !slices.Equal(got, []string{"NOT_FOUND"}) {
		t.Errorf("%s on B's row: codes %v (%+v); want [NOT_FOUND]", field, got, r.Errors)
	}
	if raw := r.Data[field]; len(raw) != 0 && string(raw) != "null" {
		t.Errorf("%s on B's row returned data %s", field, raw)
	}
	none := by(t, op, missing)
	if got, want := errorsWithout(r, 0), errorsWithout(none, 0); got != want {
		t.Errorf("%s: B's row answers %s, a row that exists nowhere %s; want the same", field, got, want)
	}
	e.bUnchanged(t, before)
	if aVars != nil {
		ok := by(t, op, aVars)
		if len(ok.Errors) != 0 {
			t.Errorf("%s on A's own row (control): %+v", field, ok.Errors)
		}
	}
}

// freshMember adds a member to A as the system, a target for a mutation.
func freshMember(t *testing.T, e *env, email string) *ent.Membership {
	t.Helper()
	m, err := e.ts.AddMember(e.a.system, tenants.NewMember{Email: email, Role: viewer.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// nodeTypes are the GraphQL node types and a query selecting a field only
// that type has, so a leak would show its data.
var nodeTypes = []string{"Tenant", "User", "Membership", "APIToken", "AuditEvent", "AuditChain", "Session"}

const nodeSelection = `id __typename
	... on Tenant { slug name }
	... on User { email }
	... on Membership { role user { email } }
	... on APIToken { name prefix }
	... on AuditEvent { action hash }
	... on Session { ip revokedAt user { email } }`

func gqlCases() []gqlCase {
	return []gqlCase{
		{field: "Query.node", name: "B's rows are null", run: func(t *testing.T, e *env) {
			q := `query($id: ID!) { node(id: $id) { ` + nodeSelection + ` } }`
			aIDs, bIDs := e.a.ids(), e.b.ids()
			for _, typ := range nodeTypes {
				r := e.asA(t, q, map[string]any{"id": id(bIDs[typ])})
				if raw := r.Data["node"]; string(raw) != "null" {
					t.Errorf("node(B's %s %d) = %s; want null", typ, bIDs[typ], raw)
				}
				// No oracle: B's row answers like a row that exists nowhere.
				missing := bIDs[typ] + 1_000_000
				none := e.asA(t, q, map[string]any{"id": id(missing)})
				if got, want := errorsWithout(r, bIDs[typ]), errorsWithout(none, missing); got != want {
					t.Errorf("node(B's %s): errors %s differ from a missing row's %s", typ, got, want)
				}
				if typ == "AuditChain" {
					continue // not a GraphQL node at all
				}
				// Control: A's own row of the type resolves.
				own := e.asA(t, q, map[string]any{"id": id(aIDs[typ])})
				var n struct {
					ID       string `json:"id"`
					Typename string `json:"__typename"`
				}
				own.field(t, "node", &n)
				if n.ID != id(aIDs[typ]) || n.Typename != typ {
					t.Errorf("node(A's %s %d) = %+v, errors %+v; want it", typ, aIDs[typ], n, own.Errors)
				}
			}
		}},
		{field: "Query.nodes", name: "B's rows are null", run: func(t *testing.T, e *env) {
			aIDs, bIDs := e.a.ids(), e.b.ids()
			ids := []string{id(aIDs["Membership"])}
			for _, typ := range nodeTypes {
				ids = append(ids, id(bIDs[typ]))
			}
			r := e.asA(t, `query($ids: [ID!]!) { nodes(ids: $ids) { `+nodeSelection+` } }`, map[string]any{"ids": ids})
			var nodes []json.RawMessage
			r.field(t, "nodes", &nodes)
			if len(nodes) != len(ids) {
				t.Fatalf("nodes returned %d entries for %d ids", len(nodes), len(ids))
			}
			if string(nodes[0]) == "null" {
				t.Errorf("nodes: A's own membership is null (control), errors %+v", r.Errors)
			}
			for i, raw := range nodes[1:] {
				if string(raw) != "null" {
					t.Errorf("nodes: B's %s %s = %s; want null", nodeTypes[i], ids[i+1], raw)
				}
			}
		}},
		connectionCase("members", membershipIDs, func(e *env) int { return e.b.member.ID }, true),
		connectionCase("apiTokens", func(t *testing.T, e *env) []int {
			ids, err := e.c.APIToken.Query().Where(apitoken.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}, func(e *env) int { return e.b.spare.ID }, false),
		connectionCase("auditEvents", func(t *testing.T, e *env) []int {
			ids, err := e.c.AuditEvent.Query().Where(auditevent.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}, func(e *env) int { return e.b.event.ID }, false),
		{field: "Query.identityProviders", name: "only A's providers", run: identityProvidersCase},
		{field: "Mutation.createIdentityProvider", name: "lands in A", run: createIdentityProviderCase},
		{field: "Mutation.updateIdentityProvider", name: "B's provider is not found", run: updateIdentityProviderCase},
		{field: "Mutation.deleteIdentityProvider", name: "B's provider is not found", run: deleteIdentityProviderCase},
		{field: "Query.myLinkedAccounts", name: "only A's member's own links", run: myLinkedAccountsCase},
		{field: "Mutation.unlinkAccount", name: "B's link is not found", run: unlinkAccountCase},
		{field: "Query.webhooks", name: "only A's webhooks", run: webhooksCase},
		{field: "Query.tools", name: "only A's tools", run: toolsCase},
		{field: "Mutation.createTool", name: "lands in A, never with B's credential", run: createToolCase},
		{field: "Mutation.updateTool", name: "B's tool is not found", run: updateToolCase},
		{field: "Mutation.setToolDisabled", name: "B's tool is not found", run: setToolDisabledCase},
		{field: "Mutation.deleteTool", name: "B's tool is not found", run: deleteToolCase},
		{field: "Query.webhookDeliveries", name: "only A's deliveries", run: webhookDeliveriesCase},
		{field: "Mutation.createWebhook", name: "lands in A", run: createWebhookCase},
		{field: "Mutation.deleteWebhook", name: "B's webhook is not found", run: deleteWebhookCase},
		{field: "Query.credentials", name: "only A's credentials", run: credentialsCase},
		{field: "Mutation.createCredential", name: "lands in A", run: createCredentialCase},
		{field: "Mutation.rotateCredential", name: "B's credential is not found", run: rotateCredentialCase},
		{field: "Mutation.revokeCredential", name: "B's credential is not found", run: revokeCredentialCase},
		{field: "Query.connectedAccounts", name: "only the viewer's own in A", run: connectedAccountsCase},
		{field: "Mutation.disconnectAccount", name: "B's connection is not found", run: disconnectAccountCase},
		{field: "Mutation.setWebhookDisabled", name: "B's webhook is not found", run: setWebhookDisabledCase},
		{field: "Query.approvalRequests", name: "only A's requests", run: approvalRequestsCase},
		{field: "Query.approvalRequest", name: "B's request is null", run: approvalRequestCase},
		{field: "Query.approvalPolicies", name: "only A's policies", run: approvalPoliciesCase},
		{field: "Mutation.approve", name: "B's request is not found", run: approveCase},
		{field: "Mutation.deny", name: "B's request is not found", run: denyCase},
		{field: "Mutation.updateApprovalPolicies", name: "changes only A", run: updateApprovalPoliciesCase},
		{field: "Query.viewer", name: "is A", run: func(t *testing.T, e *env) {
			r := e.asA(t, `{ viewer { kind id label role tenant { id slug } } }`, nil)
			var v struct {
				Kind   string `json:"kind"`
				ID     string `json:"id"`
				Tenant struct {
					ID   string `json:"id"`
					Slug string `json:"slug"`
				} `json:"tenant"`
			}
			r.field(t, "viewer", &v)
			if v.Kind != "api_token" || v.ID != id(e.a.token.ID) || v.Tenant.ID != id(e.a.tenant.ID) || v.Tenant.Slug != "a" {
				t.Errorf("viewer = %+v, errors %+v; want A's token in A", v, r.Errors)
			}
		}},
		{field: "Query.tenant", name: "is A", run: func(t *testing.T, e *env) {
			r := e.asA(t, `{ tenant { id slug name } }`, nil)
			var tn struct{ ID, Slug string }
			r.field(t, "tenant", &tn)
			if tn.ID != id(e.a.tenant.ID) || tn.Slug != "a" {
				t.Errorf("tenant = %+v, errors %+v; want A", tn, r.Errors)
			}
		}},
		{field: "Mutation.updateTenantSettings", name: "changes only A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			r := e.asA(t, `mutation { updateTenantSettings(input: {name: "A renamed", sessionLifetimeMinutes: 77}) { id name } }`, nil)
			var tn struct{ ID, Name string }
			r.field(t, "updateTenantSettings", &tn)
			if tn.ID != id(e.a.tenant.ID) || tn.Name != "A renamed" {
				t.Errorf("updateTenantSettings = %+v, errors %+v; want A renamed", tn, r.Errors)
			}
			got, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID)
			if err != nil || got.Name != "A renamed" || got.Settings.SessionLifetimeMinutes != 77 {
				t.Errorf("A after update = %+v, %v", got, err)
			}
			e.bUnchanged(t, before)
		}},
		{field: "Mutation.addMember", name: "lands in A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			// B's member's address: in A it is a new, separate person.
			for _, email := range []string{"new@a.example", "member@b.example"} {
				r := e.asA(t, `mutation($email: String!) { addMember(input: {email: $email, role: member}) { id user { id email } } }`,
					map[string]any{"email": email})
				var m struct {
					ID   string `json:"id"`
					User struct{ ID, Email string }
				}
				r.field(t, "addMember", &m)
				if len(r.Errors) != 0 {
					t.Fatalf("addMember(%s): %+v", email, r.Errors)
				}
				mid, _ := strconv.Atoi(m.ID)
				got, err := e.c.Membership.Query().Where(membership.ID(mid)).WithUser().Only(e.sysAll)
				if err != nil {
					t.Fatal(err)
				}
				if got.TenantID != e.a.tenant.ID || got.Edges.User.TenantID != e.a.tenant.ID || m.User.ID == id(e.b.member.UserID) {
					t.Errorf("addMember(%s) made membership of tenant %d with user %d of tenant %d; want both in A",
						email, got.TenantID, got.UserID, got.Edges.User.TenantID)
				}
			}
			e.bUnchanged(t, before)
		}},
		{field: "Mutation.removeMember", name: "B's membership is not found", run: func(t *testing.T, e *env) {
			own := freshMember(t, e, "remove-me@a.example")
			mutationOnB(t, e, `mutation($id: ID!) { removeMember(id: $id) { deletedID } }`, "removeMember",
				map[string]any{"id": id(e.b.member.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(e.b.member.ID + 1_000_000)})
		}},
		{field: "Mutation.changeMemberRole", name: "B's membership is not found", run: func(t *testing.T, e *env) {
			own := freshMember(t, e, "promote-me@a.example")
			op := `mutation($id: ID!) { changeMemberRole(id: $id, role: owner) { id role } }`
			mutationOnB(t, e, op, "changeMemberRole",
				map[string]any{"id": id(e.b.member.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(e.b.member.ID + 1_000_000)})
			// Nor B's only owner.
			mutationOnB(t, e, `mutation($id: ID!) { changeMemberRole(id: $id, role: member) { id role } }`, "changeMemberRole",
				map[string]any{"id": id(e.b.owner.ID)}, nil, map[string]any{"id": id(e.b.owner.ID + 1_000_000)})
		}},
		{field: "Mutation.createAPIToken", name: "lands in A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			r := e.asA(t, `mutation { createAPIToken(input: {name: "made by A", role: admin}) { token apiToken { id } } }`, nil)
			var p struct {
				Token    string `json:"token"`
				APIToken struct{ ID string }
			}
			r.field(t, "createAPIToken", &p)
			if len(r.Errors) != 0 || p.Token == "" {
				t.Fatalf("createAPIToken: %+v", r.Errors)
			}
			tid, _ := strconv.Atoi(p.APIToken.ID)
			got, err := e.c.APIToken.Get(e.sysAll, tid)
			if err != nil || got.TenantID != e.a.tenant.ID {
				t.Errorf("new token %d: %+v, %v; want it in A", tid, got, err)
			}
			e.bUnchanged(t, before)
			// It works in A and nowhere else.
			if r := e.as(t, "a", p.Token, `{ tenant { id } }`, nil); r.status != http.StatusOK || len(r.Errors) != 0 {
				t.Errorf("new token in A: status %d, %+v", r.status, r.Errors)
			}
			if r := e.as(t, "b", p.Token, `{ tenant { id } }`, nil); r.status != http.StatusUnauthorized {
				t.Errorf("new token in B: status %d, %+v; want 401", r.status, r.Errors)
			}
		}},
		{field: "Mutation.revokeAPIToken", name: "B's token is not found", run: func(t *testing.T, e *env) {
			own, _, err := e.ts.CreateAPIToken(e.a.system, tenants.NewAPIToken{Name: "revoke me", Role: viewer.RoleMember})
			if err != nil {
				t.Fatal(err)
			}
			op := `mutation($id: ID!) { revokeAPIToken(id: $id) { id revokedAt } }`
			mutationOnB(t, e, op, "revokeAPIToken",
				map[string]any{"id": id(e.b.token.ID)}, nil, map[string]any{"id": id(e.b.token.ID + 1_000_000)})
			mutationOnB(t, e, op, "revokeAPIToken",
				map[string]any{"id": id(e.b.spare.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(e.b.spare.ID + 1_000_000)})
		}},
		{field: "Mutation.inviteMember", name: "lands in A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			// B's owner's address: in A it is a new invitation.
			for _, email := range []string{"invitee@a.example", "owner@b.example"} {
				var inv struct{ ID, Email, Role string }
				e.mutateA(t, `mutation($email: String!) { inviteMember(input: {email: $email, role: member}) { id email role expiresAt } }`,
					"inviteMember", map[string]any{"email": email}, &inv)
				if got := e.waitMail(t); got != e.a.tenant.ID {
					t.Errorf("the invitation to %s was kept in tenant %d's outbox; want A's (%d)", email, got, e.a.tenant.ID)
				}
				iid, _ := strconv.Atoi(inv.ID)
				link, err := e.c.OneTimeToken.Get(e.sysAll, iid)
				if err != nil || link.TenantID != e.a.tenant.ID || link.Purpose != onetimetoken.PurposeInvitation || link.Email != email || link.Role != "member" {
					t.Errorf("inviteMember(%s) = %+v: row %v, %v; want an invitation in A", email, inv, link, err)
				}
				msgs, err := e.c.OutboxMessage.Query().Where(outboxmessage.To(email)).All(e.sysAll)
				if err != nil || len(msgs) != 1 || msgs[0].TenantID != e.a.tenant.ID {
					t.Errorf("outbox messages to %s: %v, %v; want one, in A", email, msgs, err)
				}
			}
			n, err := e.c.OneTimeToken.Query().
				Where(onetimetoken.TenantID(e.b.tenant.ID), onetimetoken.PurposeEQ(onetimetoken.PurposeInvitation)).Count(e.sysAll)
			if err != nil || n != 0 {
				t.Errorf("B has %d invitations (%v); want none", n, err)
			}
			e.bUnchanged(t, before)
		}},
		{field: "Mutation.disableUser", name: "B's user is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { disableUser(id: $id) { id disabled } }`
			// B's member, who has a live session, and B's only owner.
			for _, uid := range []int{e.b.member.UserID, e.b.owner.UserID} {
				mutationOnB(t, e, op, "disableUser", map[string]any{"id": id(uid)}, nil, map[string]any{"id": id(uid + 1_000_000)})
			}
			// Control: A's own member is disabled and signed out.
			own, s := freshMemberWithSession(t, e, "disable-me@a.example")
			var u struct {
				ID       string
				Disabled bool
			}
			e.mutateA(t, op, "disableUser", map[string]any{"id": id(own.UserID)}, &u)
			if u.ID != id(own.UserID) || !u.Disabled || !e.user(t, own.UserID).Disabled {
				t.Errorf("disableUser(A's member) = %+v; want disabled", u)
			}
			if e.session(t, s.ID).RevokedAt == nil {
				t.Error("disableUser(A's member) left their session live")
			}
		}},
		{field: "Mutation.enableUser", name: "B's user is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { enableUser(id: $id) { id disabled } }`
			uid := e.b.disabled.UserID
			mutationOnB(t, e, op, "enableUser", map[string]any{"id": id(uid)}, nil, map[string]any{"id": id(uid + 1_000_000)})
			// Control: A's own disabled member is enabled again.
			own := freshMember(t, e, "enable-me@a.example")
			if _, err := e.fx.flows.SetDisabled(e.a.system, own.UserID, true); err != nil {
				t.Fatal(err)
			}
			var u struct {
				ID       string
				Disabled bool
			}
			e.mutateA(t, op, "enableUser", map[string]any{"id": id(own.UserID)}, &u)
			if u.ID != id(own.UserID) || u.Disabled || e.user(t, own.UserID).Disabled {
				t.Errorf("enableUser(A's member) = %+v; want enabled", u)
			}
		}},
		{field: "Mutation.deleteUser", name: "B's user is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { deleteUser(id: $id) { deletedID } }`
			for _, uid := range []int{e.b.member.UserID, e.b.owner.UserID} {
				mutationOnB(t, e, op, "deleteUser", map[string]any{"id": id(uid)}, nil, map[string]any{"id": id(uid + 1_000_000)})
			}
			// Control: A's own member is erased to a pseudonym.
			own, s := freshMemberWithSession(t, e, "delete-me@a.example")
			var p struct{ DeletedID string }
			e.mutateA(t, op, "deleteUser", map[string]any{"id": id(own.UserID)}, &p)
			u := e.user(t, own.UserID)
			if p.DeletedID != id(own.UserID) || u.Email != "deleted-"+id(own.UserID)+"@invalid.example" || u.TenantID != e.a.tenant.ID {
				t.Errorf("deleteUser(A's member) = %+v, user now %v; want a pseudonym in A", p, u)
			}
			if ok, err := e.c.Membership.Query().Where(membership.ID(own.ID)).Exist(e.sysAll); err != nil || ok {
				t.Errorf("deleteUser(A's member) kept the membership (%v)", err)
			}
			if ok, err := e.c.Session.Query().Where(entsession.ID(s.ID)).Exist(e.sysAll); err != nil || ok {
				t.Errorf("deleteUser(A's member) kept the session (%v)", err)
			}
		}},
		{field: "Mutation.revokeUserSessions", name: "B's user is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { revokeUserSessions(userID: $id) { revoked } }`
			uid := e.b.member.UserID
			mutationOnB(t, e, op, "revokeUserSessions", map[string]any{"id": id(uid)}, nil, map[string]any{"id": id(uid + 1_000_000)})
			// Control: A's own member's session ends.
			own, s := freshMemberWithSession(t, e, "signed-in@a.example")
			var p struct{ Revoked int }
			e.mutateA(t, op, "revokeUserSessions", map[string]any{"id": id(own.UserID)}, &p)
			if p.Revoked != 1 || e.session(t, s.ID).RevokedAt == nil {
				t.Errorf("revokeUserSessions(A's member) = %+v; want their one session revoked", p)
			}
		}},
		{field: "Query.agentTrace", name: "only A's runs", run: func(t *testing.T, e *env) {
			q := `query($run: String!) { agentTrace(run: $run) { run actions { action runID } } }`
			r := e.asA(t, q, map[string]any{"run": "run-of-" + e.b.slug})
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "NOT_FOUND" {
				t.Errorf("agentTrace(B's run) = %+v; want NOT_FOUND", r.Errors)
			}
			r = e.asA(t, q, map[string]any{"run": "run-of-" + e.a.slug})
			var tr struct {
				Run     string
				Actions []struct{ Action, RunID string }
			}
			r.field(t, "agentTrace", &tr)
			if tr.Run != "run-of-"+e.a.slug || len(tr.Actions) != 1 || tr.Actions[0].RunID != "run-of-"+e.a.slug {
				t.Errorf("agentTrace(A's run) = %+v, errors %+v", tr, r.Errors)
			}
		}},
		{field: "Query.devOutbox", name: "only A's messages", run: func(t *testing.T, e *env) {
			want, err := e.c.OutboxMessage.Query().Where(outboxmessage.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("fixture: A's outbox is empty")
			}
			r := e.asA(t, `{ devOutbox(first: 500) { enabled messages { id to subject } } }`, nil)
			var box struct {
				Enabled  bool
				Messages []struct{ ID, To, Subject string }
			}
			r.field(t, "devOutbox", &box)
			var got, wantIDs []string
			for _, m := range box.Messages {
				got = append(got, m.ID)
				if m.Subject == e.b.mail.Subject {
					t.Errorf("devOutbox shows B's message %+v", m)
				}
			}
			for _, n := range want {
				wantIDs = append(wantIDs, id(n))
			}
			sort.Strings(got)
			sort.Strings(wantIDs)
			if len(r.Errors) != 0 || !box.Enabled || !slices.Equal(got, wantIDs) {
				t.Errorf("devOutbox = %+v, errors %+v; want enabled with A's %v", box, r.Errors, wantIDs)
			}
			if slices.Contains(got, id(e.b.mail.ID)) {
				t.Errorf("devOutbox lists B's message %d", e.b.mail.ID)
			}
		}},
		{field: "Query.oauthClients", name: "only A's clients", run: func(t *testing.T, e *env) {
			want := e.clientIDs(t, e.a.tenant.ID)
			if len(want) < 2 {
				t.Fatalf("fixture: A has clients %v", want)
			}
			got := e.listed(t, e.asA, `{ oauthClients { clientID } }`, "oauthClients", "clientID")
			if !slices.Equal(got, want) {
				t.Errorf("oauthClients = %v; want A's %v", got, want)
			}
			for _, b := range []string{e.b.app.ClientID, e.b.offApp.ClientID} {
				if slices.Contains(got, b) {
					t.Errorf("oauthClients lists B's client %s", b)
				}
			}
		}},
		{field: "Query.signingKeys", name: "only A's keys", run: func(t *testing.T, e *env) {
			want, err := e.c.SigningKey.Query().Where(signingkey.TenantID(e.a.tenant.ID)).Select(signingkey.FieldKid).Strings(e.sysAll)
			if err != nil || len(want) == 0 {
				t.Fatalf("fixture: A's keys %v, %v", want, err)
			}
			sort.Strings(want)
			got := e.listed(t, e.asA, `{ signingKeys { kid alg } }`, "signingKeys", "kid")
			if !slices.Equal(got, want) {
				t.Errorf("signingKeys = %v; want A's %v", got, want)
			}
			if slices.Contains(got, e.b.key.Kid) {
				t.Errorf("signingKeys lists B's key %s", e.b.key.Kid)
			}
		}},
		{field: "Query.scopeCatalog", name: "only A's catalog", run: func(t *testing.T, e *env) {
			got := e.listed(t, e.asA, `{ scopeCatalog { name description standard } }`, "scopeCatalog", "name")
			if !slices.Contains(got, "a:read") || !slices.Contains(got, "openid") {
				t.Errorf("scopeCatalog = %v; want the standard scopes and A's a:read", got)
			}
			if slices.Contains(got, "b:read") {
				t.Errorf("scopeCatalog lists B's scope b:read: %v", got)
			}
		}},
		{field: "Query.connectedApps", name: "only A's member's consents", run: func(t *testing.T, e *env) {
			want, err := e.c.OAuthConsent.Query().
				Where(oauthconsent.TenantID(e.a.tenant.ID), oauthconsent.UserID(e.a.member.UserID)).
				Select(oauthconsent.FieldClientID).Strings(e.sysAll)
			if err != nil || len(want) == 0 {
				t.Fatalf("fixture: A's member's consents %v, %v", want, err)
			}
			sort.Strings(want)
			got := e.listed(t, e.asAMember, `{ connectedApps { clientID name scopes grantedAt } }`, "connectedApps", "clientID")
			if !slices.Equal(got, want) {
				t.Errorf("connectedApps = %v; want A's member's %v", got, want)
			}
			// B's consent names A's member's user id; only its tenant differs.
			if slices.Contains(got, e.stray.ClientID) {
				t.Errorf("connectedApps lists B's consent to %s", e.stray.ClientID)
			}
		}},
		{field: "Query.myPasskeys", name: "only A's member's own passkeys", run: func(t *testing.T, e *env) {
			own := newPasskey(t, e, e.a, e.a.member.UserID, "listed")
			newPasskey(t, e, e.a, e.a.owner.UserID, "owner's")
			// B's passkey names A's member's user id: only its tenant differs.
			stray := newPasskey(t, e, e.b, e.a.member.UserID, "stray")
			got := e.listed(t, e.asAMember, `{ myPasskeys { id name createdAt lastUsedAt attachment backupEligible backupState transports cloneWarning } }`, "myPasskeys", "id")
			if !slices.Contains(got, id(own.ID)) || slices.Contains(got, id(stray.ID)) {
				t.Errorf("myPasskeys = %v; want A's member's %d and not B's %d", got, own.ID, stray.ID)
			}
			mine, err := e.c.Passkey.Query().Where(passkey.TenantID(e.a.tenant.ID), passkey.UserID(e.a.member.UserID)).IDs(e.sysAll)
			if err != nil || !slices.Equal(got, sortedIDs(mine)) {
				t.Errorf("myPasskeys = %v; want exactly A's member's %v (%v)", got, sortedIDs(mine), err)
			}
		}},
		{field: "Mutation.renamePasskey", name: "B's passkey is not found", run: func(t *testing.T, e *env) {
			own := newPasskey(t, e, e.a, e.a.member.UserID, "rename me")
			stray := newPasskey(t, e, e.b, e.a.member.UserID, "stray rename")
			op := `mutation($id: ID!) { renamePasskey(id: $id, name: "renamed") { id name } }`
			mutationOnBBy(t, e, e.asAMember, op, "renamePasskey", map[string]any{"id": id(stray.ID)},
				map[string]any{"id": id(own.ID)}, map[string]any{"id": id(stray.ID + 1_000_000)})
			if k, err := e.c.Passkey.Get(e.sysAll, stray.ID); err != nil || k.Name != "stray rename" {
				t.Errorf("B's passkey: %v, %v; want it unchanged", k, err)
			}
			if k, err := e.c.Passkey.Get(e.sysAll, own.ID); err != nil || k.Name != "renamed" {
				t.Errorf("A's member's passkey: %v, %v; want it renamed (control)", k, err)
			}
		}},
		{field: "Mutation.removePasskey", name: "B's passkey is not found", run: func(t *testing.T, e *env) {
			// Two of A's member's own, so removing one leaves a way in.
			own := newPasskey(t, e, e.a, e.a.member.UserID, "remove me")
			newPasskey(t, e, e.a, e.a.member.UserID, "keep me")
			stray := newPasskey(t, e, e.b, e.a.member.UserID, "stray remove")
			op := `mutation($id: ID!) { removePasskey(id: $id) { deletedID } }`
			mutationOnBBy(t, e, e.asAMember, op, "removePasskey", map[string]any{"id": id(stray.ID)},
				map[string]any{"id": id(own.ID)}, map[string]any{"id": id(stray.ID + 1_000_000)})
			if ok, err := e.c.Passkey.Query().Where(passkey.ID(stray.ID)).Exist(e.sysAll); err != nil || !ok {
				t.Errorf("B's passkey is gone (%v)", err)
			}
			if ok, err := e.c.Passkey.Query().Where(passkey.ID(own.ID)).Exist(e.sysAll); err != nil || ok {
				t.Errorf("A's member's passkey is still there (control, %v)", err)
			}
		}},
		{field: "Query.mySecurity", name: "only A's member's own factors", run: func(t *testing.T, e *env) {
			m, login := freshMemberWithLogin(t, e, "my-security@a.example")
			stray := strayFactors(t, e, m.UserID)
			q := `{ mySecurity { totp { enabled confirmedAt } recoveryCodesRemaining mfaRequired amr authTime recentlyAuthenticated stepUpMinutes hasPassword } }`
			var st struct {
				Totp                   struct{ Enabled bool }
				RecoveryCodesRemaining int
				Amr                    []string
				RecentlyAuthenticated  bool
				StepUpMinutes          int
				HasPassword            bool
			}
			r := e.asPerson(t, e.a.slug, login, q, nil)
			r.field(t, "mySecurity", &st)
			// B's app and codes name this user id: only the tenant differs.
			// The fixture's member has no password (a session was opened
			// for them directly).
			if len(r.Errors) != 0 || st.Totp.Enabled || st.RecoveryCodesRemaining != 0 || !slices.Equal(st.Amr, []string{"pwd"}) ||
				!st.RecentlyAuthenticated || st.StepUpMinutes != 10 || st.HasPassword {
				t.Errorf("mySecurity = %+v, %+v; want no factors (B's are B's)", st, r.Errors)
			}
			// Control: once A's member sets up an app, it shows.
			enrollTOTP(t, e, login)
			r = e.asPerson(t, e.a.slug, login, q, nil)
			r.field(t, "mySecurity", &st)
			if !st.Totp.Enabled || st.RecoveryCodesRemaining != 10 {
				t.Errorf("mySecurity after enrolling = %+v", st)
			}
			// An API token is not a person.
			if got := e.asA(t, q, nil).codes(); !slices.Equal(got, []string{"FORBIDDEN"}) {
				t.Errorf("mySecurity with A's owner token: codes %v; want [FORBIDDEN]", got)
			}
			strayUnchanged(t, e, stray)
		}},
		{field: "Mutation.beginTOTPEnrollment", name: "lands in A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			m, login := freshMemberWithLogin(t, e, "begin-totp@a.example")
			stray := strayFactors(t, e, m.UserID)
			op := `mutation { beginTOTPEnrollment { otpauthURI qrCodePNG secret } }`
			// B's confirmed app names this user id; it does not block A's.
			r := e.asPerson(t, e.a.slug, login, op, nil)
			var en struct{ OtpauthURI, QRCodePNG, Secret string }
			r.field(t, "beginTOTPEnrollment", &en)
			if len(r.Errors) != 0 || !strings.HasPrefix(en.OtpauthURI, "otpauth://totp/") || !strings.Contains(en.OtpauthURI, ":begin-totp@a.example?") ||
				!strings.HasPrefix(en.QRCodePNG, "data:image/png;base64,") || en.Secret == "" {
				t.Errorf("beginTOTPEnrollment = %+v, %+v", en, r.Errors)
			}
			f, err := e.c.TOTPFactor.Query().Where(totpfactor.UserID(m.UserID), totpfactor.TenantID(e.a.tenant.ID)).Only(e.sysAll)
			if err != nil || f.ConfirmedAt != nil {
				t.Errorf("A's unconfirmed app: %v, %v", f, err)
			}
			if got := e.asA(t, op, nil).codes(); !slices.Equal(got, []string{"FORBIDDEN"}) {
				t.Errorf("beginTOTPEnrollment with A's owner token: codes %v; want [FORBIDDEN]", got)
			}
			strayUnchanged(t, e, stray)
			e.bUnchanged(t, before)
		}},
		{field: "Mutation.confirmTOTP", name: "confirms only A's app", run: func(t *testing.T, e *env) {
			m, login := freshMemberWithLogin(t, e, "confirm-totp@a.example")
			stray := strayFactors(t, e, m.UserID)
			op := `mutation($code: String!) { confirmTOTP(code: $code) { recoveryCodes } }`
			if got := e.asPerson(t, e.a.slug, login, op, map[string]any{"code": "123456"}).codes(); !slices.Equal(got, []string{"NOT_FOUND"}) {
				t.Errorf("confirmTOTP with nothing begun in A: codes %v; want [NOT_FOUND]", got)
			}
			// B's unused codes name this user id: A's member still gets a set.
			if codes := enrollTOTP(t, e, login); len(codes) != 10 {
				t.Errorf("confirmTOTP gave %d recovery codes; want 10", len(codes))
			}
			if ok, err := e.c.TOTPFactor.Query().Where(totpfactor.UserID(m.UserID), totpfactor.TenantID(e.a.tenant.ID),
				totpfactor.ConfirmedAtNotNil()).Exist(e.sysAll); err != nil || !ok {
				t.Errorf("A's app is not confirmed (%v)", err)
			}
			strayUnchanged(t, e, stray)
		}},
		{field: "Mutation.disableTOTP", name: "removes only A's app", run: func(t *testing.T, e *env) {
			m, login := freshMemberWithLogin(t, e, "disable-totp@a.example")
			enrollTOTP(t, e, login)
			stray := strayFactors(t, e, m.UserID)
			op := `mutation { disableTOTP { disabled } }`
			// A session that authenticated 11 minutes ago must step up first.
			stale := staleLogin(t, e, m.UserID, 11*time.Minute)
			if r := e.asPerson(t, e.a.slug, stale, op, nil); !slices.Equal(r.codes(), []string{"STEP_UP_REQUIRED"}) {
				t.Errorf("disableTOTP on a stale session: %+v; want [STEP_UP_REQUIRED]", r.Errors)
			}
			var p struct{ Disabled bool }
			r := e.asPerson(t, e.a.slug, login, op, nil)
			r.field(t, "disableTOTP", &p)
			if len(r.Errors) != 0 || !p.Disabled {
				t.Errorf("disableTOTP = %+v, %+v", p, r.Errors)
			}
			if n, err := e.c.TOTPFactor.Query().Where(totpfactor.UserID(m.UserID), totpfactor.TenantID(e.a.tenant.ID)).Count(e.sysAll); err != nil || n != 0 {
				t.Errorf("A's app survived (%d, %v)", n, err)
			}
			// Again: nothing in A to remove (B's app does not count).
			if got := e.asPerson(t, e.a.slug, login, op, nil).codes(); !slices.Equal(got, []string{"NOT_FOUND"}) {
				t.Errorf("disableTOTP again: codes %v; want [NOT_FOUND]", got)
			}
			strayUnchanged(t, e, stray)
		}},
		{field: "Mutation.regenerateRecoveryCodes", name: "replaces only A's codes", run: func(t *testing.T, e *env) {
			m, login := freshMemberWithLogin(t, e, "regenerate@a.example")
			op := `mutation { regenerateRecoveryCodes { recoveryCodes } }`
			stray := strayFactors(t, e, m.UserID)
			// B's confirmed app names this user id; A's member has none.
			if got := e.asPerson(t, e.a.slug, login, op, nil).codes(); !slices.Equal(got, []string{"NOT_FOUND"}) {
				t.Errorf("regenerateRecoveryCodes without an app in A: codes %v; want [NOT_FOUND]", got)
			}
			old := enrollTOTP(t, e, login)
			var set struct{ RecoveryCodes []string }
			r := e.asPerson(t, e.a.slug, login, op, nil)
			r.field(t, "regenerateRecoveryCodes", &set)
			if len(r.Errors) != 0 || len(set.RecoveryCodes) != 10 || slices.Contains(set.RecoveryCodes, old[0]) {
				t.Errorf("regenerateRecoveryCodes = %v, %+v", set.RecoveryCodes, r.Errors)
			}
			if n, err := e.c.RecoveryCode.Query().Where(recoverycode.UserID(m.UserID), recoverycode.TenantID(e.a.tenant.ID)).Count(e.sysAll); err != nil || n != 10 {
				t.Errorf("A's member has %d recovery codes (%v); want 10", n, err)
			}
			strayUnchanged(t, e, stray)
		}},
		{field: "Mutation.resetMemberFactors", name: "B's user is not found", run: func(t *testing.T, e *env) {
			m, login := freshMemberWithLogin(t, e, "reset-factors@a.example")
			enrollTOTP(t, e, login)
			stray := strayFactors(t, e, m.UserID)
			op := `mutation($id: ID!) { resetMemberFactors(userID: $id) { userID totpRemoved recoveryCodesRemoved otherFactorsRemoved } }`
			strayFactors(t, e, e.b.member.UserID)
			mutationOnB(t, e, op, "resetMemberFactors", map[string]any{"id": id(e.b.member.UserID)},
				map[string]any{"id": id(m.UserID)}, map[string]any{"id": id(e.b.member.UserID + 1_000_000)})
			if n, err := e.c.TOTPFactor.Query().Where(totpfactor.UserID(m.UserID), totpfactor.TenantID(e.a.tenant.ID)).Count(e.sysAll); err != nil || n != 0 {
				t.Errorf("resetMemberFactors(A's member) left their app (%d, %v)", n, err)
			}
			strayUnchanged(t, e, stray)
			if tid := e.waitMail(t); tid != e.a.tenant.ID { // the member is told
				t.Errorf("the reset notice went to workspace %d's outbox; want A's", tid)
			}
		}},
		{field: "Mutation.createOAuthClient", name: "lands in A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			r := e.asA(t, `mutation { createOAuthClient(input: {name: "made by A", redirectUris: ["https://a.example/new"]}) {
				clientSecret client { clientID } } }`, nil)
			var p struct {
				ClientSecret string
				Client       struct{ ClientID string }
			}
			r.field(t, "createOAuthClient", &p)
			if len(r.Errors) != 0 || p.ClientSecret == "" {
				t.Fatalf("createOAuthClient: %+v", r.Errors)
			}
			got, err := e.c.OAuthClient.Query().Where(oauthclient.ClientID(p.Client.ClientID)).Only(e.sysAll)
			if err != nil || got.TenantID != e.a.tenant.ID {
				t.Errorf("new client %s: %v, %v; want it in A", p.Client.ClientID, got, err)
			}
			e.bUnchanged(t, before)
			// B's own view (as B's system: B's token would mark itself used).
			inB, err := e.fx.clients.List(e.b.system)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range inB {
				if c.ClientID == p.Client.ClientID {
					t.Errorf("B's clients list A's new client %s", p.Client.ClientID)
				}
			}
		}},
		{field: "Mutation.updateOAuthClient", name: "B's client is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: String!) { updateOAuthClient(clientID: $id, input: {name: "renamed by A", redirectUris: ["https://a.example/x"]}) { clientID name } }`
			own := e.freshApp(t, "update me")
			mutationOnB(t, e, op, "updateOAuthClient", map[string]any{"id": e.b.app.ClientID}, map[string]any{"id": own.ClientID},
				map[string]any{"id": "no-such-client"})
			mutationOnB(t, e, op, "updateOAuthClient", map[string]any{"id": e.b.offApp.ClientID}, nil, map[string]any{"id": "no-such-client"})
			if got := e.app(t, own.ClientID); got.Name != "renamed by A" {
				t.Errorf("A's own client after update: %v", got)
			}
		}},
		{field: "Mutation.rotateOAuthClientSecret", name: "B's client is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: String!) { rotateOAuthClientSecret(clientID: $id) { clientSecret client { clientID } } }`
			own := e.freshApp(t, "rotate me")
			mutationOnB(t, e, op, "rotateOAuthClientSecret", map[string]any{"id": e.b.app.ClientID}, map[string]any{"id": own.ClientID},
				map[string]any{"id": "no-such-client"})
			if got := e.app(t, own.ClientID); got.SecretHash == own.SecretHash {
				t.Error("rotateOAuthClientSecret(A's own client) kept the secret")
			}
		}},
		{field: "Mutation.disableOAuthClient", name: "B's client is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: String!) { disableOAuthClient(clientID: $id) { clientID disabledAt } }`
			own := e.freshApp(t, "disable me")
			mutationOnB(t, e, op, "disableOAuthClient", map[string]any{"id": e.b.app.ClientID}, map[string]any{"id": own.ClientID},
				map[string]any{"id": "no-such-client"})
			if got := e.app(t, own.ClientID); got.DisabledAt == nil {
				t.Error("disableOAuthClient(A's own client) left it enabled")
			}
		}},
		{field: "Mutation.enableOAuthClient", name: "B's client is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: String!) { enableOAuthClient(clientID: $id) { clientID disabledAt } }`
			own := e.freshApp(t, "enable me")
			if _, err := e.fx.clients.SetDisabled(e.a.system, own.ClientID, true); err != nil {
				t.Fatal(err)
			}
			mutationOnB(t, e, op, "enableOAuthClient", map[string]any{"id": e.b.offApp.ClientID}, map[string]any{"id": own.ClientID},
				map[string]any{"id": "no-such-client"})
			if got := e.app(t, own.ClientID); got.DisabledAt != nil {
				t.Error("enableOAuthClient(A's own client) left it disabled")
			}
		}},
		{field: "Mutation.rotateSigningKey", name: "lands in A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			r := e.asA(t, `mutation { rotateSigningKey(alg: "ES256", publishForMinutes: 0) { kid alg } }`, nil)
			var k struct{ Kid, Alg string }
			r.field(t, "rotateSigningKey", &k)
			if len(r.Errors) != 0 || k.Kid == "" {
				t.Fatalf("rotateSigningKey: %+v", r.Errors)
			}
			got, err := e.c.SigningKey.Query().Where(signingkey.Kid(k.Kid)).Only(e.sysAll)
			if err != nil || got.TenantID != e.a.tenant.ID {
				t.Errorf("new key %s: %v, %v; want it in A", k.Kid, got, err)
			}
			// B's key is neither superseded nor joined by A's.
			e.bUnchanged(t, before)
			inB, err := e.c.SigningKey.Query().Select(signingkey.FieldKid).Strings(e.b.system)
			if err != nil || !slices.Equal(inB, []string{e.b.key.Kid}) {
				t.Errorf("B's signingKeys = %v; want only B's %s", inB, e.b.key.Kid)
			}
		}},
		{field: "Mutation.updateScopeCatalog", name: "changes only A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			r := e.asA(t, `mutation { updateScopeCatalog(scopes: [{name: "a:read", description: "Read"}, {name: "a:write", description: "Write"}]) { name } }`, nil)
			var out []struct{ Name string }
			r.field(t, "updateScopeCatalog", &out)
			if len(r.Errors) != 0 {
				t.Fatalf("updateScopeCatalog: %+v", r.Errors)
			}
			tn, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID)
			if err != nil || len(tn.Settings.Scopes) != 2 || tn.Settings.Scopes[1].Name != "a:write" {
				t.Errorf("A's catalog after update: %+v, %v", tn.Settings.Scopes, err)
			}
			e.bUnchanged(t, before)
			if tb, err := e.c.Tenant.Get(e.sysAll, e.b.tenant.ID); err != nil || len(tb.Settings.Scopes) != 1 || tb.Settings.Scopes[0].Name != "b:read" {
				t.Errorf("B's catalog after A's update: %v, %v; want B's own", tb, err)
			}
		}},
		{field: "Mutation.revokeConnectedApp", name: "B's consent is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: String!) { revokeConnectedApp(clientID: $id) }`
			own := e.freshApp(t, "disconnect me")
			consent, refresh := connect(t, e.fx, e.a.system, e.a.member.UserID, own.ClientID)
			// B's consent names A's member's user id: only its tenant differs.
			mutationOnBBy(t, e, e.asAMember, op, "revokeConnectedApp", map[string]any{"id": e.stray.ClientID},
				map[string]any{"id": own.ClientID}, map[string]any{"id": "no-such-client"})
			if ok, err := e.c.OAuthConsent.Query().Where(oauthconsent.ID(e.stray.ID)).Exist(e.sysAll); err != nil || !ok {
				t.Errorf("B's consent is gone (%v)", err)
			}
			if tok, err := e.c.OAuthToken.Get(e.sysAll, e.strayRefresh.ID); err != nil || !tok.Active {
				t.Errorf("B's refresh token: %v, %v; want it active", tok, err)
			}
			// Control: A's member's own consent and token are gone.
			if ok, err := e.c.OAuthConsent.Query().Where(oauthconsent.ID(consent.ID)).Exist(e.sysAll); err != nil || ok {
				t.Errorf("revokeConnectedApp(A's own app) kept the consent (%v)", err)
			}
			if tok, err := e.c.OAuthToken.Get(e.sysAll, refresh.ID); err != nil || tok.Active {
				t.Errorf("revokeConnectedApp(A's own app) left the refresh token %v active (%v)", tok, err)
			}
		}},
		{field: "Query.agents", name: "only A's agents", run: func(t *testing.T, e *env) {
			want := e.agentClientIDs(t, e.a.tenant.ID)
			if len(want) < 2 {
				t.Fatalf("fixture: A has agents %v", want)
			}
			// As A's owner; an agent's own token may not list the fleet.
			tok := e.mustAgentToken(t, e.a.slug, e.a.agent.ClientID, e.a.agentKey)
			for _, q := range []string{`{ agents { clientID } }`, `{ members(first: 5) { totalCount } }`,
				`{ auditEvents(first: 5) { totalCount } }`, `{ apiTokens(first: 5) { totalCount } }`} {
				r := e.asAgent(e.a.slug, tok)(t, q, nil)
				if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
					t.Errorf("%s as A's agent: %+v; want FORBIDDEN", q, r.Errors)
				}
			}
			for who, by := range map[string]actor{"A's owner": e.asA} {
				got := e.listed(t, by, `{ agents { clientID name status } }`, "agents", "clientID")
				if !slices.Equal(got, want) {
					t.Errorf("agents as %s = %v; want A's %v", who, got, want)
				}
				for _, b := range []string{e.b.agent.ClientID, e.b.offAgent.ClientID} {
					if slices.Contains(got, b) {
						t.Errorf("agents as %s lists B's agent %s", who, b)
					}
				}
			}
		}},
		{field: "Query.delegationGrants", name: "only A's grants", run: func(t *testing.T, e *env) {
			all, err := e.c.DelegationGrant.Query().Where(delegationgrant.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
			if err != nil || len(all) == 0 {
				t.Fatalf("fixture: A's grants %v, %v", all, err)
			}
			mine, err := e.c.DelegationGrant.Query().
				Where(delegationgrant.TenantID(e.a.tenant.ID), delegationgrant.UserID(e.a.member.UserID)).IDs(e.sysAll)
			if err != nil || !slices.Contains(mine, e.a.grant.ID) {
				t.Fatalf("fixture: A's member's grants %v, %v", mine, err)
			}
			// An admin sees the workspace's; A's member the grants they gave.
			// B's stray grant names A's member's user id: only its tenant differs.
			for _, tc := range []struct {
				who  string
				by   actor
				want []int
			}{{"A's owner", e.asA, all}, {"A's member", e.asAMember, mine}} {
				got := e.listed(t, tc.by, `{ delegationGrants { id userID agentID status } }`, "delegationGrants", "id")
				if want := sortedIDs(tc.want); !slices.Equal(got, want) {
					t.Errorf("delegationGrants as %s = %v; want %v", tc.who, got, want)
				}
				for _, b := range []int{e.b.grant.ID, e.strayGrant.ID} {
					if slices.Contains(got, id(b)) {
						t.Errorf("delegationGrants as %s lists B's grant %d", tc.who, b)
					}
				}
			}
		}},
		{field: "Mutation.createAgent", name: "a sponsor of B's is unknown; lands in A", run: func(t *testing.T, e *env) {
			// B's owner, a member of B only (A invites the address but never
			// adds it; addMember does add B's member's).
			bOwner := e.user(t, e.b.owner.UserID).Email
			if n, err := e.c.User.Query().Where(user.TenantID(e.a.tenant.ID), user.Email(bOwner)).Count(e.sysAll); err != nil || n != 0 {
				t.Fatalf("fixture: %s is a user of A too (%d, %v)", bOwner, n, err)
			}
			before, agentsBefore := e.state(t, e.b.tenant.ID), e.agentClientIDs(t, e.a.tenant.ID)
			op := `mutation($in: CreateAgentInput!) { createAgent(input: $in) { clientID agent { id sponsorID } } }`
			in := map[string]any{"name": "made by A", "sponsorEmail": bOwner, "scopes": []string{"a:read"},
				"jwks": newAgentKey(t).jwks(t)}
			r := e.asA(t, op, map[string]any{"in": in})
			wantCode(t, "createAgent(sponsor of B)", r, "BAD_USER_INPUT", "sponsor")
			if got := e.agentClientIDs(t, e.a.tenant.ID); !slices.Equal(got, agentsBefore) {
				t.Errorf("a refused createAgent registered an agent in A: %v, was %v", got, agentsBefore)
			}
			e.bUnchanged(t, before)

			// Control: A's owner as the sponsor.
			in["sponsorEmail"] = "owner@a.example"
			var p struct {
				ClientID string
				Agent    struct{ ID, SponsorID string }
			}
			e.mutateA(t, op, "createAgent", map[string]any{"in": in}, &p)
			got, err := e.c.Agent.Query().Where(agent.ClientID(p.ClientID)).Only(e.sysAll)
			if err != nil || got.TenantID != e.a.tenant.ID || id(got.ID) != p.Agent.ID || p.Agent.SponsorID != id(e.a.owner.UserID) {
				t.Errorf("new agent %+v: %v, %v; want it in A, sponsored by A's owner", p, got, err)
			}
			if c := e.app(t, p.ClientID); c.TenantID != e.a.tenant.ID {
				t.Errorf("the new agent's client is in tenant %d; want A", c.TenantID)
			}
			e.bUnchanged(t, before)
		}},
		{field: "Mutation.registerSubagent", name: "A's agent's subagent lands in A", run: func(t *testing.T, e *env) {
			before := e.state(t, e.b.tenant.ID)
			tok := e.mustAgentToken(t, e.a.slug, e.a.agent.ClientID, e.a.agentKey)
			op := `mutation($in: RegisterSubagentInput!) { registerSubagent(input: $in) { clientID agent { id parentID depth } } }`
			vars := map[string]any{"in": map[string]any{"name": "sub of A", "scopes": []string{"a:read"}, "jwks": newAgentKey(t).jwks(t)}}
			// In B, A's agent's token is nobody's.
			if r := e.as(t, e.b.slug, tok, op, vars); r.status != http.StatusUnauthorized || !slices.Equal(r.codes(), []string{"UNAUTHENTICATED"}) {
				t.Errorf("A's agent's token at /t/b/graphql: status %d, codes %v; want 401 UNAUTHENTICATED", r.status, r.codes())
			}
			e.bUnchanged(t, before)
			r := e.as(t, e.a.slug, tok, op, vars)
			var p struct {
				ClientID string
				Agent    struct {
					ID, ParentID string
					Depth        int
				}
			}
			r.field(t, "registerSubagent", &p)
			if len(r.Errors) != 0 {
				t.Fatalf("registerSubagent in A: %+v", r.Errors)
			}
			got, err := e.c.Agent.Query().Where(agent.ClientID(p.ClientID)).Only(e.sysAll)
			if err != nil || got.TenantID != e.a.tenant.ID || got.ParentID != e.a.agent.ID || got.Depth != 1 {
				t.Errorf("new subagent %+v: %v, %v; want it in A under A's agent", p, got, err)
			}
			if c := e.app(t, p.ClientID); c.TenantID != e.a.tenant.ID {
				t.Errorf("the subagent's client is in tenant %d; want A", c.TenantID)
			}
			e.bUnchanged(t, before)
		}},
		{field: "Mutation.suspendAgent", name: "B's agent is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { suspendAgent(id: $id) { id status } }`
			own, _ := newAgent(t, e.fx, e.a.system, "suspend me", "owner@a.example", "a:read")
			mutationOnB(t, e, op, "suspendAgent", map[string]any{"id": id(e.b.agent.ID)}, map[string]any{"id": id(own.ID)},
				map[string]any{"id": id(e.b.agent.ID + 1_000_000)})
			if got := e.agentRow(t, own.ID); got.Status != agent.StatusSuspended {
				t.Errorf("suspendAgent(A's own agent) left it %s", got.Status)
			}
		}},
		{field: "Mutation.setAgentKeys", name: "B's agent is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!, $jwks: String) { setAgentKeys(id: $id, jwks: $jwks) { id } }`
			own, _ := newAgent(t, e.fx, e.a.system, "rekey me", "owner@a.example", "a:read")
			fresh := newAgentKey(t).jwks(t)
			mutationOnB(t, e, op, "setAgentKeys", map[string]any{"id": id(e.b.agent.ID), "jwks": fresh},
				map[string]any{"id": id(own.ID), "jwks": fresh}, map[string]any{"id": id(e.b.agent.ID + 1_000_000), "jwks": fresh})
		}},
		{field: "Mutation.resumeAgent", name: "B's agent is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { resumeAgent(id: $id) { id status } }`
			own, _ := newAgent(t, e.fx, e.a.system, "resume me", "owner@a.example", "a:read")
			if _, err := e.fx.agents.SetStatus(e.a.system, own.ID, registry.Suspended); err != nil {
				t.Fatal(err)
			}
			// B's suspended agent stays suspended.
			mutationOnB(t, e, op, "resumeAgent", map[string]any{"id": id(e.b.offAgent.ID)}, map[string]any{"id": id(own.ID)},
				map[string]any{"id": id(e.b.offAgent.ID + 1_000_000)})
			if got := e.agentRow(t, own.ID); got.Status != agent.StatusActive {
				t.Errorf("resumeAgent(A's own agent) left it %s", got.Status)
			}
		}},
		{field: "Mutation.revokeAgent", name: "B's agent is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { revokeAgent(id: $id) { id status } }`
			own, _ := newAgent(t, e.fx, e.a.system, "revoke me", "owner@a.example", "a:read")
			ownGrant := giveGrant(t, e.fx, e.a.system, e.a.member.UserID, own.ID, "a:read")
			// B's agent keeps its grant.
			mutationOnB(t, e, op, "revokeAgent", map[string]any{"id": id(e.b.agent.ID)}, map[string]any{"id": id(own.ID)},
				map[string]any{"id": id(e.b.agent.ID + 1_000_000)})
			mutationOnB(t, e, op, "revokeAgent", map[string]any{"id": id(e.b.offAgent.ID)}, nil,
				map[string]any{"id": id(e.b.offAgent.ID + 1_000_000)})
			if got := e.agentRow(t, own.ID); got.Status != agent.StatusRevoked {
				t.Errorf("revokeAgent(A's own agent) left it %s", got.Status)
			}
			if g, err := e.c.DelegationGrant.Get(e.sysAll, ownGrant.ID); err != nil || g.Status != delegationgrant.StatusRevoked {
				t.Errorf("revokeAgent(A's own agent) left its grant %v (%v)", g, err)
			}
		}},
		{field: "Mutation.revokeDelegationGrant", name: "B's grant is not found", run: func(t *testing.T, e *env) {
			op := `mutation($id: ID!) { revokeDelegationGrant(id: $id) { id status revokedAt } }`
			own := giveGrant(t, e.fx, e.a.system, e.a.member.UserID, e.a.agent.ID, "a:read")
			mutationOnB(t, e, op, "revokeDelegationGrant", map[string]any{"id": id(e.b.grant.ID)}, nil,
				map[string]any{"id": id(e.b.grant.ID + 1_000_000)})
			// B's stray grant names A's member's user id: only its tenant differs.
			mutationOnBBy(t, e, e.asAMember, op, "revokeDelegationGrant", map[string]any{"id": id(e.strayGrant.ID)},
				map[string]any{"id": id(own.ID)}, map[string]any{"id": id(e.strayGrant.ID + 1_000_000)})
			for _, g := range []*ent.DelegationGrant{e.b.grant, e.strayGrant} {
				if got, err := e.c.DelegationGrant.Get(e.sysAll, g.ID); err != nil || got.Status != delegationgrant.StatusActive {
					t.Errorf("B's grant %d: %v, %v; want it active", g.ID, got, err)
				}
			}
			if got, err := e.c.DelegationGrant.Get(e.sysAll, own.ID); err != nil || got.Status != delegationgrant.StatusRevoked {
				t.Errorf("revokeDelegationGrant(A's member's own grant) left it %v (%v)", got, err)
			}
		}},
		{field: "Mutation.narrowDelegationGrant", name: "B's grant is not found", run: func(t *testing.T, e *env) {
			// An earlier expiry would narrow B's grants if they were found.
			op := `mutation($id: ID!, $expiresAt: Time) { narrowDelegationGrant(id: $id, expiresAt: $expiresAt) { id expiresAt } }`
			sooner := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
			own := giveGrant(t, e.fx, e.a.system, e.a.member.UserID, e.a.agent.ID, "a:read")
			mutationOnB(t, e, op, "narrowDelegationGrant", map[string]any{"id": id(e.b.grant.ID), "expiresAt": sooner}, nil,
				map[string]any{"id": id(e.b.grant.ID + 1_000_000), "expiresAt": sooner})
			// B's stray grant names A's member's user id: only its tenant differs.
			mutationOnBBy(t, e, e.asAMember, op, "narrowDelegationGrant", map[string]any{"id": id(e.strayGrant.ID), "expiresAt": sooner},
				map[string]any{"id": id(own.ID), "expiresAt": sooner}, map[string]any{"id": id(e.strayGrant.ID + 1_000_000), "expiresAt": sooner})
			if got, err := e.c.DelegationGrant.Get(e.sysAll, own.ID); err != nil || !got.ExpiresAt.Equal(sooner) {
				t.Errorf("narrowDelegationGrant(A's member's own grant) left it %v (%v)", got, err)
			}
		}},
	}
}

// agentClientIDs lists a workspace's agents' client ids, sorted, read as
// the system.
func (e *env) agentClientIDs(t *testing.T, tenantID int) []string {
	t.Helper()
	ids, err := e.c.Agent.Query().Where(agent.TenantID(tenantID)).Select(agent.FieldClientID).Strings(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

// agentRow reads an agent as the system.
func (e *env) agentRow(t *testing.T, agentID int) *ent.Agent {
	t.Helper()
	a, err := e.c.Agent.Get(e.sysAll, agentID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sortedIDs renders ids as GraphQL IDs, sorted as strings (as listed
// sorts them).
func sortedIDs(ids []int) []string {
	out := make([]string, len(ids))
	for i, n := range ids {
		out[i] = id(n)
	}
	sort.Strings(out)
	return out
}

// asAMember runs an operation as A's member, signed in with a session.
func (e *env) asAMember(t *testing.T, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return e.asPerson(t, e.a.slug, e.a.login, query, vars)
}

// listed runs a query for a list of objects and returns one string key of
// each, sorted. It wants no errors.
func (e *env) listed(t *testing.T, by actor, query, field, key string) []string {
	t.Helper()
	r := by(t, query, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("%s: %+v", field, r.Errors)
	}
	var rows []map[string]json.RawMessage
	r.field(t, field, &rows)
	out := make([]string, 0, len(rows))
	for _, row := range rows {
		var v string
		raw, ok := row[key]
		if !ok || json.Unmarshal(raw, &v) != nil {
			t.Fatalf("%s: a row without %s: %v", field, key, row)
		}
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// clientIDs lists a workspace's client ids, sorted, read as the system.
func (e *env) clientIDs(t *testing.T, tenantID int) []string {
	t.Helper()
	ids, err := e.c.OAuthClient.Query().Where(oauthclient.TenantID(tenantID)).Select(oauthclient.FieldClientID).Strings(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

// freshApp registers a confidential client in A as the system, a target
// for a mutation.
func (e *env) freshApp(t *testing.T, name string) *ent.OAuthClient {
	t.Helper()
	c, _, err := e.fx.clients.Create(e.a.system, clients.NewClient{Name: name, RedirectURIs: []string{"https://a.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// app reads a client by its client_id as the system.
func (e *env) app(t *testing.T, clientID string) *ent.OAuthClient {
	t.Helper()
	c, err := e.c.OAuthClient.Query().Where(oauthclient.ClientID(clientID)).Only(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mutateA runs op as A's owner token, wants no errors, and decodes
// data.field into out.
func (e *env) mutateA(t *testing.T, op, field string, vars map[string]any, out any) {
	t.Helper()
	r := e.asA(t, op, vars)
	if len(r.Errors) != 0 {
		t.Fatalf("%s on A's own row (control): %+v", field, r.Errors)
	}
	r.field(t, field, out)
}

// freshMemberWithSession adds a member to A and opens a session for them.
func freshMemberWithSession(t *testing.T, e *env, email string) (*ent.Membership, *ent.Session) {
	t.Helper()
	m := freshMember(t, e, email)
	return m, startSession(t, e.fx, e.a.system, m.UserID)
}

// user reads a user as the system.
func (e *env) user(t *testing.T, id int) *ent.User {
	t.Helper()
	u, err := e.c.User.Get(e.sysAll, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// session reads a session as the system.
func (e *env) session(t *testing.T, id int) *ent.Session {
	t.Helper()
	s, err := e.c.Session.Get(e.sysAll, id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testLog sends the handler's log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// cheap argon2 parameters keep the suite fast; production uses Default.
var cheap = password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// newEnv builds two workspaces, a and b, on db and serves the GraphQL API
// and the issuer wired as cmd/mandate wires them: sessions, account flows,
// the issuer with the agent registry as its authority, and the grants.
func newEnv(t *testing.T, db *database.DB) *env {
	t.Helper()
	c := db.Client
	rec := audit.NewRecorder()
	ts := tenants.NewService(c, rec)
	mailed := make(chan mailEvent, 16)
	signal := slog.New(mailSignal{mailed})
	log := slog.New(slog.NewTextHandler(testLog{t}, nil))
	fx := fixtures{c: c, ts: ts, sessions: session.New(c, rec.Now, false)}
	fx.flows = signin.New(signin.Config{
		Client: c, Tenants: ts, Audit: rec, Sessions: fx.sessions, Limiter: ratelimit.New(c, rec.Now),
		Mail: &mail.Outbox{Client: c, Log: signal}, Log: signal,
		BaseURL: "http://mandate.test", Hashing: cheap,
	})
	signing, err := keys.NewManager(c, []byte(strings.Repeat("k", 32)), rec)
	if err != nil {
		t.Fatal(err)
	}
	// The issuer names itself by the server's address: a client assertion's
	// audience is its token endpoint there.
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	fx.keys = signing
	fx.clients = clients.NewService(c, rec)
	fx.agents = registry.NewService(c, rec, fx.clients)
	fx.grants = delegation.NewService(c, rec)
	if fx.social, err = social.New(social.Config{Client: c, Tenants: ts, Audit: rec, Flows: fx.flows,
		MasterSecret: []byte(strings.Repeat("m", 32)), BaseURL: srv.URL, Log: log}); err != nil {
		t.Fatal(err)
	}
	if fx.webhooks, err = webhooks.New(webhooks.Config{Client: c, Audit: rec, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log}); err != nil {
		t.Fatal(err)
	}
	if fx.vault, err = vault.New(vault.Config{Client: c, Audit: rec, Masters: [][]byte{[]byte(strings.Repeat("v", 32))}, Log: log}); err != nil {
		t.Fatal(err)
	}
	iss := issuer.New(issuer.Config{Client: c, Tenants: ts, Keys: signing, Flows: fx.flows, Audit: rec,
		BaseURL: srv.URL, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log, Authority: registry.Authority{S: fx.agents}})
	fx.clients.OnChange = iss.ForgetClient
	ts.OnSettingsChange = iss.ForgetWorkspace
	e := &env{
		srv: srv, c: c, ts: ts, fx: fx, mailed: mailed,
		a:      newWorkspace(t, fx, "a"),
		b:      newWorkspace(t, fx, "b"),
		sysAll: viewer.AsSystem(context.Background(), "test: check"),
	}
	e.stray, e.strayRefresh = connect(t, fx, e.b.system, e.a.member.UserID, e.b.app.ClientID)
	e.strayGrant = giveGrant(t, fx, e.b.system, e.a.member.UserID, e.b.agent.ID, "b:read")
	security, err := mfa.New(mfa.Config{Client: c, Flows: fx.flows, Audit: rec, MasterSecret: []byte(strings.Repeat("m", 32))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	iss.Mount(mux)
	mux.Handle("/t/{slug}/graphql", graph.NewHandler(c, ts, log).
		WithSessions(signin.NewHandler(fx.flows, ts)).
		WithAccounts(fx.flows).
		WithSecurity(security).
		WithSocial(fx.social).
		WithWebhooks(fx.webhooks).
		WithTools(gateway.NewService(c, rec)).
		WithVault(fx.vault).
		WithConnections(vault.NewConnections(fx.vault)).
		WithApprovals(approval.New(approval.Config{Client: c, Audit: rec, Flows: fx.flows, Log: log})).
		WithIssuer(&graph.IssuerServices{Issuer: iss, Clients: fx.clients, Keys: signing, Agents: fx.agents, Grants: fx.grants}))
	srv.Config.Handler = mux
	return e
}

func TestGraphQLIsolation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		before := e.state(t, e.b.tenant.ID)

		t.Run("A's token in B", func(t *testing.T) {
			for _, q := range []string{`{ tenant { id } }`, `mutation { updateTenantSettings(input: {name: "pwned"}) { id } }`,
				`mutation { inviteMember(input: {email: "intruder@a.example", role: owner}) { id } }`, `{ devOutbox { messages { id } } }`,
				`{ oauthClients { clientID } }`, `mutation { rotateSigningKey { kid } }`, `{ agents { id } }`, `{ delegationGrants { id } }`} {
				r := e.as(t, "b", e.a.secret, q, nil)
				if r.status != http.StatusUnauthorized || !slices.Equal(r.codes(), []string{"UNAUTHENTICATED"}) || len(r.Data) != 0 {
					t.Errorf("A's token at /t/b/graphql: status %d, codes %v, data %v; want 401 UNAUTHENTICATED", r.status, r.codes(), r.Data)
				}
			}
			// Control: the same token works in A.
			if r := e.asA(t, `{ tenant { id } }`, nil); r.status != http.StatusOK || len(r.Errors) != 0 {
				t.Errorf("A's token in A: status %d, %+v", r.status, r.Errors)
			}
		})

		for _, tc := range gqlCases() {
			t.Run(tc.field+"/"+tc.name, func(t *testing.T) { tc.run(t, e) })
		}

		e.bUnchanged(t, before)
		// B's own token still works after everything A tried.
		if r := e.as(t, "b", e.b.secret, `{ tenant { id } }`, nil); r.status != http.StatusOK || len(r.Errors) != 0 {
			t.Errorf("B's token in B afterwards: status %d, %+v", r.status, r.Errors)
		}
	})
}

// TestGraphQLIsolationTableCoversEveryField fails when a Query or Mutation
// field has no entry in gqlCases.
func TestGraphQLIsolationTableCoversEveryField(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: graph.NewResolver(nil, nil)}).Schema()
	covered := map[string]bool{}
	for _, tc := range gqlCases() {
		covered[tc.field] = true
	}
	fields := map[string]bool{}
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection
			}
			name := root.Name + "." + f.Name
			fields[name] = true
			if !covered[name] {
				t.Errorf("GraphQL field %s has no entry in the isolation table: add a case to gqlCases() in graph/isolation_test.go", name)
			}
		}
	}
	if len(fields) == 0 {
		t.Fatal("the schema has no Query or Mutation fields")
	}
	for name := range covered {
		if !fields[name] {
			t.Errorf("isolation table entry %s names a field the schema no longer has", name)
		}
	}
}

// newPasskey stores a passkey for a user in workspace w, as its system.
func newPasskey(t *testing.T, e *env, w workspace, userID int, name string) *ent.Passkey {
	t.Helper()
	k, err := e.c.Passkey.Create().SetUserID(userID).SetName(name).SetCredentialID([]byte(w.slug + ":" + name)).
		SetPublicKey([]byte("public key of " + name)).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// freshMemberWithLogin adds a member to A and signs them in: the session's
// cookie and CSRF token.
func freshMemberWithLogin(t *testing.T, e *env, email string) (*ent.Membership, session.Started) {
	t.Helper()
	m := freshMember(t, e, email)
	return m, startLogin(t, e.fx, e.a.system, m.UserID)
}

// staleLogin opens a session for a user of A that authenticated ago.
func staleLogin(t *testing.T, e *env, userID int, ago time.Duration) session.Started {
	t.Helper()
	old := e.fx
	old.sessions = session.New(e.c, func() time.Time { return time.Now().Add(-ago) }, false)
	return startLogin(t, old, e.a.system, userID)
}

// enrollTOTP sets up and confirms an authenticator app for login's person
// through GraphQL and returns the recovery codes.
func enrollTOTP(t *testing.T, e *env, login session.Started) []string {
	t.Helper()
	r := e.asPerson(t, e.a.slug, login, `mutation { beginTOTPEnrollment { secret } }`, nil)
	var en struct{ Secret string }
	r.field(t, "beginTOTPEnrollment", &en)
	code, err := mfa.CodeAt(en.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = e.asPerson(t, e.a.slug, login, `mutation($code: String!) { confirmTOTP(code: $code) { recoveryCodes } }`, map[string]any{"code": code})
	var set struct{ RecoveryCodes []string }
	r.field(t, "confirmTOTP", &set)
	if len(r.Errors) != 0 {
		t.Fatalf("confirmTOTP: %+v", r.Errors)
	}
	return set.RecoveryCodes
}

// stray is a confirmed authenticator app and three unused recovery codes
// in B naming a user id of A: only the tenant tells them from A's own.
type stray struct {
	factor *ent.TOTPFactor
	codes  []int
}

func strayFactors(t *testing.T, e *env, userID int) stray {
	t.Helper()
	f, err := e.c.TOTPFactor.Create().SetUserID(userID).SetSecretSealed([]byte("sealed in B")).
		SetConfirmedAt(time.Now().UTC().Truncate(time.Microsecond)).Save(e.b.system)
	if err != nil {
		t.Fatal(err)
	}
	s := stray{factor: f}
	for i := range 3 {
		c, err := e.c.RecoveryCode.Create().SetUserID(userID).SetCodeHash(fmt.Sprintf("stray %d of %d", i, userID)).Save(e.b.system)
		if err != nil {
			t.Fatal(err)
		}
		s.codes = append(s.codes, c.ID)
	}
	return s
}

// strayUnchanged fails unless B's stray app and codes are as they were.
func strayUnchanged(t *testing.T, e *env, s stray) {
	t.Helper()
	f, err := e.c.TOTPFactor.Get(e.sysAll, s.factor.ID)
	if err != nil || f.ConfirmedAt == nil || f.LastUsedStep != s.factor.LastUsedStep || string(f.SecretSealed) != "sealed in B" {
		t.Errorf("B's authenticator app changed: %v, %v", f, err)
	}
	n, err := e.c.RecoveryCode.Query().Where(recoverycode.IDIn(s.codes...), recoverycode.UsedAtIsNil()).Count(e.sysAll)
	if err != nil || n != len(s.codes) {
		t.Errorf("B's recovery codes changed: %d of %d left (%v)", n, len(s.codes), err)
	}
}
