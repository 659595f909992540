package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Credential is a third-party secret kept in the vault: an API key, a
// bearer token, basic auth or OAuth 2 tokens, owned by the workspace, a
// person or an agent. Its value is write-only: sealed with the
// workspace's data key, bound to the credential's identity, and opened
// only by the tool gateway to inject it into an upstream call.
type Credential struct{ ent.Schema }

// Fields of the Credential.
func (Credential) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.Enum("kind").Values("api_key", "bearer", "basic", "oauth2").Immutable(),
		field.Enum("owner_kind").Values("workspace", "user", "agent").Immutable(),
		// The owning person or agent; 0 for the workspace.
		field.Int("owner_id").Default(0).Immutable(),
		// The sealed value: nonce || AES-256-GCM ciphertext under the data
		// key, with the credential's identity as associated data.
		field.Bytes("sealed").Sensitive(),
		field.Int("data_key_id"),
		// Provider and scopes of OAuth 2 tokens, their expiry, a label.
		field.String("provider").Default(""),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("rotated_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		// A connected account's renewal: the replica that claimed it
		// renews the token until then; the others wait for its tokens.
		field.Time("refresh_claimed_until").Optional().Nillable(),
	}
}

// Indexes of the Credential.
func (Credential) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique(), index.Fields("tenant_id", "owner_kind", "owner_id")}
}

// Mixin of the Credential.
func (Credential) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, AuthorityMixin{}, TimeMixin{}}
}

// Annotations of the Credential: served by hand-written GraphQL types.
func (Credential) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
