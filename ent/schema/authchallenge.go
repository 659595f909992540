package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuthChallenge is an authentication in progress, held server-side and
// named by a random value the browser carries (only its hash is stored):
// a password accepted and a second factor pending, a WebAuthn ceremony, a
// social login's state, PKCE verifier and nonce. Single-use and short.
type AuthChallenge struct{ ent.Schema }

// Fields of the AuthChallenge.
func (AuthChallenge) Fields() []ent.Field {
	return []ent.Field{
		// mfa, webauthn_register, webauthn_login, social, step_up…
		field.String("kind").NotEmpty().MaxLen(40).Immutable(),
		field.String("token_hash").Unique().Immutable().Sensitive(),
		// The person it is for, once known; 0 before.
		field.Int("user_id").Default(0).Immutable(),
		// The session that started it (a step-up or an account link).
		field.Int("session_id").Default(0).Immutable(),
		// What the ceremony needs back (JSON).
		field.Text("data").Default("").Sensitive().Immutable(),
		// Methods already satisfied (amr), for a sign-in in steps.
		field.Strings("amr").Optional().Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Indexes of the AuthChallenge.
func (AuthChallenge) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "expires_at")}
}

// Mixin of the AuthChallenge.
func (AuthChallenge) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the AuthChallenge: never served.
func (AuthChallenge) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
