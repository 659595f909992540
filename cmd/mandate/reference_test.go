package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/examples/reference"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
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
		catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"},
			{Name: "refunds:preview", Description: "Preview refunds"}, {Name: "refunds:execute", Description: "Execute refunds", MinRole: "admin"}}
		if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
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
		flows := testFlowsAt(db, ts, log, srv.URL)
		signing := testKeys(t, db)
		cs := clients.NewService(db.Client, audit.NewRecorder())
		reg := registry.NewService(db.Client, audit.NewRecorder(), cs)
		iss := issuer.New(issuer.Config{Client: db.Client, Tenants: ts, Keys: signing, Flows: flows, Audit: audit.NewRecorder(),
			BaseURL: srv.URL, MasterSecret: []byte(strings.Repeat("m", 32)), Log: log, Authority: registry.Authority{S: reg}})
		cs.OnChange = iss.ForgetClient
		ts.OnSettingsChange = iss.ForgetWorkspace
		srv.Config.Handler = newHandler(log, ts, db.Ping, false, flows, signing, iss, reg)

		var out bytes.Buffer
		err = reference.Run(ctx, reference.Config{Base: srv.URL, Tenant: "acme", Email: "ann@acme.example", Password: pw, AdminToken: token}, &out)
		t.Log(out.String())
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"refused", "3 invoices", "refund preview for invoice INV-1001",
			"  run-support-1: support", "    run-billing-1: billing"} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("the scenario did not say %q", want)
			}
		}
		// Billing's calls carry the whole chain: billing ← support ← planner.
		if !strings.Contains(out.String(), " ← ") || strings.Count(strings.SplitN(out.String(), "3 invoices", 2)[1], " ← ") < 2 {
			t.Fatalf("the act chain is not three deep:\n%s", out.String())
		}
	})
}
