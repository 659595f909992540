package graph

import (
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/graph/model"
	"github.com/mandatehq/mandate/internal/apperr"
)

// WithConnections wires people's connected accounts.
func (h *Handler) WithConnections(c *vault.Connections) *Handler {
	h.resolver.connections = c
	return h
}

func (r *Resolver) connectionsOrErr() (*vault.Connections, error) {
	if r.connections == nil {
		return nil, apperr.New(apperr.Internal, "connected accounts are not configured")
	}
	return r.connections, nil
}

// connectedAccount is a connection's metadata for GraphQL: never a token.
func connectedAccount(c vault.Connection) *model.ConnectedAccount {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return &model.ConnectedAccount{ID: c.CredentialID, Provider: c.Provider, Scopes: scopes, ExpiresAt: c.ExpiresAt,
		CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt}
}
