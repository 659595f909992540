package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ApprovalRequest is one OpenID CIBA request of an agent: it asks a person
// to approve one action (RFC 9396 authorization_details and scopes that
// require approval), or to give it a delegation grant. The agent holds the
// auth_req_id (only its HMAC is kept); the approver decides in the inbox;
// the token issued for an approved action is single-use, and this row
// records that it was spent.
type ApprovalRequest struct{ ent.Schema }

// Fields of the ApprovalRequest.
func (ApprovalRequest) Fields() []ent.Field {
	return []ent.Field{
		// The approval id every audit event of the request names.
		field.String("public_id").Unique().Immutable(),
		field.String("auth_req_id_hash").Unique().Immutable().Sensitive(),
		// action: approve one action (single-use token); grant: give the
		// agent a delegation grant.
		field.Enum("kind").Values("action", "grant").Immutable(),
		field.String("client_id").Immutable(),
		field.Int("agent_id").Immutable(),
		// The agent and its ancestors, by client_id, the agent first.
		field.Strings("agent_chain").Optional().Immutable(),
		// The person the agent acts for, named by login_hint or id_token_hint.
		field.Int("user_id").Immutable(),
		// The grant the agent acts under (0: none) and, when it presented
		// its on-behalf-of token, that token's session (act chain, run).
		field.Int("grant_id").Default(0).Immutable(),
		field.Bytes("subject_session").Optional().Sensitive().Immutable(),
		field.Strings("scopes").Optional().Immutable(),
		field.Strings("audience").Optional().Immutable(),
		// RFC 9396 authorization_details as JSON ("" for none).
		field.Text("authorization_details").Default("").Immutable(),
		field.String("binding_message").Default("").MaxLen(200).Immutable(),
		// Who may approve: "" for the person the agent acts for, else the
		// least role of the members who may.
		field.String("approver_role").Default("").Immutable(),
		// Why approval is needed: the scopes and detail types that require it.
		field.Strings("requires").Optional().Immutable(),
		field.Enum("delivery_mode").Values("poll", "ping").Immutable(),
		// The client's bearer for its notification endpoint (ping), sealed.
		field.Bytes("notification_token").Optional().Sensitive().Immutable(),
		field.String("notification_endpoint").Default("").Immutable(),
		// Lifetime of a delegation grant asked for (kind grant), seconds.
		field.Int("grant_seconds").Default(0).Immutable(),
		field.String("run").Default("").Immutable(),
		// pending → approved | denied | expired; approved → issued (token given);
		// issued → used (the single-use token was spent).
		field.Enum("status").Values("pending", "approved", "denied", "expired", "issued", "used").Default("pending"),
		field.Time("expires_at").Immutable(),
		// Seconds between polls; raised by slow_down.
		field.Int("interval"),
		field.Time("last_polled_at").Optional().Nillable(),
		field.Int("decided_by").Optional().Nillable(),
		field.Time("decided_at").Optional().Nillable(),
		// How the approver authenticated (amr), and when.
		field.Strings("decided_amr").Optional(),
		field.String("deny_reason").Default("").MaxLen(500),
		// The token issued for an approved action: its jti and expiry.
		field.String("token_jti").Default(""),
		field.Time("token_expires_at").Optional().Nillable(),
		field.Time("used_at").Optional().Nillable(),
		// The grant created by an approved grant request.
		field.Int("created_grant_id").Default(0),
	}
}

// Indexes of the ApprovalRequest.
func (ApprovalRequest) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "status"),
		index.Fields("tenant_id", "user_id"),
		index.Fields("expires_at"),
	}
}

// Mixin of the ApprovalRequest.
func (ApprovalRequest) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the ApprovalRequest: served by hand-written GraphQL types.
func (ApprovalRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
