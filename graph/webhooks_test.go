package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// An admin adds a webhook through GraphQL, sees its secret once, and
// reads the delivery log of a signed event the receiver verified.
func TestGraphQLWebhooks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		type got struct {
			sig  string
			body []byte
		}
		received := make(chan got, 4)
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			received <- got{r.Header.Get(webhooks.SignatureHeader), b}
		}))
		t.Cleanup(rcv.Close)

		var created struct {
			Webhook struct {
				ID          string   `json:"id"`
				URL         string   `json:"url"`
				Description string   `json:"description"`
				Events      []string `json:"events"`
				Disabled    bool     `json:"disabled"`
			} `json:"webhook"`
			Secret string `json:"secret"`
		}
		e.mutateA(t, `mutation($url: String!) { createWebhook(input: {url: $url, description: "Approvals bot"}) {
			webhook { id url description events disabled createdAt } secret } }`, "createWebhook", map[string]any{"url": rcv.URL + "/hook"}, &created)
		if created.Secret == "" || created.Webhook.URL != rcv.URL+"/hook" || created.Webhook.Description != "Approvals bot" ||
			created.Webhook.Events == nil || len(created.Webhook.Events) != 0 || created.Webhook.Disabled {
			t.Fatalf("createWebhook = %+v", created)
		}
		r := e.asA(t, `{ webhooks { id url description events disabled createdAt } }`, nil)
		if len(r.Errors) != 0 || strings.Contains(string(r.Data["webhooks"]), created.Secret) ||
			!strings.Contains(string(r.Data["webhooks"]), `"id":"`+created.Webhook.ID+`"`) {
			t.Fatalf("webhooks = %s, %+v", r.Data["webhooks"], r.Errors)
		}

		// An approval is requested in A; the worker sends the event.
		tx, err := e.c.Tx(e.a.system)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.fx.webhooks.Enqueue(e.a.system, tx, "approval.requested", "apr_graph", map[string]any{"approval_id": "apr_graph"}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n, err := e.fx.webhooks.DeliverDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("DeliverDue = %d, %v", n, err)
		}
		select {
		case g := <-received:
			if err := webhooks.VerifySignature([]byte(created.Secret), g.sig, g.body, time.Now(), webhooks.DefaultTolerance); err != nil {
				t.Errorf("the event does not verify with the secret createWebhook showed: %v", err)
			}
		default:
			t.Fatal("the receiver got nothing")
		}

		var log []struct {
			ID          string  `json:"id"`
			Kind        string  `json:"kind"`
			Event       string  `json:"event"`
			WebhookID   *string `json:"webhookID"`
			ApprovalID  *string `json:"approvalID"`
			Status      string  `json:"status"`
			Attempts    int     `json:"attempts"`
			LastStatus  int     `json:"lastStatus"`
			LastError   string  `json:"lastError"`
			DeliveredAt *string `json:"deliveredAt"`
		}
		r = e.asA(t, `query($a: String) { webhookDeliveries(approvalID: $a) { id kind event webhookID url approvalID status attempts
			nextAttemptAt lastStatus lastError deliveredAt createdAt } }`, map[string]any{"a": "apr_graph"})
		r.field(t, "webhookDeliveries", &log)
		if len(r.Errors) != 0 || len(log) != 1 {
			t.Fatalf("webhookDeliveries = %+v, %+v", log, r.Errors)
		}
		if d := log[0]; d.Kind != "webhook" || d.Event != "approval.requested" || d.WebhookID == nil || *d.WebhookID != created.Webhook.ID ||
			d.ApprovalID == nil || *d.ApprovalID != "apr_graph" || d.Status != "delivered" || d.Attempts != 1 || d.LastStatus != 200 ||
			d.LastError != "" || d.DeliveredAt == nil {
			t.Errorf("delivery = %+v", d)
		}

		var off struct {
			ID       string `json:"id"`
			Disabled bool   `json:"disabled"`
		}
		e.mutateA(t, `mutation($id: ID!) { setWebhookDisabled(id: $id, disabled: true) { id disabled } }`, "setWebhookDisabled",
			map[string]any{"id": created.Webhook.ID}, &off)
		if !off.Disabled {
			t.Errorf("setWebhookDisabled = %+v", off)
		}
		var deleted string
		e.mutateA(t, `mutation($id: ID!) { deleteWebhook(id: $id) }`, "deleteWebhook", map[string]any{"id": created.Webhook.ID}, &deleted)
		if deleted != created.Webhook.ID {
			t.Errorf("deleteWebhook = %q", deleted)
		}
		if r := e.asA(t, `{ webhooks { id } }`, nil); string(r.Data["webhooks"]) != "[]" {
			t.Errorf("webhooks after delete = %s", r.Data["webhooks"])
		}
	})
}

// Bad input answers BAD_USER_INPUT naming the field; a member is refused.
func TestGraphQLWebhooksRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		for _, tc := range []struct {
			op    string
			code  string
			field string
		}{
			{`mutation { createWebhook(input: {url: "http://hooks.example/x"}) { secret } }`, "BAD_USER_INPUT", "url"},
			{`mutation { createWebhook(input: {url: "https://hooks.example/x", events: ["nope"]}) { secret } }`, "BAD_USER_INPUT", "events"},
			{`{ webhookDeliveries(first: 0) { id } }`, "BAD_USER_INPUT", "first"},
			{`{ webhookDeliveries(first: 501) { id } }`, "BAD_USER_INPUT", "first"},
		} {
			r := e.asA(t, tc.op, nil)
			if !slices.Equal(r.codes(), []string{tc.code}) || r.Errors[0].Extensions["field"] != tc.field {
				t.Errorf("%s: %+v; want %s on %s", tc.op, r.Errors, tc.code, tc.field)
			}
		}
		for _, op := range []string{`{ webhooks { id } }`, `{ webhookDeliveries { id } }`,
			`mutation { createWebhook(input: {url: "https://hooks.example/x"}) { secret } }`} {
			r := e.asAMember(t, op, nil)
			if !slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
				t.Errorf("%s as a member: %+v; want FORBIDDEN", op, r.Errors)
			}
			raw, _ := json.Marshal(r.Data)
			if strings.Contains(string(raw), "secret\":\"") {
				t.Errorf("%s as a member returned a secret: %s", op, raw)
			}
		}
	})
}
