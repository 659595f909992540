package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a webhook delivery's signature:
//
//	Mandate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The key is the webhook's secret exactly as it was shown on creation. A
// receiver recomputes the HMAC over the timestamp, a dot and the raw body,
// compares in constant time, and rejects a timestamp too far from its own
// clock, so a captured delivery cannot be replayed later.
const SignatureHeader = "Mandate-Signature"

// DefaultTolerance is how far a receiver should let a signature's
// timestamp be from its clock.
const DefaultTolerance = 5 * time.Minute

// The errors of VerifySignature.
var (
	ErrNoSignature  = errors.New("webhooks: no valid Mandate-Signature header")
	ErrBadSignature = errors.New("webhooks: the signature does not match")
	ErrStale        = errors.New("webhooks: the signature's timestamp is outside the tolerance")
)

// Sign returns the Mandate-Signature value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a Mandate-Signature header against the raw body,
// for receivers: one v1 entry must match the HMAC (compared in constant
// time), and the timestamp must be within tolerance of now.
func VerifySignature(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var (
		ts   string
		sigs [][]byte
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
