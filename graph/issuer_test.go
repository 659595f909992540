package graph_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/oauthconsent"
	"github.com/mandatehq/mandate/ent/signingkey"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// This file is the behaviour of the issuer's GraphQL fields (issuer.graphqls)
// over HTTP, in workspace A of the isolation fixture: who may manage
// applications, keys and the scope catalog, that a client secret is shown
// once, that errors carry their codes and fields, and that each change
// writes its audit event.

// tokenIn creates an API token with role in A and returns an actor using it.
func (e *env) tokenIn(t *testing.T, name string, role viewer.Role) actor {
	t.Helper()
	_, secret, err := e.ts.CreateAPIToken(e.a.system, tenants.NewAPIToken{Name: name, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T, query string, vars map[string]any) gqlResponse {
		t.Helper()
		return e.as(t, e.a.slug, secret, query, vars)
	}
}

// audited counts A's audit events with action about target.
func (e *env) audited(t *testing.T, action, target string) int {
	t.Helper()
	n, err := e.c.AuditEvent.Query().
		Where(auditevent.TenantID(e.a.tenant.ID), auditevent.Action(action), auditevent.TargetID(target)).Count(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// auditCount counts all of A's audit events.
func (e *env) auditCount(t *testing.T) int {
	t.Helper()
	n, err := e.c.AuditEvent.Query().Where(auditevent.TenantID(e.a.tenant.ID)).Count(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// issuerRows are A's clients, keys, consents and OAuth tokens, secrets
// included, to see that a refused request changed nothing.
func (e *env) issuerRows(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, row := range e.state(t, e.a.tenant.ID) {
		for _, p := range []string{"oauth_client ", "signing_key ", "consent ", "oauth_token ", "tenant "} {
			if strings.HasPrefix(row, p) {
				out = append(out, row)
			}
		}
	}
	return out
}

// wantCode fails unless r has exactly one error, of code (and of field,
// when field is not empty).
func wantCode(t *testing.T, what string, r gqlResponse, code, field string) {
	t.Helper()
	if !slices.Equal(r.codes(), []string{code}) {
		t.Errorf("%s: codes %v (%+v); want [%s]", what, r.codes(), r.Errors, code)
		return
	}
	if got, _ := r.Errors[0].Extensions["field"].(string); field != "" && got != field {
		t.Errorf("%s: error field %q (%+v); want %q", what, got, r.Errors[0], field)
	}
}

// typeFields lists the fields of a GraphQL type by introspection.
func typeFields(t *testing.T, by actor, typ string) []string {
	t.Helper()
	r := by(t, `query($name: String!) { __type(name: $name) { fields { name } } }`, map[string]any{"name": typ})
	var ty struct{ Fields []struct{ Name string } }
	r.field(t, "__type", &ty)
	var out []string
	for _, f := range ty.Fields {
		out = append(out, f.Name)
	}
	if len(out) == 0 {
		t.Fatalf("type %s has no fields (%+v)", typ, r.Errors)
	}
	return out
}

// oauthClient is the GraphQL OAuthClient, as the tests read it.
type oauthClient struct {
	ClientID                string     `json:"clientID"`
	Name                    string     `json:"name"`
	Public                  bool       `json:"public"`
	TokenEndpointAuthMethod string     `json:"tokenEndpointAuthMethod"`
	RedirectURIs            []string   `json:"redirectUris"`
	GrantTypes              []string   `json:"grantTypes"`
	Scopes                  []string   `json:"scopes"`
	DisabledAt              *time.Time `json:"disabledAt"`
}

const clientFields = `clientID name public tokenEndpointAuthMethod redirectUris grantTypes scopes disabledAt`

func TestGraphQLIssuer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		owner := actor(e.asA)
		admin := e.tokenIn(t, "admin", viewer.RoleAdmin)
		member := e.tokenIn(t, "member", viewer.RoleMember)

		create := func(t *testing.T, by actor, input map[string]any) (oauthClient, *string, gqlResponse) {
			t.Helper()
			r := by(t, `mutation($in: CreateOAuthClientInput!) { createOAuthClient(input: $in) { clientSecret client { `+clientFields+` } } }`,
				map[string]any{"in": input})
			var p struct {
				ClientSecret *string
				Client       oauthClient
			}
			if len(r.Errors) == 0 {
				r.field(t, "createOAuthClient", &p)
			}
			return p.Client, p.ClientSecret, r
		}
		mustCreate := func(t *testing.T, input map[string]any) (oauthClient, string) {
			t.Helper()
			c, secret, r := create(t, admin, input)
			if len(r.Errors) != 0 {
				t.Fatalf("createOAuthClient(%v): %+v", input, r.Errors)
			}
			if secret == nil {
				return c, ""
			}
			return c, *secret
		}

		t.Run("createOAuthClient shows the secret once", func(t *testing.T) {
			c, secret := mustCreate(t, map[string]any{"name": "Billing", "redirectUris": []string{"https://billing.example/cb"}})
			if secret == "" || c.ClientID == "" || c.Name != "Billing" || c.Public || c.TokenEndpointAuthMethod != clients.AuthSecretBasic ||
				!slices.Equal(c.GrantTypes, []string{clients.GrantAuthorizationCode, clients.GrantRefreshToken}) ||
				!slices.Equal(c.Scopes, clients.DefaultScopes) || c.DisabledAt != nil {
				t.Errorf("createOAuthClient = %+v, secret %q; want a confidential client with the defaults and a secret", c, secret)
			}
			row := e.app(t, c.ClientID)
			if row.TenantID != e.a.tenant.ID || !clients.SecretMatches(row.SecretHash, secret) {
				t.Errorf("stored client %v: tenant %d; want A's, keeping the secret's hash", row, row.TenantID)
			}
			if n := e.audited(t, "oauth_client.created", c.ClientID); n != 1 {
				t.Errorf("%d oauth_client.created events; want 1", n)
			}

			// No field carries the secret, or its hash, ever again.
			fields := typeFields(t, admin, "OAuthClient")
			for _, f := range fields {
				if strings.Contains(strings.ToLower(f), "secret") {
					t.Errorf("OAuthClient has a field %s", f)
				}
			}
			r := admin(t, `{ oauthClients { `+strings.Join(fields, " ")+` } }`, nil)
			raw := string(r.Data["oauthClients"])
			if len(r.Errors) != 0 || !strings.Contains(raw, c.ClientID) {
				t.Fatalf("oauthClients = %s, errors %+v; want the new client", raw, r.Errors)
			}
			if strings.Contains(raw, secret) || strings.Contains(raw, row.SecretHash) {
				t.Errorf("oauthClients shows the secret or its hash: %s", raw)
			}

			// A public client has no secret.
			pub, pubSecret, r := create(t, admin, map[string]any{"name": "Mobile", "public": true,
				"redirectUris": []string{"com.example.mobile:/cb"}})
			if len(r.Errors) != 0 || pubSecret != nil || !pub.Public || pub.TokenEndpointAuthMethod != clients.AuthNone {
				t.Errorf("createOAuthClient(public) = %+v, secret %v, errors %+v; want a public client without a secret", pub, pubSecret, r.Errors)
			}
			// Registration is validated like any update.
			_, _, r = create(t, admin, map[string]any{"name": "Evil", "redirectUris": []string{"http://evil.example/cb"}})
			wantCode(t, "createOAuthClient(plain http redirect)", r, "BAD_USER_INPUT", "redirect_uri")
		})

		t.Run("members may not manage applications, admins may", func(t *testing.T) {
			target, _ := mustCreate(t, map[string]any{"name": "Managed", "redirectUris": []string{"https://managed.example/cb"}})
			vars := map[string]any{"id": target.ClientID}
			ops := []struct {
				field, op string
				vars      map[string]any
			}{
				{"oauthClients", `{ oauthClients { clientID } }`, nil},
				{"createOAuthClient", `mutation { createOAuthClient(input: {name: "by member", redirectUris: ["https://m.example/cb"]}) { clientSecret } }`, nil},
				{"updateOAuthClient", `mutation($id: String!) { updateOAuthClient(clientID: $id, input: {name: "renamed"}) { name } }`, vars},
				{"rotateOAuthClientSecret", `mutation($id: String!) { rotateOAuthClientSecret(clientID: $id) { clientSecret } }`, vars},
				{"disableOAuthClient", `mutation($id: String!) { disableOAuthClient(clientID: $id) { disabledAt } }`, vars},
				{"enableOAuthClient", `mutation($id: String!) { enableOAuthClient(clientID: $id) { disabledAt } }`, vars},
			}
			rows, events := e.issuerRows(t), e.auditCount(t)
			for _, o := range ops {
				r := member(t, o.op, o.vars)
				wantCode(t, "member: "+o.field, r, "FORBIDDEN", "")
				if raw := r.Data[o.field]; len(raw) != 0 && string(raw) != "null" {
					t.Errorf("member: %s returned %s", o.field, raw)
				}
			}
			if after := e.issuerRows(t); !slices.Equal(rows, after) {
				t.Errorf("a member's refused requests changed A's rows:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != events {
				t.Errorf("a member's refused requests wrote %d audit events", n-events)
			}
			for _, o := range ops {
				if r := admin(t, o.op, o.vars); len(r.Errors) != 0 {
					t.Errorf("admin: %s: %+v", o.field, r.Errors)
				}
			}
		})

		t.Run("rotateOAuthClientSecret replaces the secret", func(t *testing.T) {
			c, old := mustCreate(t, map[string]any{"name": "Rotated", "redirectUris": []string{"https://rotated.example/cb"}})
			r := admin(t, `mutation($id: String!) { rotateOAuthClientSecret(clientID: $id) { clientSecret client { clientID } } }`,
				map[string]any{"id": c.ClientID})
			var p struct {
				ClientSecret string
				Client       struct{ ClientID string }
			}
			r.field(t, "rotateOAuthClientSecret", &p)
			if len(r.Errors) != 0 || p.ClientSecret == "" || p.ClientSecret == old || p.Client.ClientID != c.ClientID {
				t.Fatalf("rotateOAuthClientSecret = %+v, errors %+v; want a new secret for %s", p, r.Errors, c.ClientID)
			}
			row := e.app(t, c.ClientID)
			if !clients.SecretMatches(row.SecretHash, p.ClientSecret) || clients.SecretMatches(row.SecretHash, old) {
				t.Error("the stored hash is not the new secret's")
			}
			if n := e.audited(t, "oauth_client.secret_rotated", c.ClientID); n != 1 {
				t.Errorf("%d oauth_client.secret_rotated events; want 1", n)
			}
			// A public client has no secret to rotate.
			pub, _ := mustCreate(t, map[string]any{"name": "No secret", "public": true, "redirectUris": []string{"http://127.0.0.1/cb"}})
			r = admin(t, `mutation($id: String!) { rotateOAuthClientSecret(clientID: $id) { clientSecret } }`, map[string]any{"id": pub.ClientID})
			wantCode(t, "rotateOAuthClientSecret(public client)", r, "BAD_USER_INPUT", "client")
			if n := e.audited(t, "oauth_client.secret_rotated", pub.ClientID); n != 0 {
				t.Errorf("a refused rotation wrote %d events", n)
			}
		})

		t.Run("disableOAuthClient and enableOAuthClient flip disabledAt", func(t *testing.T) {
			c, _ := mustCreate(t, map[string]any{"name": "Flipped", "redirectUris": []string{"https://flipped.example/cb"}})
			vars := map[string]any{"id": c.ClientID}
			var got oauthClient
			r := admin(t, `mutation($id: String!) { disableOAuthClient(clientID: $id) { `+clientFields+` } }`, vars)
			r.field(t, "disableOAuthClient", &got)
			if len(r.Errors) != 0 || got.DisabledAt == nil || e.app(t, c.ClientID).DisabledAt == nil {
				t.Errorf("disableOAuthClient = %+v, errors %+v; want disabledAt set", got, r.Errors)
			}
			listed := e.listedClient(t, admin, c.ClientID)
			if listed.DisabledAt == nil {
				t.Errorf("oauthClients shows the disabled client as %+v", listed)
			}
			r = admin(t, `mutation($id: String!) { enableOAuthClient(clientID: $id) { `+clientFields+` } }`, vars)
			got = oauthClient{}
			r.field(t, "enableOAuthClient", &got)
			if len(r.Errors) != 0 || got.DisabledAt != nil || e.app(t, c.ClientID).DisabledAt != nil {
				t.Errorf("enableOAuthClient = %+v, errors %+v; want disabledAt null", got, r.Errors)
			}
			for _, action := range []string{"oauth_client.disabled", "oauth_client.enabled"} {
				if n := e.audited(t, action, c.ClientID); n != 1 {
					t.Errorf("%d %s events; want 1", n, action)
				}
			}
		})

		t.Run("updateOAuthClient validates and audits", func(t *testing.T) {
			c, _ := mustCreate(t, map[string]any{"name": "Updated", "redirectUris": []string{"https://updated.example/cb"}})
			op := `mutation($id: String!, $in: UpdateOAuthClientInput!) { updateOAuthClient(clientID: $id, input: $in) { ` + clientFields + ` } }`
			for _, tc := range []struct {
				input map[string]any
				field string
			}{
				{map[string]any{"redirectUris": []string{"http://evil.example/cb"}}, "redirect_uri"},
				{map[string]any{"redirectUris": []string{"https://ok.example/cb#frag"}}, "redirect_uri"},
				{map[string]any{"redirectUris": []string{}}, "redirect_uri"}, // authorization_code needs one
				{map[string]any{"postLogoutRedirectUris": []string{"javascript:alert(1)"}}, "redirect_uri"},
				{map[string]any{"name": "   "}, "name"},
				{map[string]any{"scopes": []string{"has space"}}, "scopes"},
				{map[string]any{"audience": []string{"not-a-uri"}}, "audience"},
				{map[string]any{"tokenFormat": "paseto"}, "token_format"},
				{map[string]any{"signingAlg": "HS256"}, "signing_alg"},
				{map[string]any{"backchannelLogoutURI": "http://rp.example/logout"}, "backchannel_logout_uri"},
				{map[string]any{"accessTokenTTL": 25 * 3600}, "ttl"},
				{map[string]any{"refreshTokenTTL": -1}, "ttl"},
				// A valid change with an invalid one changes nothing.
				{map[string]any{"name": "half", "signingAlg": "none"}, "signing_alg"},
			} {
				before := e.app(t, c.ClientID)
				r := admin(t, op, map[string]any{"id": c.ClientID, "in": tc.input})
				wantCode(t, "updateOAuthClient("+mustJSON(t, tc.input)+")", r, "BAD_USER_INPUT", tc.field)
				if after := e.app(t, c.ClientID); after.String() != before.String() {
					t.Errorf("a refused update changed the client:\nbefore %v\nafter  %v", before, after)
				}
			}
			if n := e.audited(t, "oauth_client.changed", c.ClientID); n != 0 {
				t.Errorf("refused updates wrote %d oauth_client.changed events", n)
			}

			var got oauthClient
			r := admin(t, op, map[string]any{"id": c.ClientID, "in": map[string]any{"name": "Renamed", "scopes": []string{"openid", "invoices:read"}}})
			r.field(t, "updateOAuthClient", &got)
			if len(r.Errors) != 0 || got.Name != "Renamed" || !slices.Equal(got.Scopes, []string{"openid", "invoices:read"}) ||
				!slices.Equal(got.RedirectURIs, []string{"https://updated.example/cb"}) {
				t.Errorf("updateOAuthClient = %+v, errors %+v; want renamed with the new scopes, redirect URIs kept", got, r.Errors)
			}
			ev, err := e.c.AuditEvent.Query().Where(auditevent.TenantID(e.a.tenant.ID), auditevent.Action("oauth_client.changed"),
				auditevent.TargetID(c.ClientID)).Only(e.sysAll)
			if err != nil || ev.Details["fields"] != "name scopes" {
				t.Errorf("oauth_client.changed event %v, %v; want fields \"name scopes\"", ev, err)
			}
		})

		t.Run("updateScopeCatalog round-trips through scopeCatalog", func(t *testing.T) {
			type scope struct {
				Name        string `json:"name"`
				Description string `json:"description"`
				Standard    bool   `json:"standard"`
			}
			const sel = `name description standard`
			events := e.audited(t, "tenant.settings_updated", id(e.a.tenant.ID))
			r := admin(t, `mutation($s: [ScopeDefinitionInput!]!) { updateScopeCatalog(scopes: $s) { `+sel+` } }`,
				map[string]any{"s": []map[string]any{
					{"name": "invoices:read", "description": "Read your invoices"},
					{"name": "email", "description": "See your work email address"},
				}})
			var updated []scope
			r.field(t, "updateScopeCatalog", &updated)
			if len(r.Errors) != 0 {
				t.Fatalf("updateScopeCatalog: %+v", r.Errors)
			}
			want := []scope{
				{"openid", "Know who you are (your account identifier)", true},
				{"profile", "See your name", true},
				{"email", "See your work email address", true}, // the catalog describes a standard scope
				{"offline_access", "Stay connected when you are not using it", true},
				{"invoices:read", "Read your invoices", false},
			}
			if !slices.Equal(updated, want) {
				t.Errorf("updateScopeCatalog = %+v; want %+v", updated, want)
			}
			var read []scope
			r = member(t, `{ scopeCatalog { `+sel+` } }`, nil)
			r.field(t, "scopeCatalog", &read)
			if len(r.Errors) != 0 || !slices.Equal(read, want) {
				t.Errorf("scopeCatalog = %+v, errors %+v; want %+v", read, r.Errors, want)
			}
			if n := e.audited(t, "tenant.settings_updated", id(e.a.tenant.ID)); n != events+1 {
				t.Errorf("%d new tenant.settings_updated events; want 1", n-events)
			}

			rows, count := e.issuerRows(t), e.auditCount(t)
			for _, bad := range []string{"1starts-with-digit", "has space", "", strings.Repeat("x", 101)} {
				r = admin(t, `mutation($s: [ScopeDefinitionInput!]!) { updateScopeCatalog(scopes: $s) { name } }`,
					map[string]any{"s": []map[string]any{{"name": "ok", "description": "fine"}, {"name": bad, "description": "bad"}}})
				wantCode(t, "updateScopeCatalog("+bad+")", r, "BAD_USER_INPUT", "settings")
			}
			r = admin(t, `mutation { updateScopeCatalog(scopes: [{name: "twice", description: ""}, {name: "twice", description: ""}]) { name } }`, nil)
			wantCode(t, "updateScopeCatalog(a name twice)", r, "BAD_USER_INPUT", "settings")
			r = member(t, `mutation { updateScopeCatalog(scopes: []) { name } }`, nil)
			wantCode(t, "member: updateScopeCatalog", r, "FORBIDDEN", "")
			if after := e.issuerRows(t); !slices.Equal(rows, after) {
				t.Errorf("refused catalog updates changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != count {
				t.Errorf("refused catalog updates wrote %d audit events", n-count)
			}
		})

		t.Run("rotateSigningKey is for owners", func(t *testing.T) {
			type key struct {
				Kid          string     `json:"kid"`
				Alg          string     `json:"alg"`
				ActivatesAt  time.Time  `json:"activatesAt"`
				SupersededAt *time.Time `json:"supersededAt"`
				UnpublishAt  *time.Time `json:"unpublishAt"`
			}
			const sel = `kid alg activatesAt supersededAt unpublishAt`
			list := func(t *testing.T, by actor) []key {
				t.Helper()
				var ks []key
				r := by(t, `{ signingKeys { `+sel+` } }`, nil)
				r.field(t, "signingKeys", &ks)
				if len(r.Errors) != 0 {
					t.Fatalf("signingKeys: %+v", r.Errors)
				}
				return ks
			}
			for _, f := range typeFields(t, owner, "SigningKey") {
				if !slices.Contains(strings.Fields(sel), f) {
					t.Errorf("SigningKey has a field %s beyond its public parts", f)
				}
			}
			before := list(t, admin) // admins may read them
			if len(before) != 1 || before[0].Kid != e.a.key.Kid || before[0].SupersededAt != nil {
				t.Fatalf("signingKeys = %+v; want A's one key", before)
			}
			wantCode(t, "member: signingKeys", member(t, `{ signingKeys { kid } }`, nil), "FORBIDDEN", "")

			rows, count := e.issuerRows(t), e.auditCount(t)
			wantCode(t, "admin: rotateSigningKey", admin(t, `mutation { rotateSigningKey { kid } }`, nil), "FORBIDDEN", "")
			wantCode(t, "rotateSigningKey(HS256)", owner(t, `mutation { rotateSigningKey(alg: "HS256") { kid } }`, nil), "BAD_USER_INPUT", "alg")
			wantCode(t, "rotateSigningKey(publishForMinutes: -1)", owner(t, `mutation { rotateSigningKey(publishForMinutes: -1) { kid } }`, nil),
				"BAD_USER_INPUT", "publishForMinutes")
			if after := e.issuerRows(t); !slices.Equal(rows, after) {
				t.Errorf("refused rotations changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != count {
				t.Errorf("refused rotations wrote %d audit events", n-count)
			}

			start := time.Now()
			var k key
			r := owner(t, `mutation { rotateSigningKey { `+sel+` } }`, nil)
			r.field(t, "rotateSigningKey", &k)
			if len(r.Errors) != 0 || k.Kid == "" || k.Alg != "ES256" || k.ActivatesAt.Before(start.Add(14*time.Minute)) {
				t.Fatalf("rotateSigningKey = %+v, errors %+v; want an ES256 key signing in 15 minutes", k, r.Errors)
			}
			after := list(t, admin)
			kids := make([]string, len(after))
			for i, x := range after {
				kids[i] = x.Kid
			}
			if !slices.Equal(kids, []string{k.Kid, e.a.key.Kid}) {
				t.Errorf("signingKeys = %v; want the new key, then the old one", kids)
			}
			if old := after[len(after)-1]; old.SupersededAt == nil || !old.SupersededAt.Equal(k.ActivatesAt) || old.UnpublishAt == nil {
				t.Errorf("the old key is now %+v; want it superseded when the new one activates (%v)", old, k.ActivatesAt)
			}
			if n, err := e.c.SigningKey.Query().Where(signingkey.Kid(k.Kid), signingkey.TenantID(e.a.tenant.ID)).Count(e.sysAll); err != nil || n != 1 {
				t.Errorf("the new key is not stored in A (%d, %v)", n, err)
			}
			if n := e.audited(t, "signing_key.rotated", k.Kid); n != 1 {
				t.Errorf("%d signing_key.rotated events; want 1", n)
			}
		})

		t.Run("connected apps of a signed-in person", func(t *testing.T) {
			person := actor(e.asAMember)
			type app struct {
				ClientID  string    `json:"clientID"`
				Name      string    `json:"name"`
				Scopes    []string  `json:"scopes"`
				GrantedAt time.Time `json:"grantedAt"`
			}
			list := func(t *testing.T) []app {
				t.Helper()
				var apps []app
				r := person(t, `{ connectedApps { clientID name scopes grantedAt } }`, nil)
				r.field(t, "connectedApps", &apps)
				if len(r.Errors) != 0 {
					t.Fatalf("connectedApps: %+v", r.Errors)
				}
				return apps
			}
			apps := list(t)
			if len(apps) != 1 || apps[0].ClientID != e.a.app.ClientID || apps[0].Name != e.a.app.Name ||
				!slices.Equal(apps[0].Scopes, e.a.consent.Scopes) || apps[0].GrantedAt.IsZero() {
				t.Fatalf("connectedApps = %+v; want A's app, as consented", apps)
			}

			// An API token is nobody's account.
			rows, count := e.issuerRows(t), e.auditCount(t)
			wantCode(t, "API token: connectedApps", owner(t, `{ connectedApps { clientID } }`, nil), "FORBIDDEN", "")
			revoke := `mutation($id: String!) { revokeConnectedApp(clientID: $id) }`
			wantCode(t, "API token: revokeConnectedApp", owner(t, revoke, map[string]any{"id": e.a.app.ClientID}), "FORBIDDEN", "")
			// A session's mutation needs its CSRF token.
			noCSRF := e.a.login
			noCSRF.CSRF = ""
			if r := e.asPerson(t, e.a.slug, noCSRF, revoke, map[string]any{"id": e.a.app.ClientID}); r.status != http.StatusForbidden ||
				!slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
				t.Errorf("revokeConnectedApp without a CSRF token: status %d, codes %v; want 403 FORBIDDEN", r.status, r.codes())
			}
			if after := e.issuerRows(t); !slices.Equal(rows, after) {
				t.Errorf("refused revocations changed A:\nbefore %q\nafter  %q", rows, after)
			}
			if n := e.auditCount(t); n != count {
				t.Errorf("refused revocations wrote %d audit events", n-count)
			}

			r := person(t, revoke, map[string]any{"id": e.a.app.ClientID})
			var ok bool
			r.field(t, "revokeConnectedApp", &ok)
			if len(r.Errors) != 0 || !ok {
				t.Fatalf("revokeConnectedApp = %v, errors %+v; want true", ok, r.Errors)
			}
			if n, err := e.c.OAuthConsent.Query().Where(oauthconsent.ID(e.a.consent.ID)).Count(e.sysAll); err != nil || n != 0 {
				t.Errorf("the consent is still stored (%d, %v)", n, err)
			}
			if tok, err := e.c.OAuthToken.Get(e.sysAll, e.a.refresh.ID); err != nil || tok.Active {
				t.Errorf("the app's refresh token is %v (%v); want it inactive", tok, err)
			}
			if apps := list(t); len(apps) != 0 {
				t.Errorf("connectedApps after revoking = %+v; want none", apps)
			}
			if n := e.audited(t, "consent.revoked", e.a.app.ClientID); n != 1 {
				t.Errorf("%d consent.revoked events; want 1", n)
			}
			wantCode(t, "revokeConnectedApp again", person(t, revoke, map[string]any{"id": e.a.app.ClientID}), "NOT_FOUND", "")
		})

		t.Run("token lifetimes in the tenant settings", func(t *testing.T) {
			type lifetimes struct{ AccessTokenMinutes, RefreshTokenDays, IDTokenMinutes int }
			op := `mutation($in: UpdateTenantSettingsInput!) { updateTenantSettings(input: $in) {
				settings { accessTokenMinutes refreshTokenDays idTokenMinutes } } }`
			r := admin(t, op, map[string]any{"in": map[string]any{"accessTokenMinutes": 30, "refreshTokenDays": 7, "idTokenMinutes": 20}})
			var tn struct{ Settings lifetimes }
			r.field(t, "updateTenantSettings", &tn)
			if want := (lifetimes{30, 7, 20}); len(r.Errors) != 0 || tn.Settings != want {
				t.Errorf("updateTenantSettings = %+v, errors %+v; want %+v", tn, r.Errors, want)
			}
			for _, bad := range []map[string]any{{"accessTokenMinutes": 24*60 + 1}, {"refreshTokenDays": 366}, {"idTokenMinutes": -1}} {
				wantCode(t, "updateTenantSettings("+mustJSON(t, bad)+")", admin(t, op, map[string]any{"in": bad}), "BAD_USER_INPUT", "settings")
			}
			got, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID)
			if err != nil || got.Settings.AccessTokenMinutes != 30 || got.Settings.RefreshTokenDays != 7 || got.Settings.IDTokenMinutes != 20 {
				t.Errorf("A's settings after refused updates: %+v, %v", got.Settings, err)
			}
		})
	})
}

// listedClient finds one client in oauthClients.
func (e *env) listedClient(t *testing.T, by actor, clientID string) oauthClient {
	t.Helper()
	r := by(t, `{ oauthClients { `+clientFields+` } }`, nil)
	var cs []oauthClient
	r.field(t, "oauthClients", &cs)
	for _, c := range cs {
		if c.ClientID == clientID {
			return c
		}
	}
	t.Fatalf("oauthClients does not list %s (errors %+v)", clientID, r.Errors)
	return oauthClient{}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
