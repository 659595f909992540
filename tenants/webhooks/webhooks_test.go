package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

var master = bytes.Repeat([]byte{'w'}, 32)

// clock is the injected time: tests move it; nothing sleeps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// workspace is one tenant of the fixture: its admin and a plain member.
type workspace struct {
	id     int
	admin  context.Context
	member context.Context
	system context.Context
}

type fixture struct {
	db    *database.DB
	c     *ent.Client
	clock *clock
	svc   *webhooks.Service
	a, b  workspace
}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, c: db.Client, clock: &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}}
	f.svc = f.replica(t)
	ts := tenants.NewService(db.Client, audit.NewRecorder())
	f.a = newWorkspace(t, ts, "a")
	f.b = newWorkspace(t, ts, "b")
	return f
}

// loopbackPings sends pings to the test's receivers on loopback, where
// the default client refuses them (TestPingsGoToPublicAddressesOnly).
var loopbackPings = &http.Client{Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// replica is another Service on the same database and clock, as a second
// server process would have.
func (f *fixture) replica(t *testing.T) *webhooks.Service {
	t.Helper()
	s, err := webhooks.New(webhooks.Config{Client: f.c, Audit: audit.NewRecorder(), MasterSecret: master, Now: f.clock.Now,
		PingClient: loopbackPings})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newWorkspace(t *testing.T, ts *tenants.Service, slug string) workspace {
	t.Helper()
	ctx := context.Background()
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug))
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	admin, err := ts.AddMember(sys, tenants.NewMember{Email: "admin@" + slug + ".example", Role: viewer.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	member, err := ts.AddMember(sys, tenants.NewMember{Email: "member@" + slug + ".example", Role: viewer.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	return workspace{
		id: tn.ID, system: sys,
		admin: viewer.NewContext(ctx, viewer.Viewer{TenantID: tn.ID, Kind: viewer.Human, ID: admin.UserID,
			Label: "admin@" + slug + ".example", Role: viewer.RoleAdmin}),
		member: viewer.NewContext(ctx, viewer.Viewer{TenantID: tn.ID, Kind: viewer.Human, ID: member.UserID,
			Label: "member@" + slug + ".example", Role: viewer.RoleMember}),
	}
}

// enqueue records an event in w as a capability would, in its own
// transaction.
func (f *fixture) enqueue(t *testing.T, w workspace, event, approvalID string) {
	t.Helper()
	tx, err := f.c.Tx(w.system)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Enqueue(w.system, tx, event, approvalID, map[string]any{"approval_id": approvalID}); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// ping records a CIBA ping in w for approvalID, sealed for sealedFor.
func (f *fixture) ping(t *testing.T, w workspace, endpoint, approvalID, sealedFor, bearer, authReqID string) {
	t.Helper()
	sealed, err := f.svc.SealPing(w.id, sealedFor, bearer, authReqID)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := f.c.Tx(w.system)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EnqueuePing(w.system, tx, endpoint, approvalID, sealed); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deliverDue(t *testing.T) int {
	t.Helper()
	n, err := f.svc.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return n
}

// deliveries reads every delivery of tenant tid, oldest first, as the
// system.
func (f *fixture) deliveries(t *testing.T, tid int) []*ent.WebhookDelivery {
	t.Helper()
	ds, err := f.c.WebhookDelivery.Query().Where(webhookdelivery.TenantID(tid)).
		Order(ent.Asc(webhookdelivery.FieldID)).All(viewer.AsSystem(context.Background(), "test"))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// received is one request the receiver got.
type received struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is an HTTP endpoint on loopback that records what it gets and
// answers with the statuses queued for its paths (200 once they run out).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status map[string][]int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{status: map[string][]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{path: req.URL.Path, header: req.Header.Clone(), body: body})
		code := http.StatusOK
		if q := r.status[req.URL.Path]; len(q) > 0 {
			code, r.status[req.URL.Path] = q[0], q[1:]
		}
		r.mu.Unlock()
		if code >= 300 && code < 400 {
			http.Redirect(w, req, "/elsewhere", code)
			return
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(strings.Repeat("x", 100<<10))) // more than is read
	}))
	t.Cleanup(r.Close)
	return r
}

// answer queues statuses for path.
func (r *receiver) answer(path string, codes ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status[path] = append(r.status[path], codes...)
}

func (r *receiver) requests(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if path == "" || g.path == path {
			out = append(out, g)
		}
	}
	return out
}

func TestCreateListDisableDelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		rcv := newReceiver(t)
		h, secret, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: rcv.URL + "/hook", Description: " Approvals ",
			Events: []string{"approval.denied", "approval.requested", "approval.denied"}})
		if err != nil {
			t.Fatal(err)
		}
		if h.TenantID != f.a.id || h.URL != rcv.URL+"/hook" || h.Description != "Approvals" || h.Disabled ||
			strings.Join(h.Events, ",") != "approval.denied,approval.requested" {
			t.Errorf("created %+v", h)
		}
		if len(secret) != 43 || strings.ContainsAny(secret, "+/=") {
			t.Errorf("secret %q: want 32 bytes in base64url", secret)
		}
		stored, err := f.c.Webhook.Get(f.a.system, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.Secret) == 0 || bytes.Contains(stored.Secret, []byte(secret)) || strings.Contains(stored.String(), secret) {
			t.Error("the secret is stored in the clear")
		}
		list, err := f.svc.List(f.a.admin)
		if err != nil || len(list) != 1 || list[0].ID != h.ID {
			t.Fatalf("List = %v, %v", list, err)
		}

		off, err := f.svc.SetDisabled(f.a.admin, h.ID, true)
		if err != nil || !off.Disabled {
			t.Fatalf("SetDisabled = %+v, %v", off, err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_1")
		if ds := f.deliveries(t, f.a.id); len(ds) != 0 {
			t.Errorf("a disabled webhook got %d deliveries", len(ds))
		}
		if _, err := f.svc.SetDisabled(f.a.admin, h.ID, false); err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, f.a, "approval.requested", "apr_2")
		f.enqueue(t, f.a, "approval.approved", "apr_2") // not subscribed
		ds := f.deliveries(t, f.a.id)
		if len(ds) != 1 || ds[0].Event != "approval.requested" || ds[0].WebhookID != h.ID || ds[0].Status != webhookdelivery.StatusPending {
			t.Fatalf("deliveries = %v; want one approval.requested", ds)
		}
		var payload struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(ds[0].Payload), &payload); err != nil || payload.Type != "approval.requested" || payload.Data["approval_id"] != "apr_2" {
			t.Errorf("payload %s: %v", ds[0].Payload, err)
		}

		// Deleting keeps the log and fails what was still pending.
		if err := f.svc.Delete(f.a.admin, h.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Get(f.a.admin, h.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Get after Delete: %v", err)
		}
		ds = f.deliveries(t, f.a.id)
		if len(ds) != 1 || ds[0].Status != webhookdelivery.StatusFailed || ds[0].LastError != "the webhook was deleted" {
			t.Errorf("deliveries after Delete = %v", ds)
		}
		if n := f.deliverDue(t); n != 0 || len(rcv.requests("")) != 0 {
			t.Errorf("a deleted webhook's delivery was sent: %d", n)
		}

		evs, err := f.c.AuditEvent.Query().Where(auditevent.TenantID(f.a.id), auditevent.TargetType("webhook")).
			Order(ent.Asc(auditevent.FieldSeq)).All(f.a.system)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range evs {
			actions = append(actions, ev.Action)
			raw, _ := json.Marshal(ev.Details)
			if strings.Contains(string(raw), secret) || strings.Contains(ev.String(), secret) {
				t.Errorf("%s carries the secret", ev.Action)
			}
			if ev.ActorType != string(viewer.Human) {
				t.Errorf("%s by %s; want the admin", ev.Action, ev.ActorType)
			}
		}
		if got := strings.Join(actions, " "); got != "webhook.created webhook.updated webhook.updated webhook.deleted" {
			t.Errorf("audit = %s", got)
		}
	})
}

func TestCreateRefusesBadInputAndNonAdmins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		for _, tc := range []struct {
			name string
			ctx  context.Context
			in   webhooks.NewWebhook
			want apperr.Kind
		}{
			{"a member", f.a.member, webhooks.NewWebhook{URL: "https://hooks.example/x"}, apperr.Forbidden},
			{"nobody", context.Background(), webhooks.NewWebhook{URL: "https://hooks.example/x"}, apperr.Unauthenticated},
			{"an agent", viewer.NewContext(context.Background(), viewer.Viewer{TenantID: f.a.id, Kind: viewer.Agent, ID: 1, Role: viewer.RoleOwner}),
				webhooks.NewWebhook{URL: "https://hooks.example/x"}, apperr.Forbidden},
			{"plain http", f.a.admin, webhooks.NewWebhook{URL: "http://hooks.example/x"}, apperr.Invalid},
			{"http to a private address", f.a.admin, webhooks.NewWebhook{URL: "http://10.0.0.1/x"}, apperr.Invalid},
			{"another scheme", f.a.admin, webhooks.NewWebhook{URL: "ftp://hooks.example/x"}, apperr.Invalid},
			{"relative", f.a.admin, webhooks.NewWebhook{URL: "/x"}, apperr.Invalid},
			{"credentials", f.a.admin, webhooks.NewWebhook{URL: "https://user:pw@hooks.example/x"}, apperr.Invalid},
			{"fragment", f.a.admin, webhooks.NewWebhook{URL: "https://hooks.example/x#y"}, apperr.Invalid},
			{"empty", f.a.admin, webhooks.NewWebhook{URL: " "}, apperr.Invalid},
			{"too long", f.a.admin, webhooks.NewWebhook{URL: "https://hooks.example/" + strings.Repeat("x", 2000)}, apperr.Invalid},
			{"unknown event", f.a.admin, webhooks.NewWebhook{URL: "https://hooks.example/x", Events: []string{"user.deleted"}}, apperr.Invalid},
			{"long description", f.a.admin, webhooks.NewWebhook{URL: "https://hooks.example/x", Description: strings.Repeat("d", 201)}, apperr.Invalid},
		} {
			if _, secret, err := f.svc.Create(tc.ctx, tc.in); apperr.KindOf(err) != tc.want || secret != "" {
				t.Errorf("%s: err = %v; want %s", tc.name, err, tc.want)
			}
		}
		for _, u := range []string{"https://hooks.example/x?a=b", "http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]:8080/x"} {
			if _, _, err := f.svc.Create(f.a.admin, webhooks.NewWebhook{URL: u}); err != nil {
				t.Errorf("Create(%s): %v", u, err)
			}
		}
		if _, err := f.svc.List(f.a.member); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("List as a member: %v", err)
		}
		if _, err := f.svc.Deliveries(f.a.member, webhooks.DeliveryFilter{}); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("Deliveries as a member: %v", err)
		}
		if n, err := f.c.Webhook.Query().Count(f.a.system); err != nil || n != 4 {
			t.Errorf("webhooks = %d, %v; want only the 4 valid ones", n, err)
		}
	})
}
