package tenants_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Editing the catalog's names and descriptions (the dashboard's Scopes
// page, `mandate scopes set`) keeps each scope's minimum role and approval
// rule: an edit of a description never turns an approval off.
func TestEditingTheCatalogKeepsScopeRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ts := tenants.NewService(db.Client, audit.NewRecorder())
		tn, err := ts.CreateTenant(viewer.AsSystem(context.Background(), "test"), "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		sys := viewer.AsSystem(viewer.ForTenant(context.Background(), tn.ID), "test")
		rules := []settings.Scope{{Name: "refunds:execute", Description: "Execute refunds", MinRole: "admin",
			Approval: &settings.ApprovalRule{ApproverRole: "owner", WaitMinutes: 30}}}
		if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &rules}); err != nil {
			t.Fatal(err)
		}
		edit := []settings.Scope{{Name: "refunds:execute", Description: "Execute one refund"}, {Name: "invoices:read", Description: "Read"}}
		got, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &edit, KeepScopeRules: true})
		if err != nil {
			t.Fatal(err)
		}
		sc := got.Settings.Scopes[0]
		if sc.Description != "Execute one refund" || sc.MinRole != "admin" || sc.Approval == nil || sc.Approval.ApproverRole != "owner" ||
			got.Settings.Scopes[1].Approval != nil {
			t.Fatalf("after an edit: %+v %+v", sc, got.Settings.Scopes[1])
		}
		// Replacing the catalog outright (KeepScopeRules false) is a
		// deliberate reset.
		got, err = ts.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &edit})
		if err != nil || got.Settings.Scopes[0].Approval != nil {
			t.Fatalf("a reset: %v %+v", err, got.Settings.Scopes[0])
		}
		// A schema that does not compile is refused in one line.
		bad := []settings.DetailType{{Type: "refund", Description: "x", Schema: []byte(`{"type": 12}`)}}
		_, err = ts.UpdateSettings(sys, tenants.SettingsUpdate{DetailTypes: &bad})
		if err == nil || len(err.Error()) > 400 || strings.Contains(err.Error(), "\n") {
			t.Fatalf("a bad schema: %v", err)
		}
		// So is one that could never judge an object (a reference cycle).
		cycle := []settings.DetailType{{Type: "refund", Description: "x", Schema: []byte(`{"allOf":[{"$ref":"#"}]}`)}}
		if _, err := ts.UpdateSettings(sys, tenants.SettingsUpdate{DetailTypes: &cycle}); err == nil || !strings.Contains(err.Error(), "cannot be used") {
			t.Fatalf("a cyclic schema: %v", err)
		}
	})
}
