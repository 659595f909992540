package schema

import (
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/mandatehq/mandate/tenants/settings"
)

// SlugPattern is what a workspace slug may look like: it appears in URLs and
// issuer identifiers, so it is lower-case ASCII.
var SlugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// Tenant is a workspace. It is the root of isolation and not tenant-owned
// itself; its privacy rules show a viewer only its own tenant.
type Tenant struct{ ent.Schema }

// Fields of the Tenant.
func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Unique().Immutable().Match(SlugPattern),
		field.String("name").NotEmpty().MaxLen(200),
		field.JSON("settings", settings.Tenant{}).Default(settings.Default()).
			Annotations(entgql.Type("TenantSettings")),
	}
}

// Mixin of the Tenant.
func (Tenant) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, AuthorityMixin{}} }

// Annotations of the Tenant.
func (Tenant) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Policy of the Tenant.
func (Tenant) Policy() ent.Policy { return ownTenantPolicy() }
