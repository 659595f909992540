package issuer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
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
