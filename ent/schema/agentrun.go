package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AgentRun is one run of an agent, recorded when a token request first
// names it (`run`): which agent ran it, under which parent run, for whom
// and under which grant. Runs form the tree a trace reads.
type AgentRun struct{ ent.Schema }

// Fields of the AgentRun.
func (AgentRun) Fields() []ent.Field {
	return []ent.Field{
		// The run's name as the agent gave it.
		field.String("run_id").NotEmpty().MaxLen(128).Immutable(),
		// The run that started this one; "" for a root run.
		field.String("parent_run").Default("").MaxLen(128).Immutable(),
		field.Int("agent_id").Immutable(),
		field.String("client_id").Immutable(),
		// The person the run acts for (0: the agent acts for itself) and
		// the grant it acts under.
		field.Int("user_id").Default(0).Immutable(),
		field.Int("grant_id").Default(0).Immutable(),
		// The scope of the run's first token.
		field.Strings("scopes").Optional(),
		field.Time("last_seen_at"),
	}
}

// Indexes of the AgentRun.
func (AgentRun) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "run_id").Unique(),
		index.Fields("tenant_id", "parent_run"),
		index.Fields("tenant_id", "agent_id"),
	}
}

// Mixin of the AgentRun.
func (AgentRun) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, TimeMixin{}} }

// Annotations of the AgentRun: served by hand-written GraphQL types.
func (AgentRun) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
