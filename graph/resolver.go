// Package graph is the GraphQL edge at /t/{slug}/graphql: the schema
// (*.graphqls; ent.graphqls is generated from ent/schema), thin resolvers
// that parse input and call the domain services, the handler that resolves
// the workspace and authenticates the bearer token, and the one mapping of
// domain errors to GraphQL error codes. Reads go straight to ent: privacy on
// the schema confines them to the viewer's tenant.
package graph

import (
	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// Resolver is the root resolver.
type Resolver struct {
	client   *ent.Client
	tenants  *tenants.Service
	accounts *signin.Flows
	issuer   *IssuerServices
	social   *social.Service
	mfa      *mfa.Service
	// approvals is the approvers' side of human approval.
	approvals *approval.Service
	// webhooks is the workspace's webhooks and delivery log.
	webhooks *webhooks.Service
	// tools is the gateway's tools registry.
	tools *gateway.Service
	// vault is the credential vault's management side.
	vault *vault.Service
	// connections are people's connected accounts (kept in the vault).
	connections *vault.Connections
}

// IssuerServices are what the issuer's fields need.
type IssuerServices struct {
	Issuer  *issuer.Issuer
	Clients *clients.Service
	Keys    *keys.Manager
	// Agents is the agent registry (nil where agents are not served).
	Agents *registry.Service
	Grants *delegation.Service
}

func (r *Resolver) issuerOrErr() (*IssuerServices, error) {
	if r.issuer == nil {
		return nil, apperr.New(apperr.Internal, "the issuer is not configured")
	}
	return r.issuer, nil
}

// accountsOrErr returns the account flows, which the server always wires.
func (r *Resolver) accountsOrErr() (*signin.Flows, error) {
	if r.accounts == nil {
		return nil, apperr.New(apperr.Internal, "account management is not configured")
	}
	return r.accounts, nil
}

// NewResolver returns the root resolver; accounts may be nil where account
// management is not needed.
func NewResolver(client *ent.Client, ts *tenants.Service, accounts ...*signin.Flows) *Resolver {
	r := &Resolver{client: client, tenants: ts}
	if len(accounts) > 0 {
		r.accounts = accounts[0]
	}
	return r
}

// optStrings turns an optional GraphQL list into a pointer: nil when the
// field was not sent.
func optStrings(in []string) *[]string {
	if in == nil {
		return nil
	}
	return &in
}
