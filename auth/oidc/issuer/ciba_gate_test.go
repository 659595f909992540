package issuer_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// What needs approval comes only from an approved CIBA request: not from
// the browser, not from the device flow, not from refreshing a token.
func TestCIBAApprovalScopesComeOnlyFromCIBA(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)

		// The authorize endpoint sends the browser back with invalid_scope,
		// for the scope and for the detail type.
		b := c.browser(t)
		b.signIn("acme", c.annEmail)
		conf := oauth2.Config{ClientID: c.billing, RedirectURL: callback, Endpoint: oauth2.Endpoint{AuthURL: c.iss + "/oauth2/authorize"}}
		for name, extra := range map[string][]oauth2.AuthCodeOption{
			"the scope": {oauth2.SetAuthURLParam("scope", "openid refunds:execute")},
			"the type":  {oauth2.SetAuthURLParam("scope", "openid invoices:read"), oauth2.SetAuthURLParam("authorization_details", refund)},
		} {
			opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier())}, extra...)
			q := b.authorize(conf.AuthCodeURL("state-gate-1", opts...))
			if q.Get("error") != "invalid_scope" || q.Get("code") != "" || q.Get("state") != "state-gate-1" {
				t.Fatalf("authorize with %s: %v", name, q)
			}
		}

		// The device flow refuses it at once.
		st, out := c.post("/oauth2/device_authorization", url.Values{"scope": {"openid refunds:execute"}})
		if st != http.StatusBadRequest || out["error"] != "invalid_scope" {
			t.Fatalf("device authorization for refunds:execute: %d %v", st, out)
		}
		if st, out := c.post("/oauth2/device_authorization", url.Values{"scope": {"openid invoices:read"}}); st != http.StatusOK {
			t.Fatalf("device authorization for invoices:read: %d %v", st, out)
		}

		// A delegated token's refresh never gains it.
		tok := c.delegateAgain()
		// (fosite ignores a refresh request's scope: it gets the token's
		// own scopes again, or an error; never more.)
		st, out = c.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
			"scope": {"openid invoices:read refunds:execute"}})
		fresh, _ := out["access_token"].(string)
		if st == http.StatusOK {
			if sc, _ := out["scope"].(string); strings.Contains(sc, "refunds:execute") {
				t.Fatalf("a refreshed token gained refunds:execute: %v", out)
			}
			if in := c.introspect(fresh); in["active"] != true || strings.Contains(in["scope"].(string), "refunds:execute") {
				t.Fatalf("the refreshed token: %v", in)
			}
		} else if st != http.StatusBadRequest || fresh != "" {
			t.Fatalf("refresh asking for refunds:execute: %d %v", st, out)
		}
		// Nor does an exchange naming the refund as authorization_details
		// (the exchange does not take the parameter: its token carries
		// no details).
		st, out = c.post("/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token": {c.obo}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "authorization_details": {refund}})
		if exchanged, _ := out["access_token"].(string); st == http.StatusOK {
			if in := c.introspect(exchanged); in["active"] != true || in["authorization_details"] != nil || in["approval_id"] != nil ||
				strings.Contains(in["scope"].(string), "refunds:execute") {
				t.Fatalf("the exchanged token: %v", in)
			}
		} else if st != http.StatusBadRequest {
			t.Fatalf("exchange with the refund's details: %d %v", st, out)
		}
	})
}

// An agent with no token for the person (no grant) may still ask them to
// approve one action: the token names the person and the agent's own act
// chain (a subagent's parent too), with no grant, and stops with any agent
// of the chain.
func TestCIBAActionWithoutAGrantActsAsTheAgentsChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		key := newClientKey(t)
		asBilling := viewer.NewContext(context.Background(), viewer.Viewer{TenantID: c.tenants["acme"], Kind: viewer.Agent, ID: c.agentID, Label: "billing"})
		made, err := c.agents.RegisterSubagent(asBilling, registry.NewAgent{Name: "refunder", Ceiling: []string{"openid", "refunds:execute"},
			JWKS: key.publicJWKS(t)})
		if err != nil {
			t.Fatal(err)
		}
		refunder := &cibaAgent{c: c, slug: "acme", id: made.Client.ClientID, agentID: made.Agent.ID, key: key}

		approved := func(a *cibaAgent) string {
			t.Helper()
			id := a.ask(url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"}, "authorization_details": {refund}})
			row := c.request("")
			want := []string{a.id}
			if a == refunder {
				want = append(want, c.billing)
			}
			if row.GrantID != 0 || len(row.SubjectSession) != 0 || !slices.Equal(row.AgentChain, want) {
				t.Fatalf("%s's request: grant %d, chain %v; billing %s refunder %s subject %d want %v row %s", a.id, row.GrantID, row.AgentChain, c.billing, refunder.id, len(row.SubjectSession), want, row.PublicID)
			}
			c.approveAsAnn(row.PublicID)
			st, out := a.poll(id)
			if st != http.StatusOK {
				t.Fatalf("%s redeems: %d %v", a.id, st, out)
			}
			return out["access_token"].(string)
		}
		for _, a := range []*cibaAgent{c.billingAgent(), refunder} {
			in := a.introspect(approved(a))
			act, _ := in["act"].(map[string]any)
			parent, _ := act["act"].(map[string]any)
			if in["active"] != true || in["sub"] != strconv.Itoa(c.annID) || in["grant_id"] != nil || act["sub"] != a.id ||
				in["scope"] != "openid refunds:execute" {
				t.Fatalf("%s's approval token: %v", a.id, in)
			}
			if (a == refunder && parent["sub"] != c.billing) || (a != refunder && act["act"] != nil) {
				t.Fatalf("%s's approval token names the chain %v", a.id, act)
			}
		}

		// The parent suspended (and resumed) between the redeem and the
		// first use: the subagent's token is gone.
		tok := approved(refunder)
		for _, status := range []string{registry.Suspended, registry.Active} {
			if _, err := c.agents.SetStatus(c.sys("acme"), c.agentID, status); err != nil {
				t.Fatal(err)
			}
		}
		if in := refunder.introspect(tok); !inactiveOnly(in) {
			t.Fatalf("the subagent's approval token after its parent's suspension: %v", in)
		}
	})
}
