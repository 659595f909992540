package graph_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/webhook"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
)

// The isolation cases of the webhooks' fields (entries of gqlCases).

// newHook adds a webhook row to w as its system (directly: a fixture in B
// must not change B's audit chain, which the table checks), with one
// pending delivery about approvalID.
func newHook(t *testing.T, e *env, w workspace, path, approvalID string) (*ent.Webhook, *ent.WebhookDelivery) {
	t.Helper()
	h, err := e.c.Webhook.Create().SetURL("https://" + w.slug + ".example" + path).SetSecret([]byte("sealed:" + path)).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.c.WebhookDelivery.Create().SetKind(webhookdelivery.KindWebhook).SetWebhookID(h.ID).SetEvent("approval.requested").
		SetURL(h.URL).SetPayload(`{}`).SetApprovalID(approvalID).SetNextAttemptAt(time.Now().Add(time.Hour).UTC()).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	return h, d
}

// hook reads a webhook as the system.
func (e *env) hook(t *testing.T, id int) *ent.Webhook {
	t.Helper()
	h, err := e.c.Webhook.Get(e.sysAll, id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func webhooksCase(t *testing.T, e *env) {
	own, _ := newHook(t, e, e.a, "/listed", "apr_a_listed")
	bh, _ := newHook(t, e, e.b, "/hidden", "apr_b_hidden")
	got := e.listed(t, e.asA, `{ webhooks { id url description events disabled createdAt } }`, "webhooks", "id")
	want, err := e.c.Webhook.Query().Where(webhook.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, sortedIDs(want)) || !slices.Contains(got, id(own.ID)) || slices.Contains(got, id(bh.ID)) {
		t.Errorf("webhooks = %v; want A's %v, not B's %d", got, sortedIDs(want), bh.ID)
	}
}

func webhookDeliveriesCase(t *testing.T, e *env) {
	ah, ad := newHook(t, e, e.a, "/log", "apr_a_log")
	bh, bd := newHook(t, e, e.b, "/log", "apr_b_log")
	q := `query($w: ID, $a: String) { webhookDeliveries(webhookID: $w, approvalID: $a, first: 500) { id kind event webhookID url approvalID status } }`
	all := e.listed(t, e.asA, `{ webhookDeliveries(first: 500) { id } }`, "webhookDeliveries", "id")
	want, err := e.c.WebhookDelivery.Query().Where(webhookdelivery.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all, sortedIDs(want)) || !slices.Contains(all, id(ad.ID)) || slices.Contains(all, id(bd.ID)) {
		t.Errorf("webhookDeliveries = %v; want A's %v, not B's %d", all, sortedIDs(want), bd.ID)
	}
	for _, vars := range []map[string]any{{"w": id(bh.ID)}, {"a": "apr_b_log"}, {"w": id(bh.ID), "a": "apr_b_log"}} {
		r := e.asA(t, q, vars)
		if len(r.Errors) != 0 || string(r.Data["webhookDeliveries"]) != "[]" {
			t.Errorf("webhookDeliveries(%v) = %s, %+v; want nothing", vars, r.Data["webhookDeliveries"], r.Errors)
		}
	}
	// Control: A's own filters find A's delivery.
	r := e.asA(t, q, map[string]any{"w": id(ah.ID), "a": "apr_a_log"})
	if raw := string(r.Data["webhookDeliveries"]); len(r.Errors) != 0 || !strings.Contains(raw, `"id":"`+id(ad.ID)+`"`) {
		t.Errorf("webhookDeliveries of A's webhook = %s, %+v", raw, r.Errors)
	}
}

func createWebhookCase(t *testing.T, e *env) {
	before, err := e.c.Webhook.Query().Where(webhook.TenantID(e.b.tenant.ID)).All(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Webhook struct{ ID, URL string }
		Secret  string
	}
	e.mutateA(t, `mutation { createWebhook(input: {url: "https://b.example/made-by-a", events: ["approval.approved"]}) { webhook { id url } secret } }`,
		"createWebhook", nil, &out)
	if out.Secret == "" {
		t.Error("createWebhook returned no secret")
	}
	rows, err := e.c.Webhook.Query().Where(webhook.URL("https://b.example/made-by-a")).All(e.sysAll)
	if err != nil || len(rows) != 1 || rows[0].TenantID != e.a.tenant.ID || id(rows[0].ID) != out.Webhook.ID {
		t.Errorf("createWebhook = %+v: rows %v, %v; want one in A", out.Webhook, rows, err)
	}
	after, err := e.c.Webhook.Query().Where(webhook.TenantID(e.b.tenant.ID)).All(e.sysAll)
	if err != nil || len(after) != len(before) {
		t.Errorf("B's webhooks %d -> %d (%v)", len(before), len(after), err)
	}
}

func deleteWebhookCase(t *testing.T, e *env) {
	own, _ := newHook(t, e, e.a, "/delete", "")
	bh, bd := newHook(t, e, e.b, "/delete", "")
	mutationOnB(t, e, `mutation($id: ID!) { deleteWebhook(id: $id) }`, "deleteWebhook",
		map[string]any{"id": id(bh.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(bh.ID + 1_000_000)})
	if got := e.hook(t, bh.ID); got.String() != bh.String() {
		t.Errorf("B's webhook changed: %v", got)
	}
	if d, err := e.c.WebhookDelivery.Get(e.sysAll, bd.ID); err != nil || d.Status != webhookdelivery.StatusPending {
		t.Errorf("B's delivery after A's attempt: %v, %v", d, err)
	}
	if ok, err := e.c.Webhook.Query().Where(webhook.ID(own.ID)).Exist(e.sysAll); err != nil || ok {
		t.Errorf("A's webhook is still there (control, %v)", err)
	}
}

func setWebhookDisabledCase(t *testing.T, e *env) {
	own, _ := newHook(t, e, e.a, "/disable", "")
	bh, _ := newHook(t, e, e.b, "/disable", "")
	mutationOnB(t, e, `mutation($id: ID!) { setWebhookDisabled(id: $id, disabled: true) { id disabled } }`, "setWebhookDisabled",
		map[string]any{"id": id(bh.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(bh.ID + 1_000_000)})
	if got := e.hook(t, bh.ID); got.Disabled {
		t.Errorf("B's webhook was disabled")
	}
	if got := e.hook(t, own.ID); !got.Disabled {
		t.Errorf("A's webhook was not disabled (control)")
	}
}
