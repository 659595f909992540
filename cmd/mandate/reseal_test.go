package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/ent/webhook"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// keys rotate-master also re-seals what is sealed with the master
// directly: after it, a TOTP secret, a provider's client secret, a webhook
// secret and a signing key all open with the new master alone, and no
// secret is in the audit trail or the output.
func TestCLIRotateMasterReseals(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			oldSecret, newSecret := strings.Repeat("o", 40), strings.Repeat("n", 40)
			t.Setenv("MANDATE_SECRET", oldSecret)
			t.Setenv("MANDATE_PREVIOUS_SECRETS", "")
			ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			usr := c.object("user", "create", "--tenant", "acme", "--email", "ann@acme.test", "--json")
			dir := t.TempDir()
			write := func(name, v string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			const idpSecret, totpSecret = "idp-client-secret-value", "JBSWY3DPEHPK3PXPJBSWY3DP"
			key := c.object("keys", "rotate", "--tenant", "acme", "--json")
			c.object("idp", "create", "--tenant", "acme", "--slug", "github", "--kind", "github", "--client-id", "cid",
				"--client-secret-file", write("idp", idpSecret), "--json")
			hook := c.object("webhook", "create", "--tenant", "acme", "--url", "http://127.0.0.1:9/hook", "--json")

			target, err := database.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			db, err := database.Open(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			tid, uid := int(ten["id"].(float64)), jsonID(usr["id"])
			ctx := viewer.AsSystem(viewer.ForTenant(context.Background(), tid), "test")
			totpBinding := seal.Binding(tid, "totp", uid)
			oldTOTP, _ := seal.New([]byte(oldSecret), "mandate totp v1")
			sealed, _ := oldTOTP.Seal([]byte(totpSecret), totpBinding)
			if _, err := db.Client.TOTPFactor.Create().SetUserID(mustAtoi(t, uid)).SetSecretSealed(sealed).Save(ctx); err != nil {
				t.Fatal(err)
			}

			t.Setenv("MANDATE_SECRET", newSecret)
			t.Setenv("MANDATE_PREVIOUS_SECRETS", oldSecret)
			out, errOut, err := c.run("keys", "rotate-master", "--new-secret-file", write("new", newSecret), "--json")
			if err != nil {
				t.Fatalf("rotate-master: %v (%s)", err, errOut)
			}
			rm := decodeOne(t, out)
			want := map[string]float64{"totp_secrets": 1, "identity_provider_secrets": 1, "webhook_secrets": 1, "signing_keys": 1}
			got, _ := rm["resealed"].(map[string]any)
			for k, n := range want {
				if got[k] != n {
					t.Fatalf("rotate-master resealed = %v, want %v", got, want)
				}
			}
			for _, s := range []string{idpSecret, totpSecret, hook["secret"].(string), oldSecret, newSecret} {
				if strings.Contains(out+errOut, s) {
					t.Fatal("rotate-master printed a secret")
				}
			}
			if again := decodeOne(t, must(t, c, "keys", "rotate-master", "--new-secret-file", write("new", newSecret), "--json")); again["resealed"].(map[string]any)["totp_secrets"] != float64(0) {
				t.Fatalf("second rotate-master = %v", again)
			}

			// With the new master alone, everything opens.
			only := func(purpose string) *seal.Sealer {
				s, err := seal.New([]byte(newSecret), purpose)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			f, err := db.Client.TOTPFactor.Query().Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := only("mandate totp v1").Open(f.SecretSealed, totpBinding); err != nil || string(v) != totpSecret {
				t.Fatalf("TOTP secret after rotate-master: %v", err)
			}
			p, err := db.Client.IdentityProvider.Query().Where(identityprovider.Slug("github")).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := only("mandate idp client secret v1").Open(p.ClientSecretSealed, seal.Binding(tid, "idp", "github")); err != nil || string(v) != idpSecret {
				t.Fatalf("provider secret after rotate-master: %v", err)
			}
			h, err := db.Client.Webhook.Query().Where(webhook.ID(int(hook["id"].(float64)))).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := only("mandate webhooks v1").Open(h.Secret, seal.Binding(tid, "webhook", jsonID(hook["id"]))); err != nil || string(v) != hook["secret"] {
				t.Fatalf("webhook secret after rotate-master: %v", err)
			}
			m, err := keys.NewManager(db.Client, []byte(newSecret), audit.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			if k, err := m.Signer(ctx, keys.ES256); err != nil || k.KID != key["kid"] {
				t.Fatalf("signing key after rotate-master: %v", err)
			}
			events, err := db.Client.AuditEvent.Query().Where(auditevent.ActionHasSuffix(".resealed")).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 4 {
				t.Fatalf("%d .resealed events, want one per kind", len(events))
			}
			for _, e := range events {
				if len(e.Details) != 1 || e.Details["count"] != "1" {
					t.Fatalf("%s details = %v", e.Action, e.Details)
				}
			}
		})
	}
}

func must(t *testing.T, c *cli, args ...string) string {
	t.Helper()
	out, errOut, err := c.run(args...)
	if err != nil {
		t.Fatalf("mandate %s: %v (%s)", strings.Join(args, " "), err, errOut)
	}
	return out
}
