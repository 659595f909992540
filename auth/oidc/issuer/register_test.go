package issuer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

func sendJSON(t *testing.T, method, u, bearer string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
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

func setRegistration(t *testing.T, w *world, slug, mode string) {
	t.Helper()
	if _, err := w.ts.UpdateSettings(w.sys(slug), tenants.SettingsUpdate{ClientRegistration: &mode}); err != nil {
		t.Fatal(err)
	}
}

// Dynamic client registration follows the workspace's policy, and a
// registered client manages itself with its registration access token.
func TestDynamicClientRegistration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		reg := w.issuerURL("acme") + "/oauth2/register"
		meta := map[string]any{"client_name": "CLI tool", "grant_types": []string{"client_credentials"},
			"token_endpoint_auth_method": "client_secret_post", "scope": "openid"}

		if st, out := sendJSON(t, "POST", reg, "", meta); st != http.StatusForbidden || out["error"] != "access_denied" {
			t.Fatalf("policy off: %d %v", st, out)
		}

		setRegistration(t, w, "acme", "token")
		if st, _ := sendJSON(t, "POST", reg, "", meta); st != http.StatusUnauthorized {
			t.Fatalf("token policy without a token: %d", st)
		}
		_, member, err := w.ts.CreateAPIToken(w.sys("acme"), tenants.NewAPIToken{Name: "m", Role: viewer.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := sendJSON(t, "POST", reg, member, meta); st != http.StatusUnauthorized {
			t.Fatalf("a member's token as initial access token: %d", st)
		}
		_, admin, err := w.ts.CreateAPIToken(w.sys("acme"), tenants.NewAPIToken{Name: "a", Role: viewer.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		_, otherAdmin, err := w.ts.CreateAPIToken(w.sys("other"), tenants.NewAPIToken{Name: "a", Role: viewer.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := sendJSON(t, "POST", reg, otherAdmin, meta); st != http.StatusUnauthorized {
			t.Fatalf("another workspace's admin token: %d", st)
		}
		st, out := sendJSON(t, "POST", reg, admin, meta)
		if st != http.StatusCreated || out["client_id"] == nil || out["client_secret"] == nil || out["registration_access_token"] == nil {
			t.Fatalf("register: %d %v", st, out)
		}
		id, secret, regTok := out["client_id"].(string), out["client_secret"].(string), out["registration_access_token"].(string)
		if out["registration_client_uri"] != reg+"/"+id {
			t.Fatalf("registration_client_uri %v", out["registration_client_uri"])
		}

		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: w.issuerURL("acme") + "/oauth2/token", Scopes: []string{"openid"}}
		if _, err := cc.Token(context.Background()); err != nil {
			t.Fatalf("the registered client cannot get a token: %v", err)
		}

		for name, m := range map[string]map[string]any{
			"redirect URI":  {"redirect_uris": []string{"http://evil.example/cb"}},
			"unknown scope": {"scope": "admin", "grant_types": []string{"client_credentials"}},
			"response type": {"response_types": []string{"token"}, "redirect_uris": []string{"https://a.example/cb"}},
			"auth method":   {"token_endpoint_auth_method": "client_secret_jwt", "grant_types": []string{"client_credentials"}},
			"keys, no jwks": {"token_endpoint_auth_method": "private_key_jwt", "grant_types": []string{"client_credentials"}},
		} {
			st, out := sendJSON(t, "POST", reg, admin, m)
			want := "invalid_client_metadata"
			if name == "redirect URI" {
				want = "invalid_redirect_uri"
			}
			if st != http.StatusBadRequest || out["error"] != want {
				t.Errorf("%s: %d %v", name, st, out)
			}
		}

		// RFC 7592: read, update, delete with the registration access token.
		if st, _ := sendJSON(t, "GET", reg+"/"+id, "wrong", nil); st != http.StatusUnauthorized {
			t.Fatalf("read with a wrong token: %d", st)
		}
		if st, out := sendJSON(t, "GET", reg+"/"+id, regTok, nil); st != 200 || out["client_name"] != "CLI tool" || out["client_secret"] != nil {
			t.Fatalf("read: %d %v", st, out)
		}
		upd := map[string]any{"client_id": id, "client_name": "CLI tool v2", "grant_types": []string{"client_credentials"},
			"token_endpoint_auth_method": "client_secret_post", "scope": "openid"}
		if st, out := sendJSON(t, "PUT", reg+"/"+id, regTok, upd); st != 200 || out["client_name"] != "CLI tool v2" {
			t.Fatalf("update: %d %v", st, out)
		}
		upd["token_endpoint_auth_method"] = "none"
		if st, _ := sendJSON(t, "PUT", reg+"/"+id, regTok, upd); st != http.StatusBadRequest {
			t.Fatalf("changing the auth method: %d", st)
		}
		if st, _ := sendJSON(t, "DELETE", reg+"/"+id, regTok, nil); st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		if _, err := cc.Token(context.Background()); oauthErr(err) != "invalid_client" {
			t.Fatalf("a deleted client still gets tokens: %v", err)
		}
		if st, _ := sendJSON(t, "GET", reg+"/"+id, regTok, nil); st != http.StatusUnauthorized {
			t.Fatalf("read after delete: %d", st)
		}

		setRegistration(t, w, "acme", "open")
		if st, out := sendJSON(t, "POST", reg, "", map[string]any{"redirect_uris": []string{"https://app.example/cb"},
			"token_endpoint_auth_method": "none"}); st != http.StatusCreated || out["client_secret"] != nil {
			t.Fatalf("open registration of a public client: %d %v", st, out)
		}
		if n := countAudit(t, w, "acme", "oauth_client.created"); n != 2 {
			t.Fatalf("oauth_client.created events: %d", n)
		}
	})
}

// An agent registers a subagent through RFC 7591 with its own access
// token, whatever the workspace's registration policy, and only within
// its own ceiling.
func TestAgentRegistersSubagentByDynamicRegistration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"}, {Name: "refunds:preview", Description: "Preview"}}
		if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
			t.Fatal(err)
		}
		key := newClientKey(t)
		parent, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "planner", SponsorEmail: "ann@acme.test",
			Ceiling: []string{"invoices:read", "refunds:preview"}, Tools: []string{"billing"}, JWKS: key.publicJWKS(t)})
		if err != nil {
			t.Fatal(err)
		}
		tokenURL := w.issuerURL("acme") + "/oauth2/token"
		status, body, _ := postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {parent.Client.ClientID},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {key.assertion(t, parent.Client.ClientID, tokenURL, randomJTI(), time.Now().Add(time.Minute))}}, "", "")
		if status != 200 {
			t.Fatalf("the planner's own token: %d %v", status, body)
		}
		own := body["access_token"].(string)
		reg := w.issuerURL("acme") + "/oauth2/register"
		child := newClientKey(t)
		var jwks map[string]any
		_ = json.Unmarshal(child.publicJWKS(t), &jwks)
		st, out := sendJSON(t, "POST", reg, own, map[string]any{"client_name": "support", "scope": "invoices:read",
			"jwks": jwks, "tools": []string{"billing"}, "parent_run": "run-7"})
		if st != http.StatusCreated || out["token_endpoint_auth_method"] != "private_key_jwt" || out["client_secret"] != nil {
			t.Fatalf("register a subagent: %d %v", st, out)
		}
		sub, err := w.agents.ByClient(w.sys("acme"), out["client_id"].(string))
		if err != nil || sub == nil || sub.ParentID != parent.Agent.ID || sub.Depth != 1 || sub.SponsorID != parent.Agent.SponsorID || sub.ParentRun != "run-7" {
			t.Fatalf("the subagent: %+v, %v", sub, err)
		}
		if st, out := sendJSON(t, "POST", reg, own, map[string]any{"client_name": "wide", "scope": "invoices:read refunds:execute",
			"jwks": jwks}); st != http.StatusBadRequest || out["error"] != "invalid_client_metadata" {
			t.Fatalf("a wider ceiling: %d %v", st, out)
		}
		// A subagent may be a CIBA ping client; its metadata says so.
		st, out = sendJSON(t, "POST", reg, own, map[string]any{"client_name": "pinged", "scope": "invoices:read", "jwks": jwks,
			"backchannel_token_delivery_mode": "ping", "backchannel_client_notification_endpoint": "https://agents.example/cb"})
		if st != http.StatusCreated || out["backchannel_token_delivery_mode"] != "ping" ||
			out["backchannel_client_notification_endpoint"] != "https://agents.example/cb" ||
			!strings.Contains(fmt.Sprint(out["grant_types"]), "urn:openid:params:grant-type:ciba") {
			t.Fatalf("a ping subagent: %d %v", st, out)
		}
		for _, bad := range []map[string]any{
			{"backchannel_token_delivery_mode": "ping"},
			{"backchannel_token_delivery_mode": "push", "backchannel_client_notification_endpoint": "https://agents.example/cb"},
			{"backchannel_client_notification_endpoint": "https://agents.example/cb"},
			{"backchannel_token_delivery_mode": "ping", "backchannel_client_notification_endpoint": "http://agents.example/cb"},
		} {
			bad["client_name"], bad["jwks"], bad["scope"] = "bad", jwks, "invoices:read"
			if st, out := sendJSON(t, "POST", reg, own, bad); st != http.StatusBadRequest || out["error"] != "invalid_client_metadata" {
				t.Fatalf("CIBA metadata %v: %d %v", bad, st, out)
			}
		}
		if st, _ := sendJSON(t, "POST", reg, "mnd_at_not-a-token", map[string]any{"client_name": "x", "jwks": jwks}); st != http.StatusUnauthorized {
			t.Fatalf("a bad token: %d", st)
		}
		if st, _ := sendJSON(t, "POST", w.issuerURL("other")+"/oauth2/register", own, map[string]any{"client_name": "x", "jwks": jwks}); st != http.StatusUnauthorized {
			t.Fatalf("the planner's token at another workspace: %d", st)
		}
	})
}
