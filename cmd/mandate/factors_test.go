package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/outboxmessage"
	"github.com/mandatehq/mandate/ent/recoverycode"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// mandate user reset-factors removes a member's authenticator app and
// recovery codes as the workspace's system, audits it as the CLI's, mails
// the member (before exiting) and prints one JSON object.
func TestCLIResetFactors(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			u := c.object("user", "create", "--tenant", "acme", "--email", "ann@acme.test", "--verified", "--json")
			c.object("user", "create", "--tenant", "acme", "--email", "bob@acme.test", "--json")
			uid := int(u["id"].(float64))

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
			// Ann's app and codes, as enrolling would have stored them.
			if err := db.Client.TOTPFactor.Create().SetUserID(uid).SetSecretSealed([]byte("sealed")).SetConfirmedAt(time.Now()).Exec(sys); err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"h1", "h2", "h3"} {
				if err := db.Client.RecoveryCode.Create().SetUserID(uid).SetCodeHash(h).Exec(sys); err != nil {
					t.Fatal(err)
				}
			}

			out := c.object("user", "reset-factors", "--tenant", "acme", "--email", "Ann@Acme.test", "--json")
			if out["user_id"] != float64(uid) || out["email"] != "ann@acme.test" || out["totp_removed"] != true ||
				out["recovery_codes_removed"] != float64(3) || out["passkeys_removed"] != float64(0) {
				t.Fatalf("reset-factors = %v", out)
			}
			if n, _ := db.Client.TOTPFactor.Query().Where(totpfactor.UserID(uid)).Count(sys); n != 0 {
				t.Fatal("the app survived")
			}
			if n, _ := db.Client.RecoveryCode.Query().Where(recoverycode.UserID(uid)).Count(sys); n != 0 {
				t.Fatal("the recovery codes survived")
			}
			ev, err := db.Client.AuditEvent.Query().Where(auditevent.Action("mfa.factors_reset")).Only(sys)
			if err != nil || ev.ActorType != "system" || ev.UserAgent != "mandate-cli" {
				t.Fatalf("audit: %v, %v", ev, err)
			}
			// No SMTP configured: the notice is in the dev outbox already.
			msg, err := db.Client.OutboxMessage.Query().Where(outboxmessage.To("ann@acme.test")).Only(sys)
			if err != nil || !strings.Contains(msg.Subject, "two-factor settings were reset") {
				t.Fatalf("notice: %v, %v", msg, err)
			}
			// Nothing to reset: still one JSON object, and no mail.
			again := c.object("user", "reset-factors", "--tenant", "acme", "--email", "bob@acme.test", "--json")
			if again["totp_removed"] != false || again["recovery_codes_removed"] != float64(0) {
				t.Fatalf("reset-factors of bob = %v", again)
			}
			if n, _ := db.Client.OutboxMessage.Query().Where(outboxmessage.To("bob@acme.test")).Count(sys); n != 0 {
				t.Fatal("a reset that removed nothing mailed the member")
			}
			if stdout, _, err := c.run("user", "reset-factors", "--tenant", "acme", "--email", "nobody@acme.test", "--json"); err == nil || stdout != "" {
				t.Fatalf("reset-factors of nobody: %v, %q", err, stdout)
			}
		})
	}
}
