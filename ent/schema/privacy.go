package schema

import (
	"context"
	"fmt"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	gen "github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/privacy"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Tenant isolation lives here, on the schema, so no caller can forget it.
// Every query of a tenant-owned entity is filtered to the viewer's tenant;
// every mutation is confined to it; a viewer without a tenant sees nothing.
// The system bound to a tenant is confined like anyone else; only the system
// bound to no tenant (viewer.AsSystem on a tenantless context) crosses them.

// allowSystemAcrossTenants lets the tenantless system through.
func allowSystemAcrossTenants() privacy.QueryMutationRule {
	return privacy.ContextQueryMutationRule(func(ctx context.Context) error {
		if viewer.FromContext(ctx).CrossesTenants() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// tenantFilter is what the generated entql filter of a tenant-owned entity
// offers.
type tenantFilter interface {
	WhereTenantID(entql.IntP)
}

// filterToViewerTenant narrows a query or an update/delete to the viewer's
// tenant, and denies a viewer bound to none.
func filterToViewerTenant() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v := viewer.FromContext(ctx)
		if !v.HasTenant() {
			return privacy.Denyf("no tenant in the viewer")
		}
		tf, ok := f.(tenantFilter)
		if !ok {
			return privacy.Denyf("entity %T is not tenant-owned", f)
		}
		tf.WhereTenantID(entql.IntEQ(v.TenantID))
		return privacy.Skip
	})
}

// tenantMutation is what the generated mutation of a tenant-owned entity
// offers.
type tenantMutation interface {
	TenantID() (int, bool)
	SetTenantID(int)
}

// createInViewerTenant stamps new rows with the viewer's tenant and refuses a
// row for any other tenant. Updates and deletes are filtered instead.
func createInViewerTenant() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m gen.Mutation) error {
		if !m.Op().Is(ent.OpCreate) {
			return privacy.Skip
		}
		tm, ok := m.(tenantMutation)
		if !ok {
			return privacy.Denyf("mutation %T is not tenant-owned", m)
		}
		v := viewer.FromContext(ctx)
		if !v.HasTenant() {
			return privacy.Denyf("no tenant in the viewer")
		}
		if id, ok := tm.TenantID(); ok && id != v.TenantID {
			return privacy.Denyf("cannot create a row in another tenant")
		}
		return privacy.Skip
	})
}

// stampTenant is a hook that sets tenant_id on create from the viewer when
// the caller did not. It runs for the system too, so system work inside a
// tenant still stamps the right tenant.
func stampTenant(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if m.Op().Is(ent.OpCreate) {
			tm, ok := m.(tenantMutation)
			if !ok {
				return nil, fmt.Errorf("mutation %T is not tenant-owned", m)
			}
			if _, set := tm.TenantID(); !set {
				v := viewer.FromContext(ctx)
				if !v.HasTenant() {
					return nil, fmt.Errorf("creating %s: no tenant in the viewer", m.Type())
				}
				tm.SetTenantID(v.TenantID)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// userRefMutation is a mutation of an entity that points at a user.
type userRefMutation interface {
	ent.Mutation
	TenantID() (int, bool)
	UserID() (int, bool)
	Client() *gen.Client
}

// sameTenantUserRef is a hook for entities that point at a user: the user a
// new row points at must belong to the row's tenant. The tenant filter alone
// cannot see a foreign key, so without it a viewer could attach another
// tenant's user.
func sameTenantUserRef(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		um, ok := m.(userRefMutation)
		if ok && m.Op().Is(ent.OpCreate) {
			tid, ok1 := um.TenantID()
			uid, ok2 := um.UserID()
			if ok1 && ok2 && uid != 0 {
				ok, err := um.Client().User.Query().Where(user.ID(uid), user.TenantID(tid)).Exist(ctx)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, privacy.Denyf("user %d is not in tenant %d", uid, tid)
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// tenantOwnedPolicy is the policy of every tenant-owned entity.
func tenantOwnedPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowSystemAcrossTenants(),
			filterToViewerTenant(),
			privacy.AlwaysAllowRule(),
		},
		Mutation: privacy.MutationPolicy{
			allowSystemAcrossTenants(),
			createInViewerTenant(),
			filterToViewerTenant(),
			privacy.AlwaysAllowRule(),
		},
	}
}

// tenantFilterByID is what the Tenant entity's entql filter offers.
type tenantFilterByID interface {
	WhereID(entql.IntP)
}

// ownTenantPolicy lets a viewer see and change only its own tenant; creating
// tenants is system work.
func ownTenantPolicy() ent.Policy {
	own := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		v := viewer.FromContext(ctx)
		if !v.HasTenant() {
			return privacy.Denyf("no tenant in the viewer")
		}
		tf, ok := f.(tenantFilterByID)
		if !ok {
			return privacy.Denyf("unexpected filter %T", f)
		}
		tf.WhereID(entql.IntEQ(v.TenantID))
		return privacy.Skip
	})
	return privacy.Policy{
		Query: privacy.QueryPolicy{allowSystemAcrossTenants(), own, privacy.AlwaysAllowRule()},
		Mutation: privacy.MutationPolicy{
			allowSystemAcrossTenants(),
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpCreate|ent.OpDelete|ent.OpDeleteOne),
			own,
			privacy.AlwaysAllowRule(),
		},
	}
}
