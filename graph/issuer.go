package graph

import (
	"github.com/mandatehq/mandate/graph/model"
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
