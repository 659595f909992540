package issuer_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// Guessing user codes on the device page is throttled per person: after
// ten wrong codes even the right one waits.
func TestDeviceUserCodeGuessingIsThrottled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		id, _ := w.register(t, "acme", clients.NewClient{Name: "TV", Public: true,
			GrantTypes: []string{clients.GrantDeviceCode}})
		status, body, _ := postForm(t, w.issuerURL("acme")+"/oauth2/device_authorization", url.Values{"client_id": {id}, "scope": {"openid"}}, "", "")
		if status != http.StatusOK {
			t.Fatalf("device authorization: %d %v", status, body)
		}
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		page := w.issuerURL("acme") + "/device?user_code="
		for n := range 10 {
			if p := b.get(page + "BBBB-BBB" + string(rune('B'+n))); p.status != http.StatusBadRequest {
				t.Fatalf("wrong code %d: %d", n, p.status)
			}
		}
		if p := b.get(page + url.QueryEscape(body["user_code"].(string))); p.status != http.StatusTooManyRequests {
			t.Fatalf("the right code after ten wrong ones: %d", p.status)
		}
		// Another person is not locked out by Ann's guesses.
		other := w.browser(t)
		other.signIn("other", "ann@other.test")
		if p := other.get(w.issuerURL("other") + "/device?user_code=BBBB-BBBB"); p.status != http.StatusBadRequest {
			t.Fatalf("someone else: %d", p.status)
		}
	})
}
