// Package graph is the GraphQL edge at /t/{slug}/graphql: the schema
// (*.graphqls; ent.graphqls is generated from ent/schema), thin resolvers
// that parse input and call the domain services, the handler that resolves
// the workspace and authenticates the bearer token, and the one mapping of
// domain errors to GraphQL error codes. Reads go straight to ent: privacy on
// the schema confines them to the viewer's tenant.
package graph

import (
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/tenants"
)

// Resolver is the root resolver.
type Resolver struct {
	client  *ent.Client
	tenants *tenants.Service
}

// NewResolver returns the root resolver.
func NewResolver(client *ent.Client, ts *tenants.Service) *Resolver {
	return &Resolver{client: client, tenants: ts}
}
