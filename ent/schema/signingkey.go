package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// SigningKey is one of a workspace's token-signing keys. The private key is
// stored encrypted with the master secret; the public key is published in
// the workspace's JWKS from creation until every token it may have signed
// has expired. A key signs from activates_at on, until a newer key
// activates.
type SigningKey struct{ ent.Schema }

// Fields of the SigningKey.
func (SigningKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("kid").Unique().Immutable(),
		field.Enum("alg").Values("ES256", "RS256", "EdDSA").Immutable(),
		// The public key as a JWK (JSON).
		field.Text("public_jwk").Immutable(),
		// The private key, PKCS #8 DER sealed with AES-256-GCM under a key
		// derived from the master secret, bound to this row's tenant and kid.
		// Mutable only so a master rotation can re-seal it (Manager.Reseal).
		field.Bytes("private_sealed").Sensitive(),
		field.Time("activates_at").Immutable(),
		// When a newer key took over; nil while this key is the newest.
		field.Time("superseded_at").Optional().Nillable(),
		// When it leaves the JWKS: superseded_at plus the longest token
		// lifetime.
		field.Time("unpublish_at").Optional().Nillable(),
	}
}

// Indexes of the SigningKey.
func (SigningKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "alg", "activates_at")}
}

// Mixin of the SigningKey.
func (SigningKey) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, AuthorityMixin{}, TimeMixin{}}
}

// Annotations of the SigningKey: internal, not in GraphQL.
func (SigningKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
