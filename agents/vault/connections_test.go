package vault_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// rotatingProvider is a provider's token endpoint on loopback that
// rotates refresh tokens: each one renews once, and a second use is
// refused (invalid_grant), as GitHub Apps and many OIDC providers do. The
// first renewal waits at the gate until the test opens it.
type rotatingProvider struct {
	srv     *httptest.Server
	mu      sync.Mutex
	current string // the refresh token that renews
	n       int    // renewals answered
	calls   int
	arrived chan struct{}
	gate    chan struct{}
}

func newRotatingProvider(t *testing.T, first string) *rotatingProvider {
	p := &rotatingProvider{current: first, arrived: make(chan struct{}), gate: make(chan struct{})}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		p.calls++
		first := p.calls == 1
		p.mu.Unlock()
		if first {
			close(p.arrived)
			<-p.gate
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("refresh_token") != p.current {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		p.n++
		p.current = "rt-" + string(rune('0'+p.n+1))
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + string(rune('0'+p.n+1)),
			"refresh_token": p.current, "token_type": "Bearer", "expires_in": 366 * 24 * 3600})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *rotatingProvider) asked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// RefreshToken renews at the provider with golang.org/x/oauth2, as
// auth/social does.
func (p *rotatingProvider) RefreshToken(ctx context.Context, _, refreshToken string) (*oauth2.Token, error) {
	conf := oauth2.Config{ClientID: "mandate", ClientSecret: "s", Endpoint: oauth2.Endpoint{TokenURL: p.srv.URL + "/token"}}
	return conf.TokenSource(context.WithoutCancel(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// Two replicas open a connection whose access token has expired at the
// same time: one renews it at the provider, once, and both get the new
// token; the refresh token the provider rotated is the one kept.
func TestConnectionRenewedOnceAcrossReplicas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(db)
		a := w.workspace(t, "acme")
		prov := newRotatingProvider(t, "rt-1")
		replicas := []*vault.Connections{vault.NewConnections(w.service(t, newMaster)), vault.NewConnections(w.service(t, newMaster))}
		for _, c := range replicas {
			c.Refresher = prov
		}
		// Expired ten seconds from the world's now: within the leeway.
		if err := replicas[0].StoreConnection(a.sys, a.member, "gh", &oauth2.Token{AccessToken: "at-1", RefreshToken: "rt-1",
			Expiry: w.now.Add(10e9)}, []string{"repo"}); err != nil {
			t.Fatal(err)
		}
		got := make([]vault.Secret, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		open := func(i int) {
			wg.Go(func() { got[i], _, errs[i] = replicas[i].OpenConnection(a.sys, a.member, "gh") })
		}
		open(0)
		<-prov.arrived // the first replica is renewing
		open(1)
		close(prov.gate)
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i].AccessToken != "at-2" {
				t.Fatalf("replica %d: %v, access token %q", i, errs[i], got[i].AccessToken)
			}
		}
		if n := prov.asked(); n != 1 {
			t.Fatalf("the provider was asked %d times", n)
		}
		// The rotated refresh token is kept: it renews next time.
		sec, _, err := replicas[1].OpenConnection(a.sys, a.member, "gh")
		if err != nil || sec.AccessToken != "at-2" || sec.RefreshToken != "rt-2" {
			t.Fatalf("after the renewal: %v %q %q", err, sec.AccessToken, sec.RefreshToken)
		}
		// A replica that died while renewing leaves a claim that lapses:
		// once it has, the next caller renews.
		_, row, _ := replicas[1].OpenConnection(a.sys, a.member, "gh")
		db.Client.Credential.UpdateOneID(row.ID).SetExpiresAt(w.now.Add(10e9)).SetRefreshClaimedUntil(w.now.Add(-1e9)).ExecX(a.sys)
		if sec, _, err := replicas[0].OpenConnection(a.sys, a.member, "gh"); err != nil || sec.AccessToken != "at-3" || prov.asked() != 2 {
			t.Fatalf("after a lapsed claim: %v %q, %d calls", err, sec.AccessToken, prov.asked())
		}
	})
}
