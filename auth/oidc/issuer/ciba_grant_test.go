package issuer_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// newHeadless registers an agent with no redirect URIs: a person can only
// delegate to it through CIBA (or the device flow).
func (c *cibaWorld) newHeadless(name string, ceiling ...string) *cibaAgent {
	return c.newAgent("acme", registry.NewAgent{Name: name, Ceiling: ceiling})
}

// asAnn is Ann in the dashboard, for services other than approvals.
func (c *cibaWorld) asAnn() context.Context {
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: c.tenants["acme"], Kind: viewer.Human, ID: c.annID,
		Label: c.annEmail, Role: viewer.RoleAdmin})
}

// A headless agent that asks for scopes needing no approval, with no
// authorization_details and no token of its own, asks the person for a
// delegation grant. Approving it gives the grant (audited grant.given in
// the decision's transaction); the agent redeems an ordinary on-behalf-of
// token with a refresh token, usable again and again, which ends when the
// grant is revoked.
func TestCIBAGrantRequestGivesADelegation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		nightly := c.newHeadless("nightly", "openid", "invoices:read")
		st, out := nightly.post("/oauth2/bc-authorize", url.Values{"login_hint": {c.annEmail}, "scope": {"openid invoices:read"},
			"binding_message": {"Nightly invoice export"}})
		id, _ := out["auth_req_id"].(string)
		if st != http.StatusOK || id == "" {
			t.Fatalf("bc-authorize for a grant: %d %v", st, out)
		}
		if n, _ := out["expires_in"].(float64); n <= 0 || n > 600 {
			t.Fatalf("a grant request waits at most 10 minutes: expires_in %v", out["expires_in"])
		}
		row := c.request("")
		if row.Kind != approvalrequest.KindGrant || row.UserID != c.annID || row.GrantID != 0 || len(row.Requires) != 0 ||
			row.ApproverRole != "" || row.GrantSeconds <= 0 || strings.Join(row.Scopes, " ") != "openid invoices:read" {
			t.Fatalf("the grant request: %+v", row)
		}
		if got := approval.Summary(row); !strings.Contains(got, "a delegation of openid invoices:read") {
			t.Fatalf("summary: %q", got)
		}
		if st, out := nightly.poll(id); st != http.StatusBadRequest || out["error"] != "authorization_pending" {
			t.Fatalf("polling before the decision: %d %v", st, out)
		}

		// A refused approval gives nothing.
		if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin), approval.Decision{ID: row.PublicID, Approve: true}); err == nil {
			t.Fatal("approving without a strong authentication succeeded")
		}
		grants := func() int {
			n, err := db.Client.DelegationGrant.Query().Where(delegationgrant.AgentID(nightly.agentID)).Count(c.sys("acme"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := grants(); n != 0 {
			t.Fatalf("%d grants after a refused approval", n)
		}

		got := c.approveAsAnn(row.PublicID)
		if got.CreatedGrantID == 0 {
			t.Fatalf("the approved request names no grant: %+v", got.ApprovalRequest)
		}
		g, err := db.Client.DelegationGrant.Get(c.sys("acme"), got.CreatedGrantID)
		if err != nil || g.UserID != c.annID || g.AgentID != nightly.agentID || g.Status != delegationgrant.StatusActive ||
			strings.Join(g.Scopes, " ") != "openid invoices:read" {
			t.Fatalf("the grant given: %v %+v", err, g)
		}
		given, err := db.Client.AuditEvent.Query().Where(auditevent.Action("grant.given"), auditevent.TargetID(strconv.Itoa(g.ID))).
			Only(c.sys("acme"))
		if err != nil || given.ApprovalID != row.PublicID {
			t.Fatalf("grant.given: %v %+v", err, given)
		}
		if n := grants(); n != 1 {
			t.Fatalf("%d grants after the approval", n)
		}

		st, out = nightly.poll(id)
		if st != http.StatusOK {
			t.Fatalf("redeem: %d %v", st, out)
		}
		tok, _ := out["access_token"].(string)
		rt, _ := out["refresh_token"].(string)
		if tok == "" || rt == "" || out["id_token"] == nil || out["approval_id"] != nil || out["authorization_details"] != nil ||
			out["scope"] != "openid invoices:read" {
			t.Fatalf("the grant's token response: %v", out)
		}
		if st, out := nightly.poll(id); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("redeeming twice: %d %v", st, out)
		}

		// An on-behalf-of token, not single-use: every introspection says
		// active, with Ann as subject, the agent as actor and the grant.
		gid := strconv.Itoa(g.ID)
		for range 3 {
			in := nightly.introspect(tok)
			act, _ := in["act"].(map[string]any)
			if in["active"] != true || in["sub"] != strconv.Itoa(c.annID) || act["sub"] != nightly.id || in["grant_id"] != gid ||
				in["approval_id"] != nil || in["scope"] != "openid invoices:read" {
				t.Fatalf("introspecting the grant's token: %v", in)
			}
		}
		if n := countAudit(t, c.world, "acme", "approval.consumed"); n != 0 {
			t.Fatalf("using a grant's token consumed an approval: %d", n)
		}
		// The refresh token works like any other.
		st, out = nightly.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		fresh, _ := out["access_token"].(string)
		if st != http.StatusOK || fresh == "" {
			t.Fatalf("refresh: %d %v", st, out)
		}
		rt2, _ := out["refresh_token"].(string)
		if in := nightly.introspect(fresh); in["active"] != true || in["grant_id"] != gid {
			t.Fatalf("the refreshed token: %v", in)
		}

		// Revoking the grant ends it all at once.
		if _, err := delegation.NewService(db.Client, audit.NewRecorder()).Revoke(c.asAnn(), g.ID); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		for _, tk := range []string{tok, fresh} {
			if in := nightly.introspect(tk); in["active"] != false {
				t.Fatalf("a token of the revoked grant: %v", in)
			}
		}
		if st, out := nightly.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}}); st != http.StatusBadRequest ||
			out["error"] != "invalid_grant" {
			t.Fatalf("refreshing after the revocation: %d %v", st, out)
		}
	})
}

// A grant request never asks for more than the agent's ceiling and the
// person's role, and an agent that already holds a token for the person
// does not get another grant through CIBA: it exchanges its token.
func TestCIBAGrantRequestStaysWithinTheCeiling(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		nightly := c.newHeadless("nightly", "openid", "invoices:read")
		for name, scope := range map[string]string{"beyond the ceiling": "openid refunds:preview", "unknown": "openid invoices:write"} {
			if st, out := nightly.post("/oauth2/bc-authorize", url.Values{"login_hint": {c.annEmail}, "scope": {scope}}); st != http.StatusBadRequest ||
				out["error"] != "invalid_scope" {
				t.Errorf("%s: %d %v", name, st, out)
			}
		}
		// billing, with its token for Ann, gets nothing from a request
		// that needs no approval.
		st, out := c.post("/oauth2/bc-authorize", url.Values{"login_hint": {c.annEmail}, "scope": {"openid invoices:read"}, "subject_token": {c.obo}})
		if st != http.StatusBadRequest || out["error"] != "invalid_request" {
			t.Fatalf("a grant request with a subject token: %d %v", st, out)
		}
		if n, _ := db.Client.ApprovalRequest.Query().Count(c.sys("acme")); n != 0 {
			t.Fatalf("%d requests stored", n)
		}
	})
}
