package issuer_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// Whatever bytes an agent puts in the request's text fields, the answer is
// a CIBA error, never a server error (PostgreSQL refuses NUL and invalid
// UTF-8 in text, SQLite stores them), and nothing is stored.
func TestCIBARefusesBytesThatAreNotText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		billing := c.billingAgent()
		for name, tc := range map[string]struct {
			field, value, code string
		}{
			"login_hint with NUL":          {"login_hint", "ann\x00@acme.test", "unknown_user_id"},
			"login_hint not UTF-8":         {"login_hint", "ann\xff@acme.test", "unknown_user_id"},
			"binding_message not UTF-8":    {"binding_message", "Refund \xffINV-1001", "invalid_binding_message"},
			"binding_message with NUL":     {"binding_message", "Refund\x00", "invalid_binding_message"},
			"notification token not UTF-8": {"client_notification_token", "\xff", ""},
		} {
			form := url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"}, "authorization_details": {refund},
				"subject_token": {c.obo}}
			form.Set(tc.field, tc.value)
			st, out := billing.post("/oauth2/bc-authorize", form)
			if tc.code == "" {
				// A poll client's notification token is ignored.
				if st != http.StatusOK {
					t.Errorf("%s: %d %v", name, st, out)
				}
				continue
			}
			if st != http.StatusBadRequest || out["error"] != tc.code {
				t.Errorf("%s: %d %v, want %s", name, st, out, tc.code)
			}
		}
	})
}

// requested_expiry only ever shortens the wait, however large it is.
func TestCIBARequestedExpiryOnlyShortens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		for _, n := range []string{"600", "86400", "9223372036", "9223372037", "10000000000", "9223372036854775807"} {
			st, out := c.post("/oauth2/bc-authorize", url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"},
				"authorization_details": {refund}, "subject_token": {c.obo}, "requested_expiry": {n}})
			if st != http.StatusOK {
				t.Errorf("requested_expiry %s: %d %v", n, st, out)
				continue
			}
			// The refund type waits 5 minutes: a longer requested_expiry
			// leaves it so.
			if got, _ := out["expires_in"].(float64); got < 290 || got > 300 {
				t.Errorf("requested_expiry %s: expires_in %v, want 300", n, out["expires_in"])
			}
			if left := time.Until(c.request("").ExpiresAt); left < 4*time.Minute || left > 5*time.Minute+time.Second {
				t.Errorf("requested_expiry %s: the request expires in %v", n, left)
			}
		}
	})
}
