package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Webhook is a workspace's endpoint for event notifications (approval
// requests and decisions). Each delivery is signed with HMAC-SHA256 over a
// timestamp and the body, with a secret shown once and kept sealed.
type Webhook struct{ ent.Schema }

// Fields of the Webhook.
func (Webhook) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxLen(2000),
		field.String("description").Default("").MaxLen(200),
		// Event names delivered; empty means every event.
		field.Strings("events").Optional(),
		field.Bytes("secret").Sensitive(),
		field.Bool("disabled").Default(false),
	}
}

// Mixin of the Webhook.
func (Webhook) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the Webhook: served by hand-written GraphQL types.
func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
