package issuer_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
)

// A person may constrain a delegation with RFC 9396 authorization_details:
// the consent page shows them, the grant keeps them, and every token of
// the grant carries them.
func TestDelegationWithAuthorizationDetails(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		catalog := []settings.Scope{{Name: "refunds:preview", Description: "Preview refunds"}}
		types := []settings.DetailType{{Type: "refund", Description: "A refund", Schema: json.RawMessage(`{"type":"object","required":["invoice"]}`)}}
		if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{Scopes: &catalog, DetailTypes: &types}); err != nil {
			t.Fatal(err)
		}
		key := newClientKey(t)
		made, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "billing", SponsorEmail: "ann@acme.test",
			Ceiling: []string{"refunds:preview"}, JWKS: key.publicJWKS(t), RedirectURIs: []string{callback}})
		if err != nil {
			t.Fatal(err)
		}
		id := made.Client.ClientID
		iss := w.issuerURL("acme")
		conf := oauth2.Config{ClientID: id, RedirectURL: callback, Scopes: []string{"refunds:preview"},
			Endpoint: oauth2.Endpoint{AuthURL: iss + "/oauth2/authorize", TokenURL: iss + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		details := `[{"type":"refund","invoice":"INV-1001","amount":"42.00","currency":"EUR"}]`
		verifier := oauth2.GenerateVerifier()
		authURL := conf.AuthCodeURL("state-details", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("authorization_details", details))
		page := b.get(authURL)
		if !strings.Contains(page.body, "refund, amount &#34;42.00&#34;") || !strings.Contains(page.body, "INV-1001") {
			t.Fatalf("the consent page does not show the constraints:\n%s", page.body)
		}
		p := b.submit(page, "/t/acme/oauth2/authorize", url.Values{"consent": {"approve"}})
		loc, _ := url.Parse(p.location)
		tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier),
			oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", key.assertion(t, id, conf.Endpoint.TokenURL, randomJTI(), time.Now().Add(time.Minute))))
		if err != nil {
			t.Fatal(err)
		}
		g, err := w.db.Client.DelegationGrant.Query().Where(delegationgrant.AgentID(made.Agent.ID)).Only(w.sys("acme"))
		if err != nil || !strings.Contains(g.AuthorizationDetails, "INV-1001") {
			t.Fatalf("the grant: %+v, %v", g, err)
		}
		_, body, _ := postForm(t, iss+"/oauth2/introspect", url.Values{"token": {tok.AccessToken}, "client_id": {id},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {key.assertion(t, id, conf.Endpoint.TokenURL, randomJTI(), time.Now().Add(time.Minute))}}, "", "")
		ad, _ := body["authorization_details"].([]any)
		if body["active"] != true || len(ad) != 1 || ad[0].(map[string]any)["invoice"] != "INV-1001" {
			t.Fatalf("introspection: %v", body)
		}
		_, claims := verifyJWT(t, fetchJWKS(t, w, "acme"), tok.AccessToken)
		if cad, _ := claims["authorization_details"].([]any); len(cad) != 1 {
			t.Fatalf("JWT claims: %v", claims)
		}
		// Malformed constraints are refused at the authorize endpoint.
		q := b.authorize(conf.AuthCodeURL("state-details", oauth2.S256ChallengeOption(verifier),
			oauth2.SetAuthURLParam("authorization_details", `[{"invoice":"no type"}]`)))
		if q.Get("error") != "invalid_authorization_details" {
			t.Fatalf("malformed authorization_details: %v", q)
		}
		// So are types the workspace does not declare, and objects their
		// type's schema refuses.
		for _, bad := range []string{`[{"type":"transfer","to":"x"}]`, `[{"type":"refund","amount":"1.00"}]`} {
			q := b.authorize(conf.AuthCodeURL("state-details", oauth2.S256ChallengeOption(verifier),
				oauth2.SetAuthURLParam("authorization_details", bad)))
			if q.Get("error") != "invalid_authorization_details" {
				t.Fatalf("authorization_details %s: %v", bad, q)
			}
		}
	})
}
