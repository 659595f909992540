package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OAuthConsent remembers that a user let an application have some scopes,
// so the consent page is not shown again for them. Revoking it (a
// "connected app" in the account page) also revokes the app's tokens.
type OAuthConsent struct{ ent.Schema }

// Fields of the OAuthConsent.
func (OAuthConsent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("client_id").Immutable(),
		field.Strings("scopes"),
	}
}

// Indexes of the OAuthConsent.
func (OAuthConsent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "user_id", "client_id").Unique()}
}

// Mixin of the OAuthConsent.
func (OAuthConsent) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the OAuthConsent: served through the account API.
func (OAuthConsent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
