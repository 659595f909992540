package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// DataKey is a workspace's vault data key: 32 random bytes that encrypt
// its credentials, stored only wrapped (AES-256-GCM) by a key derived from
// a master secret. Rotating the master secret re-wraps these rows and
// touches no credential.
type DataKey struct{ ent.Schema }

// Fields of the DataKey.
func (DataKey) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("wrapped").Sensitive(),
		// Which master secret wrapped it: a fingerprint, never the secret.
		field.String("master_id"),
		field.Time("rewrapped_at").Optional().Nillable(),
	}
}

// Mixin of the DataKey.
func (DataKey) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the DataKey: never in GraphQL.
func (DataKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
