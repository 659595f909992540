package passkey_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// creationOptions is the part of the registration options the tests read.
type creationOptions struct {
	PublicKey struct {
		RP struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"rp"`
		User struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
		Attestation            string `json:"attestation"`
		AuthenticatorSelection struct {
			ResidentKey        string `json:"residentKey"`
			RequireResidentKey bool   `json:"requireResidentKey"`
			UserVerification   string `json:"userVerification"`
		} `json:"authenticatorSelection"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		RPID             string `json:"rpId"`
		UserVerification string `json:"userVerification"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func TestRegisterThenSignInWithThePasskeyAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")

		// The options: this workspace's relying party, a random user handle
		// (not the account id), a discoverable credential with user
		// verification, no attestation.
		begin := b.do("POST", "passkeys/register/begin", map[string]string{"name": "Laptop"})
		expect(t, begin, 200, "")
		var co creationOptions
		if err := json.Unmarshal([]byte(begin.raw), &co); err != nil {
			t.Fatal(err)
		}
		pk := co.PublicKey
		if pk.RP.ID != "localhost" || pk.RP.Name != "Acme Inc" || pk.User.Name != "ann@acme.test" || pk.Attestation != "none" ||
			pk.AuthenticatorSelection.ResidentKey != "required" || !pk.AuthenticatorSelection.RequireResidentKey ||
			pk.AuthenticatorSelection.UserVerification != "required" || len(pk.ExcludeCredentials) != 0 {
			t.Fatalf("creation options: %s", begin.raw)
		}
		laptop := w.newDevice(false)
		reg := b.do("POST", "passkeys/register/finish", laptop.create(t, begin.raw))
		expect(t, reg, 201, "")
		if len(laptop.auth.Options.UserHandle) != 64 || string(laptop.auth.Options.UserHandle) == strconv.Itoa(ann.ID) {
			t.Fatalf("user handle %x is not 64 random bytes", laptop.auth.Options.UserHandle)
		}
		if h := w.user("acme", ann.ID).WebauthnHandle; h == nil || string(*h) != string(laptop.auth.Options.UserHandle) {
			t.Fatal("the account does not keep the user handle its passkey holds")
		}
		ks := w.passkeys("acme", ann.ID)
		if len(ks) != 1 || ks[0].Name != "Laptop" || ks[0].BackupEligible || !ks[0].UserVerified || ks[0].AttestationType == "" ||
			len(ks[0].Aaguid) != 16 || string(ks[0].CredentialID) != string(laptop.cred.ID) {
			t.Fatalf("stored passkey: %+v", ks)
		}
		if w.events("acme", "mfa.factor_enrolled") != 1 {
			t.Fatal("the enrollment was not audited")
		}

		// A second passkey: the first is excluded, so one device cannot
		// register twice.
		begin = b.do("POST", "passkeys/register/begin", map[string]string{"name": "Phone"})
		co = creationOptions{}
		_ = json.Unmarshal([]byte(begin.raw), &co)
		if len(co.PublicKey.ExcludeCredentials) != 1 {
			t.Fatalf("the first passkey is not excluded: %s", begin.raw)
		}
		phone := w.newDevice(true)
		expect(t, b.do("POST", "passkeys/register/finish", phone.create(t, begin.raw)), 201, "")
		// The same credential again is refused.
		again := b.do("POST", "passkeys/register/begin", map[string]string{"name": "again"})
		expect(t, b.do("POST", "passkeys/register/finish", laptop.create(t, again.raw)), 409, "passkey_already_registered")

		list := b.do("GET", "passkeys", nil)
		expect(t, list, 200, "")
		rows, _ := list.body["passkeys"].([]any)
		if len(rows) != 2 || rows[0].(map[string]any)["name"] != "Laptop" || rows[1].(map[string]any)["backupEligible"] != true {
			t.Fatalf("list: %s", list.raw)
		}
		for _, r := range rows {
			for _, secret := range []string{"publicKey", "public_key", "credentialId", "credential_id"} {
				if _, ok := r.(map[string]any)[secret]; ok {
					t.Fatalf("the list shows %s: %s", secret, list.raw)
				}
			}
		}

		// Passwordless: a fresh browser, no address typed.
		nb := w.browser("acme")
		lb := nb.do("POST", "passkeys/login/begin", nil)
		expect(t, lb, 200, "")
		var ro requestOptions
		_ = json.Unmarshal([]byte(lb.raw), &ro)
		if ro.PublicKey.RPID != "localhost" || ro.PublicKey.UserVerification != "required" || len(ro.PublicKey.AllowCredentials) != 0 {
			t.Fatalf("request options: %s", lb.raw)
		}
		in := nb.do("POST", "passkeys/login/finish", laptop.get(t, lb.raw))
		expect(t, in, 200, "")
		if got := amr(t, in); !slices.Equal(got, []string{"hwk", "user", "mfa"}) {
			t.Fatalf("amr = %v, want [hwk user mfa]", got)
		}
		cur := nb.do("GET", "session", nil)
		expect(t, cur, 200, "")
		if cur.body["user"].(map[string]any)["email"] != "ann@acme.test" {
			t.Fatalf("signed in as %s", cur.raw)
		}
		if k := w.passkeys("acme", ann.ID)[0]; k.LastUsedAt == nil {
			t.Fatal("last_used_at not recorded")
		}
		// The synced passkey says swk.
		if got := amr(t, w.browser("acme").login(phone)); !slices.Equal(got, []string{"swk", "user", "mfa"}) {
			t.Fatalf("synced passkey amr = %v, want [swk user mfa]", got)
		}
		if w.events("acme", "mfa.factor_used") != 2 || w.events("acme", "signin.succeeded") < 3 {
			t.Fatal("passkey sign-ins were not audited")
		}

		// Renaming.
		id := rows[0].(map[string]any)["id"].(string)
		rn := b.do("POST", "passkeys/rename", map[string]string{"id": id, "name": "Work laptop"})
		expect(t, rn, 200, "")
		if w.passkeys("acme", ann.ID)[0].Name != "Work laptop" {
			t.Fatal("not renamed")
		}
	})
}

func TestAddingAPasskeyNeedsARecentSignIn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		w.clock.advance(11 * time.Minute)
		expect(t, b.do("POST", "passkeys/register/begin", map[string]string{"name": "Laptop"}), 403, "step_up_required")
		// Without a session at all: no.
		expect(t, w.browser("acme").do("POST", "passkeys/register/begin", nil), 401, "no_session")
		// A fresh password sign-in is recent again.
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		expect(t, b.register(w.newDevice(false), "Laptop"), 201, "")
	})
}

func TestPasskeyAsSecondFactorAfterPassword(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		w.member("acme", "bob@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		key := w.newDevice(false)
		expect(t, b.register(key, "Key"), 201, "")
		expect(t, b.do("POST", "signout", nil), 204, "")

		// The password alone now leaves a pending sign-in.
		nb := w.browser("acme")
		first := nb.signIn("ann@acme.test", pw)
		expect(t, first, 200, "")
		if first.body["status"] != "mfa_required" || !slices.Contains(toStrings(first.body["methods"]), "passkey") {
			t.Fatalf("after the password: %s", first.raw)
		}
		expect(t, nb.do("GET", "session", nil), 401, "no_session")

		begin := nb.do("POST", "passkeys/second-factor/begin", nil)
		expect(t, begin, 200, "")
		var ro requestOptions
		_ = json.Unmarshal([]byte(begin.raw), &ro)
		if len(ro.PublicKey.AllowCredentials) != 1 {
			t.Fatalf("second-factor options allow %d credentials: %s", len(ro.PublicKey.AllowCredentials), begin.raw)
		}
		done := nb.do("POST", "passkeys/second-factor/finish", key.get(t, begin.raw))
		expect(t, done, 200, "")
		if got := amr(t, done); !slices.Equal(got, []string{"pwd", "hwk", "mfa"}) {
			t.Fatalf("amr = %v, want [pwd hwk mfa]", got)
		}
		expect(t, nb.do("GET", "session", nil), 200, "")
		// The pending sign-in is spent.
		expect(t, nb.do("POST", "passkeys/second-factor/begin", nil), 401, "no_pending_signin")

		// Another person's pending sign-in cannot be completed with Ann's
		// passkey: Bob has none, and his options would allow only his.
		bob := w.browser("acme")
		expect(t, bob.signIn("bob@acme.test", pw), 200, "")
		expect(t, bob.do("POST", "passkeys/second-factor/begin", nil), 401, "no_pending_signin")
		if n := w.events("acme", "mfa.factor_used"); n != 1 {
			t.Fatalf("%d passkey uses audited for %d, want 1", n, ann.ID)
		}
	})
}

func toStrings(v any) []string {
	raw, _ := v.([]any)
	out := []string{}
	for _, x := range raw {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestStepUpWithAPasskey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member("acme", "ann@acme.test", pw)
		b := w.browser("acme")
		expect(t, b.signIn("ann@acme.test", pw), 200, "")
		key := w.newDevice(false)
		expect(t, b.register(key, "Key"), 201, "")
		expect(t, b.register(w.newDevice(true), "Phone"), 201, "")
		// Signed in with the passkey; twenty minutes later, removing one
		// asks for a step-up first.
		expect(t, b.login(key), 200, "")
		oldCookie := b.cookie("mandate_acme")
		w.clock.advance(20 * time.Minute)
		phoneID := strconv.Itoa(w.passkeys("acme", ann.ID)[1].ID)
		expect(t, b.do("POST", "passkeys/remove", map[string]string{"id": phoneID}), 403, "step_up_required")

		begin := b.do("POST", "passkeys/step-up/begin", nil)
		expect(t, begin, 200, "")
		var ro requestOptions
		_ = json.Unmarshal([]byte(begin.raw), &ro)
		if len(ro.PublicKey.AllowCredentials) != 2 || ro.PublicKey.UserVerification != "required" {
			t.Fatalf("step-up options: %s", begin.raw)
		}
		up := b.do("POST", "passkeys/step-up/finish", key.get(t, begin.raw))
		expect(t, up, 200, "")
		if up.body["csrfToken"] == nil || b.cookie("mandate_acme") == oldCookie {
			t.Fatalf("step-up did not replace the session: %s", up.raw)
		}
		if got := amr(t, up); !slices.Contains(got, "hwk") {
			t.Fatalf("step-up amr = %v", got)
		}
		if w.events("acme", "signin.step_up") != 1 {
			t.Fatal("the step-up was not audited")
		}
		// The old session is over; the new one may remove the passkey now.
		old := w.browser("acme")
		old.setCookie("mandate_acme", oldCookie)
		expect(t, old.do("GET", "session", nil), 401, "no_session")
		expect(t, b.do("POST", "passkeys/remove", map[string]string{"id": phoneID}), 204, "")
		if len(w.passkeys("acme", ann.ID)) != 1 || w.events("acme", "mfa.factor_removed") != 1 {
			t.Fatal("the passkey was not removed and audited")
		}
		// Step-up without a passkey of one's own is refused.
		w.member("acme", "bob@acme.test", pw)
		bob := w.browser("acme")
		expect(t, bob.signIn("bob@acme.test", pw), 200, "")
		expect(t, bob.do("POST", "passkeys/step-up/begin", nil), 400, "no_passkey")
	})
}

func TestEnrollmentAtSignInWhenTheWorkspaceRequiresMFA(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.member("acme", "ann@acme.test", pw)
		everyone := "everyone"
		if _, err := w.ts.UpdateSettings(w.sys["acme"], tenants.SettingsUpdate{MFAPolicy: &everyone}); err != nil {
			t.Fatal(err)
		}
		b := w.browser("acme")
		first := b.signIn("ann@acme.test", pw)
		if first.status != 200 || first.body["status"] != "enrollment_required" {
			t.Fatalf("sign-in under the policy: %s", first.raw)
		}
		// No session yet; the pending sign-in lets Ann register a passkey,
		// which completes the sign-in.
		reg := b.register(w.newDevice(false), "Laptop")
		expect(t, reg, 200, "")
		if got := amr(t, reg); !slices.Equal(got, []string{"pwd", "hwk", "mfa"}) {
			t.Fatalf("amr = %v, want [pwd hwk mfa]", got)
		}
		expect(t, b.do("GET", "session", nil), 200, "")
		// Next time the password asks for the passkey.
		nb := w.browser("acme")
		if a := nb.signIn("ann@acme.test", pw); a.body["status"] != "mfa_required" {
			t.Fatalf("after enrollment: %s", a.raw)
		}
		// An "mfa" pending sign-in may not register a passkey instead of
		// proving one.
		expect(t, nb.do("POST", "passkeys/register/begin", nil), 401, "no_session")
	})
}

func TestInvitedPersonJoinsWithAPasskeyOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		if _, err := w.flows.Invite(w.sys["acme"], "cat@acme.test", viewer.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		token := w.invitation()
		b := w.browser("acme")
		begin := b.do("POST", "passkeys/invitation/begin", map[string]string{"token": token, "name": "Cat", "passkeyName": "Phone"})
		expect(t, begin, 200, "")
		var co creationOptions
		_ = json.Unmarshal([]byte(begin.raw), &co)
		if co.PublicKey.User.Name != "cat@acme.test" {
			t.Fatalf("invitation options: %s", begin.raw)
		}
		key := w.newDevice(true)
		joined := b.do("POST", "passkeys/invitation/finish", key.create(t, begin.raw))
		expect(t, joined, 200, "")
		if got := amr(t, joined); !slices.Equal(got, []string{"swk", "user", "mfa"}) {
			t.Fatalf("amr = %v", got)
		}
		u := joined.body["user"].(map[string]any)
		if u["email"] != "cat@acme.test" || u["role"] != "admin" {
			t.Fatalf("joined as %v", u)
		}
		id, _ := strconv.Atoi(u["id"].(string))
		cat := w.user("acme", id)
		if cat.PasswordHash != "" || !cat.EmailVerified || cat.Name != "Cat" {
			t.Fatalf("account: %+v", cat)
		}
		if w.events("acme", "member.invitation_accepted") != 1 || w.events("acme", "mfa.factor_enrolled") != 1 {
			t.Fatal("not audited")
		}
		// The invitation is spent.
		expect(t, w.browser("acme").do("POST", "passkeys/invitation/begin", map[string]string{"token": token}), 400, "invalid_link")
		// The passkey alone signs Cat in again.
		expect(t, w.browser("acme").login(key), 200, "")
		// Cat cannot remove the only way in.
		only := strconv.Itoa(w.passkeys("acme", id)[0].ID)
		expect(t, b.do("POST", "passkeys/remove", map[string]string{"id": only}), 409, "last_signin_method")
		if len(w.passkeys("acme", id)) != 1 {
			t.Fatal("the last passkey was removed")
		}
		// With no password to re-enter, a recent passkey authentication
		// is what a change of address or a deletion asks for.
		expect(t, b.do("POST", "change-email", map[string]string{"newEmail": "cat2@acme.test"}), 202, "")
		w.clock.advance(11 * time.Minute)
		expect(t, b.do("POST", "delete-account", map[string]string{}), 403, "step_up_required")
		_ = w.user("acme", id) // still there
		begin = b.do("POST", "passkeys/step-up/begin", nil)
		expect(t, begin, 200, "")
		expect(t, b.do("POST", "passkeys/step-up/finish", key.get(t, begin.raw)), 200, "")
		expect(t, b.do("POST", "delete-account", map[string]string{}), 204, "")
		if gone := w.user("acme", id); !gone.Disabled || gone.Email == "cat@acme.test" || (gone.WebauthnHandle != nil && len(*gone.WebauthnHandle) > 0) ||
			len(w.passkeys("acme", id)) != 0 {
			t.Fatalf("after deleting the account: %+v, %d passkeys", gone, len(w.passkeys("acme", id)))
		}
	})
}
