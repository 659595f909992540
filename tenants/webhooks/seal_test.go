package webhooks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// A sealed secret is bound to its row: copied into another webhook (in
// the same workspace or another), it does not open, and nothing is sent
// signed with it.
func TestCopiedSecretDoesNotOpen(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		src, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/source"})
		if err != nil {
			t.Fatal(err)
		}
		sameTenant, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/same"})
		if err != nil {
			t.Fatal(err)
		}
		otherTenant, _, err := f.svc.Create(f.b.admin, webhooks.NewWebhook{URL: rcv.URL + "/other"})
		if err != nil {
			t.Fatal(err)
		}
		// Someone with the database copies the source's sealed secret.
		sys := viewer.AsSystem(context.Background(), "test: tamper")
		for _, id := range []int{sameTenant.ID, otherTenant.ID} {
			if err := f.c.Webhook.UpdateOneID(id).SetSecret(src.Secret).Exec(sys); err != nil {
				t.Fatal(err)
			}
		}
		f.enqueue(t, f.a, "approval.requested", "apr_1")
		f.enqueue(t, f.b, "approval.requested", "apr_1")
		if n := f.deliverDue(t); n != 3 {
			t.Fatalf("DeliverDue = %d", n)
		}
		if len(rcv.requests("/source")) != 1 {
			t.Errorf("the source webhook got nothing")
		}
		for _, path := range []string{"/same", "/other"} {
			if n := len(rcv.requests(path)); n != 0 {
				t.Errorf("%s got %d requests signed with a copied secret", path, n)
			}
		}
		for _, tid := range []int{f.a.id, f.b.id} {
			for _, d := range f.deliveries(t, tid) {
				if d.WebhookID == src.ID {
					if d.Status != webhookdelivery.StatusDelivered {
						t.Errorf("source delivery %+v", d)
					}
					continue
				}
				if d.Status != webhookdelivery.StatusFailed || !strings.Contains(d.LastError, "does not open") {
					t.Errorf("delivery with a copied secret: %+v", d)
				}
			}
		}
	})
}
