package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Throttle counts failed attempts against one key (an account, an IP) and
// holds its lock-out, in the database so it survives restarts and is shared
// by replicas.
type Throttle struct{ ent.Schema }

// Fields of the Throttle.
func (Throttle) Fields() []ent.Field {
	return []ent.Field{
		// "account:<sha256 of the address>" or "ip:<address>".
		field.String("key").Immutable(),
		field.Int("failures").Default(0),
		field.Time("window_start"),
		field.Time("locked_until").Optional().Nillable(),
	}
}

// Indexes of the Throttle.
func (Throttle) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "key").Unique()}
}

// Mixin of the Throttle.
func (Throttle) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the Throttle: internal, not in GraphQL.
func (Throttle) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
