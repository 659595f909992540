package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/auditchain"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The gateway reuses what a token's earlier calls checked, but never past
// a revocation: each change below is made as the CLI or another replica
// would make it (straight to the database, not through this gateway),
// right after a call that succeeded with the same token, and the very
// next call is refused without reaching the upstream.
func TestGatewayReusesChecksUntilARevocation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ok := func(tok string) {
			t.Helper()
			for range 2 { // the second call is served from what the first checked
				if a := w.call("GET", "billing/invoices/INV-1", tok, "", nil); a.status != http.StatusOK {
					t.Fatalf("call: %d %s", a.status, a.body)
				}
			}
		}
		refused := func(tok string, status int, code string) {
			t.Helper()
			n := w.up.count()
			wantProblem(t, w.call("GET", "billing/invoices/INV-1", tok, "", nil), status, code)
			if w.up.count() != n {
				t.Fatal("a refused call reached the upstream")
			}
		}
		sys := w.sys()

		// The token revoked at the issuer (RFC 7009).
		tok := w.ownToken("invoices:read")
		ok(tok)
		if st, out := w.post("/oauth2/revoke", url.Values{"token": {tok}}); st != http.StatusOK {
			t.Fatalf("revoke: %d %v", st, out)
		}
		refused(tok, http.StatusUnauthorized, "invalid_token")

		// The agent no longer allowed the tool; then suspended.
		tok = w.ownToken("invoices:read")
		ok(tok)
		db.Client.Agent.UpdateOneID(w.agentID).SetTools([]string{}).ExecX(sys)
		refused(tok, http.StatusForbidden, "tool_not_allowed")
		db.Client.Agent.UpdateOneID(w.agentID).SetTools([]string{"billing"}).ExecX(sys)
		ok(tok)
		db.Client.Agent.UpdateOneID(w.agentID).SetStatus(agent.StatusSuspended).ExecX(sys)
		refused(tok, http.StatusUnauthorized, "invalid_token")
		db.Client.Agent.UpdateOneID(w.agentID).SetStatus(agent.StatusActive).ExecX(sys)

		// The operation's scope raised above the token's.
		ok(tok)
		t0 := db.Client.Tool.GetX(sys, w.toolID)
		db.Client.Tool.UpdateOneID(w.toolID).SetOperations(`[{"method":"GET","path":"/invoices/*","scope":"refunds:preview"}]`).ExecX(sys)
		refused(tok, http.StatusForbidden, "insufficient_scope")
		db.Client.Tool.UpdateOneID(w.toolID).SetOperations(t0.Operations).ExecX(sys)

		// The credential revoked.
		ok(tok)
		db.Client.Credential.UpdateOneID(w.credID).SetRevokedAt(time.Now()).ExecX(sys)
		refused(tok, http.StatusForbidden, "credential_revoked")
		db.Client.Credential.UpdateOneID(w.credID).ClearRevokedAt().ExecX(sys)

		// On Ann's behalf: her grant revoked; then Ann disabled.
		obo := w.obo()
		ok(obo)
		g := db.Client.DelegationGrant.Query().Where(delegationgrant.AgentID(w.agentID), delegationgrant.StatusEQ(delegationgrant.StatusActive)).OnlyX(sys)
		db.Client.DelegationGrant.UpdateOneID(g.ID).SetStatus(delegationgrant.StatusRevoked).ExecX(sys)
		refused(obo, http.StatusUnauthorized, "invalid_token")
		obo = w.obo()
		ok(obo)
		db.Client.User.Update().Where(user.Email(annEmail)).SetDisabled(true).ExecX(sys)
		refused(obo, http.StatusUnauthorized, "invalid_token")
	})
}

// The authority version moves with every update or delete of a row that
// carries authority, in its workspace only, and with nothing else: not
// with a new row, nor with a credential's last use.
func TestAuthorityVersionMoves(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		sys := w.sys()
		version := func() int64 {
			t.Helper()
			return db.Client.AuditChain.Query().Where(auditchain.TenantID(w.tenantID)).OnlyX(sys).AuthorityVersion
		}
		moves := func(what string, want bool, change func()) {
			t.Helper()
			before := version()
			change()
			if moved := version() != before; moved != want {
				t.Fatalf("%s: moved %v, want %v", what, moved, want)
			}
		}
		moves("a credential's last use", false, func() {
			db.Client.Credential.UpdateOneID(w.credID).SetLastUsedAt(time.Now()).ExecX(sys)
		})
		var made *ent.Tool
		moves("a new tool", false, func() {
			made = db.Client.Tool.Create().SetName("other").SetUpstreamURL("https://api.example.com").
				SetInjection(tool.InjectionBearer).SetCredentialID(w.credID).SetOperations("[]").SaveX(sys)
		})
		moves("a tool renamed", true, func() { db.Client.Tool.UpdateOneID(made.ID).SetName("other2").ExecX(sys) })
		moves("an update that matched nothing", false, func() {
			db.Client.Tool.Update().Where(tool.Name("nothing")).SetDisabled(true).ExecX(sys)
		})
		moves("a tool deleted", true, func() { db.Client.Tool.DeleteOneID(made.ID).ExecX(sys) })
		moves("a credential rotated", true, func() {
			db.Client.Credential.UpdateOneID(w.credID).SetName("billing key, renamed").ExecX(sys)
		})
		moves("an agent's status", true, func() {
			db.Client.Agent.UpdateOneID(w.agentID).SetStatus(agent.StatusActive).ExecX(sys)
		})
		moves("a credential's kind left alone", false, func() {
			db.Client.Credential.Update().Where(credential.ID(w.credID), credential.KindNEQ(credential.KindAPIKey)).SetName("x").ExecX(sys)
		})
		// In a transaction: once, when it commits, however many rows it
		// changed; not at all when it rolls back.
		inTx := func(commit bool) {
			tx, err := db.Client.Tx(sys)
			if err != nil {
				t.Fatal(err)
			}
			tx.Tool.UpdateOneID(w.toolID).SetTimeoutMs(5000).ExecX(sys)
			tx.Agent.UpdateOneID(w.agentID).SetName("billing agent").ExecX(sys)
			tx.Credential.UpdateOneID(w.credID).SetName("billing key, again").ExecX(sys)
			if !commit {
				_ = tx.Rollback()
				return
			}
			if v := tx.AuditChain.Query().Where(auditchain.TenantID(w.tenantID)).OnlyX(sys).AuthorityVersion; v != version() {
				t.Fatal("the version moved before the transaction committed")
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		before := version()
		inTx(true)
		if got := version(); got != before+1 {
			t.Fatalf("a transaction of three changes moved the version by %d, want 1", got-before)
		}
		moves("a transaction rolled back", false, func() { inTx(false) })
		// The tenantless system (an operator's command across
		// workspaces) moves every workspace's version.
		moves("a change across workspaces", true, func() {
			db.Client.User.Update().Where(user.Email(annEmail)).SetName("Ann B").ExecX(viewer.AsSystem(context.Background(), "test"))
		})
	})
}
