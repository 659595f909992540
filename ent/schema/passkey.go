package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Passkey is a WebAuthn credential a person registered: its public key,
// the authenticator's flags and sign counter as last seen, and the name
// the person gave it.
type Passkey struct{ ent.Schema }

// Fields of the Passkey.
func (Passkey) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("name").NotEmpty().MaxLen(100),
		field.Bytes("credential_id").NotEmpty().MaxLen(1023).Immutable(),
		field.Bytes("public_key").NotEmpty().Immutable(),
		field.String("attestation_type").Default("").Immutable(),
		field.Bytes("aaguid").Optional().Immutable(),
		field.Uint32("sign_count").Default(0),
		// Set when a sign counter went backwards (a possible clone).
		field.Bool("clone_warning").Default(false),
		field.Bool("backup_eligible").Default(false).Immutable(),
		field.Bool("backup_state").Default(false),
		field.Bool("user_verified").Default(false),
		field.Strings("transports").Optional(),
		// "platform" or "cross-platform", as the authenticator said.
		field.String("attachment").Default(""),
		field.Time("last_used_at").Optional().Nillable(),
	}
}

// Indexes of the Passkey.
func (Passkey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "user_id"), index.Fields("tenant_id", "credential_id").Unique()}
}

// Mixin of the Passkey.
func (Passkey) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the Passkey: served by hand-written GraphQL types.
func (Passkey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
