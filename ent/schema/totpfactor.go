package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TOTPFactor is a person's authenticator app (RFC 6238). The shared secret
// is sealed under the master secret, bound to the workspace and the user.
// It counts as a factor only once confirmed with a code.
type TOTPFactor struct{ ent.Schema }

// Fields of the TOTPFactor.
func (TOTPFactor) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		// AES-256-GCM sealed base32 secret. Mutable only so a master
		// rotation can re-seal it (mfa.Service.Reseal).
		field.Bytes("secret_sealed").Sensitive(),
		field.Time("confirmed_at").Optional().Nillable(),
		// The last time step a code was accepted for: a code is accepted
		// once, and never one of an earlier step.
		field.Int64("last_used_step").Default(0),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Indexes of the TOTPFactor: one authenticator app per person.
func (TOTPFactor) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "user_id").Unique()}
}

// Mixin of the TOTPFactor.
func (TOTPFactor) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the TOTPFactor: served by hand-written GraphQL types.
func (TOTPFactor) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
