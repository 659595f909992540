package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Agent is an AI agent with an identity of its own: an OAuth client that
// authenticates with its keys, accountable to a human sponsor, bounded by
// a scope ceiling, possibly a subagent of another agent.
type Agent struct{ ent.Schema }

// Fields of the Agent.
func (Agent) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		// What the agent is for, in a sentence.
		field.String("role").Default("").MaxLen(500),
		// The accountable member (a user of the workspace).
		field.Int("sponsor_id"),
		field.Enum("status").Values("active", "suspended", "revoked").Default("active"),
		field.Strings("scope_ceiling"),
		field.Strings("tools").Optional(),
		field.Enum("created_by_kind").Values("human", "agent", "system").Immutable(),
		field.Int("created_by_id").Default(0).Immutable(),
		// The parent agent of a subagent; 0 for a top-level agent.
		field.Int("parent_id").Default(0).Immutable(),
		field.Int("depth").Default(0).NonNegative().Immutable(),
		// The run of the parent that registered this subagent.
		field.String("parent_run").Default("").Immutable(),
		field.JSON("metadata", map[string]string{}).Optional(),
		// The agent's OAuth client.
		field.String("client_id").Unique().Immutable(),
	}
}

// Indexes of the Agent.
func (Agent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "parent_id"), index.Fields("tenant_id", "sponsor_id")}
}

// Mixin of the Agent.
func (Agent) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, AuthorityMixin{}, TimeMixin{}} }

// Annotations of the Agent: served by hand-written GraphQL types.
func (Agent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
