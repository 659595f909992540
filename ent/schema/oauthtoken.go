package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OAuthToken is one piece of issuer state kept for fosite: an authorization
// code, an access or refresh token, the OpenID Connect or PKCE request bound
// to a code, a pushed authorization request, or a client assertion's jti
// kept to refuse its replay. Tokens are found by their signature: the
// HMAC part of an opaque token or the signature of a JWT, never the token
// itself. Every token of one authorization shares its request id (the
// refresh token family).
type OAuthToken struct{ ent.Schema }

// Fields of the OAuthToken.
func (OAuthToken) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("code", "access", "refresh", "oidc", "pkce", "par", "jti").Immutable(),
		field.String("signature").Immutable().Sensitive(),
		field.String("request_id").Immutable(),
		field.String("client_id").Immutable(),
		field.String("subject").Default("").Immutable(),
		// The browser session the user signed in with (the ID token's sid).
		field.String("sid").Default("").Immutable(),
		// The delegation grant a token was issued under; 0 for none.
		field.Int("grant_id").Default(0).Immutable(),
		field.Bool("active").Default(true),
		field.Time("requested_at").Immutable(),
		field.Time("expires_at").Immutable(),
		// The fosite request, serialized: scopes, audience, form and session.
		field.Bytes("data").Immutable().Sensitive(),
	}
}

// Indexes of the OAuthToken.
func (OAuthToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "signature").Unique(),
		index.Fields("request_id"),
		index.Fields("tenant_id", "client_id", "subject"),
		index.Fields("expires_at"),
		index.Fields("grant_id"),
	}
}

// Mixin of the OAuthToken.
func (OAuthToken) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, AuthorityMixin{}} }

// Annotations of the OAuthToken: never in GraphQL.
func (OAuthToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
