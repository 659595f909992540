package webhooks_test

import (
	"testing"

	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// One workspace's admin sees and changes none of another's webhooks or
// deliveries, even naming them by id.
func TestWebhooksAreTenantIsolated(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		ha, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/a"})
		if err != nil {
			t.Fatal(err)
		}
		hb, _, err := f.svc.Create(f.b.admin, webhooks.NewWebhook{URL: rcv.URL + "/b"})
		if err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_a")
		f.enqueue(t, f.b, "approval.requested", "apr_b")
		f.ping(t, f.b, rcv.URL+"/ping-b", "apr_b", "apr_b", "bearer-b", "req-b")

		list, err := f.svc.List(f.a.admin)
		if err != nil || len(list) != 1 || list[0].ID != ha.ID {
			t.Errorf("A's List = %v, %v; want A's webhook only", list, err)
		}
		all, err := f.svc.Deliveries(f.a.admin, webhooks.DeliveryFilter{})
		if err != nil || len(all) != 1 || all[0].TenantID != f.a.id || all[0].ApprovalID != "apr_a" {
			t.Errorf("A's Deliveries = %v, %v; want A's one", all, err)
		}
		for name, filter := range map[string]webhooks.DeliveryFilter{
			"B's webhook":  {WebhookID: hb.ID},
			"B's approval": {ApprovalID: "apr_b"},
		} {
			if ds, err := f.svc.Deliveries(f.a.admin, filter); err != nil || len(ds) != 0 {
				t.Errorf("A's Deliveries naming %s = %v, %v; want none", name, ds, err)
			}
		}
		if _, err := f.svc.Get(f.a.admin, hb.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("A's Get of B's webhook: %v", err)
		}
		if _, err := f.svc.SetDisabled(f.a.admin, hb.ID, true); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("A disabling B's webhook: %v", err)
		}
		if err := f.svc.Delete(f.a.admin, hb.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("A deleting B's webhook: %v", err)
		}
		// The system inside A is confined to A as well.
		if err := f.svc.Delete(f.a.system, hb.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("the system in A deleting B's webhook: %v", err)
		}
		bs, err := f.svc.Deliveries(f.b.admin, webhooks.DeliveryFilter{})
		if err != nil || len(bs) != 2 {
			t.Errorf("B's Deliveries = %v, %v; want B's webhook event and ping", bs, err)
		}
		if got, err := f.svc.Get(f.b.admin, hb.ID); err != nil || got.Disabled {
			t.Errorf("B's webhook after A's attempts: %+v, %v", got, err)
		}
		// Newest first, and limited.
		if ds, err := f.svc.Deliveries(f.b.admin, webhooks.DeliveryFilter{Limit: 1}); err != nil || len(ds) != 1 || ds[0].ID != bs[0].ID || bs[0].ID < bs[1].ID {
			t.Errorf("B's newest delivery = %v, %v", ds, err)
		}
	})
}
