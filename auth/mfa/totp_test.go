package mfa_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

var recoveryCodeShape = regexp.MustCompile(`^[A-Z2-7]{5}-[A-Z2-7]{5}$`)

// A person sets up an authenticator app from their session (QR code,
// otpauth URI, secret), confirms it with a code, gets recovery codes, and
// from then on signs in with a password and a code.
func TestTOTPEnrollmentAndSignIn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member(t, "ann@acme.test", viewer.RoleMember)
		b := w.signedIn(t, ann)

		// Nothing set up yet.
		st := b.do("GET", "mfa", nil)
		expect(t, st, 200, "")
		if st.body["totp"].(map[string]any)["enabled"] != false || st.body["recoveryCodesRemaining"] != float64(0) ||
			st.body["recentlyAuthenticated"] != true || st.body["hasPassword"] != true {
			t.Fatalf("status before enrolling = %s", st.raw)
		}
		// Without the CSRF token, nothing starts.
		csrf := b.csrf
		b.csrf = ""
		expect(t, b.do("POST", "mfa/totp/begin", nil), 403, "csrf")
		b.csrf = csrf

		first := b.do("POST", "mfa/totp/begin", nil)
		expect(t, first, 200, "")
		secret := first.body["secret"].(string)
		u, err := url.Parse(first.body["otpauthURI"].(string))
		if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
			t.Fatalf("otpauth URI = %v (%v)", first.body["otpauthURI"], err)
		}
		q := u.Query()
		if q.Get("secret") != secret || q.Get("issuer") != "Acme Billing" || q.Get("digits") != "6" ||
			q.Get("period") != "30" || q.Get("algorithm") != "SHA1" || u.Path != "/Acme Billing:ann@acme.test" {
			t.Fatalf("otpauth URI = %s", u)
		}
		if len(secret) != 32 {
			t.Fatalf("secret %q is not 160 bits of base32", secret)
		}
		data, ok := strings.CutPrefix(first.body["qrCodePNG"].(string), "data:image/png;base64,")
		if !ok {
			t.Fatalf("QR code is not a PNG data URL: %.40s", first.body["qrCodePNG"])
		}
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil || img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
			t.Fatalf("QR code image: %v, %v", img, err)
		}
		sealed, confirmed, _, found := w.factor(t, ann)
		if !found || confirmed {
			t.Fatal("begin did not store an unconfirmed app")
		}
		if bytes.Contains(sealed, []byte(secret)) {
			t.Fatal("the secret is stored in the clear")
		}
		// An unconfirmed app counts for nothing: signing in needs no code.
		expect(t, w.browser(t).signIn(ann.email), 200, "")

		// Beginning again replaces the unconfirmed app: the first secret's
		// codes no longer confirm.
		second := b.do("POST", "mfa/totp/begin", nil)
		expect(t, second, 200, "")
		secret2 := second.body["secret"].(string)
		if secret2 == secret {
			t.Fatal("a new setup reused the secret")
		}
		if n, _ := db.Client.TOTPFactor.Query().Count(w.sys); n != 1 {
			t.Fatalf("%d apps stored, want the one replacing the other", n)
		}
		expect(t, b.do("POST", "mfa/totp/confirm", map[string]string{"code": w.code(t, secret, 0)}), 401, "invalid_code")
		expect(t, b.do("POST", "mfa/totp/confirm", map[string]string{"code": "12345"}), 401, "invalid_code")
		c := b.do("POST", "mfa/totp/confirm", map[string]string{"code": w.code(t, secret2, 0)})
		expect(t, c, 200, "")
		codes := strs(c.body["recoveryCodes"])
		if len(codes) != 10 {
			t.Fatalf("confirm gave %d recovery codes, want 10", len(codes))
		}
		for _, rc := range codes {
			if !recoveryCodeShape.MatchString(rc) {
				t.Fatalf("recovery code %q is not two groups of five base32 characters", rc)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
			t.Fatal("recovery codes repeat")
		}
		hashes, err := db.Client.RecoveryCode.Query().All(w.sys)
		if err != nil || len(hashes) != 10 {
			t.Fatalf("%d recovery codes stored (%v)", len(hashes), err)
		}
		for _, h := range hashes {
			for _, rc := range codes {
				if strings.Contains(h.CodeHash, rc) || strings.Contains(h.CodeHash, strings.ReplaceAll(rc, "-", "")) {
					t.Fatal("a recovery code is stored in the clear")
				}
			}
		}
		if ev := w.lastEvent(t, "mfa.factor_enrolled"); ev["factor"] != "totp" {
			t.Fatalf("mfa.factor_enrolled = %v", ev)
		}
		// One app per person.
		expect(t, b.do("POST", "mfa/totp/begin", nil), 409, "conflict")
		expect(t, b.do("POST", "mfa/totp/confirm", map[string]string{"code": w.code(t, secret2, 1)}), 409, "conflict")
		st = b.do("GET", "mfa", nil)
		if st.body["totp"].(map[string]any)["enabled"] != true || st.body["recoveryCodesRemaining"] != float64(10) {
			t.Fatalf("status after enrolling = %s", st.raw)
		}

		// Signing in now takes a second step.
		other := w.browser(t)
		a := other.signIn(ann.email)
		expect(t, a, 200, "")
		if a.body["status"] != "mfa_required" || !slices.Equal(strs(a.body["methods"]), []string{"totp", "recovery"}) {
			t.Fatalf("sign-in answer = %s", a.raw)
		}
		if a.body["session"] != nil || other.cookie("mandate_acme") != "" {
			t.Fatal("a session was opened before the second step")
		}
		p := other.do("GET", "pending", nil)
		expect(t, p, 200, "")
		if p.body["status"] != "mfa_required" {
			t.Fatalf("pending = %s", p.raw)
		}
		// The code that confirmed the app was spent by the confirmation.
		expect(t, other.do("POST", "mfa/totp", map[string]string{"code": w.code(t, secret2, 0)}), 401, "invalid_code")
		w.clock.Add(30 * time.Second)
		done := other.do("POST", "mfa/totp", map[string]string{"code": w.code(t, secret2, 0)})
		expect(t, done, 200, "")
		if got := amr(t, done); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("session amr = %v, want [pwd otp mfa]", got)
		}
		if other.cookie("mandate_acme") == "" || other.cookie("mandate_acme_pending") != "" {
			t.Fatal("the second step did not swap the pending cookie for a session")
		}
		// The pending sign-in is spent.
		expect(t, other.do("POST", "mfa/totp", map[string]string{"code": w.code(t, secret2, 1)}), 401, "no_pending_signin")
		expect(t, other.do("GET", "session", nil), 200, "")
		if ev := w.lastEvent(t, "signin.succeeded"); ev["amr"] != "pwd otp mfa" {
			t.Fatalf("signin.succeeded = %v", ev)
		}
	})
}
