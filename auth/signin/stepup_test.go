package signin_test

import (
	"testing"
	"time"

	"github.com/mandatehq/mandate/tenants"
)

// Changing the password past the workspace's step-up window asks for a
// fresh authentication first; stepping up with the password replaces the
// session (new id and CSRF token, auth_time now) and the change goes
// through.
func TestPasswordChangeNeedsARecentAuthentication(t *testing.T) {
	b, now, ts, sys, _ := clockWorld(t, false)
	minutes := 5
	if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{StepUpMinutes: &minutes}); err != nil {
		t.Fatal(err)
	}
	first := b.signIn("ann@acme.test", pw)
	expect(t, first, 200, "")
	*now = now.Add(6 * time.Minute)
	newPW := "another unusual passphrase"
	expect(t, b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": newPW}), 403, "step_up_required")
	expect(t, b.do("POST", "step-up/password", map[string]string{"password": "wrong password number x"}), 400, "invalid_input")
	up := b.do("POST", "step-up/password", map[string]string{"password": pw})
	expect(t, up, 200, "")
	s, old := up.body["session"].(map[string]any), first.body["session"].(map[string]any)
	if s["id"] == old["id"] || s["authTime"] == old["authTime"] || up.body["csrfToken"] == b.csrf {
		t.Fatalf("the step-up did not replace the session: %s", up.raw)
	}
	// The old CSRF token went with the old session.
	expect(t, b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": newPW}), 403, "csrf")
	b.csrf = up.body["csrfToken"].(string)
	expect(t, b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": newPW}), 200, "")
}
