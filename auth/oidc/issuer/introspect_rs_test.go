package issuer_test

import (
	"context"
	"net/url"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// A resource server registered for a resource introspects the tokens meant
// for that resource; a client registered for another resource does not.
func TestResourceServerIntrospectsTokensForItsResource(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		const api = "https://api.example/invoices"
		app, appSecret := w.register(t, "acme", clients.NewClient{Name: "App", GrantTypes: []string{"client_credentials"},
			Audience: []string{api}, TokenFormat: "opaque"})
		rs, rsSecret := w.register(t, "acme", clients.NewClient{Name: "Invoices API", GrantTypes: []string{"client_credentials"},
			Audience: []string{api}})
		other, otherSecret := w.register(t, "acme", clients.NewClient{Name: "Other API", GrantTypes: []string{"client_credentials"},
			Audience: []string{"https://api.example/other"}})
		cc := clientcredentials.Config{ClientID: app, ClientSecret: appSecret, TokenURL: w.issuerURL("acme") + "/oauth2/token",
			EndpointParams: url.Values{"resource": {api}}}
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		introspect := w.issuerURL("acme") + "/oauth2/introspect"
		_, body, _ := postForm(t, introspect, url.Values{"token": {tok.AccessToken}}, rs, rsSecret)
		if body["active"] != true || body["client_id"] != app {
			t.Fatalf("the resource server's view: %v", body)
		}
		if aud, _ := body["aud"].([]any); len(aud) != 1 || aud[0] != api {
			t.Fatalf("aud %v", body["aud"])
		}
		_, body, _ = postForm(t, introspect, url.Values{"token": {tok.AccessToken}}, other, otherSecret)
		if len(body) != 1 || body["active"] != false {
			t.Fatalf("another resource server's view: %v", body)
		}
	})
}
