package gateway

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditchain"
	"github.com/mandatehq/mandate/ent/tool"
)

// The gateway keeps, per token and tool, what its checks read: the
// token's principal (its grant, agent chain and person still standing),
// the agent, the tool and the tool's workspace credential. It uses them
// again only while the workspace's authority version is the one it read
// before making them: every update or delete of a token, client, agent,
// person, membership, grant, tool, credential, signing key or the
// workspace's settings moves that version in its own transaction
// (ent/schema/authority.go), on any replica or from the CLI. A call
// therefore reads one row when nothing changed, and a revocation stops
// the next call, as without the cache. Expiry is checked on every call,
// and nothing is kept longer than checkTTL. Approval tokens, and tools
// that use a person's connected account, are never kept.
const (
	checkTTL = 30 * time.Second
	// maxChecks bounds the entries; when full, they are all dropped.
	maxChecks = 10000
)

type checkKey struct {
	tenant int
	token  [sha256.Size]byte
	tool   string
}

// checked is what a call's checks found.
type checked struct {
	version int64
	until   time.Time
	p       *issuer.Principal
	agent   *ent.Agent
	tool    *ent.Tool
	ops     []Operation
	red     Redaction
	cred    *ent.Credential
	sec     vault.Secret
	sc      *scrubber
}

type checks struct {
	mu sync.Mutex
	m  map[checkKey]*checked
}

func keyOf(tenant int, token, toolName string) checkKey {
	return checkKey{tenant: tenant, token: sha256.Sum256([]byte(token)), tool: toolName}
}

// get returns the entry for k if it was made under version and has not
// expired.
func (cs *checks) get(k checkKey, version int64, now time.Time) *checked {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	e := cs.m[k]
	if e == nil {
		return nil
	}
	if e.version != version || !now.Before(e.until) {
		delete(cs.m, k)
		return nil
	}
	return e
}

func (cs *checks) put(k checkKey, e *checked) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil || len(cs.m) >= maxChecks {
		cs.m = make(map[checkKey]*checked)
	}
	cs.m[k] = e
}

// authorityVersion reads the workspace's authority version; ctx is the
// system bound to the workspace.
func (g *Gateway) authorityVersion(ctx context.Context, tenantID int) (int64, error) {
	row, err := g.cfg.Client.AuditChain.Query().Where(auditchain.TenantID(tenantID)).
		Select(auditchain.FieldAuthorityVersion).Only(ctx)
	if err != nil {
		return 0, err
	}
	return row.AuthorityVersion, nil
}

// keep stores what c's checks found, read under version, unless the call
// may not reuse them.
func (g *Gateway) keep(c *call, version int64, tok string, ops []Operation, sec vault.Secret) {
	if c.p == nil || c.p.ApprovalID != "" || c.tool == nil || c.tool.CredentialSource == tool.CredentialSourceConnected {
		return
	}
	now := g.cfg.Now()
	until := now.Add(checkTTL)
	if !c.p.ExpiresAt.IsZero() && c.p.ExpiresAt.Before(until) {
		until = c.p.ExpiresAt
	}
	if !c.p.GrantExpires.IsZero() && c.p.GrantExpires.Before(until) {
		until = c.p.GrantExpires
	}
	if !now.Before(until) {
		return
	}
	g.checks.put(keyOf(c.tenantID, tok, c.toolName), &checked{version: version, until: until, p: c.p,
		agent: c.agentRow, tool: c.tool, ops: ops, red: c.red, cred: c.cred, sec: sec, sc: c.sc})
}
