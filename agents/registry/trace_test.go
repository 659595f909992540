package registry_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// A trace is read from the recorded runs, not from a window of recent
// audit events: a run whose events are a year old, behind more than 5000
// newer run-stamped events (the old trace's whole window), is found with
// its subtree and its own actions; a run with no events at all is found
// too; and a node shows at most its latest 200 actions, oldest first.
func TestTraceDoesNotDependOnTheAuditWindow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newChainWorld(t, db)
		planner := w.create(t, "Planner", registry.NewAgent{SponsorEmail: "sam@acme.test", Ceiling: []string{"invoices:read"}})
		support, err := w.subagent(t, planner, "Support", registry.NewAgent{Ceiling: []string{"invoices:read"}})
		if err != nil {
			t.Fatal(err)
		}
		sys := w.sys("acme")
		yearAgo := time.Now().AddDate(-1, 0, 0)
		for _, r := range []struct {
			run, parent string
			a           *agentCred
		}{{"old-plan", "", planner}, {"old-support", "old-plan", support}, {"quiet", "old-support", support}} {
			if err := db.Client.AgentRun.Create().SetRunID(r.run).SetParentRun(r.parent).SetAgentID(r.a.id).SetClientID(r.a.clientID).
				SetScopes([]string{"invoices:read"}).SetLastSeenAt(yearAgo).Exec(sys); err != nil {
				t.Fatal(err)
			}
		}
		// A year ago: 250 events of old-support, one of old-plan; none of
		// quiet.
		old := audit.NewRecorder()
		old.Now = func() time.Time { return yearAgo }
		record := func(rec *audit.Recorder, n int, run func(i int) string) {
			t.Helper()
			tx, err := db.Client.Tx(sys)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if _, err := rec.Record(sys, tx, audit.Event{Action: "tool.called", RunID: run(i), Details: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		record(old, 1, func(int) string { return "old-plan" })
		record(old, 250, func(int) string { return "old-support" })
		// Since then, 5001 events of other runs.
		record(audit.NewRecorder(), 5001, func(i int) string { return fmt.Sprintf("busy-%d", i%7) })

		tr, err := w.reg.Trace(w.admin("acme", "sam@acme.test"), "old-plan")
		if err != nil {
			t.Fatalf("the old run: %v", err)
		}
		if tr.Agent == nil || tr.Agent.ID != planner.id || len(tr.Actions) != 1 || tr.Actions[0].RunID != "old-plan" || len(tr.Children) != 1 {
			t.Fatalf("old-plan: %+v", tr)
		}
		sup := tr.Children[0]
		if sup.Run != "old-support" || sup.ParentRun != "old-plan" || sup.Agent == nil || sup.Agent.ID != support.id ||
			!reflect.DeepEqual(sup.Scope, []string{"invoices:read"}) || len(sup.Children) != 1 || sup.Children[0].Run != "quiet" {
			t.Fatalf("old-support: %+v", sup)
		}
		// The latest 200 of its 250 actions, oldest first.
		if n := len(sup.Actions); n != 200 || sup.Actions[0].Details["n"] != "50" || sup.Actions[199].Details["n"] != "249" {
			t.Fatalf("old-support's actions: %d, from %v to %v", n, sup.Actions[0].Details, sup.Actions[n-1].Details)
		}
		if q := sup.Children[0]; len(q.Actions) != 0 || q.Approval != "none" {
			t.Fatalf("quiet: %+v", q)
		}
		if _, err := w.reg.Trace(w.admin("acme", "sam@acme.test"), "quiet"); err != nil {
			t.Fatalf("a run without events: %v", err)
		}
		// The other workspace sees none of it.
		if _, err := w.reg.Trace(viewer.AsSystem(w.sys("other"), "test"), "old-plan"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("another workspace's trace of old-plan: %v", err)
		}
	})
}
