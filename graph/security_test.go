package graph_test

import (
	"slices"
	"testing"

	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/internal/testdb"
)

// Wrong codes through GraphQL count like everywhere else, and a lock-out
// is its own error code (not an internal error).
func TestSecurityWrongCodesLockOutInGraphQL(t *testing.T) {
	e := newEnv(t, testdb.Open(t, "sqlite3"))
	_, login := freshMemberWithLogin(t, e, "guesser@a.example")
	if r := e.asPerson(t, e.a.slug, login, `mutation { beginTOTPEnrollment { secret } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("beginTOTPEnrollment: %+v", r.Errors)
	}
	op := `mutation($code: String!) { confirmTOTP(code: $code) { recoveryCodes } }`
	for i := 0; i < ratelimit.AccountPolicy.MaxFailures; i++ {
		r := e.asPerson(t, e.a.slug, login, op, map[string]any{"code": "12345x"})
		if !slices.Equal(r.codes(), []string{"BAD_USER_INPUT"}) || r.Errors[0].Extensions["field"] != "code" {
			t.Fatalf("wrong code %d: %+v", i+1, r.Errors)
		}
	}
	r := e.asPerson(t, e.a.slug, login, op, map[string]any{"code": "12345x"})
	if !slices.Equal(r.codes(), []string{"RATE_LIMITED"}) || r.Errors[0].Extensions["retryAfterSeconds"] == nil {
		t.Fatalf("after %d wrong codes: %+v", ratelimit.AccountPolicy.MaxFailures, r.Errors)
	}
}
