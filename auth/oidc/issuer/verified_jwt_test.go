package issuer_test

import (
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// A JWT access token's verified signature is remembered for the exact
// token: the same signature under another payload is checked afresh and
// refused, before and after the real token has been remembered.
func TestRememberedJWTVerificationIsForTheExactToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		id, secret := w.register(t, "acme", clients.NewClient{Name: "Batch", GrantTypes: []string{clients.GrantClientCredentials},
			TokenFormat: "jwt"})
		tok := clientToken(t, w, "acme", id, secret, nil).AccessToken
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("not a JWT: %q", tok)
		}
		// Another payload (a different subject, encoded the same way)
		// under the real signature: found by its signature, but forged.
		forged := parts[0] + "." + strings.Replace(parts[1], parts[1][10:14], "AAAA", 1) + "." + parts[2]
		if forged == tok {
			t.Fatal("the forged token equals the real one")
		}
		if got := introspect(t, w, "acme", forged, "", id, secret); !inactiveOnly(got) {
			t.Fatalf("forged, before the real token was verified: %v", got)
		}
		for range 2 { // verified, then remembered
			if got := introspect(t, w, "acme", tok, "", id, secret); got["active"] != true {
				t.Fatalf("real token: %v", got)
			}
		}
		if got := introspect(t, w, "acme", forged, "", id, secret); !inactiveOnly(got) {
			t.Fatalf("forged, after the real token was remembered: %v", got)
		}
	})
}
