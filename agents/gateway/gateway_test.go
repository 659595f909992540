package gateway_test

import (
	"context"
	"github.com/mandatehq/mandate/auth/audit"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

func (w *world) lastEvent(action string) *ent.AuditEvent {
	w.t.Helper()
	audit.Settle()
	ev, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Order(ent.Desc(auditevent.FieldSeq)).First(w.sys())
	if err != nil {
		w.t.Fatalf("%s event: %v", action, err)
	}
	return ev
}

func (w *world) countEvents(action string) int {
	w.t.Helper()
	audit.Settle()
	n, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action(action)).Count(w.sys())
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

func wantProblem(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.json["code"] != code || !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("want %d %s, got %d %s", status, code, a.status, a.body)
	}
}

// The agent calls the billing API through the gateway: the upstream gets
// the key, the agent never sees it, even echoed back, and redacted
// headers and JSON fields are gone; the call is audited with everything.
func TestGatewayInjectsScrubsAndAudits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		tok := w.ownToken("invoices:read refunds:preview")
		a := w.call("GET", "billing/invoices/INV-1?access_token="+tok+"&q=1", tok, "", map[string]string{
			"Cookie": "session=abc", "Connection": "X-Drop", "X-Drop": "1", "X-Keep": "yes"})
		if a.status != http.StatusOK {
			t.Fatalf("call: %d %s", a.status, a.body)
		}
		if w.up.keys[0] != "Token "+apiKey {
			t.Fatalf("the upstream got %q", w.up.keys[0])
		}
		got := w.up.calls[0]
		if got.Header.Get("Authorization") != "" || got.Header.Get("Cookie") != "" || got.Header.Get("X-Drop") != "" ||
			got.Header.Get("X-Keep") != "yes" || got.URL.Path != "/v1/invoices/INV-1" || got.URL.RawQuery != "q=1" {
			t.Fatalf("the upstream request: %s %s %v", got.URL.Path, got.URL.RawQuery, got.Header)
		}
		if a.json["echo"] != "Token [redacted]" || a.header.Get("X-Echo-Key") != "Token [redacted]" {
			t.Fatalf("the echo is not scrubbed: %v %v", a.json["echo"], a.header)
		}
		if a.header.Get("X-Internal-Trace") != "" || a.json["internal_notes"] != nil ||
			a.json["nested"].(map[string]any)["internal_notes"] != nil || a.json["nested"].(map[string]any)["ok"] != true {
			t.Fatalf("redaction: %v %s", a.header, a.body)
		}
		ev := w.lastEvent("gateway.call")
		if ev.ClientID != w.billing || ev.TargetType != "tool" || ev.TargetID != strconv.Itoa(w.toolID) ||
			ev.CredentialID != strconv.Itoa(w.credID) || ev.CredentialType != "api_key" || strings.Join(ev.Scope, " ") != "invoices:read" ||
			ev.Details["method"] != "GET" || ev.Details["path"] != "/invoices/INV-1" || ev.Details["upstream_status"] != "200" ||
			ev.Details["bytes_out"] != strconv.Itoa(len(a.body)) || ev.ActorType != "agent" || len(ev.AgentChain) == 0 || ev.AgentChain[0] != w.billing {
			t.Fatalf("audit event: %+v", ev)
		}
		for k, v := range ev.Details {
			if strings.Contains(v, apiKey) || strings.Contains(k, apiKey) {
				t.Fatalf("the audit event holds the secret")
			}
		}
		c, err := db.Client.Credential.Get(w.sys(), w.credID)
		if err != nil || c.LastUsedAt == nil {
			t.Fatalf("last used: %v %+v", err, c)
		}

		// A body goes through; one over the tool's limit does not.
		a = w.call("POST", "billing/refunds/preview", tok, `{"invoice":"INV-1"}`, map[string]string{"Content-Type": "application/json"})
		if a.status != 200 || a.json["body"] != `{"invoice":"INV-1"}` {
			t.Fatalf("preview: %d %s", a.status, a.body)
		}
		if ev := w.lastEvent("gateway.call"); ev.Details["bytes_in"] != "19" {
			t.Fatalf("bytes_in: %v", ev.Details)
		}
		n := w.up.count()
		wantProblem(t, w.call("POST", "billing/refunds/preview", tok, strings.Repeat("x", 1<<16+1), nil), http.StatusRequestEntityTooLarge, "body_too_large")
		if w.up.count() != n {
			t.Fatal("an oversized body reached the upstream")
		}

		// ** matches the rest of the path.
		if a := w.call("GET", "billing/files/a/b/c.txt", tok, "", nil); a.status != 200 || a.json["path"] != "/v1/files/a/b/c.txt" {
			t.Fatalf("files: %d %s", a.status, a.body)
		}
	})
}

// Scope, tool, operation and path checks refuse before any upstream call,
// each audited as gateway.refused.
func TestGatewayRefuses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		read := w.ownToken("invoices:read")
		wantProblem(t, w.call("POST", "billing/refunds/preview", read, "{}", nil), http.StatusForbidden, "insufficient_scope")
		if ev := w.lastEvent("gateway.refused"); ev.Details["reason"] != "insufficient_scope" || ev.ClientID != w.billing || ev.Outcome != "denied" {
			t.Fatalf("refusal event: %+v", ev)
		}
		wantProblem(t, w.call("GET", "billing/invoices/INV-1", "", "", nil), http.StatusUnauthorized, "invalid_token")
		wantProblem(t, w.call("GET", "billing/invoices/INV-1", "not-a-token", "", nil), http.StatusUnauthorized, "invalid_token")
		wantProblem(t, w.call("DELETE", "billing/invoices/INV-1", read, "", nil), http.StatusForbidden, "operation_not_allowed")
		wantProblem(t, w.call("GET", "billing/invoices/INV-1/extra", read, "", nil), http.StatusForbidden, "operation_not_allowed")
		wantProblem(t, w.call("GET", "nosuch/invoices/INV-1", read, "", nil), http.StatusNotFound, "no_such_tool")

		// A tool the agent is not given.
		if _, err := w.tools.CreateTool(w.sys(), w.billingTool("payroll", w.up.srv.URL+"/v1", true)); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, w.call("GET", "payroll/invoices/INV-1", read, "", nil), http.StatusForbidden, "tool_not_allowed")

		// Path tricks, sent raw.
		for _, p := range []string{"billing/invoices/../../admin", "billing/invoices/%2e%2e/x", "billing/invoices/a%2fb",
			"billing/invoices/a%5cb", "billing/invoices/a%0d%0aX-Evil:%201", "billing/invoices//x", "billing/invoices/./x",
			"billing/invoices/a%00", "billing/invoices/a\\b"} {
			req, err := http.NewRequest("GET", w.srv.URL+"/t/acme/gateway/"+p, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+read)
			wantProblem(t, w.do(req), http.StatusBadRequest, "invalid_path")
		}
		if w.up.count() != 0 {
			t.Fatalf("the upstream was called %d times", w.up.count())
		}
		audit.Settle()
		if n, _ := db.Client.AuditEvent.Query().Where(auditevent.Action("gateway.refused")).Count(w.sys()); n < 15 {
			t.Fatalf("refusals audited: %d", n)
		}
	})
}

// Only the registered upstream: a tool not marked internal never reaches
// loopback, and a redirect to another host is not followed.
func TestGatewaySSRF(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		read := w.ownToken("invoices:read")
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(w.up.srv.URL, "http://"))
		for name, u := range map[string]string{"loop": "https://127.0.0.1:" + port + "/v1", "local": "https://localhost:" + port + "/v1",
			"meta": "https://169.254.169.254/v1", "ten": "https://10.0.0.1:" + port + "/v1"} {
			if _, err := w.tools.CreateTool(w.sys(), w.billingTool(name, u, false)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Client.Agent.UpdateOneID(w.agentID).SetTools([]string{"billing", "loop", "local", "meta", "ten"}).Exec(w.sys()); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"loop", "local", "meta", "ten"} {
			wantProblem(t, w.call("GET", name+"/invoices/INV-1", read, "", nil), http.StatusBadGateway, "upstream_refused")
		}
		if w.up.count() != 0 {
			t.Fatal("a non-internal tool reached loopback")
		}
		// http is for internal tools only.
		if _, err := w.tools.CreateTool(w.sys(), w.billingTool("plain", w.up.srv.URL+"/v1", false)); apperr.KindOf(err) != apperr.Invalid {
			t.Fatalf("an http upstream for a public tool: %v", err)
		}

		// Redirects: elsewhere refused, home passed on as is.
		wantProblem(t, w.call("GET", "billing/redirect-away", read, "", nil), http.StatusBadGateway, "redirect_refused")
		if a := w.call("GET", "billing/redirect-home", read, "", nil); a.status != http.StatusFound || a.header.Get("Location") != "/v1/invoices/INV-1" {
			t.Fatalf("redirect home: %d %v", a.status, a.header)
		}
		if w.up.count() != 2 {
			t.Fatalf("upstream calls: %d", w.up.count())
		}
	})
}

// An operation marked approval needs a single-use approval token, spent
// by the call: in the Mandate-Approval header or as the bearer itself.
func TestGatewayApproval(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		obo := w.obo()
		wantProblem(t, w.call("POST", "billing/refunds", obo, refundCall, nil), http.StatusForbidden, "approval_required")
		at := w.approvalToken(obo)
		// An operation without approval spends nothing, and a caller
		// cannot claim an approval in the header the gateway sets.
		if a := w.call("GET", "billing/invoices/INV-1", obo, "", map[string]string{gateway.ApprovalHeader: at,
			gateway.DetailsHeader: refund}); a.status != 200 {
			t.Fatalf("read with an approval beside: %d %s", a.status, a.body)
		}
		if got := w.up.lastHeader(gateway.DetailsHeader); got != "" {
			t.Fatalf("a forged %s reached the upstream: %q", gateway.DetailsHeader, got)
		}
		// Another amount, or not the refund at all, is not what Ann
		// approved: refused, and the approval is not spent.
		for _, body := range []string{strings.Replace(refundCall, "42.00", "4200.00", 1), `{"invoice":"INV-1001"}`, refund, "not json"} {
			wantProblem(t, w.call("POST", "billing/refunds", obo, body, map[string]string{gateway.ApprovalHeader: at}),
				http.StatusForbidden, "approval_mismatch")
		}
		if a := w.call("POST", "billing/refunds", obo, refundCall, map[string]string{gateway.ApprovalHeader: at}); a.status != 200 {
			t.Fatalf("the approved refund: %d %s", a.status, a.body)
		}
		if got := w.up.lastHeader(gateway.DetailsHeader); !strings.Contains(got, `"amount":"42.00"`) {
			t.Fatalf("the upstream was not told what was approved: %q", got)
		}
		ev := w.lastEvent("gateway.call")
		if !ev.ApprovalRequired || ev.ApprovalID == "" || strings.Join(ev.Scope, " ") != "refunds:execute" ||
			ev.Details["subject"] == "" || ev.GrantID == "" || len(ev.AgentChain) == 0 || ev.AgentChain[0] != w.billing {
			t.Fatalf("approved call event: %+v", ev)
		}
		n := w.up.count()
		a := w.call("POST", "billing/refunds", obo, refundCall, map[string]string{gateway.ApprovalHeader: at})
		if a.status != http.StatusForbidden || a.json["code"] != "approval_used" {
			t.Fatalf("a second use: %d %s", a.status, a.body)
		}
		t.Logf("second use via header: %d %v", a.status, a.json["code"])
		// The approval token as the bearer itself, once.
		at2 := w.approvalToken(obo)
		if a := w.call("POST", "billing/refunds", at2, refundCall, nil); a.status != 200 {
			t.Fatalf("approval token as bearer: %d %s", a.status, a.body)
		}
		a = w.call("POST", "billing/refunds", at2, refundCall, nil)
		if a.status != http.StatusForbidden || a.json["code"] != "approval_used" {
			t.Fatalf("the bearer approval twice: %d %s", a.status, a.body)
		}
		if n := w.countEvents("approval.reuse_refused"); n != 2 {
			t.Fatalf("approval.reuse_refused events: %d, want 2", n)
		}
		t.Logf("second use as bearer: %d %v", a.status, a.json["code"])
		if w.up.count() != n+1 {
			t.Fatalf("upstream calls %d, want %d", w.up.count(), n+1)
		}
	})
}

// Revoking the credential, disabling the tool or suspending the agent
// stops the next call; a tampered ciphertext fails closed.
func TestGatewayStopsAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		read := w.ownToken("invoices:read")
		if a := w.call("GET", "billing/invoices/INV-1", read, "", nil); a.status != 200 {
			t.Fatalf("call: %d", a.status)
		}
		// Tampered: one bit of the sealed value flipped.
		c, _ := db.Client.Credential.Get(w.sys(), w.credID)
		sealed := append([]byte(nil), c.Sealed...)
		sealed[len(sealed)-1] ^= 1
		if err := db.Client.Credential.UpdateOneID(w.credID).SetSealed(sealed).Exec(w.sys()); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, w.call("GET", "billing/invoices/INV-1", read, "", nil), http.StatusBadGateway, "credential_unavailable")
		if err := db.Client.Credential.UpdateOneID(w.credID).SetSealed(c.Sealed).Exec(w.sys()); err != nil {
			t.Fatal(err)
		}
		if a := w.call("GET", "billing/invoices/INV-1", read, "", nil); a.status != 200 {
			t.Fatalf("restored: %d", a.status)
		}
		if _, err := w.vault.Revoke(w.sys(), w.credID); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, w.call("GET", "billing/invoices/INV-1", read, "", nil), http.StatusForbidden, "credential_revoked")
		if ev := w.lastEvent("gateway.refused"); ev.CredentialID != strconv.Itoa(w.credID) || ev.Details["reason"] != "credential_revoked" {
			t.Fatalf("revoked event: %+v", ev)
		}
		// A new key; then the tool disabled; then the agent suspended.
		nc, err := w.vault.Create(w.sys(), vault.NewCredential{Name: "billing key 2", Kind: credential.KindAPIKey,
			OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Token: apiKey}})
		if err != nil {
			t.Fatal(err)
		}
		w.credID = nc.ID
		if _, err := w.tools.UpdateTool(w.sys(), w.toolID, w.billingTool("billing", w.up.srv.URL+"/v1", true)); err != nil {
			t.Fatal(err)
		}
		if a := w.call("GET", "billing/invoices/INV-1", read, "", nil); a.status != 200 {
			t.Fatalf("new key: %d %s", a.status, a.body)
		}
		if _, err := w.tools.SetDisabled(w.sys(), w.toolID, true); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, w.call("GET", "billing/invoices/INV-1", read, "", nil), http.StatusNotFound, "no_such_tool")
		if _, err := w.tools.SetDisabled(w.sys(), w.toolID, false); err != nil {
			t.Fatal(err)
		}
		n := w.up.count()
		if err := db.Client.Agent.UpdateOneID(w.agentID).SetStatus(agent.StatusSuspended).Exec(w.sys()); err != nil {
			t.Fatal(err)
		}
		a := w.call("GET", "billing/invoices/INV-1", read, "", nil)
		if a.status != http.StatusUnauthorized && a.status != http.StatusForbidden {
			t.Fatalf("suspended agent: %d %s", a.status, a.body)
		}
		if w.up.count() != n {
			t.Fatal("a suspended agent reached the upstream")
		}
	})
}

// The registry: admins only, validated, audited.
func TestToolsRegistry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		good := w.billingTool("crm", "https://crm.example.com/api", false)
		member := viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tenantID, Kind: viewer.Human, ID: w.annID, Role: viewer.RoleMember})
		if _, err := w.tools.CreateTool(member, good); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("a member creates a tool: %v", err)
		}
		bad := map[string]func(*gateway.ToolInput){
			"name":      func(in *gateway.ToolInput) { in.Name = "bad name" },
			"userinfo":  func(in *gateway.ToolInput) { in.UpstreamURL = "https://u:p@crm.example.com/" },
			"query":     func(in *gateway.ToolInput) { in.UpstreamURL = "https://crm.example.com/?a=1" },
			"fragment":  func(in *gateway.ToolInput) { in.UpstreamURL = "https://crm.example.com/#x" },
			"relative":  func(in *gateway.ToolInput) { in.UpstreamURL = "/api" },
			"hop":       func(in *gateway.ToolInput) { in.HeaderName = "Connection" },
			"host":      func(in *gateway.ToolInput) { in.HeaderName = "Host" },
			"authz":     func(in *gateway.ToolInput) { in.HeaderName = "Authorization" },
			"badheader": func(in *gateway.ToolInput) { in.HeaderName = "X Key" },
			"template":  func(in *gateway.ToolInput) { in.HeaderTemplate = "Token" },
			"crlf":      func(in *gateway.ToolInput) { in.HeaderTemplate = "{secret}\r\nX: 1" },
			"nocred":    func(in *gateway.ToolInput) { in.CredentialID = 999999 },
			"noops":     func(in *gateway.ToolInput) { in.Operations = `[]` },
			"badjson":   func(in *gateway.ToolInput) { in.Operations = `{` },
			"method":    func(in *gateway.ToolInput) { in.Operations = `[{"method":"BREW","path":"/x","scope":"invoices:read"}]` },
			"pattern":   func(in *gateway.ToolInput) { in.Operations = `[{"method":"GET","path":"x","scope":"invoices:read"}]` },
			"dots": func(in *gateway.ToolInput) {
				in.Operations = `[{"method":"GET","path":"/a/../b","scope":"invoices:read"}]`
			},
			"midglob": func(in *gateway.ToolInput) {
				in.Operations = `[{"method":"GET","path":"/**/b","scope":"invoices:read"}]`
			},
			"scope":       func(in *gateway.ToolInput) { in.Operations = `[{"method":"GET","path":"/x","scope":"nope:nope"}]` },
			"redaction":   func(in *gateway.ToolInput) { in.Redaction = `{"headerz":[]}` },
			"queryparam":  func(in *gateway.ToolInput) { in.Injection = tool.InjectionQuery; in.QueryParam = "a b" },
			"basicneedsb": func(in *gateway.ToolInput) { in.Injection = tool.InjectionBasic },
		}
		for name, mutate := range bad {
			in := good
			mutate(&in)
			if _, err := w.tools.CreateTool(w.sys(), in); apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("%s: %v", name, err)
			}
		}
		made, err := w.tools.CreateTool(w.sys(), good)
		if err != nil {
			t.Fatal(err)
		}
		if ev := w.lastEvent("tool.created"); ev.TargetID != strconv.Itoa(made.ID) || ev.Details["name"] != "crm" {
			t.Fatalf("created event: %+v", ev)
		}
		if got, err := w.tools.Tool(w.sys(), "crm"); err != nil || got.ID != made.ID {
			t.Fatalf("by name: %v", err)
		}
		list, err := w.tools.ListTools(w.sys())
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %v %d", err, len(list))
		}
		good.Description = "The CRM"
		if up, err := w.tools.UpdateTool(w.sys(), made.ID, good); err != nil || up.Description != "The CRM" {
			t.Fatalf("update: %v", err)
		}
		w.lastEvent("tool.updated")
		if err := w.tools.DeleteTool(w.sys(), made.ID); err != nil {
			t.Fatal(err)
		}
		w.lastEvent("tool.deleted")
	})
}
