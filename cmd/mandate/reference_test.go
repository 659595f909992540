package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/examples/reference"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// The examples/ program plays the reference scenario end to end against
// the server as the binary wires it: it must keep working as Mandate grows.
func TestReferenceScenarioExampleRuns(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ts := tenants.NewService(db.Client, audit.NewRecorder())
		tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
		// The policy: executing a refund needs the approval of the person
		// the agent acts for, of that one refund.
		catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"},
			{Name: "refunds:preview", Description: "Preview refunds"},
			{Name: "refunds:execute", Description: "Execute refunds", MinRole: "admin", Approval: &settings.ApprovalRule{}}}
		// The refund type, declared by the schema the README's instructions use.
		refundSchema, err := os.ReadFile(filepath.Join("..", "..", "examples", "reference", "refund.schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		types := []settings.DetailType{{Type: "refund", Description: "One refund of an invoice", Schema: json.RawMessage(refundSchema),
			Approval: &settings.ApprovalRule{WaitMinutes: 10}}}
		if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &catalog, DetailTypes: &types}); err != nil {
			t.Fatal(err)
		}
		const pw = "a long unusual passphrase"
		hash, _ := password.Hash(pw, password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
		if _, err := ts.AddMember(sys, tenants.NewMember{Email: "ann@acme.example", Role: viewer.RoleAdmin, PasswordHash: hash, EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
		_, token, err := ts.CreateAPIToken(sys, tenants.NewAPIToken{Name: "ops", Role: viewer.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv := httptest.NewServer(nil)
		defer srv.Close()
		// Wired as serve does: the authenticator app (Ann steps up with it)
		// and the approvals inbox.
		secret := []byte(strings.Repeat("m", 32))
		flows := testFlowsAt(db, ts, log, srv.URL)
		factors, err := mfa.New(mfa.Config{Client: db.Client, Flows: flows, Audit: audit.NewRecorder(), MasterSecret: secret, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		flows.SetFactors(signin.FactorList{factors})
		signing := testKeys(t, db)
		cs := clients.NewService(db.Client, audit.NewRecorder())
		reg := registry.NewService(db.Client, audit.NewRecorder(), cs)
		hooks, err := webhooks.New(webhooks.Config{Client: db.Client, Audit: audit.NewRecorder(), MasterSecret: secret, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		approvals := approval.New(approval.Config{Client: db.Client, Audit: audit.NewRecorder(), Flows: flows, Webhooks: hooks,
			BaseURL: srv.URL, Log: log})
		iss := issuer.New(issuer.Config{Client: db.Client, Tenants: ts, Keys: signing, Flows: flows, Audit: audit.NewRecorder(),
			BaseURL: srv.URL, MasterSecret: secret, Log: log, Authority: registry.Authority{S: reg}, Approvals: approvals})
		cs.OnChange = iss.ForgetClient
		ts.OnSettingsChange = iss.ForgetWorkspace
		// The vault and the tool gateway, as serve wires them: billing
		// calls the billing API through the gateway.
		vlt, err := vault.New(vault.Config{Client: db.Client, Audit: audit.NewRecorder(), Masters: [][]byte{secret}, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		gw := gateway.New(gateway.Config{Client: db.Client, Tenants: ts, Tokens: iss, Vault: vlt, Audit: audit.NewRecorder(), Log: log})
		t.Cleanup(gw.Wait)
		srv.Config.Handler = newHandler(log, ts, db.Ping, false, flows, signing, iss, reg,
			mfaEdge{Handler: mfa.NewHandler(factors, signin.NewHandler(flows, ts)), svc: factors}, approvalEdge{svc: approvals},
			vaultEdge{svc: vlt},
			gatewayEdge{Gateway: gw, tools: gateway.NewService(db.Client, audit.NewRecorder())})

		var out bytes.Buffer
		err = reference.Run(ctx, reference.Config{Base: srv.URL, Tenant: "acme", Email: "ann@acme.example", Password: pw, AdminToken: token}, &out)
		t.Log(out.String())
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"refused",
			// The key goes into the vault; the tool injects it.
			"the admin stored the billing API's key in the vault (credential ",
			"and registered the tool billing (internal: http://127.0.0.1:",
			// Reads and the preview, through the gateway; the key the API
			// echoes is scrubbed.
			"billing GET /t/acme/gateway/billing/invoices: 3 invoices",
			"the API echoed its key in a header; billing saw \"[redacted]\"",
			"billing POST /t/acme/gateway/billing/refunds/preview: refund preview for invoice INV-1001",
			// The approval: asked, pending, refused without a step-up,
			// approved after one, executed once, refused the second time.
			"billing asks Ann to approve refund INV-1001 42.00 EUR (CIBA): pending",
			"billing polls: authorization_pending",
			"Ann's inbox: billing (chain of 3 agents) asks, for ann@acme.example: \"Refund INV-1001 42.00 EUR\"; refund: amount 42.00, currency EUR, invoice INV-1001",
			"Ann approves with her password alone: STEP_UP_REQUIRED",
			"Ann approves refund INV-1001 42.00 EUR: approved (amr pwd otp mfa)",
			"billing got a single-use token: scope openid refunds:execute",
			"refresh token false",
			"billing POST /t/acme/gateway/billing/refunds/execute: refund INV-1001 42.00 EUR executed, as approved",
			"billing POST /t/acme/gateway/billing/refunds/execute again with the same approval: refused (403 approval_used",
			"refunds executed: 1",
			"the billing API saw its key on 3 calls and no Mandate token; billing received none of the key in 4 answers"} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("the scenario did not say %q", want)
			}
		}
		// The trace: support's run below the planner's, billing's below
		// support's, where it shows who approved and how, and what
		// happened to the approval.
		trace := regexp.MustCompile(`\n  run-planner-[0-9a-f]+: planner .*\n    run-support-[0-9a-f]+: support .*\n      (run-billing-[0-9a-f]+: billing .*)\n`).
			FindStringSubmatch(out.String())
		if trace == nil {
			t.Fatalf("the trace is not planner > support > billing:\n%s", out.String())
		}
		billingRun := trace[1]
		for _, want := range []string{" used by ann@acme.example (pwd otp mfa)", "approval.requested", "approval.approved",
			"approval.consumed", "gateway.call (GET /invoices 200 by ", "gateway.call (POST /refunds/preview 200 by ",
			"gateway.call (POST /refunds/execute 200 by ", "gateway.refused (POST /refunds/execute approval_used by "} {
			if !strings.Contains(billingRun, want) {
				t.Fatalf("billing's run in the trace lacks %q: %s", want, billingRun)
			}
		}
		// Billing's gateway calls are audited with the whole chain:
		// billing ← support ← planner.
		if !regexp.MustCompile(`gateway\.call \(GET /invoices 200 by [^ ]+ ← [^ ]+ ← [^ )]+\)`).MatchString(billingRun) {
			t.Fatalf("the act chain is not three deep:\n%s", out.String())
		}
	})
}
