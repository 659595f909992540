package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// mandate grant list|narrow|revoke act as the workspace's system: one JSON
// object each with --json, refusals on stderr with a non-zero exit, and
// each change audited as the CLI's.
func TestCLIGrants(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			c.object("scopes", "set", "--tenant", "acme", "--scope", "invoices:read=Read invoices", "--scope", "refunds:preview=Preview refunds", "--json")
			u := c.object("user", "create", "--tenant", "acme", "--email", "ann@acme.test", "--json")
			ag := c.object("agent", "create", "--tenant", "acme", "--name", "planner", "--sponsor", "ann@acme.test",
				"--scopes", "invoices:read,refunds:preview", "--generate-key", t.TempDir(), "--json")

			// Ann's grant, as her consent would record it.
			target, err := database.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			db, err := database.Open(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			sys := viewer.AsSystem(viewer.ForTenant(context.Background(), int(ten["id"].(float64))), "test")
			exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
			g, err := db.Client.DelegationGrant.Create().SetUserID(int(u["id"].(float64))).SetAgentID(int(ag["id"].(float64))).
				SetScopes([]string{"invoices:read", "refunds:preview"}).SetExpiresAt(exp).Save(sys)
			if err != nil {
				t.Fatal(err)
			}
			gid := strconv.Itoa(g.ID)

			list := c.object("grant", "list", "--tenant", "acme", "--json")
			gs, _ := list["grants"].([]any)
			if list["tenant"] != "acme" || len(gs) != 1 {
				t.Fatalf("grant list = %v", list)
			}
			first := gs[0].(map[string]any)
			requireKeys(t, first, "id", "user_id", "agent_id", "scopes", "expires_at", "status", "created_at")
			if first["id"] != float64(g.ID) || first["user_email"] != "ann@acme.test" || first["agent"] != "planner" ||
				first["client_id"] != ag["client_id"] || first["status"] != "active" || first["expires_at"] != exp.Format(time.RFC3339) {
				t.Fatalf("grant list's grant = %v", first)
			}
			if out, _, err := c.run("grant", "list", "--tenant", "acme"); err != nil || !strings.Contains(out, gid+"  active  ann@acme.test -> planner") {
				t.Fatalf("grant list (text) = %q, %v", out, err)
			}

			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"--scopes", "invoices:read,payroll:read"}, `"payroll:read" is not in the grant`},
				{[]string{"--scopes", ""}, "at least one scope"},
				{[]string{"--expires", exp.Add(time.Hour).Format(time.RFC3339)}, "not be later"},
				{[]string{"--expires", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, "in the future"},
				{[]string{"--expires", "tomorrow"}, "--expires"},
				{nil, "--scopes, --expires or both"},
			} {
				args := append([]string{"grant", "narrow", "--tenant", "acme", "--id", gid, "--json"}, tc.args...)
				stdout, _, err := c.run(args...)
				if err == nil || stdout != "" || !strings.Contains(describe(err), tc.want) {
					t.Errorf("mandate %v: %v, stdout %q; want an error mentioning %q", tc.args, err, stdout, tc.want)
				}
			}
			if _, _, err := c.run("grant", "narrow", "--tenant", "acme", "--id", strconv.Itoa(g.ID+1_000_000), "--scopes", "invoices:read", "--json"); err == nil ||
				!strings.Contains(err.Error(), "not found") {
				t.Errorf("narrowing a grant that does not exist: %v", err)
			}

			n := c.object("grant", "narrow", "--tenant", "acme", "--id", gid, "--scopes", "invoices:read", "--json")
			if sc, _ := n["scopes"].([]any); n["id"] != float64(g.ID) || len(sc) != 1 || sc[0] != "invoices:read" || n["status"] != "active" {
				t.Fatalf("grant narrow --scopes = %v", n)
			}
			sooner := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
			n = c.object("grant", "narrow", "--tenant", "acme", "--id", gid, "--expires", sooner.Format(time.RFC3339), "--json")
			if n["expires_at"] != sooner.Format(time.RFC3339) {
				t.Fatalf("grant narrow --expires = %v", n)
			}
			r := c.object("grant", "revoke", "--tenant", "acme", "--id", gid, "--json")
			if r["status"] != "revoked" || r["revoked_at"] == nil {
				t.Fatalf("grant revoke = %v", r)
			}
			if _, _, err := c.run("grant", "narrow", "--tenant", "acme", "--id", gid, "--scopes", "invoices:read", "--json"); err == nil ||
				!strings.Contains(err.Error(), "revoked") {
				t.Errorf("narrowing a revoked grant: %v", err)
			}

			stored, err := db.Client.DelegationGrant.Get(sys, g.ID)
			if err != nil || stored.Status != delegationgrant.StatusRevoked || len(stored.Scopes) != 1 || !stored.ExpiresAt.Equal(sooner) {
				t.Errorf("the stored grant: %v, %v", stored, err)
			}
			evs, err := db.Client.AuditEvent.Query().Where(auditevent.TargetID(gid), auditevent.ActionIn("grant.narrowed", "grant.revoked")).
				Order(ent.Asc(auditevent.FieldSeq)).All(sys)
			if err != nil || len(evs) != 3 || evs[0].Action != "grant.narrowed" || evs[1].Action != "grant.narrowed" || evs[2].Action != "grant.revoked" {
				t.Fatalf("audit events %v, %v; want two narrowings and a revocation", evs, err)
			}
			for _, ev := range evs {
				if ev.ActorType != string(viewer.System) || ev.UserAgent != "mandate-cli" {
					t.Errorf("%s by %s (%s); want the CLI as the system", ev.Action, ev.ActorType, ev.UserAgent)
				}
			}
			if v := c.object("audit", "verify", "--tenant", "acme", "--json"); v["ok"] != true {
				t.Errorf("audit verify = %v", v)
			}
		})
	}
}
