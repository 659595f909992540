package passkey_test

import (
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// Threat: a captured response, or a challenge answered twice. Every
// ceremony's challenge is single-use and lives five minutes; the first
// finish spends it whatever its outcome.

func TestUsedOrExpiredChallengeIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")

		// Registration: the same response twice.
		key := w.newDevice(false)
		begin := b.do("POST", "passkeys/register/begin", map[string]string{"name": "Laptop"})
		expect(t, begin, 200, "")
		ceremony := b.cookie("mandate_acme_register")
		if ceremony == "" {
			t.Fatal("no ceremony cookie")
		}
		resp := key.create(t, begin.raw)
		expect(t, b.do("POST", "passkeys/register/finish", resp), 201, "")
		b.setCookie("mandate_acme_register", ceremony)
		expect(t, b.do("POST", "passkeys/register/finish", resp), 400, "passkey_ceremony_expired")
		if n := len(w.passkeys("acme", ann.ID)); n != 1 {
			t.Fatalf("%d passkeys", n)
		}

		// Sign-in: a replayed response, with its ceremony cookie put back.
		nb := w.browser("acme")
		lb := nb.do("POST", "passkeys/login/begin", nil)
		ceremony = nb.cookie("mandate_acme_login")
		assertion := key.get(t, lb.raw)
		expect(t, nb.do("POST", "passkeys/login/finish", assertion), 200, "")
		attacker := w.browser("acme")
		attacker.setCookie("mandate_acme_login", ceremony)
		expect(t, attacker.do("POST", "passkeys/login/finish", assertion), 400, "passkey_ceremony_expired")
		// Nor against a new challenge: it signs the old one.
		expect(t, attacker.do("POST", "passkeys/login/begin", nil), 200, "")
		expect(t, attacker.do("POST", "passkeys/login/finish", assertion), 401, "invalid_credentials")
		// Nor without any ceremony.
		expect(t, w.browser("acme").do("POST", "passkeys/login/finish", assertion), 400, "passkey_ceremony_expired")
		expect(t, attacker.do("GET", "session", nil), 401, "no_session")

		// A failed finish spends the challenge too: no second try.
		lb = attacker.do("POST", "passkeys/login/begin", nil)
		ceremony = attacker.cookie("mandate_acme_login")
		expect(t, attacker.do("POST", "passkeys/login/finish", `{"id":"x"}`), 401, "invalid_credentials")
		attacker.setCookie("mandate_acme_login", ceremony)
		expect(t, attacker.do("POST", "passkeys/login/finish", key.get(t, lb.raw)), 400, "passkey_ceremony_expired")

		// Expired: five minutes.
		lb = attacker.do("POST", "passkeys/login/begin", nil)
		w.clock.advance(6 * time.Minute)
		expect(t, attacker.do("POST", "passkeys/login/finish", key.get(t, lb.raw)), 400, "passkey_ceremony_expired")
		expect(t, attacker.do("GET", "session", nil), 401, "no_session")

		// Ceremonies an hour past their end are swept by the next begin.
		w.clock.advance(2 * time.Hour)
		expect(t, attacker.do("POST", "passkeys/login/begin", nil), 200, "")
		if n, err := w.c.AuthChallenge.Query().Count(w.sys["acme"]); err != nil || n != 1 {
			t.Fatalf("%d ceremonies left after the sweep (%v), want the new one", n, err)
		}
	})
}

// A ceremony belongs to the session (or pending sign-in) that began it.
func TestCeremonyOfAnotherSessionIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.member("acme", "ann@acme.test", pw)
		w.member("acme", "bob@acme.test", pw)
		ann, bob := w.browser("acme"), w.browser("acme")
		expect(t, ann.signIn("ann@acme.test", pw), 200, "")
		expect(t, bob.signIn("bob@acme.test", pw), 200, "")
		key := w.newDevice(false)
		begin := ann.do("POST", "passkeys/register/begin", map[string]string{"name": "Ann's"})
		// Bob finishes Ann's ceremony with his own session: refused, and
		// neither account gets the passkey.
		bob.setCookie("mandate_acme_register", ann.cookie("mandate_acme_register"))
		expect(t, bob.do("POST", "passkeys/register/finish", key.create(t, begin.raw)), 400, "passkey_ceremony_expired")
		n, err := w.c.Passkey.Query().Count(w.sys["acme"])
		if err != nil || n != 0 {
			t.Fatalf("%d passkeys (%v)", n, err)
		}
	})
}
