// Package viewer says who is acting in a request: the tenant, the kind of
// principal (human, agent, API token or the system itself), its id and role.
// It is a leaf imported by the schema's privacy rules, the domain services
// and the audit recorder; it knows nothing of HTTP or storage.
//
// AsSystem is the one way to act beyond a principal's role, and it always
// carries a reason. Bound to a tenant, the system is still confined to that
// tenant by the privacy rules; only a system viewer bound to no tenant
// crosses tenants (resolving a slug, listing workspaces, creating one).
package viewer

import "context"

// Kind is the kind of principal behind a request.
type Kind string

// The principal kinds.
const (
	Anonymous Kind = ""
	Human     Kind = "human"
	Agent     Kind = "agent"
	APIToken  Kind = "api_token"
	System    Kind = "system"
	// Client is an OAuth client authenticated at the issuer's endpoints.
	Client Kind = "client"
)

// Role is a member's role in a workspace. Roles are ordered: an owner can do
// everything an admin can, an admin everything a member can.
type Role string

// The roles, lowest first.
const (
	RoleMember Role = "member"
	RoleAdmin  Role = "admin"
	RoleOwner  Role = "owner"
)

func (r Role) rank() int {
	switch r {
	case RoleMember:
		return 1
	case RoleAdmin:
		return 2
	case RoleOwner:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r includes the rights of min.
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// Viewer is the acting principal.
type Viewer struct {
	TenantID int
	Kind     Kind
	// ID is the principal's id: a user id, an agent id or an API token id.
	ID int
	// Label is a human-readable name for audit trails (an email, a token name).
	Label string
	Role  Role
	// Reason explains system work; empty for everyone else.
	Reason string
	// SessionID is the session a human acts through, if any.
	SessionID int
}

// HasTenant reports whether the viewer is bound to a tenant.
func (v Viewer) HasTenant() bool { return v.TenantID > 0 }

// IsSystem reports whether the viewer is the system itself.
func (v Viewer) IsSystem() bool { return v.Kind == System }

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, or the zero (anonymous, tenantless)
// viewer.
func FromContext(ctx context.Context) Viewer {
	v, _ := ctx.Value(ctxKey{}).(Viewer)
	return v
}

// ForTenant returns ctx bound to tenant id with no principal yet. Privacy
// rules scope every query to that tenant; writes still need a principal.
func ForTenant(ctx context.Context, tenantID int) context.Context {
	v := FromContext(ctx)
	v.TenantID = tenantID
	return NewContext(ctx, v)
}

// AsSystem returns ctx in which the system acts, for the given reason, with
// every role. If ctx is bound to a tenant the binding is kept and the
// privacy rules still confine every query and write to that tenant; bound to
// no tenant, the system sees across tenants. Call it only for work no
// principal can do: resolving a tenant from its slug, authenticating a
// credential, CLI administration.
func AsSystem(ctx context.Context, reason string) context.Context {
	v := FromContext(ctx)
	v.Kind = System
	v.ID = 0
	v.Label = "system"
	v.Role = RoleOwner
	v.Reason = reason
	return NewContext(ctx, v)
}

// CrossesTenants reports whether v may see every tenant: only the system
// bound to none.
func (v Viewer) CrossesTenants() bool { return v.Kind == System && !v.HasTenant() }
