package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OAuthClient is an application registered with a workspace's issuer.
// Confidential clients authenticate with a server-generated secret (only
// its SHA-256 is kept) or with their keys (private_key_jwt); public clients
// authenticate with nothing and must use PKCE.
type OAuthClient struct{ ent.Schema }

// Fields of the OAuthClient.
func (OAuthClient) Fields() []ent.Field {
	return []ent.Field{
		field.String("client_id").Unique().Immutable(),
		// app: an application; agent: an agent's own credentials.
		field.Enum("kind").Values("app", "agent").Default("app").Immutable(),
		field.String("name").NotEmpty().MaxLen(200),
		field.String("secret_hash").Default("").Sensitive(),
		field.Bool("public").Default(false).Immutable(),
		// client_secret_basic, client_secret_post, private_key_jwt or none.
		field.String("token_endpoint_auth_method"),
		field.Strings("redirect_uris").Optional(),
		field.Strings("grant_types"),
		field.Strings("response_types").Optional(),
		field.Strings("scopes").Optional(),
		// An inline JWK set (JSON) for private_key_jwt, or a jwks_uri.
		field.Text("jwks").Default(""),
		field.String("jwks_uri").Default(""),
		field.Enum("token_format").Values("jwt", "opaque").Default("jwt"),
		field.Bool("require_par").Default(false),
		field.Strings("post_logout_redirect_uris").Optional(),
		field.String("backchannel_logout_uri").Default(""),
		// The algorithm of the client's ID tokens and JWT access tokens.
		field.Enum("signing_alg").Values("ES256", "RS256", "EdDSA").Default("ES256"),
		// Resources (RFC 8707) the client may ask tokens for: each becomes an aud.
		field.Strings("audience").Optional(),
		// Lifetimes in seconds; 0 means the workspace's.
		field.Int("access_token_ttl").Default(0).NonNegative(),
		field.Int("refresh_token_ttl").Default(0).NonNegative(),
		// SHA-256 of the RFC 7592 registration access token, for a client
		// registered dynamically.
		field.String("registration_token_hash").Default("").Sensitive(),
		field.Time("disabled_at").Optional().Nillable(),
		// OpenID CIBA: poll or ping ("" when the client does not use CIBA),
		// and the endpoint a ping goes to.
		field.String("backchannel_token_delivery_mode").Default(""),
		field.String("backchannel_client_notification_endpoint").Default(""),
	}
}

// Indexes of the OAuthClient.
func (OAuthClient) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name")}
}

// Mixin of the OAuthClient.
func (OAuthClient) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{}, AuthorityMixin{}, TimeMixin{}}
}

// Annotations of the OAuthClient: not in GraphQL until the issuer lands.
func (OAuthClient) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
