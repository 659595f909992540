package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditChain is the head of a tenant's audit hash chain: the last sequence
// number and its hash. Appending an event updates it in the same
// transaction, which serialises appends per tenant (the row lock on
// PostgreSQL, the write lock on SQLite) and lets verification notice a
// truncated tail. One row per tenant, created with the tenant.
type AuditChain struct{ ent.Schema }

// Fields of the AuditChain.
func (AuditChain) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Default(0),
		field.String("head").Default(""),
		// authority_version counts the updates and deletes of rows
		// that carry authority in the workspace (AuthorityMixin).
		field.Int64("authority_version").Default(0),
	}
}

// Indexes of the AuditChain.
func (AuditChain) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id").Unique()}
}

// Mixin of the AuditChain.
func (AuditChain) Mixin() []ent.Mixin { return []ent.Mixin{TenantMixin{}} }

// Annotations of the AuditChain: internal, not in GraphQL.
func (AuditChain) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
