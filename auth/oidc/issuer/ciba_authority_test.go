package issuer_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Who may decide, and what stands behind an approval until its token is
// used.

// requireAdminApproval makes executing a refund need an admin's approval
// (any admin or owner, not the person the agent acts for).
func (c *cibaWorld) requireAdminApproval() {
	c.t.Helper()
	catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"}, {Name: "refunds:preview", Description: "Preview refunds"},
		{Name: "refunds:execute", Description: "Execute refunds", Approval: &settings.ApprovalRule{ApproverRole: "admin"}}}
	if _, err := c.ts.UpdateSettings(c.sys("acme"), tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
		c.t.Fatal(err)
	}
}

// Under a policy naming the admin role, the member the agent acts for may
// not approve (the refusal is audited) while an admin or an owner may;
// the request says who approves.
func TestCIBAApproverRoleDecides(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		c.requireAdminApproval()
		bobID := c.member("acme", "bob@acme.test", viewer.RoleMember)
		olgaID := c.member("acme", "olga@acme.test", viewer.RoleOwner)
		billing := c.billingAgent()
		askForBob := func() (string, string) {
			id := billing.ask(url.Values{"login_hint": {"bob@acme.test"}, "scope": {"openid refunds:execute"}, "binding_message": {"Refund for Bob"}})
			return id, c.request("").PublicID
		}
		id, pub := askForBob()
		row := c.rowOf("acme", pub)
		if row.ApproverRole != "admin" || row.UserID != bobID || strings.Join(row.Requires, " ") != "scope:refunds:execute" ||
			row.Kind != approvalrequest.KindAction {
			t.Fatalf("the request: %+v", row)
		}
		requested, err := db.Client.AuditEvent.Query().Where(auditevent.Action("approval.requested"), auditevent.ApprovalID(pub)).Only(c.sys("acme"))
		if err != nil || requested.Details["approver_role"] != "admin" {
			t.Fatalf("approval.requested: %v %+v", err, requested)
		}

		// Bob sees the request made in his name, with who approves it,
		// but may not decide it either way.
		bob := c.approver(bobID, "bob@acme.test", viewer.RoleMember, "pwd", "hwk")
		seen, err := c.approvals.Get(bob, pub)
		if err != nil || seen.ApproverRole != "admin" || seen.CanDecide {
			t.Fatalf("Bob's view: %v %+v", err, seen)
		}
		list, err := c.approvals.List(bob, approval.Filter{Status: "pending"})
		if err != nil || len(list) != 1 || list[0].PublicID != pub || list[0].CanDecide {
			t.Fatalf("Bob's inbox: %v %+v", err, list)
		}
		for _, approve := range []bool{true, false} {
			if _, err := c.approvals.Decide(bob, approval.Decision{ID: pub, Approve: approve}); apperr.KindOf(err) != apperr.Forbidden {
				t.Fatalf("Bob decides (approve %v): %v", approve, err)
			}
		}
		if n := countAudit(t, c.world, "acme", "approval.decision_refused"); n != 2 {
			t.Fatalf("approval.decision_refused events: %d", n)
		}
		if st, out := billing.poll(id); st != http.StatusBadRequest || out["error"] != "authorization_pending" {
			t.Fatalf("after Bob's attempts: %d %v", st, out)
		}

		// Ann, an admin, sees it as hers to decide and approves.
		annView, err := c.approvals.Get(c.approver(c.annID, c.annEmail, viewer.RoleAdmin), pub)
		if err != nil || !annView.CanDecide || annView.User != "bob@acme.test" {
			t.Fatalf("Ann's view: %v %+v", err, annView)
		}
		got := c.approveAsAnn(pub)
		if got.DecidedByEmail != c.annEmail || got.Status != "approved" {
			t.Fatalf("Ann's decision: %+v", got)
		}
		st, out := billing.poll(id)
		if st != http.StatusOK {
			t.Fatalf("redeem: %d %v", st, out)
		}
		in := billing.introspect(out["access_token"].(string))
		act, _ := in["act"].(map[string]any)
		if in["active"] != true || in["sub"] != strconv.Itoa(bobID) || act["sub"] != c.billing {
			t.Fatalf("the token Ann approved for Bob: %v", in)
		}

		// An owner ranks above admin.
		id, pub = askForBob()
		olga := c.approver(olgaID, "olga@acme.test", viewer.RoleOwner, "pwd", "otp")
		list, err = c.approvals.List(olga, approval.Filter{Status: "pending"})
		if err != nil || len(list) != 1 || !list[0].CanDecide {
			t.Fatalf("Olga's inbox: %v %+v", err, list)
		}
		if _, err := c.approvals.Decide(olga, approval.Decision{ID: pub, Approve: true}); err != nil {
			t.Fatalf("Olga approves: %v", err)
		}
		if st, out := billing.poll(id); st != http.StatusOK {
			t.Fatalf("redeem after Olga's approval: %d %v", st, out)
		}
	})
}

// Without a role in the policy only the person the agent acts for
// decides: not another admin, however strong their session.
func TestCIBAOnlyThePersonDecidesWithoutARole(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		olgaID := c.member("acme", "olga@acme.test", viewer.RoleOwner)
		c.ask(refund, nil)
		pub := c.request("").PublicID
		olga := c.approver(olgaID, "olga@acme.test", viewer.RoleOwner, "pwd", "hwk")
		seen, err := c.approvals.Get(olga, pub)
		if err != nil || seen.CanDecide {
			t.Fatalf("Olga's view: %v %+v", err, seen)
		}
		if _, err := c.approvals.Decide(olga, approval.Decision{ID: pub, Approve: true}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("Olga approves Ann's request: %v", err)
		}
		if row := c.rowOf("acme", pub); row.Status != approvalrequest.StatusPending {
			t.Fatalf("after Olga's attempt: %s", row.Status)
		}
	})
}

// An approval is only as good as what stands behind it when the agent
// redeems and uses it: revoking the grant or suspending the agent between
// the decision and the redeem, or between the redeem and the first use,
// leaves no token that works.
func TestCIBARevocationAfterApprovalStopsTheToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		grants := delegation.NewService(db.Client, audit.NewRecorder())
		billing := c.billingAgent()
		var gid int

		// The grant revoked before the redeem.
		id := c.ask(refund, nil)
		row := c.request("")
		gid = row.GrantID
		c.approveAsAnn(row.PublicID)
		if _, err := grants.Revoke(c.asAnn(), gid); err != nil {
			t.Fatal(err)
		}
		if st, out := billing.poll(id); st != http.StatusBadRequest || out["error"] != "invalid_grant" || out["access_token"] != nil {
			t.Fatalf("redeeming after the grant was revoked: %d %v", st, out)
		}
		if n, _ := db.Client.AuditEvent.Query().Where(auditevent.Action("token.issued"), auditevent.ApprovalID(row.PublicID)).Count(c.sys("acme")); n != 0 {
			t.Fatalf("%d tokens issued for a revoked grant's approval", n)
		}
		if got := c.rowOf("acme", row.PublicID); got.Status != approvalrequest.StatusApproved {
			t.Fatalf("the approval after a refused redeem: %s", got.Status)
		}

		// A request with no grant behind it (the agent acting on its own
		// chain): suspending the agent before the redeem.
		agentOnly := func() (string, string) {
			id := billing.ask(url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"}, "authorization_details": {refund}})
			pub := c.request("").PublicID
			c.approveAsAnn(pub)
			return id, pub
		}
		id, _ = agentOnly()
		if _, err := c.agents.SetStatus(c.sys("acme"), c.agentID, registry.Suspended); err != nil {
			t.Fatal(err)
		}
		if st, out := billing.poll(id); st < 400 || out["access_token"] != nil {
			t.Fatalf("redeeming as a suspended agent: %d %v", st, out)
		} else if e := out["error"]; e != "invalid_client" && e != "invalid_grant" && e != "unauthorized_client" {
			t.Fatalf("redeeming as a suspended agent: %d %v", st, out)
		}
		if _, err := c.agents.SetStatus(c.sys("acme"), c.agentID, registry.Active); err != nil {
			t.Fatal(err)
		}
		// Resumed, the agent still gets nothing of that approval.
		if st, out := billing.poll(id); st != http.StatusBadRequest || out["error"] != "access_denied" {
			t.Fatalf("redeeming after the agent was resumed: %d %v", st, out)
		}

		// Redeemed, then the agent suspended before the first use: the
		// token is inactive, and stays so after the agent is resumed.
		id, pub := agentOnly()
		st, out := billing.poll(id)
		if st != http.StatusOK {
			t.Fatalf("redeem: %d %v", st, out)
		}
		tok := out["access_token"].(string)
		if _, err := c.agents.SetStatus(c.sys("acme"), c.agentID, registry.Suspended); err != nil {
			t.Fatal(err)
		}
		if _, err := c.agents.SetStatus(c.sys("acme"), c.agentID, registry.Active); err != nil {
			t.Fatal(err)
		}
		if in := billing.introspect(tok); in["active"] != false {
			t.Fatalf("the approval token after the agent was suspended: %v", in)
		}
		if got := c.rowOf("acme", pub); got.Status == approvalrequest.StatusUsed {
			t.Fatalf("an ended token spent its approval")
		}

		// Redeemed under a grant, then the grant revoked before the first
		// use: inactive.
		id = c.ask(refund, url.Values{"subject_token": {c.delegateAgain().AccessToken}})
		row = c.request("")
		c.approveAsAnn(row.PublicID)
		st, out = billing.poll(id)
		if st != http.StatusOK {
			t.Fatalf("redeem under the new grant: %d %v", st, out)
		}
		if _, err := grants.Revoke(c.asAnn(), row.GrantID); err != nil {
			t.Fatal(err)
		}
		if in := billing.introspect(out["access_token"].(string)); in["active"] != false {
			t.Fatalf("the approval token after its grant was revoked: %v", in)
		}
		if n := countAudit(t, c.world, "acme", "approval.consumed"); n != 0 {
			t.Fatalf("approval.consumed events: %d", n)
		}
	})
}

// delegateAgain has Ann delegate to billing once more in the browser (a
// new grant) and returns the new on-behalf-of and refresh tokens.
func (c *cibaWorld) delegateAgain() *oauth2.Token {
	c.t.Helper()
	b := c.browser(c.t)
	b.signIn("acme", c.annEmail)
	conf := oauth2.Config{ClientID: c.billing, RedirectURL: callback, Scopes: []string{"openid", "invoices:read", "refunds:preview"},
		Endpoint: oauth2.Endpoint{AuthURL: c.iss + "/oauth2/authorize", TokenURL: c.iss + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(conf.AuthCodeURL("state-"+randomJTI(), oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("client_assertion_type", jwtBearer),
		oauth2.SetAuthURLParam("client_assertion", c.key.assertion(c.t, c.billing, c.iss+"/oauth2/token", randomJTI(), time.Now().Add(time.Minute))))
	if err != nil {
		c.t.Fatalf("Ann's new delegation: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		c.t.Fatalf("Ann's new delegation: %+v", tok)
	}
	return tok
}

// Suspending (even for a moment) or revoking an agent withdraws its
// requests for approval, undecided or approved but not yet redeemed: no
// one can approve them any more, and no grant or token ever comes of
// them, even once a suspended agent is resumed.
func TestCIBAApprovalOfAStoppedAgentGivesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		for _, status := range []string{registry.Suspended, registry.Revoked} {
			nightly := c.newHeadless("nightly-"+status, "openid", "invoices:read")
			undecided := nightly.ask(url.Values{"login_hint": {c.annEmail}, "scope": {"openid invoices:read"}})
			undecidedPub := c.request("").PublicID
			approved := nightly.ask(url.Values{"login_hint": {c.annEmail}, "scope": {"openid invoices:read"}})
			approvedPub := c.request("").PublicID
			if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "hwk"), approval.Decision{ID: approvedPub, Approve: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.agents.SetStatus(c.sys("acme"), nightly.agentID, status); err != nil {
				t.Fatal(err)
			}
			for _, pub := range []string{undecidedPub, approvedPub} {
				if row := c.rowOf("acme", pub); row.Status != approvalrequest.StatusDenied || row.DenyReason != "the agent was "+status {
					t.Fatalf("the %s agent's request: %s %q", status, row.Status, row.DenyReason)
				}
			}
			_, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "hwk"), approval.Decision{ID: undecidedPub, Approve: true})
			if apperr.KindOf(err) != apperr.Conflict {
				t.Fatalf("approving the %s agent's grant request: %v", status, err)
			}
			if status == registry.Suspended {
				if _, err := c.agents.SetStatus(c.sys("acme"), nightly.agentID, registry.Active); err != nil {
					t.Fatal(err)
				}
				for _, id := range []string{undecided, approved} {
					if st, out := nightly.poll(id); st != http.StatusBadRequest || out["error"] != "access_denied" {
						t.Fatalf("the resumed agent polls: %d %v", st, out)
					}
				}
			}
			if n, _ := db.Client.DelegationGrant.Query().Where(delegationgrant.AgentID(nightly.agentID),
				delegationgrant.StatusEQ(delegationgrant.StatusActive)).Count(c.sys("acme")); n != 0 {
				t.Fatalf("a grant left standing for a %s agent", status)
			}
		}
		if n := countAudit(t, c.world, "acme", "approval.withdrawn"); n != 4 {
			t.Fatalf("approval.withdrawn events: %d", n)
		}
	})
}
