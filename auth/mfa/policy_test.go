package mfa_test

import (
	"slices"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// walkThrough signs in as p, whom the policy requires to enroll, and sets
// up an authenticator app through the pending sign-in; it returns the
// final answer (the session and the recovery codes) and the secret.
func (w *world) walkThrough(t *testing.T, b *browser, p person) (answer, string) {
	t.Helper()
	a := b.signIn(p.email)
	expect(t, a, 200, "")
	if a.body["status"] != "enrollment_required" || len(strs(a.body["methods"])) != 0 {
		t.Fatalf("sign-in of %s = %s, want enrollment_required", p.email, a.raw)
	}
	if b.cookie("mandate_acme") != "" {
		t.Fatal("a session was opened before enrolling")
	}
	// No session yet: the session's endpoints are closed.
	expect(t, b.do("POST", "mfa/totp/begin", nil), 401, "no_session")
	// A code cannot stand in for the enrollment.
	expect(t, b.do("POST", "mfa/totp", map[string]string{"code": "123456"}), 403, "forbidden")
	e := b.do("POST", "mfa/enroll/totp/begin", nil)
	expect(t, e, 200, "")
	secret := e.body["secret"].(string)
	expect(t, b.do("POST", "mfa/enroll/totp/confirm", map[string]string{"code": w.code(t, secret, 3)}), 401, "invalid_code")
	done := b.do("POST", "mfa/enroll/totp/confirm", map[string]string{"code": w.code(t, secret, 0)})
	expect(t, done, 200, "")
	return done, secret
}

// With the policy "admins", a member signs in with a password alone and an
// admin is walked through setting up an authenticator app, ending with a
// multi-factor session; "everyone" walks members through too.
func TestMFAPolicyWalksPeopleThroughEnrollment(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		mia := w.member(t, "mia@acme.test", viewer.RoleMember)
		ada := w.member(t, "ada@acme.test", viewer.RoleAdmin)
		w.policy(t, settings.MFAAdmins)

		m := w.browser(t)
		a := m.signIn(mia.email)
		expect(t, a, 200, "")
		if a.body["status"] != nil || !slices.Equal(amr(t, a), []string{"pwd"}) {
			t.Fatalf("a member under the admins policy: %s", a.raw)
		}

		b := w.browser(t)
		done, secret := w.walkThrough(t, b, ada)
		if got := amr(t, done); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("amr after enrolling at sign-in = %v", got)
		}
		if codes := strs(done.body["recoveryCodes"]); len(codes) != 10 || done.body["user"].(map[string]any)["email"] != ada.email {
			t.Fatalf("enrollment answer = %s", done.raw)
		}
		if b.cookie("mandate_acme") == "" || b.cookie("mandate_acme_pending") != "" {
			t.Fatal("enrolling did not swap the pending cookie for a session")
		}
		expect(t, b.do("GET", "session", nil), 200, "")
		// The pending sign-in is spent.
		expect(t, b.do("POST", "mfa/enroll/totp/begin", nil), 401, "no_pending_signin")
		if ev := w.lastEvent(t, "mfa.factor_enrolled"); ev["factor"] != "totp" {
			t.Fatalf("mfa.factor_enrolled = %v", ev)
		}
		if ev := w.lastEvent(t, "signin.second_factor_required"); ev["kind"] != "enroll" {
			t.Fatalf("signin.second_factor_required = %v", ev)
		}

		// From now on the admin proves the app at sign-in, and a sign-in
		// waiting for a second factor cannot add one.
		w.clock.Add(30 * time.Second)
		again := w.browser(t)
		a = again.signIn(ada.email)
		if a.body["status"] != "mfa_required" {
			t.Fatalf("the admin's next sign-in = %s", a.raw)
		}
		expect(t, again.do("POST", "mfa/enroll/totp/begin", nil), 403, "forbidden")
		expect(t, again.do("POST", "mfa/totp", map[string]string{"code": w.code(t, secret, 0)}), 200, "")

		// Everyone: the member is walked through as well.
		w.policy(t, settings.MFAEveryone)
		done, _ = w.walkThrough(t, w.browser(t), mia)
		if got := amr(t, done); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("the member's amr = %v", got)
		}
		// No pending sign-in at all: enrollment endpoints refuse.
		expect(t, w.browser(t).do("POST", "mfa/enroll/totp/begin", nil), 401, "no_pending_signin")
	})
}
