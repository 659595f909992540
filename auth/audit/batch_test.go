package audit_test

import (
	"context"
	"errors"
	"fmt"
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

// Many callers appending at once share transactions, across two
// workspaces, and every event lands once, in one intact chain per
// workspace, each with its own caller's actor and details.
func TestBatcherGroupCommitsIntactChains(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, rec := seed(t, db, 1)
		ts := tenants.NewService(db.Client, rec)
		other, err := ts.CreateTenant(viewer.AsSystem(context.Background(), "test"), "globex", "Globex")
		if err != nil {
			t.Fatal(err)
		}
		octx := viewer.AsSystem(viewer.ForTenant(context.Background(), other.ID), "test")
		b := audit.NewBatcher(rec, db.Client, nil)
		const n = 120
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				c := ctx
				if i%3 == 0 {
					c = octx
				}
				errs <- b.Append(c, audit.Event{Action: "test.batched", TargetType: "call", TargetID: fmt.Sprint(i),
					Details: map[string]string{"i": fmt.Sprint(i)}}, nil)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []context.Context{ctx, octx} {
			rep, err := audit.Verify(c, db.Client)
			if err != nil || !rep.OK() {
				t.Fatalf("chain: %+v %v", rep, err)
			}
		}
		seen := map[string]bool{}
		evs := db.Client.AuditEvent.Query().Where(auditevent.Action("test.batched")).
			AllX(viewer.AsSystem(context.Background(), "test"))
		for _, e := range evs {
			if seen[e.TargetID] || e.Details["i"] != e.TargetID {
				t.Fatalf("event %s twice or with another caller's details: %v", e.TargetID, e.Details)
			}
			i := 0
			fmt.Sscan(e.TargetID, &i)
			if want := map[bool]int{true: other.ID, false: viewer.FromContext(ctx).TenantID}[i%3 == 0]; e.TenantID != want {
				t.Fatalf("event %d in tenant %d, want %d", i, e.TenantID, want)
			}
			seen[e.TargetID] = true
		}
		if len(seen) != n {
			t.Fatalf("%d events, want %d", len(seen), n)
		}
	})
}

// A write beside an event that fails (or panics) fails that caller only:
// the others sharing its batch still commit, and the failed one leaves
// nothing.
func TestBatcherIsolatesAFailedEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, rec := seed(t, db, 0)
		b := audit.NewBatcher(rec, db.Client, nil)
		boom := errors.New("boom")
		var wg sync.WaitGroup
		results := make([]error, 30)
		for i := range results {
			wg.Go(func() {
				var also audit.Also
				switch i {
				case 7:
					also = func(context.Context, *ent.Tx) error { return boom }
				case 11:
					also = func(context.Context, *ent.Tx) error { panic("kaboom") }
				}
				results[i] = b.Append(ctx, audit.Event{Action: "test.batched", TargetType: "call", TargetID: fmt.Sprint(i)}, also)
			})
		}
		wg.Wait()
		for i, err := range results {
			switch i {
			case 7:
				if !errors.Is(err, boom) {
					t.Fatalf("event 7: %v, want its write's error", err)
				}
			case 11:
				if err == nil {
					t.Fatal("event 11: a panicking write went unreported")
				}
			default:
				if err != nil {
					t.Fatalf("event %d failed with another's error: %v", i, err)
				}
			}
		}
		n := db.Client.AuditEvent.Query().Where(auditevent.Action("test.batched")).CountX(ctx)
		if n != 28 {
			t.Fatalf("%d events, want 28", n)
		}
		if rep, err := audit.Verify(ctx, db.Client); err != nil || !rep.OK() {
			t.Fatalf("chain: %+v %v", rep, err)
		}
		if err := b.Append(viewer.AsSystem(context.Background(), "test"), audit.Event{Action: "x"}, nil); !errors.Is(err, audit.ErrNoTenant) {
			t.Fatalf("tenantless append: %v", err)
		}
	})
}

// Events given without waiting are all committed, in order, by the time
// Settle returns: a reader of the trail sees every call already answered.
func TestBatcherGoThenSettle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx, rec := seed(t, db, 0)
		b := audit.NewBatcher(rec, db.Client, nil)
		// Each event keeps the time of its call, not of its commit.
		called := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		for i := range 50 {
			b.Go(ctx, audit.Event{Action: "test.async", TargetType: "call", TargetID: fmt.Sprint(i),
				At: called.Add(time.Duration(i) * time.Millisecond)}, nil)
		}
		audit.Settle()
		evs := db.Client.AuditEvent.Query().Where(auditevent.Action("test.async")).Order(ent.Asc(auditevent.FieldSeq)).AllX(ctx)
		if len(evs) != 50 {
			t.Fatalf("%d events after Settle, want 50", len(evs))
		}
		for i, e := range evs {
			if e.TargetID != fmt.Sprint(i) {
				t.Fatalf("event %d is call %s: not in the order given", i, e.TargetID)
			}
			if want := called.Add(time.Duration(i) * time.Millisecond); !e.OccurredAt.Equal(want) {
				t.Fatalf("event %d occurred at %v, want the call's %v", i, e.OccurredAt, want)
			}
		}
		if rep, err := audit.Verify(ctx, db.Client); err != nil || !rep.OK() {
			t.Fatalf("chain: %+v %v", rep, err)
		}
	})
}
