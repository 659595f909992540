package graph

import (
	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/internal/apperr"
)

// grantsOrErr returns the delegation grant service, or an internal error
// when the server runs without agents.
func (r *Resolver) grantsOrErr() (*delegation.Service, error) {
	is, err := r.issuerOrErr()
	if err != nil || is.Grants == nil {
		return nil, apperr.New(apperr.Internal, "agents are not configured")
	}
	return is.Grants, nil
}
