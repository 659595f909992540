package passkey_test

import (
	"testing"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
)

// Threat: a phishing site relays a ceremony. The authenticator signs the
// origin it saw and the relying-party id it was asked for; the server
// refuses both when they are not the workspace's.

func TestWrongOriginIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")

		phished := w.newDevice(false)
		phished.rp.Origin = "http://evil.localhost" + w.base[len("http://localhost"):]
		expect(t, b.register(phished, "Laptop"), 400, "passkey_rejected")
		if len(w.passkeys("acme", ann.ID)) != 0 {
			t.Fatal("a passkey created on another origin was stored")
		}

		key := w.newDevice(false)
		expect(t, b.register(key, "Laptop"), 201, "")
		key.rp.Origin = "https://evil.example"
		nb := w.browser("acme")
		expect(t, nb.login(key), 401, "invalid_credentials")
		expect(t, nb.do("GET", "session", nil), 401, "no_session")
		// Control: from the right origin the same passkey works.
		key.rp.Origin = w.base
		expect(t, nb.login(key), 200, "")
	})
}

func TestWrongRelyingPartyIDIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")

		other := w.newDevice(false)
		other.rp.ID = "evil.test"
		expect(t, b.register(other, "Laptop"), 400, "passkey_rejected")
		if len(w.passkeys("acme", ann.ID)) != 0 {
			t.Fatal("a passkey for another relying party was stored")
		}
		key := w.newDevice(false)
		expect(t, b.register(key, "Laptop"), 201, "")
		key.rp.ID = "evil.test"
		expect(t, w.browser("acme").login(key), 401, "invalid_credentials")
		key.rp.ID = "localhost"
		expect(t, w.browser("acme").login(key), 200, "")
	})
}

// The relying party is the workspace's settings, read per ceremony: a
// change applies at once, and only to that workspace.
func TestRelyingPartyComesFromTheWorkspaceSettings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.member("acme", "ann@acme.test", pw)
		w.member("beta", "bo@beta.test", pw)
		rpID, origins := "acme.test", []string{"https://id.acme.test"}
		if _, err := w.ts.UpdateSettings(w.sys["acme"], tenants.SettingsUpdate{PasskeyRPID: &rpID, PasskeyOrigins: &origins}); err != nil {
			t.Fatal(err)
		}
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		// The default relying party is no longer acme's.
		expect(t, b.register(w.newDevice(false), "Laptop"), 400, "passkey_rejected")
		key := w.newDevice(false)
		key.rp.ID, key.rp.Origin = "acme.test", "https://id.acme.test"
		expect(t, b.register(key, "Laptop"), 201, "")
		expect(t, w.browser("acme").login(key), 200, "")
		// Beta keeps the default: localhost and the base URL's origin.
		bb := w.browser("beta")
		expect(t, bb.signIn("bo@beta.test", pw), 200, "")
		expect(t, bb.register(w.newDevice(false), "Laptop"), 201, "")
	})
}
