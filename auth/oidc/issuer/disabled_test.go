package issuer_test

import (
	"context"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// A person's tokens stop with their account: once it is disabled, their
// access tokens introspect inactive and their refresh tokens mint nothing.
func TestDisabledAccountStopsItsTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		id, secret := w.register(t, "acme", clients.NewClient{Name: "App", RedirectURIs: []string{callback}})
		conf := oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: []string{"openid", "offline_access"},
			Endpoint: oauth2.Endpoint{AuthURL: w.issuerURL("acme") + "/oauth2/authorize", TokenURL: w.issuerURL("acme") + "/oauth2/token",
				AuthStyle: oauth2.AuthStyleInHeader}}
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		q := b.authorize(conf.AuthCodeURL("state-123"))
		tok, err := conf.Exchange(ctx, q.Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		introspect := func() map[string]any {
			_, body, _ := postForm(t, w.issuerURL("acme")+"/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, id, secret)
			return body
		}
		if introspect()["active"] != true {
			t.Fatal("a fresh token is inactive")
		}
		if _, err := w.db.Client.User.Update().Where(user.Email("ann@acme.test")).SetDisabled(true).Save(w.sys("acme")); err != nil {
			t.Fatal(err)
		}
		if body := introspect(); body["active"] != false {
			t.Fatalf("a disabled account's token: %v", body)
		}
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); oauthErr(err) != "invalid_grant" {
			t.Fatalf("a disabled account's refresh token: %v", err)
		}
	})
}
