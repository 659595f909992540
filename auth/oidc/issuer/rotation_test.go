package issuer_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// A master rotation keeps opaque tokens: an access token and a refresh
// token issued under the old master introspect and refresh on a server
// that knows [new, old]; one that knows only the new master (the previous
// secret dropped) no longer accepts them.
func TestOpaqueTokensOutliveAMasterRotation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		id, secret := w.register(t, "acme", clients.NewClient{Name: "App", RedirectURIs: []string{callback}, TokenFormat: "opaque"})
		conf := oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: []string{"openid", "offline_access"},
			Endpoint: oauth2.Endpoint{AuthURL: w.issuerURL("acme") + "/oauth2/authorize", TokenURL: w.issuerURL("acme") + "/oauth2/token",
				AuthStyle: oauth2.AuthStyleInHeader}}
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		q := b.authorize(conf.AuthCodeURL("state-123"))
		tok, err := conf.Exchange(ctx, q.Get("code")) // under the old master, "m"×32
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(tok.AccessToken, ".") != 1 {
			t.Fatalf("not an opaque token: %q", tok.AccessToken)
		}
		oldM, newM := []byte(strings.Repeat("m", 32)), []byte(strings.Repeat("n", 32))
		replica := func(masters ...[]byte) string {
			srv := httptest.NewServer(nil)
			t.Cleanup(srv.Close)
			iss := issuer.New(issuer.Config{Client: db.Client, Tenants: w.ts, Keys: w.keys, Flows: w.flows, BaseURL: srv.URL,
				MasterSecret: masters[0], PreviousSecrets: masters[1:], Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			mux := http.NewServeMux()
			iss.Mount(mux)
			srv.Config.Handler = mux
			return srv.URL + "/t/acme"
		}
		introspect := func(base, token string) bool {
			t.Helper()
			_, body, _ := postForm(t, base+"/oauth2/introspect", url.Values{"token": {token}}, id, secret)
			return body["active"] == true
		}
		ring := replica(newM, oldM)
		if !introspect(ring, tok.AccessToken) {
			t.Fatal("an access token issued before the rotation is inactive with [new, old]")
		}
		alone := replica(newM)
		if introspect(alone, tok.AccessToken) {
			t.Fatal("an access token keyed by the dropped master is active with the new master alone")
		}
		// The refresh token, too, keeps working through the ring, and what it
		// mints is keyed by the new master.
		rc := conf
		rc.Endpoint.TokenURL = ring + "/oauth2/token"
		fresh, err := rc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh through [new, old]: %v", err)
		}
		if !introspect(alone, fresh.AccessToken) {
			t.Fatal("a token minted after the rotation is inactive with the new master alone")
		}
	})
}
