package mfa_test

import (
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Threat: guessing a six-digit code (or a recovery code) after stealing a
// password. Wrong codes count against the account wherever they are
// typed, with the sign-in's lock-out: locked means locked, even for the
// right code, until the lock ends.
func TestWrongCodesLockTheAccountOut(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member(t, "ann@acme.test", viewer.RoleMember)
		secret, _ := w.enroll(t, w.signedIn(t, ann))
		w.clock.Add(time.Minute)

		b := w.browser(t)
		expect(t, b.signIn(ann.email), 200, "")
		var last answer
		for i := 0; i < ratelimit.AccountPolicy.MaxFailures; i++ {
			wrong := "000000"
			if w.code(t, secret, 0) == wrong {
				wrong = "111111"
			}
			// Wrong codes and wrong recovery codes count alike.
			if i%2 == 0 {
				last = b.do("POST", "mfa/totp", map[string]string{"code": wrong})
			} else {
				last = b.do("POST", "mfa/recovery", map[string]string{"code": "AAAAA-AAAAA"})
			}
			expect(t, last, 401, "invalid_code")
		}
		locked := b.do("POST", "mfa/totp", map[string]string{"code": w.code(t, secret, 0)})
		expect(t, locked, 429, "rate_limited")
		if ra := locked.header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Fatalf("no Retry-After: %v", locked.header)
		}
		// The lock is the account's, not the browser's: a new sign-in's
		// second step is locked too.
		other := w.browser(t)
		expect(t, other.signIn(ann.email), 200, "")
		expect(t, other.do("POST", "mfa/totp", map[string]string{"code": w.code(t, secret, 0)}), 429, "rate_limited")
		if n := w.count(t, "mfa.verification_failed"); n != ratelimit.AccountPolicy.MaxFailures {
			t.Fatalf("%d failed codes audited, want %d", n, ratelimit.AccountPolicy.MaxFailures)
		}
		if ev := w.lastEvent(t, "mfa.verification_failed"); ev["locked_seconds"] == "" {
			t.Fatalf("the lock-out is not in the audit trail: %v", ev)
		}
		// After the lock, the right code works (and the count starts over).
		w.clock.Add(ratelimit.AccountPolicy.BaseLock + time.Second)
		expect(t, other.do("POST", "mfa/totp", map[string]string{"code": w.code(t, secret, 0)}), 200, "")
	})
}
