package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Tool is an upstream API agents call through the gateway at
// /t/{slug}/gateway/{name}/{path}: where it is, which credential the
// gateway injects and how, what scope each operation needs, which need a
// person's approval, and what is redacted from answers.
type Tool struct{ ent.Schema }

// Fields of the Tool.
func (Tool) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.String("description").Default("").MaxLen(500),
		// The upstream base URL; calls go below its path, to its host only.
		field.String("upstream_url").NotEmpty().MaxLen(2000),
		// header (Header: template with {secret}), bearer, basic, or query
		// (?Param=secret).
		field.Enum("injection").Values("header", "bearer", "basic", "query"),
		field.String("header_name").Default(""),
		field.String("header_template").Default(""),
		field.String("query_param").Default(""),
		// workspace: the credential credential_id; connected: the connected
		// account of the person the agent acts for, from provider.
		field.Enum("credential_source").Values("workspace", "connected").Default("workspace"),
		field.Int("credential_id").Default(0),
		field.String("provider").Default(""),
		// The operations, as JSON: [{"method","path","scope","approval"}].
		field.Text("operations").Default("[]"),
		// Redaction rules, as JSON: {"headers":[…],"json_fields":[…]}.
		field.Text("redaction").Default("{}"),
		// internal lets the upstream be a private or loopback address.
		field.Bool("internal").Default(false),
		field.Int("timeout_ms").Default(10000),
		field.Int64("max_body_bytes").Default(10 << 20),
		field.Bool("disabled").Default(false),
	}
}

// Indexes of the Tool.
func (Tool) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

// Mixin of the Tool.
func (Tool) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}, AuthorityMixin{}, TimeMixin{}} }

// Annotations of the Tool: served by hand-written GraphQL types.
func (Tool) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
