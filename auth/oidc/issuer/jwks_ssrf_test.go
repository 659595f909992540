package issuer_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// An agent chooses its jwks_uri (a subagent registers its own), so the
// issuer fetches it from public addresses only: a key set on loopback (or
// any private address) is never fetched, and the agent's assertion is
// refused as an unauthenticated client.
func TestJWKSURIOnAPrivateAddressIsNeverFetched(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		key := newClientKey(t)
		// Connections are counted as they are accepted: a refused dial
		// never makes one, whatever TLS would have said.
		var hits atomic.Int32
		internal := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
			_, _ = rw.Write(key.publicJWKS(t))
		}))
		internal.Listener = countingListener{Listener: internal.Listener, n: &hits}
		internal.StartTLS()
		defer internal.Close()
		made, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "probe", SponsorEmail: "ann@acme.test",
			Ceiling: []string{"openid"}, JWKSURI: internal.URL + "/jwks.json"})
		if err != nil {
			t.Fatal(err)
		}
		id := made.Client.ClientID
		tokenURL := w.issuerURL("acme") + "/oauth2/token"
		st, out, _ := postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
			"client_assertion_type": {jwtBearer},
			"client_assertion":      {key.assertion(t, id, tokenURL, randomJTI(), time.Now().Add(time.Minute))}}, "", "")
		if st != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Fatalf("an assertion checked against a loopback jwks_uri: %d %v", st, out)
		}
		if n := hits.Load(); n != 0 {
			t.Fatalf("the issuer connected to a loopback key set %d times", n)
		}
	})
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}
