package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/internal/testdb"
)

// `mandate idp create|list|delete`: one JSON object each, the client
// secret read from a file and never printed.
func TestCLIIdentityProviders(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			c.t.Setenv("MANDATE_SECRET", strings.Repeat("s", 40))
			c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			secretFile := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(secretFile, []byte("gh-client-secret-value\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, err := c.run("idp", "create", "--tenant", "acme", "--slug", "github", "--kind", "github",
				"--client-id", "gh-client", "--client-secret-file", secretFile, "--allow-sign-up", "--json")
			if err != nil || strings.Contains(stdout+stderr, "gh-client-secret-value") {
				t.Fatalf("idp create: %v, stdout %q, stderr %q", err, stdout, stderr)
			}
			p := c.object("idp", "list", "--tenant", "acme", "--json")
			list, _ := p["providers"].([]any)
			if len(list) != 1 {
				t.Fatalf("idp list: %v", p)
			}
			gh, _ := list[0].(map[string]any)
			requireKeys(t, gh, "id", "slug", "kind", "callback_url")
			if gh["slug"] != "github" || gh["has_client_secret"] != true || gh["allow_sign_up"] != true ||
				!strings.HasSuffix(gh["callback_url"].(string), "/t/acme/auth/social/github/callback") {
				t.Fatalf("idp list: %v", gh)
			}
			// A github provider needs its secret; an oidc one its issuer.
			if _, _, err := c.run("idp", "create", "--tenant", "acme", "--slug", "gh2", "--kind", "github", "--client-id", "x", "--json"); err == nil {
				t.Fatal("a github provider without a secret was accepted")
			}
			if _, _, err := c.run("idp", "create", "--tenant", "acme", "--slug", "corp", "--kind", "oidc", "--name", "Corp",
				"--client-id", "x", "--json"); err == nil {
				t.Fatal("an oidc provider without an issuer was accepted")
			}
			del := c.object("idp", "delete", "--tenant", "acme", "--slug", "github", "--json")
			if del["slug"] != "github" {
				t.Fatalf("idp delete: %v", del)
			}
			if p := c.object("idp", "list", "--tenant", "acme", "--json"); len(p["providers"].([]any)) != 0 {
				t.Fatalf("after delete: %v", p)
			}
		})
	}
}
