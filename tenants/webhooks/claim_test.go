package webhooks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// Two replicas delivering at once send each delivery once.
func TestConcurrentDeliverDueSendsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/a"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Create(f.b.admin, webhooks.NewWebhook{URL: rcv.URL + "/b"}); err != nil {
			t.Fatal(err)
		}
		const per = 15
		for range per {
			f.enqueue(t, f.a, "approval.requested", "apr_a")
			f.enqueue(t, f.b, "approval.requested", "apr_b")
		}
		replicas := []*webhooks.Service{f.svc, f.replica(t), f.replica(t)}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			sent  = make([]int, len(replicas))
		)
		for i, r := range replicas {
			wg.Go(func() {
				<-start
				n, err := r.DeliverDue(context.Background())
				if err != nil {
					t.Errorf("replica %d: %v", i, err)
				}
				sent[i] = n
			})
		}
		close(start)
		wg.Wait()
		total := 0
		for _, n := range sent {
			total += n
		}
		if total != 2*per {
			t.Errorf("replicas attempted %v (%d in all); want %d", sent, total, 2*per)
		}
		seen := map[string]int{}
		for _, r := range rcv.requests("") {
			seen[r.header.Get("Mandate-Delivery")]++
		}
		if len(seen) != 2*per {
			t.Errorf("the receiver saw %d distinct deliveries; want %d", len(seen), 2*per)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("delivery %s was sent %d times", id, n)
			}
		}
		for _, tid := range []int{f.a.id, f.b.id} {
			for _, d := range f.deliveries(t, tid) {
				if d.Status != webhookdelivery.StatusDelivered || d.Attempts != 1 {
					t.Errorf("delivery %+v", d)
				}
			}
		}
	})
}

// A delivery another replica holds is left alone until its claim lapses
// (that replica died mid-send); then it is sent.
func TestClaimedDeliveryWaitsForTheClaimToLapse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook"}); err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_claimed")
		held := f.clock.Now().Add(time.Minute)
		if n, err := f.c.WebhookDelivery.Update().SetClaimedUntil(held).Save(viewer.AsSystem(context.Background(), "test")); err != nil || n != 1 {
			t.Fatalf("claim: %d, %v", n, err)
		}
		if n := f.deliverDue(t); n != 0 {
			t.Fatalf("a held delivery was sent: %d", n)
		}
		f.clock.Advance(time.Minute + time.Second)
		if n := f.deliverDue(t); n != 1 || len(rcv.requests("/hook")) != 1 {
			t.Fatalf("after the claim lapsed: %d", n)
		}
	})
}
