package passkey_test

import (
	"testing"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// Threat: a passkey or a ceremony of one workspace used in another. Both
// workspaces share the relying-party id here (one base URL), so only the
// server's tenant scoping keeps them apart.

func TestPasskeyOfOneWorkspaceCannotSignInToAnother(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.member("acme", "ann@acme.test", pw)
		// The same address in beta is another person.
		w.member("beta", "ann@acme.test", pw)
		a := w.browser("acme")
		expect(t, a.signIn("ann@acme.test", pw), 200, "")
		key := w.newDevice(false)
		expect(t, a.register(key, "Key"), 201, "")

		nb := w.browser("beta")
		expect(t, nb.login(key), 401, "invalid_credentials")
		expect(t, nb.do("GET", "session", nil), 401, "no_session")
		// Control: in acme it signs in.
		expect(t, w.browser("acme").login(key), 200, "")

		// A ceremony begun in acme cannot be finished in beta.
		ab := w.browser("acme")
		lb := ab.do("POST", "passkeys/login/begin", nil)
		x := w.browser("beta")
		x.setCookie("mandate_beta_login", ab.cookie("mandate_acme_login"))
		expect(t, x.do("POST", "passkeys/login/finish", key.get(t, lb.raw)), 400, "passkey_ceremony_expired")
		// Nor can beta's Ann, signed in, step up with acme's passkey.
		bb := w.browser("beta")
		expect(t, bb.signIn("ann@acme.test", pw), 200, "")
		expect(t, bb.do("POST", "passkeys/step-up/begin", nil), 400, "no_passkey")
	})
}

// A disabled account, or a removed member, answers exactly like a
// credential nobody registered.
func TestDisabledOrRemovedAccountAnswersLikeAWrongCredential(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		bob := w.member("acme", "bob@acme.test", pw)
		keys := map[string]*device{}
		for _, email := range []string{"ann@acme.test", "bob@acme.test"} {
			b := w.browser("acme")
			expect(t, b.signIn(email, pw), 200, "")
			keys[email] = w.newDevice(false)
			expect(t, b.register(keys[email], "Key"), 201, "")
		}
		if _, err := w.flows.SetDisabled(w.sys["acme"], ann.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := w.ts.RemoveMember(w.sys["acme"], bob.Edges.Membership.ID); err != nil {
			t.Fatal(err)
		}
		stranger := w.newDevice(false)
		stranger.auth.Options.UserHandle = []byte("nobody's handle")
		want := w.browser("acme").login(stranger)
		expect(t, want, 401, "invalid_credentials")
		for _, email := range []string{"ann@acme.test", "bob@acme.test"} {
			got := w.browser("acme").login(keys[email])
			if got.status != want.status || got.code() != want.code() || got.body["detail"] != want.body["detail"] {
				t.Errorf("%s: %s; an unknown credential answers %s", email, got.raw, want.raw)
			}
		}
	})
}
