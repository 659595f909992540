package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/mandatehq/mandate/ent/hook"
)

// AuditEvent is one entry of a tenant's append-only, hash-chained audit log.
// Its fields answer: who requested it, which agent executed it (the chain),
// through which grant, client and run, with which credential and scope,
// whether approval was required and which approval, and what was done to
// what, with which outcome.
type AuditEvent struct{ ent.Schema }

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Immutable().
			Annotations(entgql.OrderField("SEQ")),
		field.Time("occurred_at").Immutable().
			Annotations(entgql.OrderField("OCCURRED_AT")),
		// Who requested it: a human, an API token, an agent acting for
		// itself, or the system.
		field.String("actor_type").Immutable(),
		field.String("actor_id").Default("").Immutable(),
		field.String("actor_label").Default("").Immutable(),
		// Which agent executed it, and the chain of parent agents above it,
		// executing agent first. Empty when a human acted.
		field.String("agent_id").Default("").Immutable(),
		field.Strings("agent_chain").Optional().Immutable(),
		field.String("grant_id").Default("").Immutable(),
		field.String("client_id").Default("").Immutable(),
		field.String("run_id").Default("").Immutable(),
		// Which credential was used: an API token, a key, a vaulted secret.
		field.String("credential_type").Default("").Immutable(),
		field.String("credential_id").Default("").Immutable(),
		field.Strings("scope").Optional().Immutable(),
		field.Bool("approval_required").Default(false).Immutable(),
		field.String("approval_id").Default("").Immutable(),
		field.String("action").NotEmpty().Immutable(),
		field.String("target_type").Default("").Immutable(),
		field.String("target_id").Default("").Immutable(),
		field.Enum("outcome").Values("success", "failure", "denied").Default("success").Immutable(),
		field.JSON("details", map[string]string{}).Optional().Immutable().
			Annotations(entgql.Type("StringMap")),
		field.String("ip").Default("").Immutable(),
		field.String("user_agent").Default("").Immutable(),
		field.String("request_id").Default("").Immutable(),
		field.String("prev_hash").Immutable(),
		field.String("hash").Immutable(),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "seq").Unique(),
		index.Fields("tenant_id", "occurred_at"),
		index.Fields("tenant_id", "action"),
		index.Fields("tenant_id", "actor_id"),
		index.Fields("tenant_id", "agent_id"),
		// A trace reads each run's events.
		index.Fields("tenant_id", "run_id"),
	}
}

// Hooks of the AuditEvent: append-only for everyone, the system included
// (a hook runs even where the system bypasses privacy).
func (AuditEvent) Hooks() []ent.Hook {
	return []ent.Hook{hook.Reject(ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne)}
}

// Mixin of the AuditEvent.
func (AuditEvent) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}} }

// Annotations of the AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("auditEvents"),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
