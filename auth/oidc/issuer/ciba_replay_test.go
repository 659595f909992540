package issuer_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// One approval, one token, one use, however the requests race.

// Two redeems of one approved auth_req_id at once: exactly one gets the
// token, the other invalid_grant.
func TestCIBAConcurrentRedeemsGetOneToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		billing := c.billingAgent()
		for round := range 3 {
			id := c.ask(refund, nil)
			pub := c.request("").PublicID
			c.approveAsAnn(pub)
			form := url.Values{"grant_type": {grantCIBA}, "auth_req_id": {id}}
			got := together(c.iss+"/oauth2/token", billing.signed(form), billing.signed(form))
			ok, refused := 0, 0
			for _, r := range got {
				switch {
				case r.err != nil:
					t.Fatalf("round %d: %v", round, r.err)
				case r.status == http.StatusOK && r.body["access_token"] != nil:
					ok++
				case r.status == http.StatusBadRequest && r.body["error"] == "invalid_grant":
					refused++
				default:
					t.Fatalf("round %d: %d %v", round, r.status, r.body)
				}
			}
			if ok != 1 || refused != 1 {
				t.Fatalf("round %d: %d tokens, %d refusals", round, ok, refused)
			}
			if n, _ := db.Client.AuditEvent.Query().Where(auditevent.Action("token.issued"), auditevent.ApprovalID(pub)).Count(c.sys("acme")); n != 1 {
				t.Fatalf("round %d: %d token.issued events", round, n)
			}
			if row := c.rowOf("acme", pub); row.Status != approvalrequest.StatusIssued || row.TokenJti == "" {
				t.Fatalf("round %d: the request after the race: %s %q", round, row.Status, row.TokenJti)
			}
		}
	})
}

// Two first introspections of one approval token at once: exactly one
// says active (and spends it), the other inactive.
func TestCIBAConcurrentFirstUsesSpendOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		billing := c.billingAgent()
		for round := range 3 {
			id := c.ask(refund, nil)
			pub := c.request("").PublicID
			c.approveAsAnn(pub)
			st, out := billing.poll(id)
			if st != http.StatusOK {
				t.Fatalf("redeem: %d %v", st, out)
			}
			form := url.Values{"token": {out["access_token"].(string)}}
			got := together(c.iss+"/oauth2/introspect", billing.signed(form), billing.signed(form))
			active := 0
			for _, r := range got {
				if r.err != nil || r.status != http.StatusOK {
					t.Fatalf("round %d: %d %v %v", round, r.status, r.body, r.err)
				}
				if r.body["active"] == true {
					active++
				} else if !inactiveOnly(r.body) {
					t.Fatalf("round %d: an inactive answer says more: %v", round, r.body)
				}
			}
			if active != 1 {
				t.Fatalf("round %d: %d active answers", round, active)
			}
			if row := c.rowOf("acme", pub); row.Status != approvalrequest.StatusUsed || row.UsedAt == nil {
				t.Fatalf("round %d: the request after the race: %s", round, row.Status)
			}
		}
		if n := countAudit(t, c.world, "acme", "approval.consumed"); n != 3 {
			t.Fatalf("approval.consumed events: %d", n)
		}
	})
}

// Approve and deny at once: exactly one decision stands, the other is a
// conflict, and the audit and the agent agree with the winner.
func TestCIBAConcurrentDecisionsOneWins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		billing := c.billingAgent()
		for round := range 4 {
			id := c.ask(refund, nil)
			pub := c.request("").PublicID
			// Sessions first: the race is between the decisions alone.
			approver := c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "hwk")
			denier := c.approver(c.annID, c.annEmail, viewer.RoleAdmin)
			errs := make([]error, 2)
			start := make(chan struct{})
			done := make(chan int)
			go func() {
				<-start
				_, errs[0] = c.approvals.Decide(approver, approval.Decision{ID: pub, Approve: true})
				done <- 0
			}()
			go func() {
				<-start
				_, errs[1] = c.approvals.Decide(denier, approval.Decision{ID: pub, Reason: "no"})
				done <- 1
			}()
			close(start)
			<-done
			<-done
			won := -1
			for n, err := range errs {
				switch {
				case err == nil:
					if won != -1 {
						t.Fatalf("round %d: both decisions stood", round)
					}
					won = n
				case apperr.KindOf(err) != apperr.Conflict:
					t.Fatalf("round %d: decision %d: %v", round, n, err)
				}
			}
			if won == -1 {
				t.Fatalf("round %d: no decision stood: %v", round, errs)
			}
			row := c.rowOf("acme", pub)
			want, code := approvalrequest.StatusApproved, ""
			if won == 1 {
				want, code = approvalrequest.StatusDenied, "access_denied"
			}
			if row.Status != want {
				t.Fatalf("round %d: %s won but the request is %s", round, []string{"approve", "deny"}[won], row.Status)
			}
			n, err := db.Client.AuditEvent.Query().Where(auditevent.ActionIn("approval.approved", "approval.denied"), auditevent.ApprovalID(pub)).Count(c.sys("acme"))
			if err != nil || n != 1 {
				t.Fatalf("round %d: %d decision events: %v", round, n, err)
			}
			st, out := billing.poll(id)
			if (code == "" && st != http.StatusOK) || (code != "" && out["error"] != code) {
				t.Fatalf("round %d: redeem after %s won: %d %v", round, row.Status, st, out)
			}
		}
	})
}

// The auth_req_id is the agent's alone: another agent of the workspace
// that learns it gets invalid_grant, and the owner can still redeem it.
func TestCIBAAuthReqIDIsTheAgentsAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		id := c.ask(refund, nil)
		c.approveAsAnn(c.request("").PublicID)
		thief := c.newAgent("acme", registry.NewAgent{Name: "thief", Ceiling: []string{"openid", "refunds:execute"}})
		if st, out := thief.poll(id); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("another agent redeems: %d %v", st, out)
		}
		// A made-up or mangled id is no better.
		for _, bad := range []string{id + "x", id[:len(id)-1], "apr_" + id} {
			if st, out := c.poll(bad); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
				t.Fatalf("redeeming %q: %d %v", bad, st, out)
			}
		}
		st, out := c.poll(id)
		if st != http.StatusOK {
			t.Fatalf("billing redeems: %d %v", st, out)
		}
		// Nor does the token work for the other agent, and its trying
		// does not spend it.
		tok := out["access_token"].(string)
		if in := thief.introspect(tok); !inactiveOnly(in) {
			t.Fatalf("another agent introspects the approval token: %v", in)
		}
		if in := c.introspect(tok); in["active"] != true {
			t.Fatalf("billing's first use after the other agent's attempt: %v", in)
		}
	})
}
