package passkey_test

import (
	"strconv"
	"testing"

	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Threat: locking oneself (or, with a stolen session, the owner) out.
// Removing a passkey needs a recent sign-in and may not leave the account
// without a way in: a password, another passkey or a linked account.

func TestRemovingTheLastWayToSignInIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		if _, err := w.flows.Invite(w.sys["acme"], "cat@acme.test", viewer.RoleMember); err != nil {
			t.Fatal(err)
		}
		token := w.invitation()
		b := w.browser("acme")
		begin := b.do("POST", "passkeys/invitation/begin", map[string]string{"token": token})
		first := w.newDevice(false)
		joined := b.do("POST", "passkeys/invitation/finish", first.create(t, begin.raw))
		expect(t, joined, 200, "")
		uid, _ := strconv.Atoi(joined.body["user"].(map[string]any)["id"].(string))

		// A second passkey: either may go, not both.
		second := w.newDevice(true)
		expect(t, b.register(second, "Phone"), 201, "")
		ks := w.passkeys("acme", uid)
		expect(t, b.do("POST", "passkeys/remove", map[string]string{"id": strconv.Itoa(ks[0].ID)}), 204, "")
		expect(t, b.do("POST", "passkeys/remove", map[string]string{"id": strconv.Itoa(ks[1].ID)}), 409, "last_signin_method")
		if len(w.passkeys("acme", uid)) != 1 {
			t.Fatal("the last passkey was removed")
		}
		// Someone else's passkey id is not found, not forbidden.
		w.member("acme", "dan@acme.test", pw)
		d := w.browser("acme")
		expect(t, d.signIn("dan@acme.test", pw), 200, "")
		expect(t, d.do("POST", "passkeys/remove", map[string]string{"id": strconv.Itoa(ks[1].ID)}), 404, "not_found")
		expect(t, d.do("POST", "passkeys/rename", map[string]string{"id": strconv.Itoa(ks[1].ID), "name": "mine"}), 404, "not_found")

		// A linked account is a way in: then the passkey may go.
		idp, err := w.c.IdentityProvider.Create().SetSlug("gh").SetKind(identityprovider.KindGithub).SetDisplayName("GitHub").
			SetClientID("client").Save(w.sys["acme"])
		if err != nil {
			t.Fatal(err)
		}
		if err := w.c.FederatedIdentity.Create().SetUserID(uid).SetProviderID(idp.ID).SetSubject("12345").Exec(w.sys["acme"]); err != nil {
			t.Fatal(err)
		}
		expect(t, b.do("POST", "passkeys/remove", map[string]string{"id": strconv.Itoa(ks[1].ID)}), 204, "")
		if len(w.passkeys("acme", uid)) != 0 || w.events("acme", "mfa.factor_removed") != 2 {
			t.Fatal("not removed, or not audited")
		}
	})
}
