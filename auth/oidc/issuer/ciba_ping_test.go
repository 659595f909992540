package issuer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// pingReceiver is a CIBA ping client's notification endpoint on loopback:
// it records every request it gets.
type pingReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []pingCall
	path string
}

type pingCall struct {
	method, path, authorization, contentType string
	body                                     map[string]any
}

func newPingReceiver(t *testing.T) *pingReceiver {
	r := &pingReceiver{path: "/cb"}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		call := pingCall{method: req.Method, path: req.URL.Path, authorization: req.Header.Get("Authorization"),
			contentType: req.Header.Get("Content-Type")}
		_ = json.Unmarshal(raw, &call.body)
		r.mu.Lock()
		r.got = append(r.got, call)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *pingReceiver) url() string { return r.srv.URL + r.path }

// take returns the calls received since the last take.
func (r *pingReceiver) take() []pingCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// pings are the ping deliveries recorded for an approval.
func (c *cibaWorld) pings(publicID string) int {
	c.t.Helper()
	n, err := c.db.Client.WebhookDelivery.Query().Where(webhookdelivery.KindEQ(webhookdelivery.KindPing),
		webhookdelivery.ApprovalID(publicID)).Count(c.sys("acme"))
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// newPinger registers a ping-mode agent whose notification endpoint is r.
func (c *cibaWorld) newPinger(r *pingReceiver) *cibaAgent {
	return c.newAgent("acme", registry.NewAgent{Name: "pinger", CIBANotify: r.url(),
		Ceiling: []string{"openid", "invoices:read", "refunds:preview", "refunds:execute"}})
}

// A ping client must give the token its notification endpoint expects;
// without it the request is refused and nothing is stored.
func TestCIBAPingClientMustSendNotificationToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		pinger := c.newPinger(newPingReceiver(t))
		form := url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"}, "authorization_details": {refund}}
		st, out := pinger.post("/oauth2/bc-authorize", form)
		if st != http.StatusBadRequest || out["error"] != "invalid_request" {
			t.Fatalf("no client_notification_token: %d %v", st, out)
		}
		// At most 1024 characters, in the syntax of a bearer token (RFC
		// 6750): it goes in the ping's Authorization header.
		for name, bad := range map[string]string{"1025 characters": strings.Repeat("t", 1025), "a line break": "abc\r\nX-Injected: 1",
			"a space": "abc def", "a NUL": "abc\x00", "not UTF-8": "abc\xff", "a padding in the middle": "ab=c"} {
			form.Set("client_notification_token", bad)
			if st, out := pinger.post("/oauth2/bc-authorize", form); st != http.StatusBadRequest || out["error"] != "invalid_request" {
				t.Fatalf("a notification token with %s: %d %v", name, st, out)
			}
		}
		if n, _ := db.Client.ApprovalRequest.Query().Count(c.sys("acme")); n != 0 {
			t.Fatalf("refused ping requests left %d rows", n)
		}
		form.Set("client_notification_token", "cnt-"+randomJTI()+"~+/.==")
		pinger.ask(form)
		if row := c.request(""); row.DeliveryMode != approvalrequest.DeliveryModePing || len(row.NotificationToken) == 0 ||
			strings.Contains(string(row.NotificationToken), form.Get("client_notification_token")) {
			t.Fatalf("the ping request's row: mode %s, token stored %q", row.DeliveryMode, row.NotificationToken)
		}
	})
}

// A decision on a ping client's request records the ping in the
// decision's transaction; the delivery worker then POSTs the auth_req_id
// to the client's endpoint with its notification token as the bearer,
// and the client redeems it. A denial pings too, and the redeem then says
// access_denied.
func TestCIBAPingFollowsTheDecision(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		recv := newPingReceiver(t)
		pinger := c.newPinger(recv)
		bearer := "cnt-" + randomJTI()
		id := pinger.ask(url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"},
			"authorization_details": {refund}, "client_notification_token": {bearer}})
		row := c.request("")

		// Nothing is pinged before the decision; a ping client that polls
		// anyway is told to wait, never to slow down.
		for range 2 {
			if st, out := pinger.poll(id); st != http.StatusBadRequest || out["error"] != "authorization_pending" {
				t.Fatalf("polling before the decision: %d %v", st, out)
			}
		}
		if n := c.pings(row.PublicID); n != 0 {
			t.Fatalf("%d pings before the decision", n)
		}
		// A refused decision (no step-up) records no ping.
		if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin), approval.Decision{ID: row.PublicID, Approve: true}); err == nil {
			t.Fatal("approving without a strong authentication succeeded")
		}
		if n := c.pings(row.PublicID); n != 0 {
			t.Fatalf("%d pings after a refused decision", n)
		}

		c.approveAsAnn(row.PublicID)
		d, err := db.Client.WebhookDelivery.Query().Where(webhookdelivery.KindEQ(webhookdelivery.KindPing),
			webhookdelivery.ApprovalID(row.PublicID)).Only(c.sys("acme"))
		if err != nil {
			t.Fatalf("the ping of the approval: %v", err)
		}
		if d.Status != webhookdelivery.StatusPending || d.URL != recv.url() || strings.Contains(string(d.Sealed), bearer) ||
			strings.Contains(string(d.Sealed), id) || strings.Contains(d.Payload, bearer) {
			t.Fatalf("the ping delivery: %+v", d)
		}

		c.deliver(t)
		calls := recv.take()
		if len(calls) != 1 {
			t.Fatalf("the receiver got %d calls: %+v", len(calls), calls)
		}
		if got := calls[0]; got.method != http.MethodPost || got.path != "/cb" || got.authorization != "Bearer "+bearer ||
			!strings.HasPrefix(got.contentType, "application/json") || len(got.body) != 1 || got.body["auth_req_id"] != id {
			t.Fatalf("the ping: %+v", got)
		}
		if d, _ := db.Client.WebhookDelivery.Get(c.sys("acme"), d.ID); d.Status != webhookdelivery.StatusDelivered {
			t.Fatalf("the ping's delivery after sending: %s", d.Status)
		}
		c.deliver(t)
		if again := recv.take(); len(again) != 0 {
			t.Fatalf("a delivered ping was sent again: %+v", again)
		}

		// Told, the client redeems its auth_req_id.
		st, out := pinger.poll(id)
		if st != http.StatusOK || out["approval_id"] != row.PublicID || out["access_token"] == nil {
			t.Fatalf("redeeming after the ping: %d %v", st, out)
		}
		if got := pinger.introspect(out["access_token"].(string)); got["active"] != true || got["approval_id"] != row.PublicID {
			t.Fatalf("the approved token: %v", got)
		}

		// A denial pings as well.
		denied := pinger.ask(url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"},
			"authorization_details": {refund}, "client_notification_token": {bearer + "-2"}})
		drow := c.request("")
		if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin), approval.Decision{ID: drow.PublicID, Reason: "no"}); err != nil {
			t.Fatalf("deny: %v", err)
		}
		if n := c.pings(drow.PublicID); n != 1 {
			t.Fatalf("%d pings after the denial", n)
		}
		c.deliver(t)
		if calls := recv.take(); len(calls) != 1 || calls[0].authorization != "Bearer "+bearer+"-2" || calls[0].body["auth_req_id"] != denied {
			t.Fatalf("the denial's ping: %+v", calls)
		}
		if st, out := pinger.poll(denied); st != http.StatusBadRequest || out["error"] != "access_denied" {
			t.Fatalf("redeeming a denied request: %d %v", st, out)
		}
		// A poll client's decisions ping no one.
		c.ask(refund, nil)
		prow := c.request("")
		c.approveAsAnn(prow.PublicID)
		if n := c.pings(prow.PublicID); n != 0 {
			t.Fatalf("a poll client's approval recorded %d pings", n)
		}
	})
}

// deliver runs the delivery worker once, as a replica would.
func (c *cibaWorld) deliver(t *testing.T) {
	t.Helper()
	if _, err := c.hooks.DeliverDue(context.Background()); err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
}
