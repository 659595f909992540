package clients_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The redirect URI rules, as a table: RFC 6749 §3.1.2 and RFC 8252.
func TestRedirectURIRules(t *testing.T) {
	cases := []struct {
		uri    string
		public bool
		ok     bool
	}{
		{"https://app.example.com/callback", false, true},
		{"https://app.example.com/callback?x=1", false, true},
		{"http://127.0.0.1:8400/callback", true, true},
		{"http://[::1]:8400/callback", true, true},
		{"http://localhost/callback", false, true},
		{"com.example.app:/oauth2redirect", true, true},
		{"com.example.app:/oauth2redirect", false, false},
		{"http://app.example.com/callback", false, false},
		{"https://app.example.com/callback#frag", false, false},
		{"https://*.example.com/callback", false, false},
		{"/relative/callback", false, false},
		{"javascript:alert(1)", true, false},
		{"myapp:/callback", true, false},
		{"https:///nohost", false, false},
	}
	for _, tc := range cases {
		if err := clients.ValidateRedirectURI(tc.uri, tc.public); (err == nil) != tc.ok {
			t.Errorf("ValidateRedirectURI(%q, public=%v) = %v, want ok=%v", tc.uri, tc.public, err, tc.ok)
		}
	}
}

func FuzzRedirectURI(f *testing.F) {
	for _, s := range []string{"https://a.example/cb", "http://127.0.0.1/cb", "com.x.y:/cb", "https://a#b", "::", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if clients.ValidateRedirectURI(raw, true) == nil && strings.ContainsAny(raw, "#*\n ") {
			t.Fatalf("accepted %q", raw)
		}
	})
}

func workspace(t *testing.T, db *database.DB) (context.Context, *clients.Service) {
	t.Helper()
	rec := audit.NewRecorder()
	ts := tenants.NewService(db.Client, rec)
	ctx := context.Background()
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	return viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test"), clients.NewService(db.Client, rec)
}

func publicJWKS(t *testing.T) []byte {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	return b
}

func TestRegistration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, svc := workspace(t, db)
		// A confidential web app: a secret, shown once, stored hashed.
		web, secret, err := svc.Create(ctx, clients.NewClient{Name: "Billing", RedirectURIs: []string{"https://billing.example/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		if secret == "" || web.SecretHash == secret || !clients.SecretMatches(web.SecretHash, secret) || clients.SecretMatches(web.SecretHash, secret+"x") {
			t.Fatal("the secret is not generated, hashed and checkable")
		}
		if web.TokenEndpointAuthMethod != clients.AuthSecretBasic || strings.Join(web.GrantTypes, " ") != "authorization_code refresh_token" {
			t.Fatalf("defaults = %s %v", web.TokenEndpointAuthMethod, web.GrantTypes)
		}
		// A public SPA: no secret, no client_credentials.
		spa, secret, err := svc.Create(ctx, clients.NewClient{Name: "SPA", Public: true, RedirectURIs: []string{"http://127.0.0.1:5173/cb"}})
		if err != nil || secret != "" || spa.TokenEndpointAuthMethod != clients.AuthNone {
			t.Fatalf("public client: %v %q %s", err, secret, spa.TokenEndpointAuthMethod)
		}
		// A key-authenticated service.
		svcClient, secret, err := svc.Create(ctx, clients.NewClient{Name: "Worker", GrantTypes: []string{clients.GrantClientCredentials}, JWKS: publicJWKS(t)})
		if err != nil || secret != "" || svcClient.TokenEndpointAuthMethod != clients.AuthPrivateKeyJWT {
			t.Fatalf("key client: %v %q", err, secret)
		}
		refused := []clients.NewClient{
			{Name: "", RedirectURIs: []string{"https://a.example/cb"}},
			{Name: "No redirect"},
			{Name: "Bad grant", GrantTypes: []string{"password"}, RedirectURIs: []string{"https://a.example/cb"}},
			{Name: "Public cc", Public: true, GrantTypes: []string{clients.GrantClientCredentials}},
			{Name: "Bad uri", RedirectURIs: []string{"http://evil.example/cb"}},
			{Name: "Private JWKS", GrantTypes: []string{clients.GrantClientCredentials}, JWKS: []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)},
			{Name: "Garbage JWKS", GrantTypes: []string{clients.GrantClientCredentials}, JWKS: []byte(`nope`)},
			{Name: "Format", RedirectURIs: []string{"https://a.example/cb"}, TokenFormat: "saml"},
		}
		for _, in := range refused {
			if _, _, err := svc.Create(ctx, in); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%q: %v, want BAD_USER_INPUT", in.Name, err)
			}
		}
		// A member may not register applications.
		v := viewer.FromContext(ctx)
		member := viewer.NewContext(ctx, viewer.Viewer{TenantID: v.TenantID, Kind: viewer.APIToken, ID: 1, Role: viewer.RoleMember})
		if _, _, err := svc.Create(member, clients.NewClient{Name: "x", RedirectURIs: []string{"https://a.example/cb"}}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("member registration: %v", err)
		}
		n, _ := db.Client.AuditEvent.Query().Where(auditevent.Action("oauth_client.created")).Count(ctx)
		if n != 3 {
			t.Fatalf("%d registrations audited, want 3", n)
		}
	})
}
