package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Session is a signed-in browser. The cookie carries a random 256-bit id;
// only its SHA-256 is stored, so a database leak yields no usable session.
type Session struct{ ent.Schema }

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.String("id_hash").Unique().Immutable().Sensitive().
			Annotations(entgql.Skip()),
		// The CSRF token the session's pages send back on every change.
		field.String("csrf_hash").Immutable().Sensitive().
			Annotations(entgql.Skip()),
		field.Int("user_id").Immutable(),
		field.Time("last_seen_at"),
		// Absolute end, whatever the activity.
		field.Time("expires_at").Immutable(),
		field.String("ip").Default("").Immutable(),
		field.String("user_agent").Default("").Immutable(),
		// How and when the user authenticated (OIDC amr and auth_time).
		field.Strings("amr").Immutable(),
		field.Time("auth_time").Immutable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoke_reason").Default(""),
	}
}

// Edges of the Session.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("sessions").Field("user_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "user_id")}
}

// Mixin of the Session.
func (Session) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Hooks of the Session.
func (Session) Hooks() []ent.Hook { return []ent.Hook{sameTenantUserRef} }

// Annotations of the Session.
func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
