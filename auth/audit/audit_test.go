package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// seed creates a workspace and appends n events, returning a context bound
// to it as the system.
func seed(t *testing.T, db *database.DB, n int) (context.Context, *audit.Recorder) {
	t.Helper()
	ctx := context.Background()
	rec := audit.NewRecorder()
	ts := tenants.NewService(db.Client, rec)
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	tctx := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	for i := 0; i < n; i++ {
		appendEvent(t, tctx, db, rec, fmt.Sprintf("test.event%d", i))
	}
	return tctx, rec
}

func appendEvent(t *testing.T, ctx context.Context, db *database.DB, rec *audit.Recorder, action string) *ent.AuditEvent {
	t.Helper()
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := rec.Record(ctx, tx, audit.Event{
		Action: action, TargetType: "thing", TargetID: "1",
		AgentChain: []string{"agent-2", "agent-1"}, Scope: []string{"invoices:read"},
		Details: map[string]string{"k": "v"},
	})
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestChainVerifies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, rec := seed(t, db, 5)
		rep, err := audit.Verify(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		// tenant.created plus five.
		if !rep.OK() || rep.Events != 6 {
			t.Fatalf("report = %+v, want 6 intact events", rep)
		}
		last := appendEvent(t, ctx, db, rec, "test.last")
		if last.Seq != 7 || last.AgentID != "agent-2" {
			t.Fatalf("appended seq %d agent %q, want 7 and the executing agent first in the chain", last.Seq, last.AgentID)
		}
		rep, _ = audit.Verify(ctx, db.Client)
		if !rep.OK() || rep.Head != last.Hash {
			t.Fatalf("after append: %+v, head should be %s", rep, last.Hash)
		}
	})
}

// Each row of this table tampers with the stored log behind the
// application's back, as an attacker with database access would, and names
// where verification must say the chain breaks.
func TestTamperingIsDetected(t *testing.T) {
	cases := []struct {
		name    string
		sql     string // %d is the tenant id
		wantSeq int64
		reason  string
	}{
		{"altered action", "UPDATE audit_events SET action = 'member.harmless' WHERE seq = 3 AND tenant_id = %d", 3, "altered"},
		{"altered actor", "UPDATE audit_events SET actor_label = 'someone else' WHERE seq = 2 AND tenant_id = %d", 2, "altered"},
		{"altered time", "UPDATE audit_events SET occurred_at = occurred_at - INTERVAL_ WHERE seq = 4 AND tenant_id = %d", 4, "altered"},
		{"deleted middle event", "DELETE FROM audit_events WHERE seq = 3 AND tenant_id = %d", 3, "missing"},
		{"deleted last event", "DELETE FROM audit_events WHERE seq = 6 AND tenant_id = %d", 6, "head"},
		{"rewound chain head", "UPDATE audit_chains SET seq = seq - 1 WHERE tenant_id = %d", 6, "head"},
		{"re-hashed event without relinking", "UPDATE audit_events SET prev_hash = 'x' WHERE seq = 5 AND tenant_id = %d", 5, "previous-hash"},
	}
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				db := testdb.Open(t, db.Target.Dialect)
				ctx, _ := seed(t, db, 5)
				tid := viewer.FromContext(ctx).TenantID
				q := fmt.Sprintf(tc.sql, tid)
				if db.Target.Dialect == "postgres" {
					q = strings.ReplaceAll(q, "INTERVAL_", "INTERVAL '1 second'")
				} else {
					q = strings.ReplaceAll(q, "occurred_at - INTERVAL_", "'2001-01-01 00:00:00+00:00'")
				}
				res, err := db.SQL.Exec(q)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Fatalf("tampering touched %d rows", n)
				}
				rep, err := audit.Verify(ctx, db.Client)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() {
					t.Fatalf("tampering (%s) was not detected", tc.name)
				}
				if rep.Break.Seq != tc.wantSeq || !strings.Contains(rep.Break.Reason, tc.reason) {
					t.Fatalf("break = %+v, want seq %d and a reason mentioning %q", rep.Break, tc.wantSeq, tc.reason)
				}
			})
		}
	})
}

func TestRolledBackChangeLeavesNoEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, rec := seed(t, db, 1)
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rec.Record(ctx, tx, audit.Event{Action: "test.rolled_back"}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		n, err := db.Client.AuditEvent.Query().Where(auditevent.Action("test.rolled_back")).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("rolled-back event count = %d (%v), want 0", n, err)
		}
		// The chain head rolled back too: the next append continues it.
		appendEvent(t, ctx, db, rec, "test.after")
		if rep, _ := audit.Verify(ctx, db.Client); !rep.OK() || rep.Events != 3 {
			t.Fatalf("report after rollback = %+v", rep)
		}
	})
}

func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, rec := seed(t, db, 0)
		const workers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					tx, err := db.Client.Tx(ctx)
					if err != nil {
						errs <- err
						return
					}
					if _, err := rec.Record(ctx, tx, audit.Event{Action: fmt.Sprintf("test.w%d.%d", w, i)}); err != nil {
						_ = tx.Rollback()
						errs <- err
						return
					}
					if err := tx.Commit(); err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Events != workers*each+1 {
			t.Fatalf("report = %+v, want %d intact events", rep, workers*each+1)
		}
	})
}

func TestEventsAreAppendOnlyEvenForTheSystem(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, rec := seed(t, db, 0)
		ev := appendEvent(t, ctx, db, rec, "test.keep")
		if err := db.Client.AuditEvent.UpdateOneID(ev.ID).Exec(ctx); err == nil {
			t.Fatal("updating an audit event succeeded")
		}
		if err := db.Client.AuditEvent.DeleteOneID(ev.ID).Exec(ctx); err == nil {
			t.Fatal("deleting an audit event succeeded")
		}
		if _, err := db.Client.AuditEvent.Delete().Exec(ctx); err == nil {
			t.Fatal("bulk-deleting audit events succeeded")
		}
		if rep, _ := audit.Verify(ctx, db.Client); !rep.OK() {
			t.Fatalf("chain broken: %+v", rep.Break)
		}
	})
}

func TestRecordNeedsATenant(t *testing.T) {
	db := testdb.Open(t, "sqlite3")
	tx, err := db.Client.Tx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := audit.NewRecorder().Record(context.Background(), tx, audit.Event{Action: "x"}); err != audit.ErrNoTenant {
		t.Fatalf("err = %v, want ErrNoTenant", err)
	}
}

func TestRecordTakesRequestAndCredentialFromContext(t *testing.T) {
	db := testdb.Open(t, "sqlite3")
	ctx, _ := seed(t, db, 0)
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC)
	rec := &audit.Recorder{Now: func() time.Time { return fixed }}
	v := viewer.FromContext(ctx)
	v.Kind, v.ID, v.Label = viewer.APIToken, 42, "ci token"
	ctx = audit.WithRequest(viewer.NewContext(ctx, v), audit.Request{IP: "192.0.2.1", UserAgent: "ua/1", ID: "req-1"})
	ev := appendEvent(t, ctx, db, rec, "test.ctx")
	got, err := db.Client.AuditEvent.Get(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ActorType != "api_token" || got.ActorID != "42" || got.ActorLabel != "ci token" ||
		got.CredentialType != "api_token" || got.CredentialID != "42" ||
		got.IP != "192.0.2.1" || got.UserAgent != "ua/1" || got.RequestID != "req-1" ||
		!got.OccurredAt.Equal(fixed.Truncate(time.Microsecond)) {
		t.Fatalf("stored event = %+v", got)
	}
}
