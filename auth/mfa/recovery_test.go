package mfa_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// A person who lost their phone signs in with a recovery code: it works
// once, the use is audited with how many remain and mailed to them.
// Regenerating (after a recent authentication) replaces the whole set.
func TestRecoveryCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member(t, "ann@acme.test", viewer.RoleMember)
		secret, codes := w.enroll(t, w.signedIn(t, ann))

		b := w.browser(t)
		expect(t, b.signIn(ann.email), 200, "")
		expect(t, b.do("POST", "mfa/recovery", map[string]string{"code": "ABCDE-FGHIJ"}), 401, "invalid_code")
		// Typed loosely: lower case, no hyphen, spaces.
		typed := strings.ToLower(strings.ReplaceAll(codes[0], "-", " "))
		a := b.do("POST", "mfa/recovery", map[string]string{"code": typed})
		expect(t, a, 200, "")
		if got := amr(t, a); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("amr = %v", got)
		}
		if ev := w.lastEvent(t, "mfa.recovery_code_used"); ev["remaining"] != "9" {
			t.Fatalf("mfa.recovery_code_used = %v", ev)
		}
		msg := w.inbox.next(t)
		for _, want := range []string{"To: <ann@acme.test>", "recovery code was used", "Acme Billing", "You have 9 recovery codes left", "/t/acme/account"} {
			if !strings.Contains(msg, want) {
				t.Fatalf("the notice lacks %q:\n%.900s", want, msg)
			}
		}
		if strings.Contains(msg, codes[0]) {
			t.Fatal("the notice repeats the code")
		}
		// Spent: the same code does not work again.
		again := w.browser(t)
		expect(t, again.signIn(ann.email), 200, "")
		expect(t, again.do("POST", "mfa/recovery", map[string]string{"code": codes[0]}), 401, "invalid_code")
		st := b.do("GET", "mfa", nil)
		if st.body["recoveryCodesRemaining"] != float64(9) {
			t.Fatalf("status = %s", st.raw)
		}

		// Regenerating needs a recent authentication.
		w.clock.Add(11 * time.Minute)
		expect(t, b.do("POST", "mfa/recovery/regenerate", nil), 403, "step_up_required")
		if st := b.do("GET", "mfa", nil); st.body["recentlyAuthenticated"] != false {
			t.Fatalf("status after 11 minutes = %s", st.raw)
		}
		expect(t, b.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 0)}), 200, "")
		r := b.do("POST", "mfa/recovery/regenerate", nil)
		expect(t, r, 200, "")
		fresh := strs(r.body["recoveryCodes"])
		if len(fresh) != 10 || slices.Contains(fresh, codes[1]) {
			t.Fatalf("regenerated %v", fresh)
		}
		if n, _ := db.Client.RecoveryCode.Query().Count(w.sys); n != 10 {
			t.Fatalf("%d recovery codes stored after regenerating, want the 10 new ones", n)
		}
		if ev := w.lastEvent(t, "mfa.recovery_codes_generated"); ev["replaced"] != "10" || ev["count"] != "10" {
			t.Fatalf("mfa.recovery_codes_generated = %v", ev)
		}
		// The old set is gone; the new one works.
		old := w.browser(t)
		expect(t, old.signIn(ann.email), 200, "")
		expect(t, old.do("POST", "mfa/recovery", map[string]string{"code": codes[1]}), 401, "invalid_code")
		expect(t, old.do("POST", "mfa/recovery", map[string]string{"code": fresh[9]}), 200, "")
		if msg := w.inbox.next(t); !strings.Contains(msg, "You have 9 recovery codes left") {
			t.Fatalf("notice:\n%.600s", msg)
		}

		// Without an authenticator app there is nothing to regenerate.
		bob := w.member(t, "bob@acme.test", viewer.RoleMember)
		expect(t, w.signedIn(t, bob).do("POST", "mfa/recovery/regenerate", nil), 404, "not_found")
	})
}

// The last code says so.
func TestLastRecoveryCodeSaysNoneAreLeft(t *testing.T) {
	w := newWorld(t, testdb.Open(t, "sqlite3"))
	ann := w.member(t, "ann@acme.test", viewer.RoleMember)
	_, codes := w.enroll(t, w.signedIn(t, ann))
	for i, c := range codes {
		b := w.browser(t)
		expect(t, b.signIn(ann.email), 200, "")
		expect(t, b.do("POST", "mfa/recovery", map[string]string{"code": c}), 200, "")
		msg := w.inbox.next(t)
		if i == len(codes)-1 && !strings.Contains(msg, "You have no recovery codes left") {
			t.Fatalf("the last notice:\n%.600s", msg)
		}
	}
	// With none left, the sign-in no longer offers them.
	a := w.browser(t).signIn(ann.email)
	if !slices.Equal(strs(a.body["methods"]), []string{"totp"}) {
		t.Fatalf("methods = %s", a.raw)
	}
}
