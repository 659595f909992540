package issuer_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Narrowing a delegation grant (agents/delegation Narrow) takes effect on
// the grant's tokens at once: every token that carries a scope the grant no
// longer holds (the agent's own tokens, their refresh tokens, and tokens a
// subagent got from them by exchange) is inactive at introspection and
// refreshes no more, while the grant's tokens within the new scopes keep
// working. A shorter expiry ends no token by itself.
func TestNarrowingAGrantStopsTheTokensItNoLongerAllows(t *testing.T) {
	const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"}, {Name: "refunds:preview", Description: "Preview refunds"}}
		if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
			t.Fatal(err)
		}
		both := []string{"invoices:read", "refunds:preview"}
		key := newClientKey(t)
		made, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "planner", SponsorEmail: "ann@acme.test",
			Ceiling: both, JWKS: key.publicJWKS(t), RedirectURIs: []string{callback}})
		if err != nil {
			t.Fatal(err)
		}
		planner := made.Client.ClientID
		subKey := newClientKey(t)
		sub, err := w.agents.RegisterSubagent(viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tenants["acme"],
			Kind: viewer.Agent, ID: made.Agent.ID, Label: "planner"}), registry.NewAgent{Name: "support", Ceiling: both, JWKS: subKey.publicJWKS(t)})
		if err != nil {
			t.Fatal(err)
		}
		support := sub.Client.ClientID
		iss := w.issuerURL("acme")
		tokenURL := iss + "/oauth2/token"
		authn := func(k *clientKey, id string) url.Values {
			return url.Values{"client_id": {id}, "client_assertion_type": {jwtBearer},
				"client_assertion": {k.assertion(t, id, tokenURL, randomJTI(), time.Now().Add(time.Minute))}}
		}
		with := func(a, b url.Values) url.Values {
			for k, v := range b {
				a[k] = v
			}
			return a
		}
		// Each agent introspects its own tokens.
		introspectAs := func(k *clientKey, id, tok string) map[string]any {
			t.Helper()
			_, out, _ := postForm(t, iss+"/oauth2/introspect", with(authn(k, id), url.Values{"token": {tok}}), "", "")
			return out
		}
		introspect := func(tok string) map[string]any { return introspectAs(key, planner, tok) }
		refresh := func(rt string) (int, map[string]any) {
			t.Helper()
			st, out, _ := postForm(t, tokenURL, with(authn(key, planner), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}), "", "")
			return st, out
		}
		exchange := func(subject, scope string) string {
			t.Helper()
			st, out, _ := postForm(t, tokenURL, with(authn(subKey, support), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
				"subject_token": {subject}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "scope": {scope}}), "", "")
			if st != http.StatusOK {
				t.Fatalf("support's exchange for %s: %d %v", scope, st, out)
			}
			return out["access_token"].(string)
		}

		// Ann delegates both scopes to the planner, then signs the planner
		// in again for invoices:read alone: the same grant covers it.
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		delegate := func(scopes ...string) *oauth2.Token {
			t.Helper()
			conf := oauth2.Config{ClientID: planner, RedirectURL: callback, Scopes: scopes,
				Endpoint: oauth2.Endpoint{AuthURL: iss + "/oauth2/authorize", TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
			verifier := oauth2.GenerateVerifier()
			q := b.authorize(conf.AuthCodeURL("state-narrow", oauth2.S256ChallengeOption(verifier)))
			tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier),
				oauth2.SetAuthURLParam("client_assertion_type", jwtBearer),
				oauth2.SetAuthURLParam("client_assertion", key.assertion(t, planner, tokenURL, randomJTI(), time.Now().Add(time.Minute))))
			if err != nil {
				t.Fatalf("delegation of %v: %v", scopes, err)
			}
			if tok.RefreshToken == "" {
				t.Fatalf("delegation of %v: no refresh token", scopes)
			}
			return tok
		}
		wide := delegate(both...)
		narrow := delegate("invoices:read")
		g, err := w.db.Client.DelegationGrant.Query().Where(delegationgrant.AgentID(made.Agent.ID)).Only(w.sys("acme"))
		if err != nil {
			t.Fatalf("one grant for both sign-ins: %v", err)
		}
		gid := strconv.Itoa(g.ID)
		for what, tok := range map[string]string{"the wide token": wide.AccessToken, "the narrow token": narrow.AccessToken} {
			if out := introspect(tok); out["active"] != true || out["grant_id"] != gid {
				t.Fatalf("%s before narrowing: %v", what, out)
			}
		}
		// Support takes each further down, one scope each.
		derivedWide := exchange(wide.AccessToken, "refunds:preview")
		derivedNarrow := exchange(narrow.AccessToken, "invoices:read")
		for _, tok := range []string{derivedWide, derivedNarrow} {
			if out := introspectAs(subKey, support, tok); out["active"] != true || out["grant_id"] != gid {
				t.Fatalf("support's token before narrowing: %v", out)
			}
		}

		ann, err := w.db.Client.User.Query().Where(user.Email("ann@acme.test")).Only(w.sys("acme"))
		if err != nil {
			t.Fatal(err)
		}
		asAnn := viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tenants["acme"], Kind: viewer.Human, ID: ann.ID,
			Label: ann.Email, Role: viewer.RoleMember})
		grants := delegation.NewService(w.db.Client, audit.NewRecorder())
		out, err := grants.Narrow(asAnn, g.ID, []string{"invoices:read"}, nil)
		if err != nil || len(out.Scopes) != 1 || out.Scopes[0] != "invoices:read" {
			t.Fatalf("Narrow = %v, %v", out, err)
		}

		// At once: what carries refunds:preview is inactive.
		for what, tok := range map[string]string{"the wide access token": wide.AccessToken, "the wide refresh token": wide.RefreshToken} {
			if out := introspect(tok); out["active"] != false {
				t.Errorf("%s after narrowing to invoices:read: %v; want inactive", what, out)
			}
		}
		if out := introspectAs(subKey, support, derivedWide); out["active"] != false {
			t.Errorf("support's refunds token after narrowing to invoices:read: %v; want inactive", out)
		}
		if st, out := refresh(wide.RefreshToken); st != http.StatusBadRequest || out["error"] != "invalid_grant" || out["access_token"] != nil {
			t.Errorf("refreshing the wide refresh token after narrowing: %d %v; want invalid_grant", st, out)
		}
		// What stays within invoices:read works on.
		if out := introspect(narrow.AccessToken); out["active"] != true || out["scope"] != "invoices:read" || out["grant_id"] != gid {
			t.Errorf("the narrow access token after narrowing: %v; want it active", out)
		}
		if out := introspectAs(subKey, support, derivedNarrow); out["active"] != true || out["scope"] != "invoices:read" || out["grant_id"] != gid {
			t.Errorf("support's invoices token after narrowing: %v; want it active", out)
		}
		st, refreshed := refresh(narrow.RefreshToken)
		if st != http.StatusOK || refreshed["scope"] != "invoices:read" {
			t.Fatalf("refreshing the narrow refresh token: %d %v", st, refreshed)
		}
		if out := introspect(refreshed["access_token"].(string)); out["active"] != true {
			t.Errorf("the refreshed narrow token: %v", out)
		}

		ev, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action("grant.narrowed"), auditevent.TargetID(gid)).Only(w.sys("acme"))
		if err != nil {
			t.Fatalf("one grant.narrowed event: %v", err)
		}
		// The wide code flow's access and refresh tokens and support's
		// exchanged token.
		if ev.ActorType != string(viewer.Human) || ev.ActorID != strconv.Itoa(ann.ID) || ev.GrantID != gid || ev.ClientID != planner ||
			len(ev.Scope) != 1 || ev.Scope[0] != "invoices:read" || ev.Details["old_scopes"] != "invoices:read refunds:preview" ||
			ev.Details["ended_tokens"] != "3" {
			t.Errorf("grant.narrowed event %+v", ev)
		}

		// An earlier expiry ends nothing now: the issuer checks the grant's
		// expiry on every use.
		sooner := time.Now().Add(2 * time.Minute)
		if _, err := grants.Narrow(asAnn, g.ID, nil, &sooner); err != nil {
			t.Fatal(err)
		}
		if out := introspect(refreshed["access_token"].(string)); out["active"] != true {
			t.Errorf("the narrow token after an earlier expiry: %v", out)
		}
		if n := countAudit(t, w, "acme", "grant.narrowed"); n != 2 {
			t.Errorf("%d grant.narrowed events; want 2", n)
		}
		// But what is minted from the grant now ends by its new expiry:
		// a refresh and an exchange after it.
		st, again := refresh(refreshed["refresh_token"].(string))
		if st != http.StatusOK {
			t.Fatalf("refresh after the earlier expiry: %d %v", st, again)
		}
		for what, tok := range map[string]string{"a refreshed token": again["access_token"].(string),
			"an exchanged token": exchange(again["access_token"].(string), "invoices:read")} {
			k, id := key, planner
			if what == "an exchanged token" {
				k, id = subKey, support
			}
			out := introspectAs(k, id, tok)
			if exp, _ := out["exp"].(float64); out["active"] != true || int64(exp) > sooner.Unix() {
				t.Errorf("%s after the grant was shortened to %v: %v; want it active and ending by then", what, sooner.Unix(), out)
			}
		}

		// Even a token the narrowing did not end (one issued while it
		// committed) stops once its scopes are not all in the grant: the
		// grant's scopes are read on every use.
		if err := w.db.Client.DelegationGrant.UpdateOneID(g.ID).SetScopes([]string{"openid"}).Exec(w.sys("acme")); err != nil {
			t.Fatal(err)
		}
		if out := introspect(again["access_token"].(string)); out["active"] != false {
			t.Errorf("a token with scopes the grant no longer holds: %v; want inactive", out)
		}
		if st, out := refresh(again["refresh_token"].(string)); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("refreshing a token with scopes the grant no longer holds: %d %v; want invalid_grant", st, out)
		}
	})
}
