package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FederatedIdentity links an account to its identity at a provider: the
// provider's subject, and the address it reported.
type FederatedIdentity struct{ ent.Schema }

// Fields of the FederatedIdentity.
func (FederatedIdentity) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("provider_id").Immutable(),
		field.String("subject").NotEmpty().MaxLen(255).Immutable(),
		field.String("email").Default("").MaxLen(320),
		field.Bool("email_verified").Default(false),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Indexes of the FederatedIdentity.
func (FederatedIdentity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "provider_id", "subject").Unique(),
		index.Fields("tenant_id", "user_id"),
	}
}

// Mixin of the FederatedIdentity.
func (FederatedIdentity) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the FederatedIdentity: served by hand-written GraphQL types.
func (FederatedIdentity) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
