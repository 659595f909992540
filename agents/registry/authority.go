package registry

import (
	"context"

	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Authority answers the issuer's questions about agents.
type Authority struct{ S *Service }

var _ issuer.Authority = Authority{}

// Agent returns the agent behind an OAuth client, nil for an app.
func (a Authority) Agent(ctx context.Context, clientID string) (*issuer.AgentInfo, error) {
	ag, err := a.S.ByClient(ctx, clientID)
	if err != nil || ag == nil {
		return nil, err
	}
	chain, err := a.S.Chain(ctx, ag)
	if err != nil {
		return nil, err
	}
	info := &issuer.AgentInfo{ID: ag.ID, ClientID: ag.ClientID, Name: ag.Name, Ceiling: ag.ScopeCeiling,
		Active: ag.Status == agent.StatusActive, Chain: chain}
	if ok, err := a.S.ActiveChain(ctx, chain); err != nil {
		return nil, err
	} else if !ok {
		info.Active = false
	}
	if u, err := a.S.client.User.Get(viewer.AsSystem(ctx, "agent sponsor"), ag.SponsorID); err == nil {
		info.Sponsor = u.Email
	} else if !ent.IsNotFound(err) {
		return nil, err
	}
	return info, nil
}

// ActiveChain reports whether every agent named is active.
func (a Authority) ActiveChain(ctx context.Context, clientIDs []string) (bool, error) {
	return a.S.ActiveChain(ctx, clientIDs)
}

// HumanScopes are the scopes a person may hold now.
func (a Authority) HumanScopes(ctx context.Context, userID int) ([]string, error) {
	return a.S.HumanScopes(ctx, userID)
}

// RegisterSubagent registers a subagent of the viewer agent.
func (a Authority) RegisterSubagent(ctx context.Context, req issuer.SubagentRequest) (string, error) {
	made, err := a.S.RegisterSubagent(ctx, NewAgent{Name: req.Name, Role: req.Role, Ceiling: req.Scopes, Tools: req.Tools,
		Audience: req.Audience, JWKS: req.JWKS, JWKSURI: req.JWKSURI, ParentRun: req.ParentRun,
		CIBANotify: req.CIBANotify})
	if err != nil {
		return "", err
	}
	return made.Client.ClientID, nil
}
