package issuer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/testdb"
)

// FuzzTokenEndpoint posts arbitrary form bodies and credentials to the
// token endpoint. Whatever arrives, the answer is never a 5xx, and an
// error is RFC 6749 JSON with an error code.
//
// Placeholders in the inputs are replaced before the request, so the
// fuzzer can reach past client authentication: CLIENT_ID and
// CLIENT_SECRET (a confidential client with every grant), KEYED_ID and
// ASSERTION (a private_key_jwt client and a fresh assertion of its own),
// REFRESH_TOKEN (one from a code flow, spent after its first use).
func FuzzTokenEndpoint(f *testing.F) {
	w := newWorld(f, testdb.Open(f, dialect.SQLite))
	all := []string{clients.GrantAuthorizationCode, clients.GrantRefreshToken, clients.GrantClientCredentials, clients.GrantDeviceCode}
	id, secret := w.register(f, "acme", clients.NewClient{Name: "Fuzzed", RedirectURIs: []string{callback}, GrantTypes: all,
		Scopes: []string{"openid", "email", "offline_access", "reports:read"}, Audience: []string{apiResource}})
	key := newClientKey(f)
	keyed, _ := w.register(f, "acme", clients.NewClient{Name: "Fuzzed keyed", GrantTypes: []string{clients.GrantClientCredentials},
		JWKS: key.publicJWKS(f)})
	tokenURL := w.issuerURL("acme") + "/oauth2/token"
	refresh := fuzzRefreshToken(f, w, id, secret)
	handler := w.srv.Config.Handler

	for _, s := range []struct{ body, user, pass, authz string }{
		{"grant_type=client_credentials&scope=reports%3Aread", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=client_credentials&resource=https%3A%2F%2Fapi.example", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=client_credentials&resource=https%3A%2F%2Fapi.example%23x", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=client_credentials&client_id=CLIENT_ID&client_secret=CLIENT_SECRET", "", "", ""},
		{"grant_type=client_credentials&client_id=KEYED_ID&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=ASSERTION", "", "", ""},
		{"grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJhbGciOiJub25lIn0.eyJzdWIiOiJLRVlFRF9JRCJ9.", "", "", ""},
		{"grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c", "", "", ""},
		{"grant_type=client_credentials&client_assertion_type=other", "", "", ""},
		{"grant_type=refresh_token&refresh_token=REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=refresh_token&refresh_token=mnd_rt_x.y&scope=openid", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=authorization_code&code=mnd_ac_abc.def&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_verifier=" + strings.Repeat("v", 43), "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=abc&client_id=CLIENT_ID", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=password&username=ann&password=x", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=client_credentials", "", "", "Basic !!!"},
		{"grant_type=client_credentials", "", "", "Basic Q0xJRU5UX0lEOg=="},
		{"grant_type=client_credentials", "%zz", "%", ""},
		{"grant_type=client_credentials client_credentials&scope=%00", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"grant_type=client_credentials&grant_type=refresh_token", "CLIENT_ID", "CLIENT_SECRET", ""},
		{"%%%", "", "", ""},
		{"", "", "", "Bearer x"},
	} {
		f.Add(s.body, s.user, s.pass, s.authz)
	}

	f.Fuzz(func(t *testing.T, body, user, pass, authz string) {
		fill := func(s string) string {
			if strings.Contains(s, "ASSERTION") {
				s = strings.ReplaceAll(s, "ASSERTION", key.assertion(t, keyed, tokenURL, randomJTI(), time.Now().Add(time.Minute)))
			}
			return strings.NewReplacer("CLIENT_ID", id, "CLIENT_SECRET", secret, "KEYED_ID", keyed, "REFRESH_TOKEN", refresh).Replace(s)
		}
		req := httptest.NewRequest(http.MethodPost, "/t/acme/oauth2/token", strings.NewReader(fill(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		switch {
		case authz != "":
			req.Header.Set("Authorization", authz)
		case user != "" || pass != "":
			req.SetBasicAuth(url.QueryEscape(fill(user)), url.QueryEscape(fill(pass)))
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%d for body %q: %s", rec.Code, body, rec.Body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%d, %q, not JSON (%v): %q", rec.Code, rec.Header().Get("Content-Type"), err, rec.Body)
		}
		switch {
		case rec.Code >= 400:
			if code, _ := out["error"].(string); code == "" || code == "error" {
				t.Fatalf("%d without an error code: %s", rec.Code, rec.Body)
			}
			if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatalf("401 without WWW-Authenticate: %s", rec.Body)
			}
		case rec.Code == http.StatusOK:
			if tok, _ := out["access_token"].(string); tok == "" || rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("200 without an access token or no-store: %s", rec.Body)
			}
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}

// fuzzRefreshToken signs ann in and runs the code flow once for a refresh
// token.
func fuzzRefreshToken(tb testing.TB, w *world, id, secret string) string {
	b := w.browser(tb)
	b.signIn("acme", "ann@acme.test")
	conf := oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: w.issuerURL("acme") + "/oauth2/authorize", TokenURL: w.issuerURL("acme") + "/oauth2/token",
			AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(conf.AuthCodeURL("state-fuzz-0001", oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		tb.Fatalf("code flow: %v", err)
	}
	return tok.RefreshToken
}
