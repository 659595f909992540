// Package delegation manages the grants people give agents: who sees them,
// who may narrow or revoke them, and what that does to the grant's tokens.
// Grants are created by the issuer when a person consents
// (auth/oidc/issuer); revoking one ends its refresh tokens and, for
// introspection, every access token derived from it at once. Narrowing
// one ends, the same way, exactly the tokens that carry more than the
// grant now allows (see Narrow).
package delegation

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
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/deviceauthorization"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Service lists, narrows and revokes grants.
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

// change runs fn on grant id inside one transaction, once the viewer is
// known to be allowed to change it: the person who gave it, the agent's
// sponsor, an admin, or the system of the workspace (the CLI). Another
// workspace's grant is not found.
func (s *Service) change(ctx context.Context, id int, what string, fn func(tx *ent.Tx, g *ent.DelegationGrant, a *ent.Agent) (*ent.DelegationGrant, error)) (*ent.DelegationGrant, error) {
	v := viewer.FromContext(ctx)
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
		return nil, apperr.New(apperr.Forbidden, "only the person who gave the grant, the agent's sponsor or an admin may %s it", what)
	}
	out, err := fn(tx, g, a)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, apperr.Wrap(err, "commit")
	}
	return out, nil
}

// Revoke ends a grant: the person who gave it, the agent's sponsor, or an
// admin. Its tokens stop working at once.
func (s *Service) Revoke(ctx context.Context, id int) (*ent.DelegationGrant, error) {
	return s.change(ctx, id, "revoke", func(tx *ent.Tx, g *ent.DelegationGrant, a *ent.Agent) (*ent.DelegationGrant, error) {
		if g.Status == delegationgrant.StatusRevoked {
			return g, nil
		}
		v := viewer.FromContext(ctx)
		by := v.Label
		if by == "" {
			by = string(v.Kind)
		}
		out, err := tx.DelegationGrant.UpdateOne(g).SetStatus(delegationgrant.StatusRevoked).SetRevokedAt(s.now().UTC()).
			SetRevokedBy(by).Save(ctx)
		if err != nil {
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
		return out, nil
	})
}

// Narrow takes authority back from an active grant without ending it:
// scopes (when given) become the grant's scopes and must be a non-empty
// subset of its current ones; expiresAt (when given) becomes its expiry
// and must be in the future and no later than the current one. Nothing
// ever widens. The person who gave the grant, the agent's sponsor or an
// admin may narrow it; narrowing to what it already is changes nothing
// and records nothing.
//
// Tokens follow at once, for introspection: every token of the grant
// (access, refresh, authorization code, and a device authorization
// approved but not yet collected) whose scopes are not all among the new
// ones is ended, as revocation ends them; tokens within the new scopes
// keep working. A shorter expiry needs no token to be ended: the issuer
// checks the grant's expiry on every introspection, refresh and exchange.
// A self-contained JWT access token already handed out stays valid for
// its own short lifetime, as with revocation.
func (s *Service) Narrow(ctx context.Context, id int, scopes []string, expiresAt *time.Time) (*ent.DelegationGrant, error) {
	if scopes == nil && expiresAt == nil {
		return nil, apperr.InvalidField("scopes", "give the scopes to keep, an earlier expiry, or both")
	}
	return s.change(ctx, id, "narrow", func(tx *ent.Tx, g *ent.DelegationGrant, a *ent.Agent) (*ent.DelegationGrant, error) {
		now := s.now()
		if g.Status != delegationgrant.StatusActive {
			return nil, apperr.New(apperr.Conflict, "the grant is revoked: there is nothing left to narrow")
		}
		if !g.ExpiresAt.After(now) {
			return nil, apperr.New(apperr.Conflict, "the grant has expired: there is nothing left to narrow")
		}
		keep := g.Scopes
		if scopes != nil {
			var err error
			if keep, err = narrowScopes(g.Scopes, scopes); err != nil {
				return nil, err
			}
		}
		exp := g.ExpiresAt
		if expiresAt != nil {
			e := expiresAt.UTC().Truncate(time.Second)
			switch {
			case !e.After(now):
				return nil, apperr.InvalidField("expiresAt", "the new expiry must be in the future; to end the grant now, revoke it")
			case e.After(g.ExpiresAt):
				return nil, apperr.InvalidField("expiresAt", "the new expiry must not be later than the grant's current one (%s): a grant can only be narrowed",
					g.ExpiresAt.UTC().Format(time.RFC3339))
			}
			exp = e
		}
		fewer := len(keep) < len(g.Scopes)
		if !fewer && exp.Equal(g.ExpiresAt) {
			return g, nil
		}
		out, err := tx.DelegationGrant.UpdateOne(g).SetScopes(keep).SetExpiresAt(exp).Save(ctx)
		if err != nil {
			return nil, apperr.Wrap(err, "grant")
		}
		ended := 0
		if fewer {
			if ended, err = s.endWiderTokens(viewer.AsSystem(ctx, "narrow grant tokens"), tx, g.ID, keep, now); err != nil {
				return nil, err
			}
		}
		details := map[string]string{"user_id": strconv.Itoa(g.UserID), "agent": a.Name,
			"old_scopes": strings.Join(g.Scopes, " "), "old_expires_at": g.ExpiresAt.UTC().Format(time.RFC3339),
			"expires_at": exp.UTC().Format(time.RFC3339), "ended_tokens": strconv.Itoa(ended)}
		if _, err := s.audit.Record(ctx, tx, audit.Event{Action: "grant.narrowed", TargetType: "delegation_grant",
			TargetID: strconv.Itoa(g.ID), ClientID: a.ClientID, GrantID: strconv.Itoa(g.ID), AgentChain: []string{a.ClientID},
			Scope: keep, Details: details}); err != nil {
			return nil, apperr.Wrap(err, "audit event")
		}
		return out, nil
	})
}

// narrowScopes checks that requested is a non-empty subset of current and
// returns it without duplicates, in current's order.
func narrowScopes(current, requested []string) ([]string, error) {
	if len(requested) == 0 {
		return nil, apperr.InvalidField("scopes", "a grant keeps at least one scope; to take them all back, revoke it")
	}
	for _, sc := range requested {
		if !slices.Contains(current, sc) {
			return nil, apperr.InvalidField("scopes", "scope %q is not in the grant: a grant can only be narrowed", sc)
		}
	}
	keep := make([]string, 0, len(requested))
	for _, sc := range current {
		if slices.Contains(requested, sc) && !slices.Contains(keep, sc) {
			keep = append(keep, sc)
		}
	}
	return keep, nil
}

// storedScopes is the one part of a stored token that narrowing reads: the
// scopes the token was granted, as the issuer writes them into the row's
// data (auth/oidc/issuer, Store: "granted_scope", left out when empty).
type storedScopes struct {
	GrantedScope []string `json:"granted_scope"`
}

// endChunk bounds the request ids in one statement's IN list.
const endChunk = 500

// endWiderTokens ends, in tx, every live token of grant id granted a
// scope outside keep, and refuses a device authorization of the grant
// approved for such a scope but not yet collected. It returns how many
// it ended (token rows and device authorizations). A token's scopes are in its serialized request, so
// they are read here rather than matched in SQL; every token of one
// request (a refresh token family) shares them, so the tokens are ended by
// request id.
func (s *Service) endWiderTokens(ctx context.Context, tx *ent.Tx, id int, keep []string, now time.Time) (int, error) {
	within := func(scopes []string) bool {
		for _, sc := range scopes {
			if !slices.Contains(keep, sc) {
				return false
			}
		}
		return true
	}
	rows, err := tx.OAuthToken.Query().Where(oauthtoken.GrantID(id), oauthtoken.Active(true), oauthtoken.ExpiresAtGT(now),
		oauthtoken.KindIn(oauthtoken.KindAccess, oauthtoken.KindRefresh, oauthtoken.KindCode, oauthtoken.KindPar)).
		Select(oauthtoken.FieldRequestID, oauthtoken.FieldData).All(ctx)
	if err != nil {
		return 0, apperr.Wrap(err, "tokens")
	}
	var wider []string
	ended := 0
	for _, row := range rows {
		var st storedScopes
		// A row that cannot be read is ended: when in doubt, less.
		if err := json.Unmarshal(row.Data, &st); err == nil && within(st.GrantedScope) {
			continue
		}
		ended++
		if !slices.Contains(wider, row.RequestID) {
			wider = append(wider, row.RequestID)
		}
	}
	for chunk := range slices.Chunk(wider, endChunk) {
		if _, err := clients.EndTokens(ctx, tx, oauthtoken.GrantID(id), oauthtoken.RequestIDIn(chunk...)); err != nil {
			return 0, err
		}
	}
	// A device approved under the grant collects its tokens with the
	// scopes approved then: refuse it if they are no longer all allowed.
	pending, err := tx.DeviceAuthorization.Query().Where(deviceauthorization.StatusEQ(deviceauthorization.StatusApproved),
		deviceauthorization.ExpiresAtGT(now)).All(ctx)
	if err != nil {
		return 0, apperr.Wrap(err, "device authorizations")
	}
	for _, d := range pending {
		var sess struct {
			GrantID int `json:"grant_id"`
		}
		if json.Unmarshal(d.Session, &sess) != nil || sess.GrantID != id || within(d.Scopes) {
			continue
		}
		if err := tx.DeviceAuthorization.UpdateOne(d).SetStatus(deviceauthorization.StatusDenied).Exec(ctx); err != nil {
			return 0, apperr.Wrap(err, "device authorization")
		}
		ended++
	}
	return ended, nil
}
