package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// enqueueEvent records an approval event in the workspace tid of the
// database at u, as the approval capability would.
func enqueueEvent(t *testing.T, u string, secret []byte, tid int, event, approvalID string) {
	t.Helper()
	target, err := database.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := webhooks.New(webhooks.Config{Client: db.Client, Audit: audit.NewRecorder(), MasterSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(context.Background(), tid), "test")
	tx, err := db.Client.Tx(sys)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(sys, tx, event, approvalID, map[string]any{"approval_id": approvalID}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// mandate webhook create|list|delete|deliveries: one JSON object each,
// the secret only on creation, refusals on stderr with a non-zero exit.
func TestCLIWebhooks(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			master := strings.Repeat("s", 40)
			c.t.Setenv("MANDATE_SECRET", master)
			ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")

			for _, bad := range [][]string{
				{"--url", "http://hooks.example/x"},
				{"--url", "https://hooks.example/x", "--event", "user.deleted"},
			} {
				args := append([]string{"webhook", "create", "--tenant", "acme", "--json"}, bad...)
				if stdout, _, err := c.run(args...); err == nil || stdout != "" {
					t.Errorf("mandate %v: %v, stdout %q; want an error", bad, err, stdout)
				}
			}
			h := c.object("webhook", "create", "--tenant", "acme", "--url", "https://hooks.acme.example/mandate",
				"--event", "approval.approved", "--event", "approval.denied", "--description", "Approvals", "--json")
			requireKeys(t, h, "id", "url", "secret")
			secret, _ := h["secret"].(string)
			if h["url"] != "https://hooks.acme.example/mandate" || len(secret) != 43 {
				t.Fatalf("webhook create = %v", h)
			}
			list := c.object("webhook", "list", "--tenant", "acme", "--json")
			hs, _ := list["webhooks"].([]any)
			if len(hs) != 1 {
				t.Fatalf("webhook list = %v", list)
			}
			first := hs[0].(map[string]any)
			if first["id"] != h["id"] || first["description"] != "Approvals" || len(first["events"].([]any)) != 2 {
				t.Errorf("webhook list's webhook = %v", first)
			}
			if out, _, err := c.run("webhook", "list", "--tenant", "acme"); err != nil || strings.Contains(out, secret) ||
				!strings.Contains(out, "https://hooks.acme.example/mandate") {
				t.Errorf("webhook list (text) = %q, %v", out, err)
			}
			if out, _, _ := c.run("webhook", "list", "--tenant", "acme", "--json"); strings.Contains(out, secret) {
				t.Error("webhook list prints the secret")
			}

			tid := int(ten["id"].(float64))
			enqueueEvent(t, c.url, []byte(master), tid, "approval.approved", "apr_cli")
			enqueueEvent(t, c.url, []byte(master), tid, "approval.requested", "apr_cli") // not subscribed
			enqueueEvent(t, c.url, []byte(master), tid, "approval.denied", "apr_other")
			ds := c.object("webhook", "deliveries", "--tenant", "acme", "--approval", "apr_cli", "--json")
			log, _ := ds["deliveries"].([]any)
			if len(log) != 1 {
				t.Fatalf("webhook deliveries --approval = %v", ds)
			}
			entry := log[0].(map[string]any)
			requireKeys(t, entry, "id", "kind", "event", "url", "status", "attempts", "next_attempt_at", "created_at")
			if entry["event"] != "approval.approved" || entry["status"] != "pending" || entry["approval_id"] != "apr_cli" ||
				entry["webhook_id"] != h["id"] {
				t.Errorf("delivery = %v", entry)
			}
			if all := c.object("webhook", "deliveries", "--tenant", "acme", "--json"); len(all["deliveries"].([]any)) != 2 {
				t.Errorf("webhook deliveries = %v", all)
			}

			id := strconv.Itoa(int(h["id"].(float64)))
			del := c.object("webhook", "delete", "--tenant", "acme", "--id", id, "--json")
			if del["id"] != h["id"] || del["deleted"] != true {
				t.Errorf("webhook delete = %v", del)
			}
			if _, _, err := c.run("webhook", "delete", "--tenant", "acme", "--id", id, "--json"); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Errorf("deleting it again: %v", err)
			}
			if list := c.object("webhook", "list", "--tenant", "acme", "--json"); len(list["webhooks"].([]any)) != 0 {
				t.Errorf("after delete: %v", list)
			}
			ds = c.object("webhook", "deliveries", "--tenant", "acme", "--approval", "apr_cli", "--json")
			if e := ds["deliveries"].([]any)[0].(map[string]any); e["status"] != "failed" || e["last_error"] != "the webhook was deleted" {
				t.Errorf("the deleted webhook's delivery = %v", e)
			}

			target, _ := database.Parse(c.url)
			db, err := database.Open(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			sys := viewer.AsSystem(viewer.ForTenant(context.Background(), tid), "test")
			evs, err := db.Client.AuditEvent.Query().Where(auditevent.TargetType("webhook")).All(sys)
			if err != nil || len(evs) != 2 || evs[0].ActorType != string(viewer.System) || evs[0].UserAgent != "mandate-cli" {
				t.Errorf("audit events %v, %v; want the CLI's creation and deletion", evs, err)
			}
		})
	}
}

// `mandate serve` runs the delivery worker: an event recorded while it
// runs reaches the receiver, signed with the secret the CLI printed.
func TestServeDeliversWebhooks(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite://" + filepath.Join(dir, "m.db")
	t.Setenv("MANDATE_DATABASE_URL", dbURL)
	master := strings.Repeat("q", 40)
	t.Setenv("MANDATE_SECRET", master)
	type delivery struct {
		sig  string
		body []byte
	}
	got := make(chan delivery, 1)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- delivery{r.Header.Get(webhooks.SignatureHeader), b}:
		default:
		}
	}))
	defer rcv.Close()

	c := &cli{t: t, url: dbURL}
	ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
	h := c.object("webhook", "create", "--tenant", "acme", "--url", rcv.URL+"/hook", "--json")
	_, stop := startServe(t, freeAddr(t))
	enqueueEvent(t, dbURL, []byte(master), int(ten["id"].(float64)), "approval.requested", "apr_served")
	select {
	case d := <-got:
		if err := webhooks.VerifySignature([]byte(h["secret"].(string)), d.sig, d.body, time.Now(), webhooks.DefaultTolerance); err != nil {
			t.Errorf("the served delivery does not verify: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not deliver the event")
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}
