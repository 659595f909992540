package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// mandate approval policy|type set the approval policies, validated and
// audited like the dashboard's; mandate approval list|show|deny act as the
// workspace's system: one JSON object each with --json, refusals on stderr
// with a non-zero exit, a denial audited as the CLI's and announced like a
// person's (webhook event, CIBA ping). Nobody approves from the CLI.
func TestCLIApprovals(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			c.t.Setenv("MANDATE_SECRET", strings.Repeat("s", 40))
			ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			c.object("scopes", "set", "--tenant", "acme", "--scope", "invoices:read=Read invoices", "--scope", "refunds:execute=Execute refunds", "--json")
			u := c.object("user", "create", "--tenant", "acme", "--email", "ann@acme.test", "--json")
			ag := c.object("agent", "create", "--tenant", "acme", "--name", "billing", "--sponsor", "ann@acme.test",
				"--scopes", "invoices:read,refunds:execute", "--generate-key", t.TempDir(), "--json")

			// The policies.
			if cmd, _, err := newRootCmd(&strings.Builder{}, &strings.Builder{}).Find([]string{"approval"}); err != nil ||
				!strings.Contains(cmd.Long, "Approving is not offered") {
				t.Errorf("approval's help: %v; want it to say why approving is not offered", err)
			}
			p := c.object("approval", "policy", "set", "--tenant", "acme", "--scope", "refunds:execute", "--approver-role", "admin", "--wait", "30", "--json")
			if got := fmt.Sprint(p["scopes"]); got != "[map[approver_role:admin scope:refunds:execute wait_minutes:30]]" {
				t.Fatalf("policy set = %v", p)
			}
			dir := t.TempDir()
			schema := filepath.Join(dir, "refund.json")
			write(t, schema, `{"type": "object", "required": ["invoice", "amount"],
				"properties": {"invoice": {"type": "string"}, "amount": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"}}}`)
			p = c.object("approval", "type", "set", "--tenant", "acme", "--type", "refund", "--schema-file", schema,
				"--description", "Refund an invoice", "--approval", "--json")
			types, _ := p["detail_types"].([]any)
			if len(types) != 1 {
				t.Fatalf("type set = %v", p)
			}
			refund := types[0].(map[string]any)
			if refund["type"] != "refund" || refund["description"] != "Refund an invoice" ||
				fmt.Sprint(refund["approval"]) != "map[approver_role: wait_minutes:10]" || refund["schema"].(map[string]any)["type"] != "object" {
				t.Fatalf("type set's refund = %v", refund)
			}
			// Redeclared without --approval (and without --description): no approval, the description kept.
			p = c.object("approval", "type", "set", "--tenant", "acme", "--type", "refund", "--schema-file", schema, "--json")
			if refund = p["detail_types"].([]any)[0].(map[string]any); refund["approval"] != nil || refund["description"] != "Refund an invoice" {
				t.Fatalf("type set again = %v", refund)
			}
			c.object("approval", "type", "set", "--tenant", "acme", "--type", "refund", "--schema-file", schema, "--wait", "5", "--json")
			notJSON, bad, remote := filepath.Join(dir, "not.json"), filepath.Join(dir, "bad.json"), filepath.Join(dir, "remote.json")
			write(t, notJSON, `{type: object`)
			write(t, bad, `{"type": 12}`)
			write(t, remote, `{"$ref": "https://schemas.example/refund.json"}`)
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"policy", "set", "--scope", "payroll:run"}, `"payroll:run" is not in acme's scope catalog`},
				{[]string{"policy", "set", "--scope", "refunds:execute", "--approver-role", "god"}, "approverRole"},
				{[]string{"policy", "set", "--scope", "refunds:execute", "--wait", "2000"}, "waitMinutes"},
				{[]string{"policy", "unset", "--scope", "payroll:run"}, "not in acme's scope catalog"},
				{[]string{"type", "set", "--type", "refund", "--schema-file", notJSON}, "is not JSON"},
				{[]string{"type", "set", "--type", "refund", "--schema-file", bad}, "does not compile"},
				{[]string{"type", "set", "--type", "refund", "--schema-file", remote}, "self-contained"},
				{[]string{"type", "set", "--type", "re fund", "--schema-file", schema}, "re fund"},
				{[]string{"type", "set", "--type", "refund", "--schema-file", filepath.Join(dir, "missing.json")}, "--schema-file"},
				{[]string{"type", "remove", "--type", "transfer"}, `"transfer" is not declared`},
			} {
				args := append([]string{"approval"}, tc.args...)
				args = append(args, "--tenant", "acme", "--json")
				stdout, _, err := c.run(args...)
				if err == nil || stdout != "" || !strings.Contains(describe(err), tc.want) {
					t.Errorf("mandate %v: %v, stdout %q; want an error mentioning %q", tc.args, err, stdout, tc.want)
				}
			}
			list := c.object("approval", "policy", "list", "--tenant", "acme", "--json")
			if fmt.Sprint(list["scopes"]) != "[map[approver_role:admin scope:refunds:execute wait_minutes:30]]" ||
				fmt.Sprint(list["detail_types"].([]any)[0].(map[string]any)["approval"]) != "map[approver_role: wait_minutes:5]" {
				t.Fatalf("policy list = %v", list)
			}
			if out, _, err := c.run("approval", "policy", "list", "--tenant", "acme"); err != nil ||
				!strings.Contains(out, "scope refunds:execute: approved by a member with the role admin or higher, waits 30m0s") ||
				!strings.Contains(out, "type refund (Refund an invoice): approved by the person the agent acts for, waits 5m0s") {
				t.Errorf("policy list (text) = %q, %v", out, err)
			}
			c.object("approval", "policy", "unset", "--tenant", "acme", "--scope", "refunds:execute", "--json")
			c.object("approval", "type", "remove", "--tenant", "acme", "--type", "refund", "--json")
			if l := c.object("approval", "policy", "list", "--tenant", "acme", "--json"); fmt.Sprint(l["scopes"], l["detail_types"]) != "[] []" {
				t.Fatalf("policy list after unset and remove = %v", l)
			}

			// The requests, stored as the backchannel endpoint would.
			target, err := database.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			db, err := database.Open(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			sys := viewer.AsSystem(viewer.ForTenant(context.Background(), int(ten["id"].(float64))), "test")
			if _, err := db.Client.Webhook.Create().SetURL("https://hooks.acme.test/mandate").SetSecret([]byte("sealed")).Save(sys); err != nil {
				t.Fatal(err)
			}
			details := `[{"type":"refund","invoice":"INV-1001","amount":"42.00"}]`
			newRequest := func(id string, expiresIn time.Duration, mode approvalrequest.DeliveryMode) *ent.ApprovalRequest {
				t.Helper()
				cr := db.Client.ApprovalRequest.Create().SetPublicID(id).SetAuthReqIDHash("hash-" + id).
					SetKind(approvalrequest.KindAction).SetClientID(ag["client_id"].(string)).SetAgentID(int(ag["id"].(float64))).
					SetAgentChain([]string{ag["client_id"].(string)}).SetUserID(int(u["id"].(float64))).
					SetScopes([]string{"refunds:execute"}).SetAuthorizationDetails(details).SetBindingMessage("R-" + id).
					SetRequires([]string{"type:refund"}).SetDeliveryMode(mode).SetInterval(5).
					SetExpiresAt(time.Now().Add(expiresIn).UTC().Truncate(time.Second))
				if mode == approvalrequest.DeliveryModePing {
					cr.SetNotificationEndpoint("https://agent.acme.test/cb").SetNotificationToken([]byte("sealed bearer"))
				}
				r, err := cr.Save(sys)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			polled := newRequest("apr_polled", 10*time.Minute, approvalrequest.DeliveryModePoll)
			pinged := newRequest("apr_pinged", 10*time.Minute, approvalrequest.DeliveryModePing)
			newRequest("apr_expired", -time.Minute, approvalrequest.DeliveryModePoll)

			all := c.object("approval", "list", "--tenant", "acme", "--json")
			rows, _ := all["approvals"].([]any)
			if len(rows) != 3 {
				t.Fatalf("approval list = %v", all)
			}
			first := rows[2].(map[string]any) // newest first
			requireKeys(t, first, "id", "kind", "status", "agent", "user", "scopes", "authorization_details", "binding_message", "expires_at", "decided_by")
			if first["id"] != "apr_polled" || first["kind"] != "action" || first["status"] != "pending" || first["agent"] != "billing" ||
				first["user"] != "ann@acme.test" || fmt.Sprint(first["scopes"]) != "[refunds:execute]" || first["binding_message"] != "R-apr_polled" ||
				first["expires_at"] != polled.ExpiresAt.Format(time.RFC3339) || first["decided_by"] != "" {
				t.Fatalf("approval list's request = %v", first)
			}
			if ad, _ := json.Marshal(first["authorization_details"]); string(ad) != `[{"amount":"42.00","invoice":"INV-1001","type":"refund"}]` {
				t.Errorf("authorization_details = %s", ad)
			}
			for status, want := range map[string][]string{"pending": {"apr_pinged", "apr_polled"}, "expired": {"apr_expired"}, "denied": nil} {
				l := c.object("approval", "list", "--tenant", "acme", "--status", status, "--json")
				var got []string
				for _, r := range l["approvals"].([]any) {
					got = append(got, r.(map[string]any)["id"].(string))
				}
				if !slices.Equal(got, want) {
					t.Errorf("approval list --status %s = %v; want %v", status, got, want)
				}
			}
			if out, _, err := c.run("approval", "list", "--tenant", "acme"); err != nil ||
				!strings.Contains(out, `apr_polled  pending  billing for ann@acme.test  "R-apr_polled"; refund: amount 42.00, invoice INV-1001  until`) {
				t.Errorf("approval list (text) = %q, %v", out, err)
			}
			show := c.object("approval", "show", "--tenant", "acme", "--id", "apr_expired", "--json")
			if show["id"] != "apr_expired" || show["status"] != "expired" || show["user"] != "ann@acme.test" {
				t.Errorf("approval show = %v", show)
			}

			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"list", "--status", "lost"}, "--status"},
				{[]string{"show", "--id", "apr_none"}, "not found"},
				{[]string{"deny", "--id", "apr_none"}, "not found"},
				{[]string{"deny", "--id", "apr_expired"}, "expired"},
				{[]string{"deny", "--id", "apr_polled", "--reason", strings.Repeat("x", 501)}, "500 characters"},
				{[]string{"approve", "--id", "apr_polled"}, "unknown"},
			} {
				args := append([]string{"approval"}, tc.args...)
				args = append(args, "--tenant", "acme", "--json")
				stdout, _, err := c.run(args...)
				if err == nil || stdout != "" || !strings.Contains(describe(err), tc.want) {
					t.Errorf("mandate approval %v: %v, stdout %q; want an error mentioning %q", tc.args, err, stdout, tc.want)
				}
			}

			// The operator denies; the agents learn it as from a person.
			den := c.object("approval", "deny", "--tenant", "acme", "--id", "apr_polled", "--reason", "  not this invoice ", "--json")
			if den["status"] != "denied" || den["decided_by"] != "system" || den["deny_reason"] != "not this invoice" || den["decided_at"] == nil {
				t.Fatalf("approval deny = %v", den)
			}
			c.object("approval", "deny", "--tenant", "acme", "--id", "apr_pinged", "--json")
			if _, _, err := c.run("approval", "deny", "--tenant", "acme", "--id", "apr_polled", "--json"); err == nil || !strings.Contains(err.Error(), "already denied") {
				t.Errorf("denying twice: %v", err)
			}
			for _, r := range []*ent.ApprovalRequest{polled, pinged} {
				stored, err := db.Client.ApprovalRequest.Get(sys, r.ID)
				if err != nil || stored.Status != approvalrequest.StatusDenied || stored.DecidedBy != nil || stored.DecidedAt == nil {
					t.Errorf("the stored request %s: %v, %v", r.PublicID, stored, err)
				}
			}
			ds, err := db.Client.WebhookDelivery.Query().Order(ent.Asc(webhookdelivery.FieldID)).All(sys)
			if err != nil || len(ds) != 3 {
				t.Fatalf("deliveries %v, %v; want two webhook events and a ping", ds, err)
			}
			if ds[0].Kind != webhookdelivery.KindWebhook || ds[0].Event != "approval.denied" || ds[0].ApprovalID != "apr_polled" ||
				!strings.Contains(ds[0].Payload, `"decided_by":"system"`) || !strings.Contains(ds[0].Payload, "INV-1001") {
				t.Errorf("the denial's webhook event: %+v", ds[0])
			}
			if ping := ds[2]; ping.Kind != webhookdelivery.KindPing || ping.ApprovalID != "apr_pinged" || ping.URL != "https://agent.acme.test/cb" {
				t.Errorf("the ping: %+v (all %+v)", ping, ds)
			}
			evs, err := db.Client.AuditEvent.Query().Where(auditevent.Action("approval.denied")).Order(ent.Asc(auditevent.FieldSeq)).All(sys)
			if err != nil || len(evs) != 2 || evs[0].ApprovalID != "apr_polled" || evs[0].Details["reason"] != "not this invoice" {
				t.Fatalf("approval.denied events %+v, %v", evs, err)
			}
			for _, ev := range evs {
				if ev.ActorType != string(viewer.System) || ev.UserAgent != "mandate-cli" || !ev.ApprovalRequired {
					t.Errorf("%s by %s (%s); want the CLI as the system", ev.Action, ev.ActorType, ev.UserAgent)
				}
			}
			settings, err := db.Client.AuditEvent.Query().Where(auditevent.Action("tenant.settings_updated"),
				auditevent.UserAgent("mandate-cli")).Count(sys)
			if err != nil || settings < 6 {
				t.Errorf("%d settings updates audited as the CLI's (%v)", settings, err)
			}
			if v := c.object("audit", "verify", "--tenant", "acme", "--json"); v["ok"] != true {
				t.Errorf("audit verify = %v", v)
			}
		})
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
