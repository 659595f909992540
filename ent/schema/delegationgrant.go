package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// DelegationGrant is authority a human gave an agent on purpose: which
// scopes, until when, under which constraints. Every token issued under it
// names it, and revoking it ends them all.
type DelegationGrant struct{ ent.Schema }

// Fields of the DelegationGrant.
func (DelegationGrant) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("agent_id").Immutable(),
		field.Strings("scopes"),
		field.Time("expires_at"),
		// RFC 9396 authorization_details constraining the grant (JSON), if any.
		field.Text("authorization_details").Default(""),
		field.Enum("status").Values("active", "revoked").Default("active"),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoked_by").Default(""),
	}
}

// Indexes of the DelegationGrant.
func (DelegationGrant) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "user_id"), index.Fields("tenant_id", "agent_id")}
}

// Mixin of the DelegationGrant.
func (DelegationGrant) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, AuthorityMixin{}, TimeMixin{}}
}

// Annotations of the DelegationGrant: served by hand-written GraphQL types.
func (DelegationGrant) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
