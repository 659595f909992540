package passkey_test

import (
	"testing"

	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// Starting a passkey sign-in needs no session and keeps a row server-side,
// so a client address that starts too many is told to wait, and a passkey
// of a well-behaved client still works.
func TestTooManyPasskeySignInsFromOneAddressWait(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		b := w.browser("acme")
		allowed := ratelimit.CeremonyIPPolicy.MaxFailures
		for i := 0; i < allowed; i++ {
			if a := b.do("POST", "passkeys/login/begin", nil); a.status != 200 {
				t.Fatalf("start %d of %d: %d %s", i+1, allowed, a.status, a.raw)
			}
		}
		a := b.do("POST", "passkeys/login/begin", nil)
		expect(t, a, 429, "rate_limited")
	})
}
