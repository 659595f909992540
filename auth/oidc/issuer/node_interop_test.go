package issuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// requireNodeInterop makes a missing Node setup a failure instead of a
// skip; make test sets it, so the interop test cannot silently not run.
const requireNodeInterop = "MANDATE_REQUIRE_NODE_INTEROP"

// nodeInteropDir holds the Node test and its pinned dependencies.
var nodeInteropDir = filepath.Join("..", "..", "..", "interop", "node")

// nodeInteropConfig is what interop/node/rp.test.mjs reads from the file
// named by MANDATE_INTEROP_CONFIG.
type nodeInteropConfig struct {
	Issuer string `json:"issuer"`
	Slug   string `json:"slug"`
	User   struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	} `json:"user"`
	Web struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		RedirectURI  string `json:"redirect_uri"`
	} `json:"web"`
	Service struct {
		ClientID   string          `json:"client_id"`
		PrivateJWK json.RawMessage `json:"private_jwk"`
	} `json:"service"`
	Device struct {
		ClientID string `json:"client_id"`
	} `json:"device"`
	// Agents are acme's planner (ann may delegate to it in the browser)
	// and its subagent support, each with its own key.
	Agents struct {
		Planner nodeInteropKeyed `json:"planner"`
		Support nodeInteropKeyed `json:"support"`
	} `json:"agents"`
}

// nodeInteropKeyed is a client that authenticates with private_key_jwt.
type nodeInteropKeyed struct {
	ClientID   string          `json:"client_id"`
	PrivateJWK json.RawMessage `json:"private_jwk"`
}

// TestNodeRelyingParty proves interoperability with a certified relying
// party we did not write: oauth4webapi (OpenID Certified), driven by
// interop/node/rp.test.mjs from nothing but the issuer URL, through the
// code flow with PKCE and the hosted sign-in, refresh rotation,
// private_key_jwt client credentials, introspection, revocation, the
// device grant, an agent's delegation and RFC 8693 token exchange down to
// its subagent, and the protocol's refusals.
func TestNodeRelyingParty(t *testing.T) {
	if _, err := os.Stat(filepath.Join(nodeInteropDir, "node_modules", "oauth4webapi")); err != nil {
		missingNode(t, "interop/node/node_modules is missing: run `npm --prefix interop/node ci` (make test does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missingNode(t, "node is not installed")
	}

	w := newWorld(t, testdb.Open(t, "sqlite3"))
	var cfg nodeInteropConfig
	cfg.Issuer, cfg.Slug = w.issuerURL("acme"), "acme"
	cfg.User.Email, cfg.User.Password = "ann@acme.test", pw

	// The callback needs no listener: the script reads the Location itself.
	cfg.Web.RedirectURI = "http://127.0.0.1:9/cb"
	cfg.Web.ClientID, cfg.Web.ClientSecret = w.register(t, "acme", clients.NewClient{Name: "Node RP",
		RedirectURIs: []string{cfg.Web.RedirectURI}})

	jwks, private := signingKey(t, "node-interop-1")
	cfg.Service.PrivateJWK = private
	cfg.Service.ClientID, _ = w.register(t, "acme", clients.NewClient{Name: "Node service",
		GrantTypes: []string{clients.GrantClientCredentials}, JWKS: jwks})

	cfg.Device.ClientID, _ = w.register(t, "acme", clients.NewClient{Name: "Node device", Public: true,
		GrantTypes: []string{clients.GrantDeviceCode, clients.GrantRefreshToken}})

	// The agents: a catalog to bound them, the planner ann sponsors (and
	// delegates to in the browser), and support, which the planner
	// registers as its subagent, acting with its own identity.
	catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"},
		{Name: "refunds:preview", Description: "Preview refunds"}}
	if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
		t.Fatal(err)
	}
	jwks, cfg.Agents.Planner.PrivateJWK = signingKey(t, "node-planner-1")
	planner, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "Node planner", SponsorEmail: "ann@acme.test",
		Ceiling: []string{"openid", "invoices:read", "refunds:preview"}, RedirectURIs: []string{cfg.Web.RedirectURI}, JWKS: jwks})
	if err != nil {
		t.Fatalf("registering the planner: %v", err)
	}
	cfg.Agents.Planner.ClientID = planner.Client.ClientID
	jwks, cfg.Agents.Support.PrivateJWK = signingKey(t, "node-support-1")
	asPlanner := viewer.NewContext(context.Background(), viewer.Viewer{Kind: viewer.Agent, ID: planner.Agent.ID, TenantID: w.tenants["acme"]})
	support, err := w.agents.RegisterSubagent(asPlanner, registry.NewAgent{Name: "Node support",
		Ceiling: []string{"invoices:read", "refunds:preview"}, JWKS: jwks})
	if err != nil {
		t.Fatalf("registering support: %v", err)
	}
	cfg.Agents.Support.ClientID = support.Client.ClientID

	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "interop.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "rp.test.mjs")
	cmd.Dir = nodeInteropDir
	cmd.Env = append(os.Environ(), "MANDATE_INTEROP_CONFIG="+path, "NO_COLOR=1")
	cmd.WaitDelay = 10 * time.Second // the runner's child may outlive a killed parent
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node --test rp.test.mjs timed out:\n%s", out)
	}
	if err != nil {
		t.Fatalf("node --test rp.test.mjs: %v\n%s", err, out)
	}
	t.Logf("node --test rp.test.mjs:\n%s", out)
}

// signingKey makes an ES256 key: the public JWK set to register and the
// private JWK for the script.
func signingKey(t *testing.T, kid string) (jwks []byte, private json.RawMessage) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: "ES256", Use: "sig"}
	if jwks, err = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.Public()}}); err != nil {
		t.Fatal(err)
	}
	if private, err = key.MarshalJSON(); err != nil {
		t.Fatal(err)
	}
	return jwks, private
}

// missingNode skips, unless the environment says the interop test must run.
func missingNode(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(requireNodeInterop) == "1" {
		t.Fatalf("%s (and %s=1)", why, requireNodeInterop)
	}
	t.Skipf("skipping the Node relying-party test: %s", why)
}
