package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WebhookDelivery is one outbound notification and its delivery log: a
// signed webhook event, or a CIBA ping to an agent's notification
// endpoint. It is written in the transaction of the change it reports and
// sent afterwards, with retries and back-off, by whichever replica claims
// it first.
type WebhookDelivery struct{ ent.Schema }

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		// webhook: a signed event to a workspace webhook; ping: a CIBA
		// notification to an agent.
		field.Enum("kind").Values("webhook", "ping").Immutable(),
		field.Int("webhook_id").Default(0).Immutable(),
		field.String("event").Immutable(),
		field.String("url").Immutable(),
		// The JSON body of a webhook event; "" for a ping, whose body and
		// bearer token are sealed instead.
		field.Text("payload").Default("").Immutable(),
		// Mutable only so a master rotation can re-seal it (Service.Reseal).
		field.Bytes("sealed").Optional().Sensitive(),
		// The approval the delivery reports ("" for none).
		field.String("approval_id").Default("").Immutable(),
		field.Enum("status").Values("pending", "delivered", "failed").Default("pending"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at"),
		// A replica sending it holds it until then.
		field.Time("claimed_until").Optional().Nillable(),
		field.Int("last_status").Default(0),
		field.String("last_error").Default("").MaxLen(500),
		field.Time("delivered_at").Optional().Nillable(),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("tenant_id", "approval_id"),
	}
}

// Mixin of the WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the WebhookDelivery: served by hand-written GraphQL types.
func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
