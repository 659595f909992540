// Package tenants owns workspaces and who belongs to them: creating a
// tenant, its settings, its users and their memberships and roles, and the
// API tokens that act with a role. Every write checks the viewer's role,
// changes state and appends its audit event in one transaction.
//
// Isolation itself is not here: it sits on the schema (ent/schema), so that
// no caller can forget it. This package does not know about HTTP, GraphQL,
// passwords or agents.
package tenants
