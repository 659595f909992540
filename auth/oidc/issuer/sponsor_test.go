package issuer_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// An agent answers to its sponsor: once the sponsor's account is disabled,
// the agent's tokens are inactive and it gets no new ones.
func TestAgentStopsWithItsSponsor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		key := newClientKey(t)
		made, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "planner", SponsorEmail: "ann@acme.test",
			Ceiling: []string{"openid"}, JWKS: key.publicJWKS(t)})
		if err != nil {
			t.Fatal(err)
		}
		id := made.Client.ClientID
		tokenURL := w.issuerURL("acme") + "/oauth2/token"
		token := func() (int, map[string]any) {
			st, body, _ := postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {key.assertion(t, id, tokenURL, randomJTI(), time.Now().Add(time.Minute))}}, "", "")
			return st, body
		}
		st, body := token()
		if st != 200 {
			t.Fatalf("the agent's own token: %d %v", st, body)
		}
		// The agent introspects its own token with a fresh assertion.
		ownIntrospect := func() map[string]any {
			_, out, _ := postForm(t, w.issuerURL("acme")+"/oauth2/introspect", url.Values{"token": {body["access_token"].(string)},
				"client_id": {id}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion": {key.assertion(t, id, w.issuerURL("acme")+"/oauth2/token", randomJTI(), time.Now().Add(time.Minute))}}, "", "")
			return out
		}
		if out := ownIntrospect(); out["active"] != true {
			t.Fatalf("before: %v", out)
		}
		if _, err := w.db.Client.User.Update().Where(user.Email("ann@acme.test")).SetDisabled(true).Save(w.sys("acme")); err != nil {
			t.Fatal(err)
		}
		if out := ownIntrospect(); out["active"] != false {
			t.Fatalf("after the sponsor is disabled: %v", out)
		}
		if st, out := token(); st != 401 || out["error"] != "invalid_client" {
			t.Fatalf("a token for an agent whose sponsor is gone: %d %v", st, out)
		}
	})
}

// An agent rotates its own keys without downtime: both keys work while
// both are published, then only the new one.
func TestAgentRotatesItsKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		oldKey, newKey := newClientKey(t), newClientKey(t)
		made, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "planner", SponsorEmail: "ann@acme.test",
			Ceiling: []string{"openid"}, JWKS: oldKey.publicJWKS(t)})
		if err != nil {
			t.Fatal(err)
		}
		id := made.Client.ClientID
		tokenURL := w.issuerURL("acme") + "/oauth2/token"
		token := func(k *clientKey) int {
			st, body, _ := postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {k.assertion(t, id, tokenURL, randomJTI(), time.Now().Add(time.Minute))}}, "", "")
			if st != 200 {
				t.Logf("token: %d %v", st, body)
			}
			return st
		}
		both := fmt.Sprintf(`{"keys":[%s,%s]}`, keyOf(t, oldKey), keyOf(t, newKey))
		self := viewer.NewContext(w.sys("acme"), viewer.Viewer{TenantID: w.tenants["acme"], Kind: viewer.Agent, ID: made.Agent.ID})
		if _, err := w.agents.SetKeys(self, made.Agent.ID, []byte(both), ""); err != nil {
			t.Fatal(err)
		}
		if token(oldKey) != 200 || token(newKey) != 200 {
			t.Fatal("during the rotation both keys must work")
		}
		if _, err := w.agents.SetKeys(self, made.Agent.ID, newKey.publicJWKS(t), ""); err != nil {
			t.Fatal(err)
		}
		if o, n := token(oldKey), token(newKey); o != 401 || n != 200 {
			t.Fatalf("after the rotation only the new key may work: old %d, new %d", o, n)
		}
		other, _ := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "stranger", SponsorEmail: "ann@acme.test",
			Ceiling: []string{"openid"}, JWKS: newClientKey(t).publicJWKS(t)})
		stranger := viewer.NewContext(w.sys("acme"), viewer.Viewer{TenantID: w.tenants["acme"], Kind: viewer.Agent, ID: other.Agent.ID})
		if _, err := w.agents.SetKeys(stranger, made.Agent.ID, oldKey.publicJWKS(t), ""); err == nil {
			t.Fatal("another agent replaced the planner's keys")
		}
		if n := countAudit(t, w, "acme", "agent.keys_changed"); n != 2 {
			t.Fatalf("agent.keys_changed events: %d", n)
		}
	})
}

// keyOf is one public JWK of a key, as JSON.
func keyOf(t *testing.T, k *clientKey) string {
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(k.publicJWKS(t), &set); err != nil {
		t.Fatal(err)
	}
	return string(set.Keys[0])
}
