package graph

import (
	"context"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/graph/model"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/settings"
)

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// scopeDefinitions are the standard scopes, then the catalog's own.
func scopeDefinitions(st settings.Tenant) []*model.ScopeDefinition {
	out := []*model.ScopeDefinition{}
	std := map[string]bool{}
	for _, s := range settings.StandardScopes {
		std[s.Name] = true
		out = append(out, &model.ScopeDefinition{Name: s.Name, Description: st.ScopeDescription(s.Name), Standard: true})
	}
	for _, s := range st.Scopes {
		if !std[s.Name] {
			out = append(out, &model.ScopeDefinition{Name: s.Name, Description: s.Description})
		}
	}
	return out
}

func (r *Resolver) agentsOrErr() (*registry.Service, error) {
	if r.issuer == nil || r.issuer.Agents == nil {
		return nil, apperr.New(apperr.Internal, "agents are not configured")
	}
	return r.issuer.Agents, nil
}

func (r *Resolver) setAgentStatus(ctx context.Context, id int, status string) ([]*ent.Agent, error) {
	ag, err := r.agentsOrErr()
	if err != nil {
		return nil, err
	}
	return ag.SetStatus(ctx, id, status)
}
