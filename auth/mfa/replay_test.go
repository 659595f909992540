package mfa_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Threat: a code seen once (over a shoulder, in a phishing proxy, in a
// log) is used again. A code is accepted once, and never one of a step at
// or before the last accepted; codes one step early or late are accepted,
// two are not.
func TestTOTPCodesAreAcceptedOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member(t, "ann@acme.test", viewer.RoleMember)
		b := w.signedIn(t, ann)
		secret, _ := w.enroll(t, b) // spends the code of step 0
		stepUp := func(steps int) answer {
			t.Helper()
			return b.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, steps)})
		}
		w.clock.Add(5 * time.Minute)
		// Out of the window: two steps late, two steps early.
		expect(t, stepUp(-2), 401, "invalid_code")
		expect(t, stepUp(2), 401, "invalid_code")
		// One step late is accepted once.
		expect(t, stepUp(-1), 200, "")
		expect(t, stepUp(-1), 401, "invalid_code")
		// The current code is later, so it is accepted, once.
		expect(t, stepUp(0), 200, "")
		expect(t, stepUp(0), 401, "invalid_code")
		// A code one step early is accepted; after it, the current code
		// (an earlier step) is not, though still within the window.
		expect(t, stepUp(1), 200, "")
		w.clock.Add(30 * time.Second)
		expect(t, stepUp(-1), 401, "invalid_code")
		expect(t, stepUp(0), 401, "invalid_code") // the step accepted last
		expect(t, stepUp(1), 200, "")
		_, _, last, _ := w.factor(t, ann)
		if want := w.clock.Now().Unix()/30 + 1; last != want {
			t.Fatalf("last_used_step = %d, want %d", last, want)
		}
		if ev := w.lastEvent(t, "mfa.verification_failed"); ev["reason"] != "code already used" || ev["factor"] != "totp" {
			t.Fatalf("mfa.verification_failed = %v", ev)
		}
	})
}

// Threat: two requests race with one code (a phishing proxy replaying it
// at once). Each holds its own pending sign-in, so only the code's single
// use stands between them: exactly one gets a session.
func TestOneCodeUsedConcurrentlySignsInOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member(t, "ann@acme.test", viewer.RoleMember)
		secret, _ := w.enroll(t, w.signedIn(t, ann))
		w.clock.Add(time.Minute)
		// Five: four losers stay under the lock-out of five failures.
		const n = 5
		browsers := make([]*browser, n)
		for i := range browsers {
			browsers[i] = w.browser(t)
			expect(t, browsers[i].signIn(ann.email), 200, "")
		}
		// Every request checks the code before any spends it: the race at
		// its widest (bounded, so a request that never gets there cannot
		// hang the test).
		arrived := make(chan struct{}, n)
		allThere := make(chan struct{})
		var once sync.Once
		mfa.SetBeforeSpend(w.mfa, func() {
			arrived <- struct{}{}
			if len(arrived) == n {
				once.Do(func() { close(allThere) })
			}
			select {
			case <-allThere:
			case <-time.After(5 * time.Second):
			}
		})
		code := w.code(t, secret, 0)
		statuses := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, b := range browsers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = b.do("POST", "mfa/totp", map[string]string{"code": code}).status
			}()
		}
		close(start)
		wg.Wait()
		slices.Sort(statuses)
		want := []int{200, 401, 401, 401, 401}
		if !slices.Equal(statuses, want) {
			t.Fatalf("statuses = %v, want one 200 and the rest 401", statuses)
		}
		if len(arrived) != n {
			t.Fatalf("%d of %d requests reached the spending of the code", len(arrived), n)
		}
		if got := w.count(t, "signin.succeeded"); got != 2 { // the enrolling sign-in and the one winner
			t.Fatalf("%d successful sign-ins, want 2", got)
		}
	})
}
