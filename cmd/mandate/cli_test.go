package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/mandatehq/mandate/internal/testdb"
)

// cli runs the mandate command in-process with the database URL in the
// environment, as a script would.
type cli struct {
	t   *testing.T
	url string
}

func newCLI(t *testing.T, d string) *cli {
	t.Helper()
	var u string
	if d == dialect.Postgres {
		u = testdb.Open(t, d).Target.DSN
	} else {
		u = "sqlite://" + filepath.Join(t.TempDir(), "cli.db")
	}
	return &cli{t: t, url: u}
}

func (c *cli) run(args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	c.t.Setenv("MANDATE_DATABASE_URL", c.url)
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// object runs a --json command and decodes exactly one JSON object.
func (c *cli) object(args ...string) map[string]any {
	c.t.Helper()
	stdout, stderr, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("mandate %s: %v (stderr %q)", strings.Join(args, " "), err, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		c.t.Fatalf("mandate %s printed %q, not a JSON object: %v", strings.Join(args, " "), stdout, err)
	}
	if dec.More() {
		c.t.Fatalf("mandate %s printed more than one JSON value: %q", strings.Join(args, " "), stdout)
	}
	return obj
}

func requireKeys(t *testing.T, obj map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			t.Fatalf("JSON %v lacks %q", obj, k)
		}
	}
}

func TestCLIContract(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			ten := c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			requireKeys(t, ten, "id", "slug", "name")
			if ten["slug"] != "acme" || ten["name"] != "Acme" {
				t.Fatalf("tenant create = %v", ten)
			}
			u := c.object("user", "create", "--tenant", "acme", "--email", "Ann@Acme.Test", "--password", "correct horse battery", "--role", "owner", "--verified", "--json")
			requireKeys(t, u, "id", "email", "role")
			if u["email"] != "ann@acme.test" || u["role"] != "owner" || u["email_verified"] != true {
				t.Fatalf("user create = %v", u)
			}
			// The address is unique per workspace whatever its case.
			if _, _, err := c.run("user", "create", "--tenant", "acme", "--email", "ANN@acme.test", "--password", "another password", "--json"); err == nil {
				t.Fatal("a second user with the same address in another case was created")
			}
			tok := c.object("token", "create", "--tenant", "acme", "--name", "ci", "--role", "admin", "--json")
			requireKeys(t, tok, "id", "token")
			if s, _ := tok["token"].(string); !strings.HasPrefix(s, "mdt_") || len(s) < 40 {
				t.Fatalf("token = %q", s)
			}
			list := c.object("tenant", "list", "--json")
			if ts, _ := list["tenants"].([]any); len(ts) != 1 {
				t.Fatalf("tenant list = %v", list)
			}
			v := c.object("audit", "verify", "--tenant", "acme", "--json")
			// tenant.created, user.created, member.added, api_token.created
			if v["ok"] != true || v["events"] != float64(4) {
				t.Fatalf("audit verify = %v", v)
			}
			// Nothing has expired yet: a purge deletes nothing, and says so
			// by kind.
			p := c.object("purge", "--older-than", "0s", "--json")
			requireKeys(t, p, "oauth_tokens", "auth_challenges", "device_authorizations", "one_time_tokens")
			if p["oauth_tokens"] != float64(0) || p["one_time_tokens"] != float64(0) {
				t.Fatalf("purge = %v", p)
			}
			if _, _, err := c.run("purge", "--older-than", "-1h"); err == nil {
				t.Fatal("a negative --older-than was accepted")
			}
			c.t.Setenv("MANDATE_SECRET", strings.Repeat("s", 40))
			k1 := c.object("keys", "rotate", "--tenant", "acme", "--json")
			requireKeys(t, k1, "kid", "alg", "activates_at")
			k2 := c.object("keys", "rotate", "--tenant", "acme", "--publish-for", "10m", "--json")
			if k1["alg"] != "ES256" || k1["kid"] == k2["kid"] || k1["activates_at"] == k2["activates_at"] {
				t.Fatalf("keys rotate = %v then %v", k1, k2)
			}
			if _, _, err := c.run("keys", "rotate", "--tenant", "acme", "--alg", "HS256", "--json"); err == nil {
				t.Fatal("keys rotate accepted HS256")
			}
			app := c.object("client", "create", "--tenant", "acme", "--name", "Billing",
				"--redirect-uri", "https://billing.example/cb", "--redirect-uri", "http://127.0.0.1:8400/cb", "--json")
			requireKeys(t, app, "client_id", "client_secret")
			spa := c.object("client", "create", "--tenant", "acme", "--name", "SPA", "--public",
				"--redirect-uri", "http://127.0.0.1:5173/cb", "--token-format", "opaque", "--json")
			if _, has := spa["client_secret"]; has || spa["token_endpoint_auth_method"] != "none" || spa["token_format"] != "opaque" {
				t.Fatalf("public client = %v", spa)
			}
			if _, _, err := c.run("client", "create", "--tenant", "acme", "--name", "Bad", "--redirect-uri", "http://evil.example/cb", "--json"); err == nil {
				t.Fatal("a plain-http redirect URI was accepted")
			}
			svc := c.object("client", "create", "--tenant", "acme", "--name", "Worker", "--grant", "client_credentials",
				"--auth-method", "client_secret_post", "--signing-alg", "EdDSA", "--scope", "invoices:read", "--audience", "https://api.example", "--json")
			if svc["token_endpoint_auth_method"] != "client_secret_post" || svc["signing_alg"] != "EdDSA" {
				t.Fatalf("service client = %v", svc)
			}
			rot := c.object("client", "rotate-secret", "--tenant", "acme", "--client-id", svc["client_id"].(string), "--json")
			if rot["client_secret"] == "" || rot["client_secret"] == svc["client_secret"] {
				t.Fatalf("rotate-secret = %v", rot)
			}
			if d := c.object("client", "disable", "--tenant", "acme", "--client-id", svc["client_id"].(string), "--json"); d["disabled"] != true {
				t.Fatalf("disable = %v", d)
			}
			listed := c.object("client", "list", "--tenant", "acme", "--json")
			if cs, _ := listed["clients"].([]any); len(cs) != 3 {
				t.Fatalf("client list = %v", listed)
			}
			if l := fmt.Sprint(listed); strings.Contains(l, rot["client_secret"].(string)) || strings.Contains(l, app["client_secret"].(string)) {
				t.Fatalf("client list shows a secret: %v", listed)
			}
			sc := c.object("scopes", "set", "--tenant", "acme", "--scope", "invoices:read=Read your invoices", "--json")
			if list, _ := sc["scopes"].([]any); len(list) != 5 {
				t.Fatalf("scopes set = %v", sc)
			}
			if _, _, err := c.run("scopes", "set", "--tenant", "acme", "--scope", "bad scope=x", "--json"); err == nil {
				t.Fatal("a scope name with a space was accepted")
			}
			if sc := c.object("scopes", "list", "--tenant", "acme", "--json"); !strings.Contains(fmt.Sprint(sc), "Read your invoices") {
				t.Fatalf("scopes list = %v", sc)
			}
			keyDir := t.TempDir()
			c.object("user", "create", "--tenant", "acme", "--email", "sponsor@acme.example", "--verified", "--json")
			ag := c.object("agent", "create", "--tenant", "acme", "--name", "Planner", "--sponsor", "sponsor@acme.example",
				"--scopes", "openid,invoices:read", "--generate-key", keyDir, "--json")
			requireKeys(t, ag, "id", "client_id", "private_key_file")
			if info, err := os.Stat(ag["private_key_file"].(string)); err != nil || info.Mode().Perm() != 0o600 {
				t.Fatalf("private key file: %v %v", info, err)
			}
			if _, _, err := c.run("agent", "create", "--tenant", "acme", "--name", "X", "--sponsor", "nobody@acme.example",
				"--scopes", "openid", "--generate-key", keyDir, "--json"); err == nil {
				t.Fatal("an agent without a real sponsor was registered")
			}
			if _, _, err := c.run("agent", "create", "--tenant", "acme", "--name", "X", "--sponsor", "sponsor@acme.example",
				"--scopes", "openid", "--json"); err == nil {
				t.Fatal("an agent without keys was registered")
			}
			m := c.object("migrate", "--json")
			if m["version"] != m["latest"] {
				t.Fatalf("migrate = %v", m)
			}
		})
	}
}

func TestCLIErrorsGoToStderrWithNonZeroExit(t *testing.T) {
	c := newCLI(t, dialect.SQLite)
	c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"tenant", "create", "--slug", "acme", "--name", "Again", "--json"}, "already exists"},
		{[]string{"tenant", "create", "--slug", "Not A Slug", "--name", "X", "--json"}, "slug"},
		{[]string{"tenant", "create", "--name", "X", "--json"}, "slug"},
		{[]string{"user", "create", "--tenant", "nope", "--email", "a@b.test", "--json"}, "not found"},
		{[]string{"user", "create", "--tenant", "acme", "--email", "a@b.test", "--role", "root", "--json"}, "--role"},
		{[]string{"user", "create", "--tenant", "acme", "--email", "a@b.test", "--password", "short", "--json"}, "at least 8"},
		{[]string{"user", "create", "--tenant", "acme", "--email", "not-an-address", "--json"}, "email"},
		{[]string{"token", "create", "--tenant", "acme", "--name", "x", "--role", "god", "--json"}, "--role"},
		{[]string{"audit", "verify", "--tenant", "nope", "--json"}, "not found"},
	}
	for _, tc := range cases {
		stdout, _, err := c.run(tc.args...)
		if err == nil {
			t.Fatalf("mandate %v succeeded", tc.args)
		}
		if stdout != "" {
			t.Fatalf("mandate %v printed %q on stdout on error", tc.args, stdout)
		}
		if msg := describe(err); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Fatalf("mandate %v: error %q, want one line mentioning %q", tc.args, msg, tc.want)
		}
	}
}

func TestCLIAuditVerifyNamesTheTamperedEvent(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(testdb.Name(d), func(t *testing.T) {
			c := newCLI(t, d)
			c.object("tenant", "create", "--slug", "acme", "--name", "Acme", "--json")
			c.object("user", "create", "--tenant", "acme", "--email", "ann@acme.test", "--json")
			c.object("token", "create", "--tenant", "acme", "--name", "ci", "--role", "member", "--json")
			db := openURL(t, c.url)
			var id int
			if err := db.QueryRow("SELECT id FROM audit_events WHERE seq = 2").Scan(&id); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("UPDATE audit_events SET details = NULL WHERE seq = 2"); err != nil {
				t.Fatal(err)
			}
			stdout, _, err := c.run("audit", "verify", "--tenant", "acme", "--json")
			if err == nil {
				t.Fatal("audit verify passed a tampered chain")
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("event %d", id)) {
				t.Fatalf("error %q does not name event %d", err, id)
			}
			var rep map[string]any
			if json.Unmarshal([]byte(stdout), &rep) != nil || rep["ok"] != false {
				t.Fatalf("--json output on a broken chain = %q", stdout)
			}
		})
	}
}

// sqliteOrPostgres strips the sqlite:// scheme for database/sql.
func sqliteOrPostgres(u string) (driver, dsn string) {
	if strings.HasPrefix(u, "sqlite://") {
		return "sqlite", "file:" + strings.TrimPrefix(u, "sqlite://") + "?_pragma=busy_timeout(5000)"
	}
	if _, err := url.Parse(u); err == nil {
		return "pgx", u
	}
	return "", ""
}
