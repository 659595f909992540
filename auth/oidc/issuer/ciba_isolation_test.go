package issuer_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// A request made in acme does not exist for workspace other: its
// approvers neither see nor decide it, and its auth_req_id redeems
// nothing at other's token endpoint.
func TestCIBARequestsStayInTheirWorkspace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		id := c.ask(refund, nil)
		pub := c.request("").PublicID

		// Other's admin, strongly signed in, and other's system.
		otherAnn, err := db.Client.User.Query().Where(user.Email("ann@other.test")).Only(c.sys("other"))
		if err != nil {
			t.Fatal(err)
		}
		admin := c.approverIn("other", otherAnn.ID, "ann@other.test", viewer.RoleAdmin, "pwd", "hwk")
		// An owner of other who claims acme's Ann's email: still other's.
		sameID := c.approverIn("other", otherAnn.ID, c.annEmail, viewer.RoleOwner, "pwd", "hwk")
		for name, ctx := range map[string]context.Context{"other's admin": admin, "an owner of other": sameID} {
			list, err := c.approvals.List(ctx, approval.Filter{})
			if err != nil || slices.ContainsFunc(list, func(r *approval.Request) bool { return r.PublicID == pub }) {
				t.Fatalf("%s lists acme's request: %v %d", name, err, len(list))
			}
			if _, err := c.approvals.Get(ctx, pub); apperr.KindOf(err) != apperr.NotFound {
				t.Fatalf("%s gets acme's request: %v", name, err)
			}
			for _, approve := range []bool{true, false} {
				if _, err := c.approvals.Decide(ctx, approval.Decision{ID: pub, Approve: approve}); apperr.KindOf(err) != apperr.NotFound {
					t.Fatalf("%s decides acme's request (approve %v): %v", name, approve, err)
				}
			}
		}
		if _, err := c.approvals.DenyAsOperator(c.sys("other"), pub, "not yours"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("other's operator denies acme's request: %v", err)
		}
		if row := c.rowOf("acme", pub); row.Status != approvalrequest.StatusPending || row.DecidedBy != nil {
			t.Fatalf("acme's request after other's attempts: %+v", row)
		}
		if n := countAudit(t, c.world, "other", "approval.decision_refused"); n != 0 {
			t.Fatalf("other's audit names acme's request %d times", n)
		}

		c.approveAsAnn(pub)

		// billing does not exist in other: its assertion there is no
		// client at all.
		st, out, _ := postForm(t, c.issuerURL("other")+"/oauth2/token", url.Values{"grant_type": {grantCIBA}, "auth_req_id": {id},
			"client_id": {c.billing}, "client_assertion_type": {jwtBearer},
			"client_assertion": {c.key.assertion(t, c.billing, c.issuerURL("other"), randomJTI(), time.Now().Add(time.Minute))}}, "", "")
		if st != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Fatalf("billing redeems at other: %d %v", st, out)
		}
		// An agent of other that learned the id gets nothing.
		spy := c.newAgent("other", registry.NewAgent{Name: "spy", Ceiling: []string{"openid"}})
		if st, out := spy.poll(id); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("other's agent redeems acme's auth_req_id: %d %v", st, out)
		}
		// And the approval is still billing's, at acme.
		if st, out := c.poll(id); st != http.StatusOK {
			t.Fatalf("billing redeems at acme: %d %v", st, out)
		}
	})
}
