package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// A webhook event arrives signed: the receiver verifies it with the
// secret shown on creation, over the exact body, at the sender's time.
func TestSignedDelivery(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		h, secret, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.approved", "apr_signed")
		if n := f.deliverDue(t); n != 1 {
			t.Fatalf("DeliverDue = %d; want 1", n)
		}
		got := rcv.requests("/hook")
		if len(got) != 1 {
			t.Fatalf("receiver got %d requests", len(got))
		}
		r := got[0]
		d := f.deliveries(t, f.a.id)[0]
		if r.header.Get("Content-Type") != "application/json" || r.header.Get("Mandate-Event") != "approval.approved" ||
			r.header.Get("Mandate-Delivery") != strconv.Itoa(d.ID) {
			t.Errorf("headers %v", r.header)
		}
		if string(r.body) != d.Payload {
			t.Errorf("body %s; want the payload %s", r.body, d.Payload)
		}
		sig := r.header.Get(webhooks.SignatureHeader)
		now := f.clock.Now()
		if !strings.HasPrefix(sig, "t="+strconv.FormatInt(now.Unix(), 10)+",v1=") {
			t.Errorf("signature %q", sig)
		}
		if err := webhooks.VerifySignature([]byte(secret), sig, r.body, now, webhooks.DefaultTolerance); err != nil {
			t.Errorf("VerifySignature: %v", err)
		}
		if err := webhooks.VerifySignature([]byte(secret), sig, append(r.body, ' '), now, webhooks.DefaultTolerance); !errors.Is(err, webhooks.ErrBadSignature) {
			t.Errorf("altered body: %v", err)
		}
		if err := webhooks.VerifySignature([]byte(secret), sig, r.body, now.Add(10*time.Minute), webhooks.DefaultTolerance); !errors.Is(err, webhooks.ErrStale) {
			t.Errorf("replayed later: %v", err)
		}
		if d.Status != webhookdelivery.StatusDelivered || d.Attempts != 1 || d.LastStatus != 200 || d.LastError != "" ||
			d.DeliveredAt == nil || !d.DeliveredAt.Equal(now) || d.ClaimedUntil != nil || d.WebhookID != h.ID {
			t.Errorf("delivery after success: %+v", d)
		}
		if n := f.deliverDue(t); n != 0 {
			t.Errorf("a delivered event was sent again: %d", n)
		}
	})
}

// A receiver answering 500 gets the event again after the back-off, not
// before; the second answer, 200, ends it.
func TestRetryAfterBackoff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		rcv.answer("/hook", http.StatusInternalServerError)
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"}); err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_retry")
		t0 := f.clock.Now()
		if n := f.deliverDue(t); n != 1 {
			t.Fatalf("first DeliverDue = %d", n)
		}
		d := f.deliveries(t, f.a.id)[0]
		if d.Status != webhookdelivery.StatusPending || d.Attempts != 1 || d.LastStatus != 500 || d.LastError != "HTTP 500" ||
			!d.NextAttemptAt.Equal(t0.Add(webhooks.Backoff[0])) || d.ClaimedUntil != nil || d.DeliveredAt != nil {
			t.Fatalf("after a 500: %+v", d)
		}
		f.clock.Advance(webhooks.Backoff[0] - time.Second)
		if n := f.deliverDue(t); n != 0 {
			t.Fatalf("retried %d before the back-off", n)
		}
		f.clock.Advance(time.Second)
		if n := f.deliverDue(t); n != 1 {
			t.Fatalf("not retried after the back-off: %d", n)
		}
		d = f.deliveries(t, f.a.id)[0]
		if d.Status != webhookdelivery.StatusDelivered || d.Attempts != 2 || d.LastStatus != 200 || d.LastError != "" {
			t.Errorf("after the retry: %+v", d)
		}
		got := rcv.requests("/hook")
		if len(got) != 2 || string(got[0].body) != string(got[1].body) ||
			got[0].header.Get("Mandate-Delivery") != got[1].header.Get("Mandate-Delivery") {
			t.Errorf("the retry is not the same delivery: %d requests", len(got))
		}
	})
}

// After MaxAttempts failures the delivery fails for good; each wait is
// the next step of the back-off.
func TestFailsAfterMaxAttempts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		for range webhooks.MaxAttempts + 1 {
			rcv.answer("/hook", http.StatusServiceUnavailable)
		}
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"}); err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_fail")
		for i := range webhooks.MaxAttempts {
			if n := f.deliverDue(t); n != 1 {
				t.Fatalf("attempt %d: DeliverDue = %d", i+1, n)
			}
			d := f.deliveries(t, f.a.id)[0]
			if d.Attempts != i+1 || d.LastStatus != 503 {
				t.Fatalf("attempt %d: %+v", i+1, d)
			}
			if i < len(webhooks.Backoff) {
				if d.Status != webhookdelivery.StatusPending || !d.NextAttemptAt.Equal(f.clock.Now().Add(webhooks.Backoff[i])) {
					t.Fatalf("attempt %d: %+v; want pending for %v", i+1, d, webhooks.Backoff[i])
				}
				f.clock.Advance(webhooks.Backoff[i])
			}
		}
		d := f.deliveries(t, f.a.id)[0]
		if d.Status != webhookdelivery.StatusFailed || d.Attempts != webhooks.MaxAttempts || d.LastError != "HTTP 503" {
			t.Errorf("after %d failures: %+v", webhooks.MaxAttempts, d)
		}
		f.clock.Advance(48 * time.Hour)
		if n := f.deliverDue(t); n != 0 || len(rcv.requests("/hook")) != webhooks.MaxAttempts {
			t.Errorf("a failed delivery was sent again")
		}
	})
}

// A CIBA ping carries the client's notification token as its bearer and
// the auth_req_id as its body (CIBA Core 10.2).
func TestPing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		const bearer = "notification-token-of-the-agent"
		f.ping(t, f.a, rcv.URL+"/cb", "apr_ping", "apr_ping", bearer, "auth-req-1")
		// Sealed for another approval: it does not open for this one.
		f.ping(t, f.a, rcv.URL+"/moved", "apr_other", "apr_ping", bearer, "auth-req-1")
		if n := f.deliverDue(t); n != 2 {
			t.Fatalf("DeliverDue = %d", n)
		}
		got := rcv.requests("/cb")
		if len(got) != 1 {
			t.Fatalf("endpoint got %d pings", len(got))
		}
		if got[0].header.Get("Authorization") != "Bearer "+bearer || got[0].header.Get("Content-Type") != "application/json" {
			t.Errorf("headers %v", got[0].header)
		}
		var body map[string]any
		if err := json.Unmarshal(got[0].body, &body); err != nil || len(body) != 1 || body["auth_req_id"] != "auth-req-1" {
			t.Errorf("body %s", got[0].body)
		}
		if n := len(rcv.requests("/moved")); n != 0 {
			t.Errorf("a ping sealed for another approval was sent %d times", n)
		}
		for _, d := range f.deliveries(t, f.a.id) {
			if d.Kind != webhookdelivery.KindPing || d.Payload != "" || strings.Contains(d.String(), bearer) {
				t.Errorf("ping row %+v", d)
			}
			switch d.ApprovalID {
			case "apr_ping":
				if d.Status != webhookdelivery.StatusDelivered {
					t.Errorf("ping: %+v", d)
				}
			case "apr_other":
				if d.Status != webhookdelivery.StatusFailed || !strings.Contains(d.LastError, "does not open") || d.Attempts != 1 {
					t.Errorf("moved ping: %+v", d)
				}
			}
		}
	})
}

// Receivers get no redirect followed, and the failure's reason names no
// part of the URL (which may carry a token).
func TestRedirectsAndUnreachableReceivers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		rcv.answer("/hook", http.StatusFound)
		gone := httptest.NewServer(http.NotFoundHandler())
		goneURL := gone.URL
		gone.Close()
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: goneURL + "/hook?token=url-secret-token"}); err != nil {
			t.Fatal(err)
		}
		f.ping(t, f.a, goneURL+"/cb/url-secret-token", "apr_x", "apr_x", "bearer-secret-token", "req")
		f.enqueue(t, f.a, "approval.requested", "apr_x")
		if n := f.deliverDue(t); n != 3 {
			t.Fatalf("DeliverDue = %d", n)
		}
		if n := len(rcv.requests("/elsewhere")); n != 0 {
			t.Errorf("the redirect was followed %d times", n)
		}
		for _, d := range f.deliveries(t, f.a.id) {
			if d.Status != webhookdelivery.StatusPending || d.Attempts != 1 || d.LastError == "" {
				t.Errorf("%+v: want a failed attempt to retry", d)
			}
			if strings.Contains(d.LastError, "secret-token") {
				t.Errorf("last_error %q names a secret", d.LastError)
			}
			if strings.HasPrefix(d.URL, rcv.URL) && (d.LastStatus != http.StatusFound || !strings.Contains(d.LastError, "redirect")) {
				t.Errorf("redirected: %+v", d)
			}
			if strings.HasPrefix(d.URL, goneURL) && d.LastStatus != 0 {
				t.Errorf("unreachable: %+v", d)
			}
		}
	})
}

// Run delivers until its context ends.
func TestRunStopsWithItsContext(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		delivered := make(chan struct{})
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { close(delivered) }))
		t.Cleanup(rcv.Close)
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"}); err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_run")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			f.svc.Run(ctx, time.Hour)
			close(done)
		}()
		select {
		case <-delivered:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not deliver the due event")
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not stop")
		}
	})
}

// An agent chooses its ping endpoint, so pings go to public addresses
// only: one to loopback fails for good, with the reason in the log, and
// the receiver gets nothing. An admin's webhook to the same host (an
// internal service, say) is sent.
func TestPingsGoToPublicAddressesOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		svc, err := webhooks.New(webhooks.Config{Client: db.Client, Audit: audit.NewRecorder(), MasterSecret: master, Now: f.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		rcv := newReceiver(t)
		f.ping(t, f.a, rcv.URL+"/cb", "apr_private", "apr_private", "token", "auth-req-1")
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"}); err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_private")
		if _, err := svc.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := rcv.requests("/cb"); len(got) != 0 {
			t.Fatalf("a ping reached a loopback endpoint: %d", len(got))
		}
		if got := rcv.requests("/hook"); len(got) != 1 {
			t.Fatalf("the admin's webhook got %d events", len(got))
		}
		var d *ent.WebhookDelivery
		for _, x := range f.deliveries(t, f.a.id) {
			if x.Kind == webhookdelivery.KindPing {
				d = x
			}
		}
		if d == nil || d.Status != webhookdelivery.StatusFailed || d.Attempts != 1 || !strings.Contains(d.LastError, "not public") {
			t.Fatalf("ping delivery: %+v", d)
		}
	})
}
