// Package delegation manages the grants people give agents: who sees them
// and who may revoke them. Grants are created by the issuer when a person
// consents (auth/oidc/issuer); revoking one ends its refresh tokens and,
// for introspection, every access token derived from it at once.
package delegation

import (
	"context"
	"strconv"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Service lists and revokes grants.
type Service struct {
	client *ent.Client
	audit  *audit.Recorder
	now    func() time.Time
}

// NewService returns the grant service.
func NewService(client *ent.Client, rec *audit.Recorder) *Service {
	return &Service{client: client, audit: rec, now: time.Now}
}

// List returns the grants the viewer may see: an admin, all of the
// workspace's; a person, the grants they gave and those to agents they
// sponsor. Newest first.
func (s *Service) List(ctx context.Context) ([]*ent.DelegationGrant, error) {
	v := viewer.FromContext(ctx)
	q := s.client.DelegationGrant.Query().Order(ent.Desc(delegationgrant.FieldID))
	switch {
	case v.IsSystem() && v.HasTenant(), v.Kind != viewer.Agent && v.Role.AtLeast(viewer.RoleAdmin):
	case v.Kind == viewer.Human:
		sponsored, err := s.client.Agent.Query().Where(agent.SponsorID(v.ID)).IDs(ctx)
		if err != nil {
			return nil, apperr.Wrap(err, "agents")
		}
		q = q.Where(delegationgrant.Or(delegationgrant.UserID(v.ID), delegationgrant.AgentIDIn(sponsored...)))
	default:
		return nil, apperr.New(apperr.Forbidden, "only people see delegation grants")
	}
	gs, err := q.All(ctx)
	return gs, apperr.Wrap(err, "grants")
}

// Revoke ends a grant: the person who gave it, the agent's sponsor, or an
// admin. Its tokens stop working at once.
func (s *Service) Revoke(ctx context.Context, id int) (*ent.DelegationGrant, error) {
	v := viewer.FromContext(ctx)
	var out *ent.DelegationGrant
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "transaction")
	}
	defer func() { _ = tx.Rollback() }()
	g, err := tx.DelegationGrant.Get(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(err, "grant")
	}
	a, err := tx.Agent.Get(ctx, g.AgentID)
	if err != nil {
		return nil, apperr.Wrap(err, "agent")
	}
	allowed := (v.IsSystem() && v.HasTenant()) || (v.Kind != viewer.Agent && v.Role.AtLeast(viewer.RoleAdmin)) ||
		(v.Kind == viewer.Human && (v.ID == g.UserID || v.ID == a.SponsorID))
	if !allowed {
		return nil, apperr.New(apperr.Forbidden, "only the person who gave the grant, the agent's sponsor or an admin may revoke it")
	}
	if g.Status == delegationgrant.StatusRevoked {
		return g, nil
	}
	by := v.Label
	if by == "" {
		by = string(v.Kind)
	}
	if out, err = tx.DelegationGrant.UpdateOne(g).SetStatus(delegationgrant.StatusRevoked).SetRevokedAt(s.now().UTC()).
		SetRevokedBy(by).Save(ctx); err != nil {
		return nil, apperr.Wrap(err, "grant")
	}
	sys := viewer.AsSystem(ctx, "revoke grant tokens")
	if _, err := clients.EndTokens(sys, tx, oauthtoken.GrantID(g.ID)); err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, tx, audit.Event{Action: "grant.revoked", TargetType: "delegation_grant",
		TargetID: strconv.Itoa(g.ID), ClientID: a.ClientID, GrantID: strconv.Itoa(g.ID), AgentChain: []string{a.ClientID},
		Scope: g.Scopes, Details: map[string]string{"user_id": strconv.Itoa(g.UserID), "agent": a.Name}}); err != nil {
		return nil, apperr.Wrap(err, "audit event")
	}
	if err := tx.Commit(); err != nil {
		return nil, apperr.Wrap(err, "commit")
	}
	return out, nil
}
