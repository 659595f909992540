package mfa_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Sensitive changes (password, address, removing a factor) need an
// authentication within the workspace's step-up window (10 minutes by
// default). Past it they answer step_up_required; the page steps up with
// the password or a code, which replaces the session (new id, auth_time
// now, amr joined), and retries.
func TestSensitiveChangesNeedARecentAuthentication(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member(t, "ann@acme.test", viewer.RoleMember)
		b := w.signedIn(t, ann)
		secret, _ := w.enroll(t, b)
		before := b.do("GET", "session", nil)
		oldCookie := b.cookie("mandate_acme")

		w.clock.Add(11 * time.Minute)
		newPW := "another unusual passphrase"
		expect(t, b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": newPW}), 403, "step_up_required")
		expect(t, b.do("POST", "change-email", map[string]string{"newEmail": "ann2@acme.test", "password": pw}), 403, "step_up_required")
		expect(t, b.do("POST", "mfa/totp/disable", nil), 403, "step_up_required")
		expect(t, b.do("POST", "mfa/totp/begin", nil), 403, "step_up_required")
		w.inbox.empty(t)

		// A wrong password does not step up.
		expect(t, b.do("POST", "step-up/password", map[string]string{"password": "not the password at all"}), 400, "invalid_input")
		if n := w.count(t, "user.reauth_failed"); n != 1 {
			t.Fatalf("%d failed re-authentications audited", n)
		}
		up := b.do("POST", "step-up/password", map[string]string{"password": pw})
		expect(t, up, 200, "")
		s := up.body["session"].(map[string]any)
		if s["id"] == before.body["session"].(map[string]any)["id"] || b.cookie("mandate_acme") == oldCookie {
			t.Fatal("the step-up kept the session id")
		}
		if s["authTime"] == before.body["session"].(map[string]any)["authTime"] {
			t.Fatal("the step-up did not move auth_time")
		}
		// amr joined: the password now, the app from the enrollment's
		// session (its amr was pwd only: enrolling is not a sign-in).
		if got := amr(t, up); !slices.Equal(got, []string{"pwd"}) {
			t.Fatalf("amr after a password step-up = %v", got)
		}
		// The old session is over.
		stale := w.browser(t)
		u, _ := url.Parse(w.srv.URL)
		stale.c.Jar.SetCookies(u, []*http.Cookie{{Name: "mandate_acme", Value: oldCookie, Path: "/"}})
		expect(t, stale.do("GET", "session", nil), 401, "no_session")
		if ev := w.lastEvent(t, "signin.step_up"); ev["amr"] != "pwd" || ev["previous_session"] == "" {
			t.Fatalf("signin.step_up = %v", ev)
		}

		// Recent now: the same requests go through.
		expect(t, b.do("POST", "change-email", map[string]string{"newEmail": "ann2@acme.test", "password": pw}), 202, "")
		w.inbox.next(t)

		// A code steps up too. Its amr names only what was proved within
		// the step-up window: the password was proved 11 minutes ago.
		w.clock.Add(11 * time.Minute)
		expect(t, b.do("POST", "step-up/totp", map[string]string{"code": "000000"}), 401, "invalid_code")
		up = b.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 0)})
		expect(t, up, 200, "")
		if got := amr(t, up); !slices.Equal(got, []string{"otp"}) {
			t.Fatalf("amr after a code step-up on an old password = %v", got)
		}
		// A password now joins the code of a moment ago: multi-factor.
		up = b.do("POST", "step-up/password", map[string]string{"password": pw})
		expect(t, up, 200, "")
		if got := amr(t, up); !slices.Equal(got, []string{"otp", "pwd", "mfa"}) {
			t.Fatalf("amr after a password step-up on a fresh code = %v", got)
		}
		a := b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": newPW})
		expect(t, a, 200, "")
		w.inbox.next(t)

		// Removing the app after a step-up: gone, with the recovery codes.
		w.clock.Add(11 * time.Minute)
		expect(t, b.do("POST", "mfa/totp/disable", nil), 403, "step_up_required")
		w.clock.Add(30 * time.Second)
		expect(t, b.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 0)}), 200, "")
		expect(t, b.do("POST", "mfa/totp/disable", nil), 204, "")
		if ev := w.lastEvent(t, "mfa.factor_removed"); ev["factor"] != "totp" || ev["recovery_codes_removed"] != "10" {
			t.Fatalf("mfa.factor_removed = %v", ev)
		}
		if _, _, _, found := w.factor(t, ann); found {
			t.Fatal("the app is still stored")
		}
		expect(t, b.do("POST", "mfa/totp/disable", nil), 404, "not_found")
		// No second step any more, and no code steps up.
		after := w.browser(t)
		if a := after.do("POST", "signin", map[string]string{"email": ann.email, "password": newPW}); a.status != 200 || a.body["status"] != nil {
			t.Fatalf("sign-in after removing the app = %s", a.raw)
		}
		expect(t, b.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 1)}), 401, "invalid_code")
	})
}
