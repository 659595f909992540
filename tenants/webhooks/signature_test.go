package webhooks_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/tenants/webhooks"
)

// The Mandate-Signature header, as a receiver checks it: replay of an old
// delivery, a changed body and a wrong secret are all refused.
func TestVerifySignature(t *testing.T) {
	secret := []byte("the-webhook-secret")
	body := []byte(`{"type":"approval.approved"}`)
	sent := time.Unix(1_790_000_000, 0)
	sig := webhooks.Sign(secret, sent, body)
	// A known answer: HMAC-SHA256("the-webhook-secret", "1790000000.{…}").
	if want := "t=1790000000,v1="; !strings.HasPrefix(sig, want) || len(sig) != len(want)+64 {
		t.Fatalf("Sign = %q", sig)
	}
	ts := strconv.FormatInt(sent.Unix(), 10)
	v1 := strings.TrimPrefix(sig, "t="+ts+",")
	for _, tc := range []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, sig, body, sent, nil},
		{"valid, a little later", secret, sig, body, sent.Add(4 * time.Minute), nil},
		{"valid, receiver's clock behind", secret, sig, body, sent.Add(-4 * time.Minute), nil},
		{"entries in another order, with spaces", secret, v1 + ", t=" + ts, body, sent, nil},
		{"a second, rotated signature", secret, "t=" + ts + ",v1=" + strings.Repeat("00", 32) + "," + v1, body, sent, nil},
		{"replayed after the tolerance", secret, sig, body, sent.Add(6 * time.Minute), webhooks.ErrStale},
		{"from the future", secret, sig, body, sent.Add(-6 * time.Minute), webhooks.ErrStale},
		{"another body", secret, sig, []byte(`{"type":"approval.denied"}`), sent, webhooks.ErrBadSignature},
		{"another secret", []byte("guess"), sig, body, sent, webhooks.ErrBadSignature},
		{"timestamp moved forward", secret, "t=" + strconv.FormatInt(sent.Unix()+300, 10) + "," + v1, body, sent.Add(5 * time.Minute), webhooks.ErrBadSignature},
		{"no header", secret, "", body, sent, webhooks.ErrNoSignature},
		{"no timestamp", secret, v1, body, sent, webhooks.ErrNoSignature},
		{"no v1", secret, "t=" + ts, body, sent, webhooks.ErrNoSignature},
		{"short v1", secret, "t=" + ts + ",v1=abcd", body, sent, webhooks.ErrNoSignature},
		{"v0 only", secret, "t=" + ts + ",v0=" + strings.TrimPrefix(v1, "v1="), body, sent, webhooks.ErrNoSignature},
	} {
		if err := webhooks.VerifySignature(tc.secret, tc.header, tc.body, tc.now, webhooks.DefaultTolerance); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v; want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add("t=1790000000,v1=00", []byte("{}"))
	f.Add("", []byte(nil))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = webhooks.VerifySignature([]byte("k"), header, body, time.Unix(1_790_000_000, 0), time.Minute)
	})
}
