package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// mandate vault add|list|rotate|revoke: values go in from a file or stdin
// and never come out, on stdout, stderr or in --json; keys rotate-master
// re-wraps the data keys so that the credentials open with the new master
// alone.
func TestCLIVault(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			oldSecret := strings.Repeat("o", 40)
			newSecret := strings.Repeat("n", 40)
			t.Setenv("MANDATE_SECRET", oldSecret)
			t.Setenv("MANDATE_PREVIOUS_SECRETS", "")
			ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			c.object("user", "create", "--tenant", "acme", "--email", "ann@acme.test", "--json")
			ag := c.object("agent", "create", "--tenant", "acme", "--name", "planner", "--sponsor", "ann@acme.test",
				"--scopes", "openid", "--generate-key", t.TempDir(), "--json")
			dir := t.TempDir()
			write := func(name, v string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			var seen strings.Builder
			run := func(args ...string) map[string]any {
				out, errOut, err := c.run(args...)
				seen.WriteString(out + errOut)
				if err != nil {
					t.Fatalf("mandate %s: %v (%s)", strings.Join(args, " "), err, errOut)
				}
				return decodeOne(t, out)
			}
			secrets := []string{"sk_live_cli_value_1", "basic_cli_password_2", "bearer_cli_value_3", "sk_live_cli_value_4"}
			add := func(args ...string) map[string]any {
				t.Helper()
				out, errOut, err := c.run(append([]string{"vault", "add", "--tenant", "acme", "--json"}, args...)...)
				seen.WriteString(out + errOut)
				if err != nil {
					t.Fatalf("vault add %v: %v (%s)", args, err, errOut)
				}
				return decodeOne(t, out)
			}
			k := add("--name", "stripe", "--kind", "api_key", "--value-file", write("k", secrets[0]+"\n"))
			requireKeys(t, k, "id", "name", "kind", "owner_kind", "created_at")
			if k["name"] != "stripe" || k["kind"] != "api_key" || k["owner_kind"] != "workspace" {
				t.Fatalf("vault add = %v", k)
			}
			b := add("--name", "legacy", "--kind", "basic", "--username", "svc", "--owner", "user:ann@acme.test", "--value-file", write("b", secrets[1]))
			if b["owner_kind"] != "user" || b["owner_id"] == nil {
				t.Fatalf("vault add basic = %v", b)
			}
			// From stdin.
			var out, errb bytes.Buffer
			root := newRootCmd(&out, &errb)
			root.SetIn(strings.NewReader(secrets[2] + "\n"))
			root.SetArgs([]string{"vault", "add", "--tenant", "acme", "--name", "agent-token", "--kind", "bearer",
				"--owner", "agent:" + ag["client_id"].(string), "--value-stdin", "--json"})
			if err := root.ExecuteContext(context.Background()); err != nil {
				t.Fatalf("vault add --value-stdin: %v (%s)", err, errb.String())
			}
			seen.WriteString(out.String() + errb.String())
			if o := decodeOne(t, out.String()); o["owner_kind"] != "agent" {
				t.Fatalf("vault add --value-stdin = %v", o)
			}
			// Refusals: no value source, a bad kind, an unknown owner.
			for _, args := range [][]string{
				{"--name", "x", "--kind", "api_key"},
				{"--name", "x", "--kind", "ssh", "--value-file", write("x", "xxxx")},
				{"--name", "x", "--kind", "api_key", "--owner", "user:nobody@acme.test", "--value-file", write("x", "xxxx")},
				{"--name", "x", "--kind", "api_key", "--username", "u", "--value-file", write("x", "xxxx")},
			} {
				o, e, err := c.run(append([]string{"vault", "add", "--tenant", "acme", "--json"}, args...)...)
				seen.WriteString(o + e)
				if err == nil {
					t.Fatalf("vault add %v succeeded", args)
				}
			}
			list := run("vault", "list", "--tenant", "acme", "--json")
			if cs, _ := list["credentials"].([]any); len(cs) != 3 {
				t.Fatalf("vault list = %v", list)
			}
			id := jsonID(k["id"])
			r := run("vault", "rotate", "--tenant", "acme", "--id", id, "--value-file", write("k2", secrets[3]), "--json")
			if r["id"] != k["id"] || r["rotated_at"] == nil {
				t.Fatalf("vault rotate = %v", r)
			}
			if _, _, err := c.run("vault", "rotate", "--tenant", "acme", "--id", jsonID(b["id"]), "--value-file", write("x", "xxxx")); err == nil {
				t.Fatal("rotated a basic credential without a username")
			}

			// The master rotation: the servers know [new, old]; the
			// command re-wraps; then [new] alone opens everything.
			if _, _, err := c.run("keys", "rotate-master", "--new-secret-file", write("bad", "short"), "--json"); err == nil {
				t.Fatal("rotate-master accepted a short secret")
			}
			t.Setenv("MANDATE_SECRET", newSecret)
			t.Setenv("MANDATE_PREVIOUS_SECRETS", oldSecret)
			// A server with [new, old] keeps working meanwhile.
			run("vault", "list", "--tenant", "acme", "--json")
			rm := run("keys", "rotate-master", "--new-secret-file", write("new", newSecret+"\n"), "--json")
			if rm["rewrapped"] != float64(1) || rm["master_id"] != vault.MasterID([]byte(newSecret)) {
				t.Fatalf("rotate-master = %v", rm)
			}
			if again := run("keys", "rotate-master", "--new-secret-file", write("new", newSecret), "--json"); again["rewrapped"] != float64(0) {
				t.Fatalf("second rotate-master = %v", again)
			}

			target, err := database.Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			db, err := database.Open(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			ctx := viewer.AsSystem(viewer.ForTenant(context.Background(), int(ten["id"].(float64))), "test")
			only := func(m string) *vault.Service {
				v, err := vault.New(vault.Config{Client: db.Client, Masters: [][]byte{[]byte(m)}})
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			cs, err := db.Client.Credential.Query().All(ctx)
			if err != nil || len(cs) != 3 {
				t.Fatalf("credentials: %d %v", len(cs), err)
			}
			opened := map[string]bool{}
			for _, cr := range cs {
				sec, _, err := only(newSecret).Open(ctx, cr.ID)
				if err != nil {
					t.Fatalf("credential %s does not open with the new master alone: %v", cr.Name, err)
				}
				for _, v := range sec.Values() {
					opened[v] = true
				}
				if _, _, err := only(oldSecret).Open(ctx, cr.ID); !errors.Is(err, vault.ErrSealed) {
					t.Fatalf("credential %s with the old master alone: %v", cr.Name, err)
				}
			}
			for _, want := range []string{secrets[1], secrets[2], secrets[3]} {
				if !opened[want] {
					t.Fatalf("value %d lost in the rotation", len(want))
				}
			}
			t.Setenv("MANDATE_PREVIOUS_SECRETS", "")
			run("vault", "revoke", "--tenant", "acme", "--id", id, "--json")
			if _, _, err := only(newSecret).Open(ctx, mustAtoi(t, id)); err == nil {
				t.Fatal("a revoked credential opened")
			}
			t.Setenv("MANDATE_PREVIOUS_SECRETS", "too-short")
			if _, _, err := c.run("vault", "list", "--tenant", "acme", "--json"); err == nil || !strings.Contains(err.Error(), "MANDATE_PREVIOUS_SECRETS") {
				t.Fatalf("a short previous secret: %v", err)
			}
			for _, v := range append(secrets, oldSecret, newSecret) {
				if strings.Contains(seen.String(), v) {
					t.Fatalf("a secret was printed: %s", seen.String())
				}
			}
		})
	}
}

func decodeOne(t *testing.T, out string) map[string]any {
	t.Helper()
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&obj); err != nil || dec.More() {
		t.Fatalf("not exactly one JSON object: %q (%v)", out, err)
	}
	return obj
}

func jsonID(v any) string { return strconv.Itoa(int(v.(float64))) }

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
