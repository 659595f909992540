package graph_test

import (
	"context"
	"crypto/rand"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// This file is the behaviour of the agents' GraphQL fields
// (agents.graphqls) over HTTP, in workspace A of the isolation fixture: who
// may register an agent, an agent registering a subagent with its own
// access token (client_credentials with private_key_jwt, at the issuer on
// the same server), suspending, resuming and revoking a subtree, and who
// sees and revokes a person's delegation grants. Each change writes its
// audit event.

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertion is an RFC 7523 client assertion: iss = sub = the client, aud =
// the token endpoint, a fresh jti, a minute to live.
func (k *agentKey) assertion(t *testing.T, clientID, aud string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw, err := josejwt.Signed(signer).Claims(josejwt.Claims{Issuer: clientID, Subject: clientID, Audience: josejwt.Audience{aud},
		ID: rand.Text(), IssuedAt: josejwt.NewNumericDate(now), Expiry: josejwt.NewNumericDate(now.Add(time.Minute))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// agentToken gets an agent its own access token at /t/{slug}/oauth2/token
// (client_credentials, authenticated by a private_key_jwt assertion), with
// golang.org/x/oauth2.
func (e *env) agentToken(t *testing.T, slug, clientID string, key *agentKey) (string, error) {
	t.Helper()
	tokenURL := e.srv.URL + "/t/" + slug + "/oauth2/token"
	conf := clientcredentials.Config{ClientID: clientID, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams,
		EndpointParams: url.Values{"client_assertion_type": {assertionType}, "client_assertion": {key.assertion(t, clientID, tokenURL)}}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.srv.Client())
	tok, err := conf.Token(ctx)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

func (e *env) mustAgentToken(t *testing.T, slug, clientID string, key *agentKey) string {
	t.Helper()
	tok, err := e.agentToken(t, slug, clientID, key)
	if err != nil {
		t.Fatalf("agent %s's access token: %v", clientID, err)
	}
	return tok
}

// asAgent returns an actor using an agent's access token in slug.
func (e *env) asAgent(slug, token string) actor {
	return func(t *testing.T, query string, vars map[string]any) gqlResponse {
		t.Helper()
		return e.as(t, slug, token, query, vars)
	}
}

// asLogin returns an actor signed in to A with a session.
func (e *env) asLogin(userID int) func(t *testing.T) actor {
	return func(t *testing.T) actor {
		t.Helper()
		login := startLogin(t, e.fx, e.a.system, userID)
		return func(t *testing.T, query string, vars map[string]any) gqlResponse {
			t.Helper()
			return e.asPerson(t, e.a.slug, login, query, vars)
		}
	}
}

// agentRows are A's agents, grants and clients, to see that a refused
// request changed nothing.
func (e *env) agentRows(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, row := range e.state(t, e.a.tenant.ID) {
		for _, p := range []string{"agent ", "grant ", "oauth_client ", "oauth_token "} {
			if strings.HasPrefix(row, p) {
				out = append(out, row)
			}
		}
	}
	return out
}

// gqlAgent is the GraphQL Agent, as the tests read it.
type gqlAgent struct {
	ID           string    `json:"id"`
	ClientID     string    `json:"clientID"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	SponsorID    string    `json:"sponsorID"`
	Status       string    `json:"status"`
	ScopeCeiling []string  `json:"scopeCeiling"`
	Tools        []string  `json:"tools"`
	Depth        int       `json:"depth"`
	ParentID     *string   `json:"parentID"`
	ParentRun    string    `json:"parentRun"`
	CreatedAt    time.Time `json:"createdAt"`
}

const agentFields = `id clientID name role sponsorID status scopeCeiling tools depth parentID parentRun createdAt`

// gqlGrant is the GraphQL DelegationGrant.
type gqlGrant struct {
	ID        string     `json:"id"`
	UserID    string     `json:"userID"`
	AgentID   string     `json:"agentID"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt time.Time  `json:"expiresAt"`
	Status    string     `json:"status"`
	RevokedAt *time.Time `json:"revokedAt"`
	CreatedAt time.Time  `json:"createdAt"`
}

const grantFields = `id userID agentID scopes expiresAt status revokedAt createdAt`

// statuses maps each agent's id to its status.
func statuses(as []gqlAgent) map[string]string {
	out := map[string]string{}
	for _, a := range as {
		out[a.ID] = a.Status
	}
	return out
}

func TestGraphQLAgents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		owner := actor(e.asA)
		admin := e.tokenIn(t, "admin", viewer.RoleAdmin)
		member := e.tokenIn(t, "member", viewer.RoleMember)
		person := actor(e.asAMember) // A's member, signed in

		parentKey := newAgentKey(t)
		var parent, child gqlAgent
		childKey := newAgentKey(t)

		createOp := `mutation($in: CreateAgentInput!) { createAgent(input: $in) { clientID agent { ` + agentFields + ` } } }`
		create := func(t *testing.T, by actor, in map[string]any) (gqlAgent, string, gqlResponse) {
			t.Helper()
			r := by(t, createOp, map[string]any{"in": in})
			var p struct {
				ClientID string
				Agent    gqlAgent
			}
			if len(r.Errors) == 0 {
				r.field(t, "createAgent", &p)
			}
			return p.Agent, p.ClientID, r
		}
		subOp := `mutation($in: RegisterSubagentInput!) { registerSubagent(input: $in) { clientID agent { ` + agentFields + ` } } }`
		register := func(t *testing.T, by actor, in map[string]any) (gqlAgent, gqlResponse) {
			t.Helper()
			r := by(t, subOp, map[string]any{"in": in})
			var p struct {
				ClientID string
				Agent    gqlAgent
			}
			if len(r.Errors) == 0 {
				r.field(t, "registerSubagent", &p)
				if p.ClientID != p.Agent.ClientID {
					t.Errorf("registerSubagent: payload clientID %q, agent's %q", p.ClientID, p.Agent.ClientID)
				}
			}
			return p.Agent, r
		}
		setStatus := func(t *testing.T, by actor, field string, agentID string) ([]gqlAgent, gqlResponse) {
			t.Helper()
			r := by(t, `mutation($id: ID!) { `+field+`(id: $id) { `+agentFields+` } }`, map[string]any{"id": agentID})
			var out []gqlAgent
			if len(r.Errors) == 0 {
				r.field(t, field, &out)
			}
			return out, r
		}

		t.Run("createAgent is for admins", func(t *testing.T) {
			in := func(changes map[string]any) map[string]any {
				m := map[string]any{"name": "Researcher", "role": "finds things", "sponsorEmail": "owner@a.example",
					"scopes": []string{"a:read"}, "tools": []string{"search", "fetch"}, "jwks": parentKey.jwks(t)}
				for k, v := range changes {
					if v == nil {
						delete(m, k)
					} else {
						m[k] = v
					}
				}
				return m
			}
			rows, events := e.agentRows(t), e.auditCount(t)
			for _, tc := range []struct {
				what        string
				by          actor
				in          map[string]any
				code, field string
			}{
				{"member token", member, in(nil), "FORBIDDEN", ""},
				{"a member's session", person, in(nil), "FORBIDDEN", ""},
				{"unknown sponsor", admin, in(map[string]any{"sponsorEmail": "nobody@a.example"}), "BAD_USER_INPUT", "sponsor"},
				{"disabled sponsor", admin, in(map[string]any{"sponsorEmail": "disabled@a.example"}), "BAD_USER_INPUT", "sponsor"},
				{"no keys", admin, in(map[string]any{"jwks": nil}), "BAD_USER_INPUT", "jwks"},
				{"a scope outside the catalog", admin, in(map[string]any{"scopes": []string{"b:read"}}), "BAD_USER_INPUT", "scopes"},
			} {
				_, _, r := create(t, tc.by, tc.in)
				wantCode(t, "createAgent("+tc.what+")", r, tc.code, tc.field)
				if raw := r.Data["createAgent"]; len(raw) != 0 && string(raw) != "null" {
					t.Errorf("createAgent(%s) returned %s", tc.what, raw)
				}
			}
			if after := e.agentRows(t); !slices.Equal(rows, after) {
				t.Errorf("refused createAgent requests changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != events {
				t.Errorf("refused createAgent requests wrote %d audit events", n-events)
			}

			a, clientID, r := create(t, admin, in(nil))
			if len(r.Errors) != 0 {
				t.Fatalf("createAgent: %+v", r.Errors)
			}
			if a.ClientID != clientID || a.Name != "Researcher" || a.Role != "finds things" || a.SponsorID != id(e.a.owner.UserID) ||
				a.Status != "active" || !slices.Equal(a.ScopeCeiling, []string{"a:read"}) || !slices.Equal(a.Tools, []string{"search", "fetch"}) ||
				a.Depth != 0 || a.ParentRun != "" || a.CreatedAt.IsZero() {
				t.Errorf("createAgent = %+v, client %s; want an active top-level agent sponsored by A's owner", a, clientID)
			}
			c := e.app(t, clientID)
			if c.TenantID != e.a.tenant.ID || c.TokenEndpointAuthMethod != clients.AuthPrivateKeyJWT || c.SecretHash != "" ||
				!slices.Contains(c.GrantTypes, clients.GrantClientCredentials) {
				t.Errorf("the agent's client %v; want A's, authenticated by private_key_jwt, with client_credentials", c)
			}
			if n := e.audited(t, "agent.registered", a.ID); n != 1 {
				t.Errorf("%d agent.registered events; want 1", n)
			}
			parent = a
		})
		if parent.ID == "" {
			t.Fatal("no agent to go on with")
		}

		t.Run("an agent registers a subagent with its own token", func(t *testing.T) {
			tok := e.mustAgentToken(t, e.a.slug, parent.ClientID, parentKey)
			self := e.asAgent(e.a.slug, tok)
			r := self(t, `{ viewer { kind id label role } }`, nil)
			var v struct {
				Kind, ID, Label string
				Role            *string
			}
			r.field(t, "viewer", &v)
			if len(r.Errors) != 0 || v.Kind != "agent" || v.ID != parent.ID || v.Label != parent.Name || v.Role != nil {
				t.Errorf("viewer with the agent's token = %+v, errors %+v; want the agent", v, r.Errors)
			}

			sub := func(changes map[string]any) map[string]any {
				m := map[string]any{"name": "Helper", "role": "helps", "scopes": []string{"a:read"}, "tools": []string{"search"},
					"jwks": childKey.jwks(t), "parentRun": "run-42"}
				for k, v := range changes {
					m[k] = v
				}
				return m
			}
			// An app's own token is not an agent's.
			app, secret, err := e.fx.clients.Create(e.a.system, clients.NewClient{Name: "service", GrantTypes: []string{clients.GrantClientCredentials},
				Scopes: []string{"a:read"}})
			if err != nil {
				t.Fatal(err)
			}
			appTok, err := (&clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret,
				TokenURL: e.srv.URL + "/t/" + e.a.slug + "/oauth2/token"}).Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rows, events := e.agentRows(t), e.auditCount(t)
			if r := e.as(t, e.a.slug, appTok.AccessToken, subOp, map[string]any{"in": sub(nil)}); r.status != http.StatusForbidden ||
				!slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
				t.Errorf("an app's access token at GraphQL: status %d, codes %v; want 403 FORBIDDEN", r.status, r.codes())
			}
			for _, tc := range []struct {
				what        string
				by          actor
				in          map[string]any
				code, field string
			}{
				{"a wider ceiling", self, sub(map[string]any{"scopes": []string{"a:read", "openid"}}), "BAD_USER_INPUT", "scopes"},
				{"a tool the parent lacks", self, sub(map[string]any{"tools": []string{"search", "shell"}}), "BAD_USER_INPUT", "tools"},
				{"an API token", owner, sub(nil), "FORBIDDEN", ""},
				{"a person's session", person, sub(nil), "FORBIDDEN", ""},
			} {
				_, r := register(t, tc.by, tc.in)
				wantCode(t, "registerSubagent("+tc.what+")", r, tc.code, tc.field)
			}
			// An agent registers no top-level agents.
			_, _, r = create(t, self, map[string]any{"name": "Rogue", "sponsorEmail": "owner@a.example", "scopes": []string{"a:read"},
				"jwks": newAgentKey(t).jwks(t)})
			wantCode(t, "createAgent(as an agent)", r, "FORBIDDEN", "")
			// A member's session cannot change a status either (nor is it
			// the sponsor).
			_, r = setStatus(t, person, "suspendAgent", parent.ID)
			wantCode(t, "suspendAgent(a member's session)", r, "FORBIDDEN", "")
			if after := e.agentRows(t); !slices.Equal(rows, after) {
				t.Errorf("refused requests changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != events {
				t.Errorf("refused requests wrote %d audit events", n-events)
			}

			a, r := register(t, self, sub(nil))
			if len(r.Errors) != 0 {
				t.Fatalf("registerSubagent: %+v", r.Errors)
			}
			if a.Depth != 1 || a.SponsorID != parent.SponsorID || a.ParentID == nil || *a.ParentID != parent.ID ||
				a.ParentRun != "run-42" || a.Status != "active" || a.Name != "Helper" || !slices.Equal(a.ScopeCeiling, []string{"a:read"}) {
				t.Errorf("registerSubagent = %+v; want depth 1 under %s, sponsored by %s, from run-42", a, parent.ID, parent.SponsorID)
			}
			if c := e.app(t, a.ClientID); c.TenantID != e.a.tenant.ID || c.TokenEndpointAuthMethod != clients.AuthPrivateKeyJWT {
				t.Errorf("the subagent's client %v; want A's, with private_key_jwt", c)
			}
			ev, err := e.c.AuditEvent.Query().Where(auditevent.TenantID(e.a.tenant.ID), auditevent.Action("agent.registered"),
				auditevent.TargetID(a.ID)).Only(e.sysAll)
			if err != nil || ev.ActorType != string(viewer.Agent) || ev.ActorID != parent.ID || ev.RunID != "run-42" ||
				!slices.Equal(ev.AgentChain, []string{a.ClientID, parent.ClientID}) {
				t.Errorf("agent.registered event %v (%v); want the parent agent acting, run-42, the chain child then parent", ev, err)
			}
			// The subagent gets its own token with its own key.
			if _, err := e.agentToken(t, e.a.slug, a.ClientID, childKey); err != nil {
				t.Errorf("the subagent's access token: %v", err)
			}
			child = a
		})
		if child.ID == "" {
			t.Fatal("no subagent to go on with")
		}

		t.Run("suspendAgent suspends the subtree and stops its tokens", func(t *testing.T) {
			tok := e.mustAgentToken(t, e.a.slug, parent.ClientID, parentKey)
			out, r := setStatus(t, admin, "suspendAgent", parent.ID)
			if want := map[string]string{parent.ID: "suspended", child.ID: "suspended"}; len(r.Errors) != 0 || len(out) != 2 ||
				!maps.Equal(statuses(out), want) {
				t.Fatalf("suspendAgent = %+v, errors %+v; want %v", out, r.Errors, want)
			}
			for _, a := range []gqlAgent{parent, child} {
				aid, _ := strconv.Atoi(a.ID)
				if got := e.agentRow(t, aid); got.Status != agent.StatusSuspended || e.app(t, a.ClientID).DisabledAt == nil {
					t.Errorf("agent %s after suspendAgent: %s, client disabled at %v", a.ID, got.Status, e.app(t, a.ClientID).DisabledAt)
				}
				if n := e.audited(t, "agent.suspended", a.ID); n != 1 {
					t.Errorf("%d agent.suspended events for %s; want 1", n, a.ID)
				}
			}
			if r := e.as(t, e.a.slug, tok, `{ viewer { kind } }`, nil); r.status != http.StatusUnauthorized ||
				!slices.Equal(r.codes(), []string{"UNAUTHENTICATED"}) {
				t.Errorf("the suspended agent's token at GraphQL: status %d, codes %v; want 401 UNAUTHENTICATED", r.status, r.codes())
			}
			if _, err := e.agentToken(t, e.a.slug, parent.ClientID, parentKey); err == nil {
				t.Error("a suspended agent got a new access token")
			}
		})

		t.Run("resumeAgent resumes the subtree", func(t *testing.T) {
			out, r := setStatus(t, admin, "resumeAgent", parent.ID)
			if want := map[string]string{parent.ID: "active", child.ID: "active"}; len(r.Errors) != 0 || len(out) != 2 ||
				!maps.Equal(statuses(out), want) {
				t.Fatalf("resumeAgent = %+v, errors %+v; want %v", out, r.Errors, want)
			}
			for _, a := range []gqlAgent{parent, child} {
				if n := e.audited(t, "agent.active", a.ID); n != 1 {
					t.Errorf("%d agent.active events for %s; want 1", n, a.ID)
				}
				if e.app(t, a.ClientID).DisabledAt != nil {
					t.Errorf("agent %s's client is still disabled", a.ID)
				}
			}
			tok := e.mustAgentToken(t, e.a.slug, parent.ClientID, parentKey)
			if r := e.as(t, e.a.slug, tok, `{ viewer { kind } }`, nil); r.status != http.StatusOK || len(r.Errors) != 0 {
				t.Errorf("the resumed agent's new token at GraphQL: status %d, %+v", r.status, r.Errors)
			}
		})

		t.Run("revokeAgent is final and revokes the grants", func(t *testing.T) {
			pid, _ := strconv.Atoi(parent.ID)
			cid, _ := strconv.Atoi(child.ID)
			grants := []*ent.DelegationGrant{giveGrant(t, e.fx, e.a.system, e.a.member.UserID, pid, "a:read"),
				giveGrant(t, e.fx, e.a.system, e.a.member.UserID, cid, "a:read")}
			tok := e.mustAgentToken(t, e.a.slug, parent.ClientID, parentKey)
			out, r := setStatus(t, owner, "revokeAgent", parent.ID)
			if want := map[string]string{parent.ID: "revoked", child.ID: "revoked"}; len(r.Errors) != 0 || len(out) != 2 ||
				!maps.Equal(statuses(out), want) {
				t.Fatalf("revokeAgent = %+v, errors %+v; want %v", out, r.Errors, want)
			}
			for _, a := range []gqlAgent{parent, child} {
				if n := e.audited(t, "agent.revoked", a.ID); n != 1 {
					t.Errorf("%d agent.revoked events for %s; want 1", n, a.ID)
				}
			}
			for _, g := range grants {
				if got, err := e.c.DelegationGrant.Get(e.sysAll, g.ID); err != nil || got.Status != delegationgrant.StatusRevoked || got.RevokedAt == nil {
					t.Errorf("grant %d to a revoked agent: %v, %v; want it revoked", g.ID, got, err)
				}
			}
			if r := e.as(t, e.a.slug, tok, `{ viewer { kind } }`, nil); r.status != http.StatusUnauthorized {
				t.Errorf("the revoked agent's token at GraphQL: status %d, %+v; want 401", r.status, r.Errors)
			}
			rows, events := e.agentRows(t), e.auditCount(t)
			for _, field := range []string{"resumeAgent", "suspendAgent", "revokeAgent"} {
				_, r := setStatus(t, admin, field, parent.ID)
				wantCode(t, field+"(a revoked agent)", r, "CONFLICT", "")
			}
			if after := e.agentRows(t); !slices.Equal(rows, after) {
				t.Errorf("changes to a revoked agent changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != events {
				t.Errorf("changes to a revoked agent wrote %d audit events", n-events)
			}
		})

		t.Run("delegationGrants and revokeDelegationGrant", func(t *testing.T) {
			// An agent the owner sponsors; A's member and another person each
			// give it a grant; a bystander gives none.
			assistant, assistantKey := newAgent(t, e.fx, e.a.system, "Assistant", "owner@a.example", "a:read")
			mine := giveGrant(t, e.fx, e.a.system, e.a.member.UserID, assistant.ID, "a:read")
			other := freshMember(t, e, "other@a.example")
			theirs := giveGrant(t, e.fx, e.a.system, other.UserID, assistant.ID, "a:read")
			otherPerson := e.asLogin(other.UserID)(t)
			bystander := e.asLogin(freshMember(t, e, "bystander@a.example").UserID)(t)

			list := func(t *testing.T, by actor) []string {
				t.Helper()
				return e.listed(t, by, `{ delegationGrants { `+grantFields+` } }`, "delegationGrants", "id")
			}
			ofMember, err := e.c.DelegationGrant.Query().
				Where(delegationgrant.TenantID(e.a.tenant.ID), delegationgrant.UserID(e.a.member.UserID)).IDs(e.sysAll)
			if err != nil || !slices.Contains(ofMember, mine.ID) {
				t.Fatalf("fixture: A's member's grants %v, %v", ofMember, err)
			}
			all, err := e.c.DelegationGrant.Query().Where(delegationgrant.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				who  string
				by   actor
				want []string
			}{
				{"A's member", person, sortedIDs(ofMember)},
				{"another person", otherPerson, []string{id(theirs.ID)}},
				{"a bystander", bystander, []string{}},
				{"an admin", admin, sortedIDs(all)},
			} {
				if got := list(t, tc.by); !slices.Equal(got, tc.want) {
					t.Errorf("delegationGrants as %s = %v; want %v", tc.who, got, tc.want)
				}
			}
			tok := e.mustAgentToken(t, e.a.slug, assistant.ClientID, assistantKey)
			wantCode(t, "delegationGrants(as an agent)", e.asAgent(e.a.slug, tok)(t, `{ delegationGrants { id } }`, nil), "FORBIDDEN", "")
			wantCode(t, "delegationGrants(member token)", member(t, `{ delegationGrants { id } }`, nil), "FORBIDDEN", "")

			op := `mutation($id: ID!) { revokeDelegationGrant(id: $id) { ` + grantFields + ` } }`
			vars := map[string]any{"id": id(mine.ID)}
			rows, events := e.agentRows(t), e.auditCount(t)
			for _, tc := range []struct {
				who string
				by  actor
			}{{"a bystander", bystander}, {"another person", otherPerson}, {"a member token", member},
				{"the agent", e.asAgent(e.a.slug, tok)}} {
				wantCode(t, "revokeDelegationGrant("+tc.who+")", tc.by(t, op, vars), "FORBIDDEN", "")
			}
			if after := e.agentRows(t); !slices.Equal(rows, after) {
				t.Errorf("refused revocations changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != events {
				t.Errorf("refused revocations wrote %d audit events", n-events)
			}

			r := person(t, op, vars)
			var g gqlGrant
			r.field(t, "revokeDelegationGrant", &g)
			if len(r.Errors) != 0 || g.ID != id(mine.ID) || g.Status != "revoked" || g.RevokedAt == nil ||
				g.UserID != id(e.a.member.UserID) || g.AgentID != id(assistant.ID) || !slices.Equal(g.Scopes, []string{"a:read"}) {
				t.Fatalf("revokeDelegationGrant = %+v, errors %+v; want it revoked", g, r.Errors)
			}
			stored, err := e.c.DelegationGrant.Get(e.sysAll, mine.ID)
			if err != nil || stored.Status != delegationgrant.StatusRevoked || stored.RevokedAt == nil {
				t.Errorf("the stored grant: %v, %v; want it revoked", stored, err)
			}
			if still, err := e.c.DelegationGrant.Get(e.sysAll, theirs.ID); err != nil || still.Status != delegationgrant.StatusActive {
				t.Errorf("the other person's grant: %v, %v; want it active", still, err)
			}
			if n := e.audited(t, "grant.revoked", id(mine.ID)); n != 1 {
				t.Errorf("%d grant.revoked events; want 1", n)
			}
			// Again: nothing more to do, and nothing more recorded.
			r = person(t, op, vars)
			if len(r.Errors) != 0 {
				t.Errorf("revokeDelegationGrant again: %+v", r.Errors)
			}
			if n := e.audited(t, "grant.revoked", id(mine.ID)); n != 1 {
				t.Errorf("%d grant.revoked events after revoking twice; want 1", n)
			}
			// An admin may revoke anyone's.
			var sponsored gqlGrant
			e.mutateA(t, op, "revokeDelegationGrant", map[string]any{"id": id(theirs.ID)}, &sponsored)
			if sponsored.Status != "revoked" || e.audited(t, "grant.revoked", id(theirs.ID)) != 1 {
				t.Errorf("revokeDelegationGrant by an owner token = %+v; want it revoked and audited", sponsored)
			}
		})
	})
}

// narrowDelegationGrant: who may narrow a grant (the person who gave it,
// the agent's sponsor, an admin; nobody else), what counts as narrowing
// (fewer scopes, an earlier expiry still in the future), and the
// grant.narrowed event each change writes. What narrowing does to the
// grant's tokens is tested with real tokens at the issuer
// (auth/oidc/issuer/narrow_test.go).
func TestGraphQLNarrowDelegationGrant(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		person := actor(e.asAMember) // A's member, who gives the grant
		admin := e.tokenIn(t, "admin", viewer.RoleAdmin)
		member := e.tokenIn(t, "member", viewer.RoleMember)
		sponsorship := freshMember(t, e, "sponsor@a.example")
		sponsor := e.asLogin(sponsorship.UserID)(t)
		bystander := e.asLogin(freshMember(t, e, "bystander@a.example").UserID)(t)
		assistant, assistantKey := newAgent(t, e.fx, e.a.system, "Assistant", "sponsor@a.example", "a:read")
		g := giveGrant(t, e.fx, e.a.system, e.a.member.UserID, assistant.ID, "a:read", "a:write", "a:delete")
		gid := id(g.ID)

		op := `mutation($id: ID!, $scopes: [String!], $expiresAt: Time) {
			narrowDelegationGrant(id: $id, scopes: $scopes, expiresAt: $expiresAt) { ` + grantFields + ` } }`
		narrow := func(t *testing.T, by actor, vars map[string]any) (gqlGrant, gqlResponse) {
			t.Helper()
			r := by(t, op, vars)
			var out gqlGrant
			if len(r.Errors) == 0 {
				r.field(t, "narrowDelegationGrant", &out)
			}
			return out, r
		}
		stored := func(t *testing.T) *ent.DelegationGrant {
			t.Helper()
			got, err := e.c.DelegationGrant.Get(e.sysAll, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		event := func(t *testing.T, n int) *ent.AuditEvent {
			t.Helper()
			evs, err := e.c.AuditEvent.Query().Where(auditevent.TenantID(e.a.tenant.ID), auditevent.Action("grant.narrowed"),
				auditevent.TargetID(gid)).Order(ent.Asc(auditevent.FieldID)).All(e.sysAll)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != n {
				t.Fatalf("%d grant.narrowed events; want %d", len(evs), n)
			}
			return evs[n-1]
		}
		exp := g.ExpiresAt

		t.Run("refused: not theirs to narrow, or not narrowing", func(t *testing.T) {
			tok := e.mustAgentToken(t, e.a.slug, assistant.ClientID, assistantKey)
			rows, events := e.agentRows(t), e.auditCount(t)
			keep := map[string]any{"id": gid, "scopes": []string{"a:read"}}
			for _, tc := range []struct {
				who string
				by  actor
			}{{"a bystander", bystander}, {"a member token", member}, {"the agent", e.asAgent(e.a.slug, tok)}} {
				_, r := narrow(t, tc.by, keep)
				wantCode(t, "narrowDelegationGrant("+tc.who+")", r, "FORBIDDEN", "")
			}
			for _, tc := range []struct {
				what  string
				vars  map[string]any
				field string
			}{
				{"a scope the grant lacks", map[string]any{"id": gid, "scopes": []string{"a:read", "a:admin"}}, "scopes"},
				{"no scope at all", map[string]any{"id": gid, "scopes": []string{}}, "scopes"},
				{"nothing to narrow", map[string]any{"id": gid}, "scopes"},
				{"a later expiry", map[string]any{"id": gid, "expiresAt": exp.Add(time.Hour)}, "expiresAt"},
				{"an expiry in the past", map[string]any{"id": gid, "expiresAt": time.Now().Add(-time.Minute)}, "expiresAt"},
				{"fewer scopes but a later expiry", map[string]any{"id": gid, "scopes": []string{"a:read"}, "expiresAt": exp.Add(time.Second)}, "expiresAt"},
			} {
				_, r := narrow(t, person, tc.vars)
				wantCode(t, "narrowDelegationGrant("+tc.what+")", r, "BAD_USER_INPUT", tc.field)
				if len(r.Errors) == 1 && !strings.Contains(r.Errors[0].Message, "narrow") && !strings.Contains(r.Errors[0].Message, "future") &&
					!strings.Contains(r.Errors[0].Message, "scope") {
					t.Errorf("narrowDelegationGrant(%s): message %q does not say what is wrong", tc.what, r.Errors[0].Message)
				}
			}
			if after := e.agentRows(t); !slices.Equal(rows, after) {
				t.Errorf("refused narrowings changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != events {
				t.Errorf("refused narrowings wrote %d audit events", n-events)
			}
		})

		t.Run("the person who gave it drops a scope", func(t *testing.T) {
			// Duplicates and order do not matter: the grant keeps its own order.
			out, r := narrow(t, person, map[string]any{"id": gid, "scopes": []string{"a:write", "a:read", "a:write"}})
			if len(r.Errors) != 0 || out.ID != gid || !slices.Equal(out.Scopes, []string{"a:read", "a:write"}) ||
				!out.ExpiresAt.Equal(exp) || out.Status != "active" {
				t.Fatalf("narrowDelegationGrant = %+v, errors %+v; want a:read a:write until %s", out, r.Errors, exp)
			}
			if got := stored(t); !slices.Equal(got.Scopes, []string{"a:read", "a:write"}) || !got.ExpiresAt.Equal(exp) {
				t.Errorf("the stored grant: %v", got)
			}
			ev := event(t, 1)
			if ev.ActorType != string(viewer.Human) || ev.ActorID != id(e.a.member.UserID) || ev.TargetType != "delegation_grant" ||
				ev.GrantID != gid || ev.ClientID != assistant.ClientID || !slices.Equal(ev.AgentChain, []string{assistant.ClientID}) ||
				!slices.Equal(ev.Scope, []string{"a:read", "a:write"}) || ev.Details["old_scopes"] != "a:read a:write a:delete" ||
				ev.Details["old_expires_at"] != exp.Format(time.RFC3339) || ev.Details["expires_at"] != exp.Format(time.RFC3339) {
				t.Errorf("grant.narrowed event %+v; want the member acting, the agent, the new scope and the old one", ev)
			}
			// The same values again: nothing changes, nothing is recorded.
			events := e.auditCount(t)
			if _, r := narrow(t, person, map[string]any{"id": gid, "scopes": []string{"a:read", "a:write"}, "expiresAt": exp}); len(r.Errors) != 0 {
				t.Errorf("narrowing to the same values: %+v", r.Errors)
			}
			if n := e.auditCount(t); n != events {
				t.Errorf("narrowing to the same values wrote %d audit events", n-events)
			}
		})

		t.Run("the agent's sponsor shortens it", func(t *testing.T) {
			sooner := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
			out, r := narrow(t, sponsor, map[string]any{"id": gid, "expiresAt": sooner})
			if len(r.Errors) != 0 || !out.ExpiresAt.Equal(sooner) || !slices.Equal(out.Scopes, []string{"a:read", "a:write"}) {
				t.Fatalf("narrowDelegationGrant(expiry) = %+v, errors %+v; want a:read a:write until %s", out, r.Errors, sooner)
			}
			if got := stored(t); !got.ExpiresAt.Equal(sooner) {
				t.Errorf("the stored grant expires %s; want %s", got.ExpiresAt, sooner)
			}
			ev := event(t, 2)
			if ev.ActorID != id(sponsorship.UserID) || ev.Details["old_expires_at"] != exp.Format(time.RFC3339) ||
				ev.Details["expires_at"] != sooner.Format(time.RFC3339) || ev.Details["old_scopes"] != "a:read a:write" {
				t.Errorf("grant.narrowed event %+v; want the sponsor acting and both expiries", ev)
			}
			exp = sooner
		})

		t.Run("an admin narrows both", func(t *testing.T) {
			sooner := exp.Add(-time.Minute)
			out, r := narrow(t, admin, map[string]any{"id": gid, "scopes": []string{"a:read"}, "expiresAt": sooner.Format(time.RFC3339)})
			if len(r.Errors) != 0 || !slices.Equal(out.Scopes, []string{"a:read"}) || !out.ExpiresAt.Equal(sooner) {
				t.Fatalf("narrowDelegationGrant(admin) = %+v, errors %+v", out, r.Errors)
			}
			if ev := event(t, 3); ev.ActorType != string(viewer.APIToken) || !slices.Equal(ev.Scope, []string{"a:read"}) {
				t.Errorf("grant.narrowed event %+v; want the admin's token acting", ev)
			}
		})

		t.Run("a revoked grant is not narrowed", func(t *testing.T) {
			if _, err := e.fx.grants.Revoke(e.a.system, g.ID); err != nil {
				t.Fatal(err)
			}
			rows, events := e.agentRows(t), e.auditCount(t)
			_, r := narrow(t, person, map[string]any{"id": gid, "expiresAt": time.Now().Add(time.Minute)})
			wantCode(t, "narrowDelegationGrant(revoked)", r, "CONFLICT", "")
			if after := e.agentRows(t); !slices.Equal(rows, after) || e.auditCount(t) != events {
				t.Errorf("narrowing a revoked grant changed A")
			}
		})
	})
}
