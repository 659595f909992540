package social_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/auth/social"
)

// A client that started too many logins lands on the sign-in page with
// rate_limited, which the page explains; anything unknown is internal.
func TestRefusalCodes(t *testing.T) {
	if got := social.Code(fmt.Errorf("start: %w", &signin.LockedError{RetryAfter: time.Minute})); got != social.CodeRateLimited {
		t.Errorf("a lock-out: %q", got)
	}
	if got := social.Code(fmt.Errorf("boom")); got != social.CodeInternal {
		t.Errorf("an unknown error: %q", got)
	}
}
