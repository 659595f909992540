package mfa_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/recoverycode"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// fakePasskeys stands for auth/passkey's reset: it counts what it was
// asked to remove, or fails.
type fakePasskeys struct {
	calls []int
	fail  bool
}

func (f *fakePasskeys) ResetAll(_ context.Context, _ *ent.Tx, userID int) (int, error) {
	if f.fail {
		return 0, errors.New("passkeys unavailable")
	}
	f.calls = append(f.calls, userID)
	return 2, nil
}

// An admin resets a member who lost their phone: the app, the recovery
// codes and (through the resetters) passkeys go, in one transaction with
// the audit event; the member is mailed and next signs in with a
// password, or is walked through enrollment where the policy says so.
// Admins cannot reset admins or owners, nor themselves.
func TestAdminResetsAMembersFactors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		passkeys := &fakePasskeys{}
		w.mfa.AddResetter("passkeys", passkeys)
		own := w.member(t, "own@acme.test", viewer.RoleOwner)
		ada := w.member(t, "ada@acme.test", viewer.RoleAdmin)
		eve := w.member(t, "eve@acme.test", viewer.RoleAdmin)
		mia := w.member(t, "mia@acme.test", viewer.RoleMember)
		bob := w.member(t, "bob@acme.test", viewer.RoleMember)
		for _, p := range []person{mia, eve} {
			w.enroll(t, w.signedIn(t, p))
		}

		// Who may reset whom.
		for _, tc := range []struct {
			name   string
			by     person
			target person
			kind   apperr.Kind
		}{
			{"a member resets a member", bob, mia, apperr.Forbidden},
			{"an admin resets an admin", ada, eve, apperr.Forbidden},
			{"an admin resets an owner", ada, own, apperr.Forbidden},
			{"an admin resets themself", ada, ada, apperr.Forbidden},
		} {
			if _, err := w.mfa.ResetFactors(w.as(tc.by), tc.target.id); apperr.KindOf(err) != tc.kind {
				t.Errorf("%s: err = %v, want %s", tc.name, err, tc.kind)
			}
		}
		if _, err := w.mfa.ResetFactors(w.as(ada), 1_000_000); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("resetting nobody: %v", err)
		}
		// A failing resetter rolls everything back.
		passkeys.fail = true
		if _, err := w.mfa.ResetFactors(w.as(ada), mia.id); err == nil {
			t.Fatal("a reset went through while a resetter failed")
		}
		if _, confirmed, _, _ := w.factor(t, mia); !confirmed {
			t.Fatal("a failed reset removed the app")
		}
		passkeys.fail = false
		if n := w.count(t, "mfa.factors_reset"); n != 0 {
			t.Fatalf("%d resets audited before any happened", n)
		}
		w.inbox.empty(t)

		res, err := w.mfa.ResetFactors(w.as(ada), mia.id)
		if err != nil {
			t.Fatal(err)
		}
		if !res.TOTPRemoved || res.RecoveryCodesRemoved != 10 || res.Other["passkeys"] != 2 || !slices.Equal(passkeys.calls, []int{mia.id}) {
			t.Fatalf("reset = %+v, resetter calls %v", res, passkeys.calls)
		}
		if _, _, _, found := w.factor(t, mia); found {
			t.Fatal("the app survived the reset")
		}
		if n, _ := db.Client.RecoveryCode.Query().Where(recoverycode.UserID(mia.id)).Count(w.sys); n != 0 {
			t.Fatalf("%d recovery codes survived the reset", n)
		}
		ev := w.lastEvent(t, "mfa.factors_reset")
		if ev["email"] != mia.email || ev["totp_removed"] != "true" || ev["recovery_codes_removed"] != "10" || ev["passkeys_removed"] != "2" {
			t.Fatalf("mfa.factors_reset = %v", ev)
		}
		msg := w.inbox.next(t)
		for _, want := range []string{"To: <mia@acme.test>", "two-factor settings were reset", "An administrator of Acme Billing"} {
			if !strings.Contains(msg, want) {
				t.Fatalf("the notice lacks %q:\n%.900s", want, msg)
			}
		}
		// The member signs in with the password alone again...
		a := w.browser(t).signIn(mia.email)
		if a.status != 200 || a.body["status"] != nil {
			t.Fatalf("sign-in after the reset = %s", a.raw)
		}
		// ...or, where the policy requires a factor, is walked through.
		w.policy(t, settings.MFAEveryone)
		if a := w.browser(t).signIn(mia.email); a.body["status"] != "enrollment_required" {
			t.Fatalf("sign-in after the reset under the everyone policy = %s", a.raw)
		}

		// An owner resets an admin; the system (the CLI) resets anyone.
		if res, err := w.mfa.ResetFactors(w.as(own), eve.id); err != nil || !res.TOTPRemoved {
			t.Fatalf("owner resets admin: %+v, %v", res, err)
		}
		w.inbox.next(t)
		if res, err := w.mfa.ResetFactors(w.sys, own.id); err != nil || !res.Removed() {
			// The owner has no app, but the (fake) passkeys went.
			t.Fatalf("system resets owner: %+v, %v", res, err)
		}
		w.inbox.next(t)
	})
}
