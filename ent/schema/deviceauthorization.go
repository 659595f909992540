package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// DeviceAuthorization is one RFC 8628 device authorization: the device
// polls with its device code while the user enters the user code on the
// hosted page and approves or denies. Only hashes of both codes are kept.
type DeviceAuthorization struct{ ent.Schema }

// Fields of the DeviceAuthorization.
func (DeviceAuthorization) Fields() []ent.Field {
	return []ent.Field{
		field.String("device_code_hash").Unique().Immutable().Sensitive(),
		field.String("user_code_hash").Unique().Immutable().Sensitive(),
		field.String("client_id").Immutable(),
		field.Strings("scopes").Optional().Immutable(),
		field.Strings("audience").Optional().Immutable(),
		field.Enum("status").Values("pending", "approved", "denied", "consumed").Default("pending"),
		field.Int("user_id").Optional().Nillable(),
		// The approving user's session, serialized for the tokens.
		field.Bytes("session").Optional().Sensitive(),
		field.Time("expires_at").Immutable(),
		// Seconds between polls; raised by slow_down.
		field.Int("interval"),
		field.Time("last_polled_at").Optional().Nillable(),
	}
}

// Indexes of the DeviceAuthorization.
func (DeviceAuthorization) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at")}
}

// Mixin of the DeviceAuthorization.
func (DeviceAuthorization) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the DeviceAuthorization: never in GraphQL.
func (DeviceAuthorization) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
