package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// IdentityProvider is a social or OpenID Connect provider a workspace
// signs people in with. The client secret is sealed and never returned.
type IdentityProvider struct{ ent.Schema }

// Fields of the IdentityProvider.
func (IdentityProvider) Fields() []ent.Field {
	return []ent.Field{
		// The provider's name in URLs: /t/{slug}/auth/social/{slug}/…
		field.String("slug").NotEmpty().MaxLen(40).Immutable(),
		field.Enum("kind").Values("github", "google", "microsoft", "gitlab", "oidc").Immutable(),
		field.String("display_name").NotEmpty().MaxLen(100),
		field.String("client_id").NotEmpty().MaxLen(500),
		field.Bytes("client_secret_sealed").Sensitive().Optional(),
		// The issuer of a generic OIDC provider (or a Microsoft tenant's).
		field.String("issuer").Default("").MaxLen(500),
		field.Strings("scopes").Optional(),
		field.Bool("enabled").Default(true),
		// Link a first federated sign-in to an existing account with the
		// same address, when the provider says that address is verified.
		field.Bool("link_verified_email").Default(false),
		// Create an account on a first federated sign-in, within the
		// workspace's sign-up mode.
		field.Bool("allow_sign_up").Default(false),
	}
}

// Indexes of the IdentityProvider.
func (IdentityProvider) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "slug").Unique()}
}

// Mixin of the IdentityProvider.
func (IdentityProvider) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the IdentityProvider: served by hand-written GraphQL types.
func (IdentityProvider) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
