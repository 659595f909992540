package webhooks_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// A master rotation loses no webhook secret and no pending ping: values
// sealed under the old master deliver with the ring [new, old]; after
// Reseal they deliver with the new master alone.
func TestResealKeepsWebhookSecretsAndPings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		_, secret, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Create(f.b.admin, webhooks.NewWebhook{URL: rcv.URL + "/other"}); err != nil {
			t.Fatal(err)
		}
		newM := bytes.Repeat([]byte{'n'}, 32)
		with := func(masters ...[]byte) *webhooks.Service {
			s, err := webhooks.New(webhooks.Config{Client: f.c, Audit: audit.NewRecorder(), MasterSecret: masters[0],
				PreviousSecrets: masters[1:], Now: f.clock.Now, PingClient: loopbackPings})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		verifyLast := func() {
			t.Helper()
			got := rcv.requests("/hook")
			r := got[len(got)-1]
			if err := webhooks.VerifySignature([]byte(secret), r.header.Get(webhooks.SignatureHeader), r.body, f.clock.Now(), webhooks.DefaultTolerance); err != nil {
				t.Fatalf("delivery %d does not verify: %v", len(got), err)
			}
		}
		ring := with(newM, master)
		f.enqueue(t, f.a, "approval.approved", "apr_1")
		if n, err := ring.DeliverDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("ring DeliverDue = %d, %v", n, err)
		}
		verifyLast()

		f.ping(t, f.a, rcv.URL+"/cb", "apr_ping", "apr_ping", "bearer-1", "auth-req-1")
		n, err := ring.Reseal(context.Background())
		if err != nil || n != 3 { // two webhooks, one pending ping
			t.Fatalf("reseal = %d, %v; want 3", n, err)
		}
		if n, err := ring.Reseal(context.Background()); err != nil || n != 0 {
			t.Fatalf("second reseal = %d, %v; want 0", n, err)
		}
		alone := with(newM)
		f.enqueue(t, f.a, "approval.denied", "apr_2")
		if n, err := alone.DeliverDue(context.Background()); err != nil || n != 2 {
			t.Fatalf("new-master DeliverDue = %d, %v; want the event and the ping", n, err)
		}
		verifyLast()
		if got := rcv.requests("/cb"); len(got) != 1 || got[0].header.Get("Authorization") != "Bearer bearer-1" {
			t.Fatalf("ping after reseal: %v", got)
		}
		events, err := f.c.AuditEvent.Query().Where(auditevent.ActionHasSuffix(".resealed")).All(viewer.AsSystem(context.Background(), "test"))
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range events {
			kinds[e.Action]++
			if len(e.Details) != 1 || e.Details["count"] != "1" {
				t.Errorf("%s details = %v", e.Action, e.Details)
			}
		}
		if kinds["webhook.resealed"] != 2 || kinds["webhook_ping.resealed"] != 1 || len(kinds) != 2 {
			t.Fatalf("reseal events = %v; want webhook.resealed per workspace and one webhook_ping.resealed", kinds)
		}
	})
}
