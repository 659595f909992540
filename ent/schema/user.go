package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a person with an account in one workspace. The same address in two
// workspaces is two users: nothing is shared across tenants.
type User struct{ ent.Schema }

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		// Stored normalised (trimmed, lower-case) so uniqueness is
		// case-insensitive on every dialect.
		field.String("email").NotEmpty().MaxLen(320).
			Annotations(entgql.OrderField("EMAIL")),
		field.String("name").Default("").MaxLen(200),
		field.Bool("email_verified").Default(false),
		field.Bool("disabled").Default(false),
		// An argon2id hash in PHC string format, parameters included; empty
		// for an account with no password (invited, or passkey-only).
		field.String("password_hash").Default("").Sensitive().
			Annotations(entgql.Skip()),
		// The WebAuthn user handle: random, so a passkey reveals no
		// account id; set when the first passkey is registered.
		field.Bytes("webauthn_handle").Optional().Nillable().MaxLen(64).
			Annotations(entgql.Skip()),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("membership", Membership.Type).Unique().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("sessions", Session.Type).
			Annotations(entgql.Skip()),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "email").Unique(), index.Fields("tenant_id", "webauthn_handle").Unique()}
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, AuthorityMixin{}, TimeMixin{}} }

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
