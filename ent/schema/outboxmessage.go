package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// OutboxMessage is an email kept for the development outbox when no SMTP
// server is configured. With SMTP configured nothing is kept here.
type OutboxMessage struct{ ent.Schema }

// Fields of the OutboxMessage.
func (OutboxMessage) Fields() []ent.Field {
	return []ent.Field{
		field.String("to").Immutable(),
		field.String("subject").Immutable(),
		field.Text("text").Immutable(),
		field.Text("html").Immutable(),
	}
}

// Mixin of the OutboxMessage.
func (OutboxMessage) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the OutboxMessage.
func (OutboxMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
