package tenants_test

import (
	"context"
	"fmt"
	"testing"

	"entgo.io/contrib/entgql"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The data the isolation benchmark reads through: a busy tenant created
// first, so its rows hold the lower ids and sit in front of the quiet
// tenant's rows in any id-ordered scan, and a quiet tenant whose viewer runs
// the queries.
const (
	busyMembers     = 1000
	busyExtraEvents = 20000
	quietMembers    = 50
	eventBatch      = 1000
)

// BenchmarkIsolatedQuery measures tenant-filtered reads in one tenant's
// viewer context while another tenant holds many more rows: the privacy
// rule adds the tenant predicate, and the indexes must keep the other
// tenant's rows out of the work. The queries are those of the dashboard:
// the first page of members with their users, and Relay pages of the audit
// log, newest first.
func BenchmarkIsolatedQuery(b *testing.B) {
	for _, d := range testdb.Dialects(b) {
		b.Run(testdb.Name(d), func(b *testing.B) {
			db := testdb.Open(b, d)
			quiet := seedTenants(b, db)
			ctx := viewer.NewContext(context.Background(), viewer.Viewer{
				TenantID: quiet, Kind: viewer.APIToken, ID: 1, Label: "bench", Role: viewer.RoleOwner,
			})
			client := db.Client
			twenty, fifty := 20, 50
			newestFirst := ent.WithAuditEventOrder(&ent.AuditEventOrder{
				Direction: entgql.OrderDirectionDesc, Field: ent.AuditEventOrderFieldSeq,
			})

			// What the viewer sees is checked once, outside the timings.
			members, err := client.Membership.Query().WithUser().Paginate(ctx, nil, &twenty, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			if members.TotalCount != quietMembers+1 || len(members.Edges) != twenty {
				b.Fatalf("quiet tenant sees %d members (%d on the page), want %d", members.TotalCount, len(members.Edges), quietMembers+1)
			}
			first, err := client.AuditEvent.Query().Paginate(ctx, nil, &fifty, nil, nil, newestFirst)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range first.Edges {
				if e.Node.TenantID != quiet {
					b.Fatalf("audit event %d of tenant %d visible to tenant %d", e.Node.ID, e.Node.TenantID, quiet)
				}
			}
			after := first.PageInfo.EndCursor

			b.Run("members", func(b *testing.B) {
				for b.Loop() {
					if _, err := client.Membership.Query().WithUser().Paginate(ctx, nil, &twenty, nil, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("audit_first_page", func(b *testing.B) {
				for b.Loop() {
					if _, err := client.AuditEvent.Query().Paginate(ctx, nil, &fifty, nil, nil, newestFirst); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("audit_next_page", func(b *testing.B) {
				for b.Loop() {
					if _, err := client.AuditEvent.Query().Paginate(ctx, after, &fifty, nil, nil, newestFirst); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// seedTenants creates the busy and the quiet tenant through the domain
// service and returns the quiet tenant's id.
func seedTenants(b *testing.B, db *database.DB) int {
	b.Helper()
	rec := audit.NewRecorder()
	ts := tenants.NewService(db.Client, rec)
	ctx := context.Background()
	busy := createWithMembers(b, ts, "busy", busyMembers)
	// The audit log is what grows without bound: give the busy tenant far
	// more events than members, appended in batches to keep setup short.
	bctx := viewer.AsSystem(viewer.ForTenant(ctx, busy), "bench: seed audit log")
	for done := 0; done < busyExtraEvents; done += eventBatch {
		tx, err := db.Client.Tx(bctx)
		if err != nil {
			b.Fatal(err)
		}
		for i := range eventBatch {
			if _, err := rec.Record(bctx, tx, audit.Event{Action: "bench.event", TargetType: "x", TargetID: fmt.Sprint(done + i)}); err != nil {
				_ = tx.Rollback()
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return createWithMembers(b, ts, "quiet", quietMembers)
}

// createWithMembers creates a tenant with an owner and n members.
func createWithMembers(b *testing.B, ts *tenants.Service, slug string, n int) int {
	b.Helper()
	ctx := context.Background()
	t, err := ts.CreateTenant(viewer.AsSystem(ctx, "bench: seed"), slug, slug)
	if err != nil {
		b.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, t.ID), "bench: seed members")
	if _, err := ts.AddMember(sys, tenants.NewMember{Email: "owner@" + slug + ".test", Name: "Owner", Role: viewer.RoleOwner}); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := ts.AddMember(sys, tenants.NewMember{
			Email: fmt.Sprintf("member%d@%s.test", i, slug), Name: fmt.Sprintf("Member %d", i), Role: viewer.RoleMember,
		}); err != nil {
			b.Fatal(err)
		}
	}
	return t.ID
}
