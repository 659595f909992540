package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OneTimeToken is a single-use, expiring secret sent by email: to verify an
// address, reset a password, accept an invitation or confirm a new address.
// Only its SHA-256 is stored.
type OneTimeToken struct{ ent.Schema }

// Fields of the OneTimeToken.
func (OneTimeToken) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("purpose").Values("verify_email", "reset_password", "invitation", "change_email").Immutable(),
		field.String("token_hash").Unique().Immutable().Sensitive(),
		// The user it acts on; 0 for an invitation to a new address.
		field.Int("user_id").Default(0).Immutable(),
		// The address the link was sent to (the new one for change_email).
		field.String("email").Immutable(),
		// The role an invitation grants.
		field.String("role").Default("").Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Indexes of the OneTimeToken.
func (OneTimeToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "purpose", "user_id")}
}

// Hooks of the OneTimeToken.
func (OneTimeToken) Hooks() []ent.Hook { return []ent.Hook{sameTenantUserRef} }

// Mixin of the OneTimeToken.
func (OneTimeToken) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the OneTimeToken: internal, not in GraphQL.
func (OneTimeToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
