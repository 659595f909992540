package issuer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// nodeCIBAConfig is what interop/node/ciba.test.mjs reads from the file
// named by MANDATE_INTEROP_CONFIG.
type nodeCIBAConfig struct {
	Issuer       string           `json:"issuer"`
	LoginHint    string           `json:"login_hint"`
	SubjectToken string           `json:"subject_token"`
	Agent        nodeInteropKeyed `json:"agent"`
}

// nodeCIBALine is what the script prints once a request is pending: which
// one (by its binding message) and what ann decides.
const nodeCIBALine = "mandate-ciba: "

// TestNodeCIBAClient proves CIBA interoperability with a certified client
// we did not write: oauth4webapi, as the billing agent (private_key_jwt,
// discovery, login_hint, binding_message, authorization_details and its
// on-behalf-of token as subject_token), polls two requests; ann approves
// one after a TOTP step-up and denies the other, as the inbox would. The
// library validates the token response and its ID token, and the approved
// token is spent by its first introspection.
func TestNodeCIBAClient(t *testing.T) {
	if _, err := os.Stat(filepath.Join(nodeInteropDir, "node_modules", "oauth4webapi")); err != nil {
		missingNode(t, "interop/node/node_modules is missing: run `npm --prefix interop/node ci` (make test does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missingNode(t, "node is not installed")
	}
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		private, err := (&jose.JSONWebKey{Key: c.key.priv, KeyID: c.key.kid, Algorithm: "ES256", Use: "sig"}).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		cfg := nodeCIBAConfig{Issuer: c.iss, LoginHint: c.annEmail, SubjectToken: c.obo,
			Agent: nodeInteropKeyed{ClientID: c.billing, PrivateJWK: private}}
		raw, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "ciba.json")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		// Run directly (not under --test) so that the script's lines reach
		// us as it prints them.
		cmd := exec.CommandContext(ctx, node, "--test-reporter=spec", "ciba.test.mjs")
		cmd.Dir = nodeInteropDir
		cmd.Env = append(os.Environ(), "MANDATE_INTEROP_CONFIG="+path, "NO_COLOR=1")
		cmd.WaitDelay = 10 * time.Second
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		decided := map[string]bool{}
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			line := lines.Text()
			out.WriteString(line + "\n")
			msg, ok := strings.CutPrefix(line, nodeCIBALine)
			if !ok {
				continue
			}
			var ask struct {
				BindingMessage string `json:"binding_message"`
				Decision       string `json:"decision"`
			}
			if err := json.Unmarshal([]byte(msg), &ask); err != nil {
				t.Fatalf("the script's line %q: %v", line, err)
			}
			// Ann decides in her inbox, after a TOTP step-up.
			row, err := db.Client.ApprovalRequest.Query().Where(approvalrequest.BindingMessage(ask.BindingMessage),
				approvalrequest.StatusEQ(approvalrequest.StatusPending)).Only(c.sys("acme"))
			if err != nil {
				t.Fatalf("the pending request %q: %v", ask.BindingMessage, err)
			}
			d := approval.Decision{ID: row.PublicID, Approve: ask.Decision == "approve"}
			if !d.Approve {
				d.Reason = "not this one"
			}
			if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "otp"), d); err != nil {
				t.Fatalf("ann decides %q: %v", ask.BindingMessage, err)
			}
			decided[ask.Decision] = true
		}
		err = cmd.Wait()
		if ctx.Err() != nil {
			t.Fatalf("node ciba.test.mjs timed out:\n%s%s", out.String(), stderr.String())
		}
		if err != nil {
			t.Fatalf("node ciba.test.mjs: %v\n%s%s", err, out.String(), stderr.String())
		}
		t.Logf("node ciba.test.mjs:\n%s", out.String())
		if !decided["approve"] || !decided["deny"] {
			t.Fatalf("the script asked for no decision (%v):\n%s", decided, out.String())
		}
		for action, want := range map[string]int{"approval.requested": 2, "approval.approved": 1, "approval.denied": 1,
			"approval.consumed": 1, "approval.reuse_refused": 1, "approval.request_refused": 1} {
			if n := countAudit(t, c.world, "acme", action); n != want {
				t.Errorf("%s events: %d, want %d", action, n, want)
			}
		}
	})
}
