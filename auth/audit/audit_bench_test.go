package audit_test

import (
	"context"
	"testing"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// BenchmarkAuditAppend measures the cost the audit chain adds to every
// write: one transaction that changes a row and appends an event (advance
// the chain head, read it, insert the event, move the head), then commits.
func BenchmarkAuditAppend(b *testing.B) {
	for _, d := range testdb.Dialects(b) {
		b.Run(testdb.Name(d), func(b *testing.B) {
			db := testdb.Open(b, d)
			rec := audit.NewRecorder()
			ts := tenants.NewService(db.Client, rec)
			ctx := context.Background()
			t, err := ts.CreateTenant(viewer.AsSystem(ctx, "bench: setup"), "bench", "Bench")
			if err != nil {
				b.Fatal(err)
			}
			m, err := ts.AddMember(viewer.AsSystem(viewer.ForTenant(ctx, t.ID), "bench: setup"),
				tenants.NewMember{Email: "owner@bench.test", Name: "Owner", Role: viewer.RoleOwner})
			if err != nil {
				b.Fatal(err)
			}
			// The principal of an API request, not the system: the privacy
			// rules run as they do in production.
			vctx := viewer.NewContext(ctx, viewer.Viewer{TenantID: t.ID, Kind: viewer.APIToken, ID: 1, Label: "bench", Role: viewer.RoleOwner})
			names := [2]string{"Owner", "Owner (renamed)"}
			i := 0
			for b.Loop() {
				tx, err := db.Client.Tx(vctx)
				if err != nil {
					b.Fatal(err)
				}
				i++
				if err := tx.User.UpdateOneID(m.UserID).SetName(names[i%2]).Exec(vctx); err != nil {
					_ = tx.Rollback()
					b.Fatal(err)
				}
				if _, err := rec.Record(vctx, tx, audit.Event{Action: "bench.event", TargetType: "x", TargetID: "1"}); err != nil {
					_ = tx.Rollback()
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
