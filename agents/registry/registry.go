// Package registry keeps a workspace's agents: principals of their own,
// each an OAuth client that authenticates with its keys, accountable to a
// human sponsor, bounded by a scope ceiling and a list of tools, and
// possibly a subagent of another agent. Nothing widens down the tree: a
// subagent's ceiling and tools are within its parent's, and suspending or
// revoking an agent does the same to every descendant at once.
package registry

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Statuses.
const (
	Active    = "active"
	Suspended = "suspended"
	Revoked   = "revoked"
)

// Service manages agents.
type Service struct {
	client  *ent.Client
	audit   *audit.Recorder
	clients *clients.Service
	now     func() time.Time
}

// NewService returns the registry. cs registers the agents' OAuth clients
// (its OnChange keeps the issuer's cache fresh).
func NewService(client *ent.Client, rec *audit.Recorder, cs *clients.Service) *Service {
	return &Service{client: client, audit: rec, clients: cs, now: time.Now}
}

// NewAgent describes an agent to register.
type NewAgent struct {
	Name, Role string
	// Sponsor is the accountable member, by email (top-level agents only:
	// a subagent inherits its parent's).
	SponsorEmail string
	Ceiling      []string
	Tools        []string
	// The agent's public keys: an inline JWK set or a jwks_uri.
	JWKS    []byte
	JWKSURI string
	// Secret asks for a shared secret instead of keys, where the workspace
	// allows it.
	Secret bool
	// RedirectURIs let a person delegate to the agent in the browser (the
	// authorization code flow); without them, the device flow.
	RedirectURIs []string
	// Audience lists the resources (RFC 8707) the agent may ask tokens
	// for; a subagent's must be within its parent's.
	Audience []string
	Metadata map[string]string
	// ParentRun is the run of the parent agent registering a subagent.
	ParentRun string
	// CIBANotify, when set, makes the agent a CIBA ping client notified
	// there of decisions; otherwise it polls.
	CIBANotify string
}

// Created is a registered agent, its client, and its secret if it has one
// (shown once).
type Created struct {
	Agent  *ent.Agent
	Client *ent.OAuthClient
	Secret string
}

var toolName = func(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:-/", r)) {
			return false
		}
	}
	return true
}

func (s *Service) workspace(ctx context.Context) (*ent.Tenant, error) {
	t, err := s.client.Tenant.Get(viewer.AsSystem(ctx, "workspace settings"), viewer.FromContext(ctx).TenantID)
	return t, apperr.Wrap(err, "workspace")
}

// Create registers a top-level agent. Admins only.
func (s *Service) Create(ctx context.Context, in NewAgent) (*Created, error) {
	v := viewer.FromContext(ctx)
	if !(v.IsSystem() && v.HasTenant()) && !(v.Kind != viewer.Agent && v.Role.AtLeast(viewer.RoleAdmin)) {
		return nil, apperr.New(apperr.Forbidden, "only an admin can register agents")
	}
	sys := viewer.AsSystem(ctx, "agent registration")
	email := strings.ToLower(strings.TrimSpace(in.SponsorEmail))
	if email == "" {
		return nil, apperr.InvalidField("sponsor", "an agent needs a sponsor: the member accountable for it")
	}
	sponsor, err := s.client.User.Query().Where(user.Email(email), user.Disabled(false), user.HasMembership()).Only(sys)
	if ent.IsNotFound(err) {
		return nil, apperr.InvalidField("sponsor", "the sponsor %q is not an active member of this workspace", email)
	}
	if err != nil {
		return nil, apperr.Wrap(err, "sponsor")
	}
	kind, by := "human", v.ID
	if v.IsSystem() || v.Kind == viewer.APIToken {
		kind = "system"
	}
	return s.create(ctx, in, sponsor.ID, nil, kind, by)
}

// RegisterSubagent registers a subagent of parent. The viewer must be the
// parent agent itself (acting with its own token). The subagent's ceiling
// and tools must be within the parent's, its depth within the workspace's
// limit; its sponsor is the parent's.
func (s *Service) RegisterSubagent(ctx context.Context, in NewAgent) (*Created, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Agent || v.ID == 0 {
		return nil, apperr.New(apperr.Forbidden, "only an agent registers subagents, with its own access token")
	}
	sys := viewer.AsSystem(ctx, "subagent registration")
	parent, err := s.client.Agent.Get(sys, v.ID)
	if err != nil {
		return nil, apperr.Wrap(err, "parent agent")
	}
	if parent.Status != agent.StatusActive {
		return nil, apperr.New(apperr.Forbidden, "a %s agent cannot register subagents", parent.Status)
	}
	for _, sc := range in.Ceiling {
		if !slices.Contains(parent.ScopeCeiling, sc) {
			return nil, apperr.InvalidField("scopes", "scope %q is outside the parent's ceiling", sc)
		}
	}
	for _, tl := range in.Tools {
		if !slices.Contains(parent.Tools, tl) {
			return nil, apperr.InvalidField("tools", "tool %q is not allowed to the parent", tl)
		}
	}
	if len(in.Audience) > 0 {
		pc, err := s.client.OAuthClient.Query().Where(oauthclient.ClientID(parent.ClientID)).Only(sys)
		if err != nil {
			return nil, apperr.Wrap(err, "parent client")
		}
		for _, a := range in.Audience {
			if !slices.Contains(pc.Audience, a) {
				return nil, apperr.InvalidField("audience", "resource %q is outside the parent's", a)
			}
		}
	}
	return s.create(ctx, in, parent.SponsorID, parent, "agent", parent.ID)
}

func (s *Service) create(ctx context.Context, in NewAgent, sponsorID int, parent *ent.Agent, byKind string, byID int) (*Created, error) {
	t, err := s.workspace(ctx)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, apperr.InvalidField("name", "name must be 1-200 characters")
	}
	if len(in.Role) > 500 {
		return nil, apperr.InvalidField("role", "role must be at most 500 characters")
	}
	if len(in.Ceiling) == 0 {
		return nil, apperr.InvalidField("scopes", "an agent needs a scope ceiling: the most it may ever be given")
	}
	for _, sc := range in.Ceiling {
		if !t.Settings.KnowsScope(sc) {
			return nil, apperr.InvalidField("scopes", "scope %q is not in this workspace's catalog", sc)
		}
	}
	for _, tl := range in.Tools {
		if !toolName(tl) {
			return nil, apperr.InvalidField("tools", "tool %q must be 1-100 letters, digits or _.:-/", tl)
		}
	}
	depth := 0
	parentID := 0
	if parent != nil {
		depth, parentID = parent.Depth+1, parent.ID
		if depth > t.Settings.AgentDepthLimit() {
			return nil, apperr.InvalidField("depth", "subagents may nest at most %d levels in this workspace", t.Settings.AgentDepthLimit())
		}
	}
	hasKeys := len(in.JWKS) > 0 || in.JWKSURI != ""
	if !hasKeys && !(in.Secret && t.Settings.AllowAgentSecrets) {
		if in.Secret {
			return nil, apperr.InvalidField("jwks", "this workspace does not allow agents a shared secret: register the agent's public keys")
		}
		return nil, apperr.InvalidField("jwks", "an agent authenticates with its keys: give jwks or jwks_uri")
	}
	if hasKeys && in.Secret {
		return nil, apperr.InvalidField("jwks", "give keys or ask for a secret, not both")
	}
	grants := []string{clients.GrantClientCredentials, clients.GrantTokenExchange, clients.GrantRefreshToken, clients.GrantDeviceCode, clients.GrantCIBA}
	cibaMode := "poll"
	if in.CIBANotify != "" {
		cibaMode = "ping"
	}
	if len(in.RedirectURIs) > 0 {
		grants = append(grants, clients.GrantAuthorizationCode)
	}
	var out Created
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		sys := viewer.AsSystem(ctx, "agent registration")
		c, secret, err := s.clients.CreateIn(sys, tx, clients.NewClient{Name: name, GrantTypes: grants, JWKS: in.JWKS, JWKSURI: in.JWKSURI,
			Scopes: in.Ceiling, RedirectURIs: in.RedirectURIs, Audience: in.Audience, TokenFormat: "jwt",
			AccessTokenTTL: t.Settings.AgentTokenLifetime(), Agent: true, CIBAMode: cibaMode, CIBANotify: in.CIBANotify})
		if err != nil {
			return err
		}
		a, err := tx.Agent.Create().SetName(name).SetRole(strings.TrimSpace(in.Role)).SetSponsorID(sponsorID).
			SetScopeCeiling(in.Ceiling).SetTools(in.Tools).SetCreatedByKind(agent.CreatedByKind(byKind)).SetCreatedByID(byID).
			SetParentID(parentID).SetDepth(depth).SetParentRun(in.ParentRun).SetMetadata(in.Metadata).
			SetClientID(c.ClientID).Save(sys)
		if err != nil {
			return apperr.Wrap(err, "agent")
		}
		chain, err := s.chainIn(ctx, tx, a)
		if err != nil {
			return err
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "agent.registered", TargetType: "agent", TargetID: strconv.Itoa(a.ID),
			ClientID: c.ClientID, AgentChain: chain, RunID: in.ParentRun, Scope: in.Ceiling,
			Details: map[string]string{"name": name, "sponsor_id": strconv.Itoa(sponsorID), "depth": strconv.Itoa(depth),
				"tools": strings.Join(in.Tools, " "), "auth_method": c.TokenEndpointAuthMethod}})
		if err != nil {
			return apperr.Wrap(err, "audit event")
		}
		out = Created{Agent: a, Client: c, Secret: secret}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// chainIn is Chain inside tx.
func (s *Service) chainIn(ctx context.Context, tx *ent.Tx, a *ent.Agent) ([]string, error) {
	return chainOf(ctx, tx.Client(), a)
}

// Descendants returns every agent below a (not a itself).
func descendants(ctx context.Context, tx *ent.Tx, id int) ([]*ent.Agent, error) {
	var out []*ent.Agent
	frontier := []int{id}
	for len(frontier) > 0 {
		kids, err := tx.Agent.Query().Where(agent.ParentIDIn(frontier...)).All(ctx)
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0]
		for _, k := range kids {
			out = append(out, k)
			frontier = append(frontier, k.ID)
		}
	}
	return out, nil
}

// SetStatus suspends, resumes or revokes an agent, and every descendant
// with it: their clients are disabled (or enabled again) and every token
// they hold stops working at once; revoking also revokes their grants.
// Revoked is final. Admins and the agent's sponsor may do it, and so may
// an ancestor agent for its own subtree.
func (s *Service) SetStatus(ctx context.Context, id int, status string) ([]*ent.Agent, error) {
	if status != Active && status != Suspended && status != Revoked {
		return nil, apperr.InvalidField("status", "status must be active, suspended or revoked")
	}
	v := viewer.FromContext(ctx)
	sys := viewer.AsSystem(ctx, "agent status")
	var changed []*ent.Agent
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		a, err := tx.Agent.Get(sys, id)
		if err != nil {
			return apperr.Wrap(err, "agent")
		}
		if err := s.mayControl(ctx, tx, v, a); err != nil {
			return err
		}
		if a.Status == agent.StatusRevoked {
			return apperr.New(apperr.Conflict, "the agent is revoked: register a new one")
		}
		below, err := descendants(sys, tx, a.ID)
		if err != nil {
			return apperr.Wrap(err, "subagents")
		}
		now := s.now().UTC()
		for _, x := range append([]*ent.Agent{a}, below...) {
			if x.Status == agent.StatusRevoked || x.Status == agent.Status(status) {
				continue
			}
			if status == Active && x != a && x.Status != agent.StatusSuspended {
				continue
			}
			if err := tx.Agent.UpdateOne(x).SetStatus(agent.Status(status)).Exec(sys); err != nil {
				return apperr.Wrap(err, "agent")
			}
			cu := tx.OAuthClient.Update().Where(oauthclient.ClientID(x.ClientID))
			if status == Active {
				cu.ClearDisabledAt()
			} else {
				cu.SetDisabledAt(now)
				if _, err := clients.EndTokens(sys, tx, oauthtoken.ClientID(x.ClientID)); err != nil {
					return err
				}
			}
			if _, err := cu.Save(sys); err != nil {
				return apperr.Wrap(err, "agent client")
			}
			if status != Active {
				if err := s.withdrawApprovals(ctx, tx, x, status, now); err != nil {
					return err
				}
			}
			if status == Revoked {
				if _, err := tx.DelegationGrant.Update().Where(delegationgrant.AgentID(x.ID), delegationgrant.StatusEQ(delegationgrant.StatusActive)).
					SetStatus(delegationgrant.StatusRevoked).SetRevokedAt(now).SetRevokedBy("agent revoked").Save(sys); err != nil {
					return apperr.Wrap(err, "grants")
				}
			}
			chain, err := s.chainIn(ctx, tx, x)
			if err != nil {
				return err
			}
			details := map[string]string{"status": status, "from": string(x.Status)}
			if x != a {
				details["because_of"] = strconv.Itoa(a.ID)
			}
			if _, err := s.audit.Record(ctx, tx, audit.Event{Action: "agent." + status, TargetType: "agent",
				TargetID: strconv.Itoa(x.ID), ClientID: x.ClientID, AgentChain: chain, Details: details}); err != nil {
				return apperr.Wrap(err, "audit event")
			}
			x.Status = agent.Status(status)
			changed = append(changed, x)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, x := range changed {
		s.clients.Forget(ctx, x.ClientID)
	}
	return changed, nil
}

// mayControl: admins, the sponsor, or an ancestor agent.
func (s *Service) mayControl(ctx context.Context, tx *ent.Tx, v viewer.Viewer, a *ent.Agent) error {
	switch {
	case v.IsSystem() && v.HasTenant():
		return nil
	case v.Kind == viewer.Agent:
		sys := viewer.AsSystem(ctx, "agent ancestry")
		for cur := a; cur.ParentID != 0; {
			if cur.ParentID == v.ID {
				return nil
			}
			p, err := tx.Agent.Get(sys, cur.ParentID)
			if err != nil {
				return apperr.Wrap(err, "parent agent")
			}
			cur = p
		}
	case v.Role.AtLeast(viewer.RoleAdmin) && v.Kind != viewer.Agent:
		return nil
	case v.Kind == viewer.Human && v.ID == a.SponsorID:
		return nil
	}
	return apperr.New(apperr.Forbidden, "only an admin, the agent's sponsor or an ancestor agent may change its status")
}

// ActiveChain reports whether every agent named (by client_id) is active
// and every one of their sponsors is still an active member: an agent
// stops with the person accountable for it.
func (s *Service) ActiveChain(ctx context.Context, clientIDs []string) (bool, error) {
	if len(clientIDs) == 0 {
		return true, nil
	}
	sys := viewer.AsSystem(ctx, "agent chain status")
	as, err := s.client.Agent.Query().Where(agent.ClientIDIn(clientIDs...), agent.StatusEQ(agent.StatusActive)).All(sys)
	if err != nil {
		return false, err
	}
	if len(as) != len(uniq(clientIDs)) {
		return false, nil
	}
	sponsors := make([]int, 0, len(as))
	for _, a := range as {
		if !slices.Contains(sponsors, a.SponsorID) {
			sponsors = append(sponsors, a.SponsorID)
		}
	}
	n, err := s.client.User.Query().Where(user.IDIn(sponsors...), user.Disabled(false), user.HasMembership()).Count(sys)
	if err != nil {
		return false, err
	}
	return n == len(sponsors), nil
}

// withdrawApprovals ends, in tx, the agent's requests for approval that
// are undecided or approved but not yet redeemed: an approval is given to
// the agent as it stood when it asked, and suspending it (even for a
// moment) or revoking it withdraws them. Each becomes denied by no one,
// with the reason (who approved it stays in the audit trail), and is
// audited as approval.withdrawn; the grant an approved grant request
// made is revoked with it. The agent's next poll answers access_denied. A
// token already redeemed ends with the agent's tokens.
func (s *Service) withdrawApprovals(ctx context.Context, tx *ent.Tx, a *ent.Agent, status string, now time.Time) error {
	sys := viewer.AsSystem(ctx, "approvals of a stopped agent")
	rows, err := tx.ApprovalRequest.Query().Where(approvalrequest.AgentID(a.ID),
		approvalrequest.StatusIn(approvalrequest.StatusPending, approvalrequest.StatusApproved)).All(sys)
	if err != nil {
		return apperr.Wrap(err, "approval requests")
	}
	for _, r := range rows {
		n, err := tx.ApprovalRequest.Update().Where(approvalrequest.ID(r.ID), approvalrequest.StatusEQ(r.Status)).
			SetStatus(approvalrequest.StatusDenied).SetDenyReason("the agent was " + status).
			ClearDecidedBy().ClearDecidedAt().ClearDecidedAmr().Save(sys)
		if err != nil {
			return apperr.Wrap(err, "approval request")
		}
		if n == 0 {
			continue
		}
		// An approved grant request made its grant at the decision; the
		// agent never received it, and now never will.
		if r.CreatedGrantID != 0 {
			if _, err := tx.DelegationGrant.Update().Where(delegationgrant.ID(r.CreatedGrantID), delegationgrant.StatusEQ(delegationgrant.StatusActive)).
				SetStatus(delegationgrant.StatusRevoked).SetRevokedAt(now).SetRevokedBy("approval withdrawn").Save(sys); err != nil {
				return apperr.Wrap(err, "grant")
			}
		}
		ev := audit.ForApproval(r, "approval.withdrawn", audit.Denied,
			map[string]string{"reason": "agent " + status, "was": string(r.Status), "user_id": strconv.Itoa(r.UserID)})
		if _, err := s.audit.Record(ctx, tx, ev); err != nil {
			return apperr.Wrap(err, "audit event")
		}
	}
	return nil
}

func uniq(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

// ByClient returns the agent behind an OAuth client, or nil for an app.
func (s *Service) ByClient(ctx context.Context, clientID string) (*ent.Agent, error) {
	a, err := s.client.Agent.Query().Where(agent.ClientID(clientID)).Only(viewer.AsSystem(ctx, "agent by client"))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return a, err
}

// Chain names an agent and its ancestors by client_id, the agent first.
func (s *Service) Chain(ctx context.Context, a *ent.Agent) ([]string, error) {
	return chainOf(ctx, s.client, a)
}

func chainOf(ctx context.Context, c *ent.Client, a *ent.Agent) ([]string, error) {
	sys := viewer.AsSystem(ctx, "agent chain")
	chain := []string{a.ClientID}
	for cur := a; cur.ParentID != 0; {
		p, err := c.Agent.Get(sys, cur.ParentID)
		if err != nil {
			return nil, apperr.Wrap(err, "parent agent")
		}
		chain = append(chain, p.ClientID)
		cur = p
	}
	return chain, nil
}

// HumanScopes are the scopes a person may hold (and so delegate) now: none
// when they are no longer an active member.
func (s *Service) HumanScopes(ctx context.Context, userID int) ([]string, error) {
	sys := viewer.AsSystem(ctx, "member scopes")
	m, err := s.client.Membership.Query().Where(membership.UserID(userID), membership.HasUserWith(user.Disabled(false))).Only(sys)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := s.workspace(ctx)
	if err != nil {
		return nil, err
	}
	return t.Settings.ScopesForRole(string(m.Role)), nil
}

// List returns the workspace's agents, top-level first.
func (s *Service) List(ctx context.Context) ([]*ent.Agent, error) {
	v := viewer.FromContext(ctx)
	if !v.HasTenant() || v.Kind == viewer.Anonymous {
		return nil, apperr.New(apperr.Unauthenticated, "authentication required")
	}
	as, err := s.client.Agent.Query().Order(ent.Asc(agent.FieldDepth), ent.Asc(agent.FieldID)).All(ctx)
	return as, apperr.Wrap(err, "agents")
}

func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return entx.InTx(ctx, s.client, fn)
}

// SetKeys replaces an agent's public keys: to rotate without downtime,
// publish the old and the new key together, switch the agent to the new
// one, then publish the new one alone. The agent itself, an ancestor, its
// sponsor or an admin may do it.
func (s *Service) SetKeys(ctx context.Context, id int, jwks []byte, jwksURI string) (*ent.Agent, error) {
	if err := clients.ValidateKeys(jwks, jwksURI); err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	sys := viewer.AsSystem(ctx, "agent keys")
	var a *ent.Agent
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		if a, err = tx.Agent.Get(sys, id); err != nil {
			return apperr.Wrap(err, "agent")
		}
		if !(v.Kind == viewer.Agent && v.ID == a.ID) {
			if err := s.mayControl(ctx, tx, v, a); err != nil {
				return err
			}
		}
		if a.Status == agent.StatusRevoked {
			return apperr.New(apperr.Conflict, "the agent is revoked")
		}
		if _, err := tx.OAuthClient.Update().Where(oauthclient.ClientID(a.ClientID)).
			SetJwks(string(jwks)).SetJwksURI(jwksURI).Save(sys); err != nil {
			return apperr.Wrap(err, "agent client")
		}
		chain, err := s.chainIn(ctx, tx, a)
		if err != nil {
			return err
		}
		details := map[string]string{"kids": strings.Join(kids(jwks), " ")}
		if jwksURI != "" {
			details["jwks_uri"] = jwksURI
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "agent.keys_changed", TargetType: "agent", TargetID: strconv.Itoa(a.ID),
			ClientID: a.ClientID, AgentChain: chain, Details: details})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	s.clients.Forget(ctx, a.ClientID)
	return a, nil
}

// kids lists the key ids of a JWK set, for the audit trail.
func kids(jwks []byte) []string {
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	_ = json.Unmarshal(jwks, &set)
	out := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	return out
}
