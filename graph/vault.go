package graph

import (
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/internal/apperr"
)

// WithVault wires the credential vault's management fields.
func (h *Handler) WithVault(s *vault.Service) *Handler {
	h.resolver.vault = s
	return h
}

func (r *Resolver) vaultOrErr() (*vault.Service, error) {
	if r.vault == nil {
		return nil, apperr.New(apperr.Internal, "the vault is not configured")
	}
	return r.vault, nil
}

func vaultStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
