package passkey_test

import (
	"testing"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// Threat: a cloned authenticator. Its sign counter cannot keep pace with
// the original's: a counter that does not advance (when either side is
// non-zero) marks the passkey clone_warning, and it is refused from then
// on. The virtual authenticator's counter is whatever the test sets.

func TestSignCounterGoingBackwardsIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		key := w.newDevice(false)
		expect(t, b.register(key, "Key"), 201, "")

		key.cred.Counter = 5
		expect(t, w.browser("acme").login(key), 200, "")
		if k := w.passkeys("acme", ann.ID)[0]; k.SignCount != 5 || k.CloneWarning {
			t.Fatalf("after counter 5: %+v", k)
		}
		key.cred.Counter = 6
		expect(t, w.browser("acme").login(key), 200, "")

		clone := *key
		clone.cred.Counter = 3
		nb := w.browser("acme")
		expect(t, nb.login(&clone), 401, "invalid_credentials")
		expect(t, nb.do("GET", "session", nil), 401, "no_session")
		k := w.passkeys("acme", ann.ID)[0]
		if !k.CloneWarning || k.SignCount != 6 {
			t.Fatalf("after a counter going back: %+v", k)
		}
		if w.events("acme", "mfa.passkey_clone_warning") != 1 {
			t.Fatal("the clone warning was not audited")
		}
		// From now on the passkey is refused, even with a higher counter,
		// and as a second factor or for step-up too.
		key.cred.Counter = 100
		expect(t, w.browser("acme").login(key), 401, "invalid_credentials")
		expect(t, b.signIn("ann@acme.test", pw), 200, "") // the password still works (mfa pending)
		sf := b.do("POST", "passkeys/second-factor/begin", nil)
		expect(t, sf, 200, "")
		expect(t, b.do("POST", "passkeys/second-factor/finish", key.get(t, sf.raw)), 401, "invalid_credentials")
	})
}

// A counter that stays the same (non-zero) is the same signal.
func TestRepeatedNonZeroCounterIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		key := w.newDevice(false)
		expect(t, b.register(key, "Key"), 201, "")
		// A counter of zero throughout is an authenticator without one:
		// accepted every time.
		for range 2 {
			expect(t, w.browser("acme").login(key), 200, "")
		}
		key.cred.Counter = 7
		expect(t, w.browser("acme").login(key), 200, "")
		expect(t, w.browser("acme").login(key), 401, "invalid_credentials")
		if !w.passkeys("acme", ann.ID)[0].CloneWarning {
			t.Fatal("no clone warning")
		}
	})
}
