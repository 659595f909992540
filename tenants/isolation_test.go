package tenants_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/agentrun"
	"github.com/mandatehq/mandate/ent/apitoken"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditchain"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/authchallenge"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/datakey"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/deviceauthorization"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/migrate"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/ent/oauthconsent"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/ent/outboxmessage"
	"github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/ent/privacy"
	"github.com/mandatehq/mandate/ent/recoverycode"
	"github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/signingkey"
	"github.com/mandatehq/mandate/ent/tenant"
	"github.com/mandatehq/mandate/ent/throttle"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/ent/webhook"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// This file is the tenant-isolation table of the data layer: one entry per
// ent entity, each saying how to read, change, delete, create and traverse
// that entity. The test runs every entry as tenant A against tenant B's rows
// on every dialect. A new entity that is not in the table fails
// TestIsolationTableCoversEveryEntity.

// row is one stored row as the isolation checks see it.
type row struct {
	id, tenant int
	text       string // the entity's String(), to notice any change
}

// side is one workspace of the fixture and the ids of its rows.
type side struct {
	tenant     *ent.Tenant
	owner      *ent.User
	ownerM     *ent.Membership
	member     *ent.Membership
	token      *ent.APIToken
	chain      *ent.AuditChain
	event      *ent.AuditEvent
	session    *ent.Session // the owner's
	ott        *ent.OneTimeToken
	throttle   *ent.Throttle
	outbox     *ent.OutboxMessage
	signingKey *ent.SigningKey
	oauthApp   *ent.OAuthClient
	oauthToken *ent.OAuthToken
	consent    *ent.OAuthConsent
	device     *ent.DeviceAuthorization
	agent      *ent.Agent
	grant      *ent.DelegationGrant
	run        *ent.AgentRun
	approval   *ent.ApprovalRequest
	totp       *ent.TOTPFactor
	recovery   *ent.RecoveryCode
	passkey    *ent.Passkey
	provider   *ent.IdentityProvider
	federated  *ent.FederatedIdentity
	challenge  *ent.AuthChallenge
	webhook    *ent.Webhook
	delivery   *ent.WebhookDelivery
	dataKey    *ent.DataKey
	credential *ent.Credential
	tool       *ent.Tool
	system     context.Context // the system, bound to this tenant
	viewerCtx  context.Context // the owner's API token in this tenant
	memberUser int
}

// edgeCase is one edge of an entity.
type edgeCase struct {
	name string
	// fk is the foreign key the edge follows, as "table.column".
	fk string
	// viaQuery traverses from the row id through a query path:
	// Query().Where(ID(id)).QueryX().
	viaQuery func(ctx context.Context, c *ent.Client, id int) ([]row, error)
	// viaRow traverses from an entity loaded by load (the system), with
	// ctx: the starting row itself is not filtered, only the edge.
	viaRow func(load, ctx context.Context, c *ent.Client, id int) ([]row, error)
}

// entityCase is one entity of the isolation table.
type entityCase struct {
	name  string // the ent type
	table string // its table, from the generated package
	// of returns the id of the side's row of this entity.
	of        func(s side) int
	all       func(ctx context.Context, c *ent.Client) ([]row, error)
	get       func(ctx context.Context, c *ent.Client, id int) error
	countID   func(ctx context.Context, c *ent.Client, id int) (int, error)
	update    func(ctx context.Context, c *ent.Client, id int) (int, error)
	updateOne func(ctx context.Context, c *ent.Client, id int) error
	delete    func(ctx context.Context, c *ent.Client, id int) (int, error)
	deleteOne func(ctx context.Context, c *ent.Client, id int) error
	// appendOnly: the schema rejects every update and delete, for everyone.
	appendOnly bool
	// create creates a row in tenant tid; for Tenant, any tenant.
	create func(ctx context.Context, c *ent.Client, tid int) error
	edges  []edgeCase
}

// tenantOwner is every tenant-owned entity: it has a tenant edge.
type tenantOwner interface {
	QueryTenant() *ent.TenantQuery
}

// tenantEdge is the tenant edge of the entity in table: query follows it
// from a query path, load loads a row to follow it from.
func tenantEdge(table string,
	query func(c *ent.Client, id int) *ent.TenantQuery,
	load func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error),
) edgeCase {
	return edgeCase{
		name: "tenant",
		fk:   table + ".tenant_id",
		viaQuery: func(ctx context.Context, c *ent.Client, id int) ([]row, error) {
			return tenantRows(query(c, id).All(ctx))
		},
		viaRow: func(sys, ctx context.Context, c *ent.Client, id int) ([]row, error) {
			e, err := load(sys, c, id)
			if err != nil {
				return nil, err
			}
			return tenantRows(e.QueryTenant().All(ctx))
		},
	}
}

func tenantRows(ts []*ent.Tenant, err error) ([]row, error) {
	out := make([]row, len(ts))
	for i, t := range ts {
		out[i] = row{t.ID, t.ID, t.String()}
	}
	return out, err
}

func userRows(us []*ent.User, err error) ([]row, error) {
	out := make([]row, len(us))
	for i, u := range us {
		out[i] = row{u.ID, u.TenantID, u.String()}
	}
	return out, err
}

func membershipRows(ms []*ent.Membership, err error) ([]row, error) {
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i] = row{m.ID, m.TenantID, m.String()}
	}
	return out, err
}

func tokenRows(ts []*ent.APIToken, err error) ([]row, error) {
	out := make([]row, len(ts))
	for i, t := range ts {
		out[i] = row{t.ID, t.TenantID, t.String()}
	}
	return out, err
}

func eventRows(es []*ent.AuditEvent, err error) ([]row, error) {
	out := make([]row, len(es))
	for i, e := range es {
		out[i] = row{e.ID, e.TenantID, e.String()}
	}
	return out, err
}

func chainRows(cs []*ent.AuditChain, err error) ([]row, error) {
	out := make([]row, len(cs))
	for i, c := range cs {
		out[i] = row{c.ID, c.TenantID, c.String()}
	}
	return out, err
}

func sessionRows(ss []*ent.Session, err error) ([]row, error) {
	out := make([]row, len(ss))
	for i, s := range ss {
		out[i] = row{s.ID, s.TenantID, s.String()}
	}
	return out, err
}

func oneTimeTokenRows(ts []*ent.OneTimeToken, err error) ([]row, error) {
	out := make([]row, len(ts))
	for i, t := range ts {
		out[i] = row{t.ID, t.TenantID, t.String()}
	}
	return out, err
}

func throttleRows(ts []*ent.Throttle, err error) ([]row, error) {
	out := make([]row, len(ts))
	for i, t := range ts {
		out[i] = row{t.ID, t.TenantID, t.String()}
	}
	return out, err
}

func outboxRows(ms []*ent.OutboxMessage, err error) ([]row, error) {
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i] = row{m.ID, m.TenantID, m.String()}
	}
	return out, err
}

func signingKeyRows(ks []*ent.SigningKey, err error) ([]row, error) {
	out := make([]row, len(ks))
	for i, k := range ks {
		out[i] = row{k.ID, k.TenantID, k.String()}
	}
	return out, err
}

func oauthClientRows(cs []*ent.OAuthClient, err error) ([]row, error) {
	out := make([]row, len(cs))
	for i, c := range cs {
		out[i] = row{c.ID, c.TenantID, c.String()}
	}
	return out, err
}

func oauthTokenRows(ts []*ent.OAuthToken, err error) ([]row, error) {
	out := make([]row, len(ts))
	for i, x := range ts {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func consentRows(cs []*ent.OAuthConsent, err error) ([]row, error) {
	out := make([]row, len(cs))
	for i, x := range cs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func deviceRows(ds []*ent.DeviceAuthorization, err error) ([]row, error) {
	out := make([]row, len(ds))
	for i, x := range ds {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func agentRows(as []*ent.Agent, err error) ([]row, error) {
	out := make([]row, len(as))
	for i, x := range as {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func grantRows(gs []*ent.DelegationGrant, err error) ([]row, error) {
	out := make([]row, len(gs))
	for i, x := range gs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func approvalRows(xs []*ent.ApprovalRequest, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func agentRunRows(xs []*ent.AgentRun, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func totpRows(xs []*ent.TOTPFactor, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func recoveryCodeRows(xs []*ent.RecoveryCode, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func passkeyRows(xs []*ent.Passkey, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func providerRows(xs []*ent.IdentityProvider, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func federatedRows(xs []*ent.FederatedIdentity, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func challengeRows(xs []*ent.AuthChallenge, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func webhookRows(xs []*ent.Webhook, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func deliveryRows(xs []*ent.WebhookDelivery, err error) ([]row, error) {
	out := make([]row, len(xs))
	for i, x := range xs {
		out[i] = row{x.ID, x.TenantID, x.String()}
	}
	return out, err
}

func errOnly[T any](_ T, err error) error { return err }

// entities is the isolation table: every ent entity.
func entities() []entityCase {
	return []entityCase{
		{
			name: "Tenant", table: tenant.Table,
			of: func(s side) int { return s.tenant.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return tenantRows(c.Tenant.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Tenant.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Tenant.Query().Where(tenant.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Tenant.Update().Where(tenant.ID(id)).SetName("pwned").Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Tenant.UpdateOneID(id).SetName("pwned").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Tenant.Delete().Where(tenant.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error { return c.Tenant.DeleteOneID(id).Exec(ctx) },
			// Only the system creates tenants; tid is ignored.
			create: func(ctx context.Context, c *ent.Client, _ int) error {
				return c.Tenant.Create().SetSlug("evil").SetName("Evil").Exec(ctx)
			},
		},
		{
			name: "User", table: user.Table,
			of: func(s side) int { return s.owner.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return userRows(c.User.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.User.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.User.Query().Where(user.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.User.Update().Where(user.ID(id)).SetDisabled(true).SetName("pwned").Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.User.UpdateOneID(id).SetDisabled(true).SetName("pwned").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.User.Delete().Where(user.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error { return c.User.DeleteOneID(id).Exec(ctx) },
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.User.Create().SetTenantID(tid).SetEmail("intruder@example.com").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(user.Table,
					func(c *ent.Client, id int) *ent.TenantQuery { return c.User.Query().Where(user.ID(id)).QueryTenant() },
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) { return c.User.Get(ctx, id) }),
				{
					name: "membership", fk: membership.Table + "." + membership.UserColumn,
					viaQuery: func(ctx context.Context, c *ent.Client, id int) ([]row, error) {
						return membershipRows(c.User.Query().Where(user.ID(id)).QueryMembership().All(ctx))
					},
					viaRow: func(load, ctx context.Context, c *ent.Client, id int) ([]row, error) {
						u, err := c.User.Get(load, id)
						if err != nil {
							return nil, err
						}
						return membershipRows(u.QueryMembership().All(ctx))
					},
				},
				{
					name: "sessions", fk: session.Table + "." + session.UserColumn,
					viaQuery: func(ctx context.Context, c *ent.Client, id int) ([]row, error) {
						return sessionRows(c.User.Query().Where(user.ID(id)).QuerySessions().All(ctx))
					},
					viaRow: func(load, ctx context.Context, c *ent.Client, id int) ([]row, error) {
						u, err := c.User.Get(load, id)
						if err != nil {
							return nil, err
						}
						return sessionRows(u.QuerySessions().All(ctx))
					},
				},
			},
		},
		{
			name: "Membership", table: membership.Table,
			of: func(s side) int { return s.member.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return membershipRows(c.Membership.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Membership.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Membership.Query().Where(membership.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Membership.Update().Where(membership.ID(id)).SetRole(membership.RoleOwner).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Membership.UpdateOneID(id).SetRole(membership.RoleOwner).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Membership.Delete().Where(membership.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Membership.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				// The user id is irrelevant: the tenant must be refused first.
				return c.Membership.Create().SetTenantID(tid).SetUserID(1).SetRole(membership.RoleOwner).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(membership.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Membership.Query().Where(membership.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.Membership.Get(ctx, id)
					}),
				{
					name: "user", fk: membership.Table + "." + membership.UserColumn,
					viaQuery: func(ctx context.Context, c *ent.Client, id int) ([]row, error) {
						return userRows(c.Membership.Query().Where(membership.ID(id)).QueryUser().All(ctx))
					},
					viaRow: func(load, ctx context.Context, c *ent.Client, id int) ([]row, error) {
						m, err := c.Membership.Get(load, id)
						if err != nil {
							return nil, err
						}
						return userRows(m.QueryUser().All(ctx))
					},
				},
			},
		},
		{
			name: "APIToken", table: apitoken.Table,
			of: func(s side) int { return s.token.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return tokenRows(c.APIToken.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.APIToken.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.APIToken.Query().Where(apitoken.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.APIToken.Update().Where(apitoken.ID(id)).SetRevokedAt(time.Now()).SetName("pwned").Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.APIToken.UpdateOneID(id).SetRevokedAt(time.Now()).SetName("pwned").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.APIToken.Delete().Where(apitoken.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.APIToken.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.APIToken.Create().SetTenantID(tid).SetName("planted").SetRole(apitoken.RoleOwner).
					SetTokenHash(fmt.Sprintf("planted-%d", tid)).SetPrefix("mdt_plant").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(apitoken.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.APIToken.Query().Where(apitoken.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) { return c.APIToken.Get(ctx, id) }),
			},
		},
		{
			name: "AuditEvent", table: auditevent.Table,
			of: func(s side) int { return s.event.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return eventRows(c.AuditEvent.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.AuditEvent.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuditEvent.Query().Where(auditevent.ID(id)).Count(ctx)
			},
			// Every field is immutable: an update has nothing to set, and
			// the schema's hook rejects it anyway.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuditEvent.Update().Where(auditevent.ID(id)).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AuditEvent.UpdateOneID(id).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuditEvent.Delete().Where(auditevent.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AuditEvent.DeleteOneID(id).Exec(ctx)
			},
			appendOnly: true,
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.AuditEvent.Create().SetTenantID(tid).SetSeq(1 << 40).SetOccurredAt(time.Now()).
					SetActorType("system").SetAction("planted").SetPrevHash("").SetHash("planted").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(auditevent.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.AuditEvent.Query().Where(auditevent.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.AuditEvent.Get(ctx, id)
					}),
			},
		},
		{
			name: "AuditChain", table: auditchain.Table,
			of: func(s side) int { return s.chain.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return chainRows(c.AuditChain.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.AuditChain.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuditChain.Query().Where(auditchain.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuditChain.Update().Where(auditchain.ID(id)).SetHead("forged").AddSeq(100).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AuditChain.UpdateOneID(id).SetHead("forged").AddSeq(100).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuditChain.Delete().Where(auditchain.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AuditChain.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.AuditChain.Create().SetTenantID(tid).SetHead("forged").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(auditchain.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.AuditChain.Query().Where(auditchain.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.AuditChain.Get(ctx, id)
					}),
			},
		},
		{
			name: "Session", table: session.Table,
			of: func(s side) int { return s.session.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return sessionRows(c.Session.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Session.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Session.Query().Where(session.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Session.Update().Where(session.ID(id)).SetRevokedAt(time.Now()).SetRevokeReason("pwned").Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Session.UpdateOneID(id).SetRevokedAt(time.Now()).SetRevokeReason("pwned").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Session.Delete().Where(session.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Session.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				// A real user of tenant tid, not a made-up id that
				// sameTenantUserRef would refuse whatever the tenant rules.
				uid, err := c.User.Query().Where(user.TenantID(tid)).FirstID(viewer.AsSystem(context.Background(), "test: pick a user"))
				if err != nil {
					return fmt.Errorf("pick a user of tenant %d: %w", tid, err)
				}
				now := time.Now()
				return c.Session.Create().SetTenantID(tid).SetUserID(uid).
					SetIDHash(fmt.Sprintf("planted-%d", tid)).SetCsrfHash("planted").
					SetLastSeenAt(now).SetExpiresAt(now.Add(time.Hour)).
					SetAmr([]string{"pwd"}).SetAuthTime(now).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(session.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Session.Query().Where(session.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.Session.Get(ctx, id)
					}),
				{
					name: "user", fk: session.Table + "." + session.UserColumn,
					viaQuery: func(ctx context.Context, c *ent.Client, id int) ([]row, error) {
						return userRows(c.Session.Query().Where(session.ID(id)).QueryUser().All(ctx))
					},
					viaRow: func(load, ctx context.Context, c *ent.Client, id int) ([]row, error) {
						s, err := c.Session.Get(load, id)
						if err != nil {
							return nil, err
						}
						return userRows(s.QueryUser().All(ctx))
					},
				},
			},
		},
		{
			name: "OneTimeToken", table: onetimetoken.Table,
			of: func(s side) int { return s.ott.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return oneTimeTokenRows(c.OneTimeToken.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.OneTimeToken.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OneTimeToken.Query().Where(onetimetoken.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OneTimeToken.Update().Where(onetimetoken.ID(id)).SetUsedAt(time.Now()).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OneTimeToken.UpdateOneID(id).SetUsedAt(time.Now()).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OneTimeToken.Delete().Where(onetimetoken.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OneTimeToken.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.OneTimeToken.Create().SetTenantID(tid).SetPurpose(onetimetoken.PurposeInvitation).
					SetTokenHash(fmt.Sprintf("planted-%d", tid)).SetEmail("intruder@example.com").
					SetRole("owner").SetExpiresAt(time.Now().Add(time.Hour)).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(onetimetoken.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.OneTimeToken.Query().Where(onetimetoken.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.OneTimeToken.Get(ctx, id)
					}),
			},
		},
		{
			name: "Throttle", table: throttle.Table,
			of: func(s side) int { return s.throttle.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return throttleRows(c.Throttle.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Throttle.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Throttle.Query().Where(throttle.ID(id)).Count(ctx)
			},
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Throttle.Update().Where(throttle.ID(id)).AddFailures(100).
					SetLockedUntil(time.Now().Add(24 * time.Hour)).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Throttle.UpdateOneID(id).AddFailures(100).
					SetLockedUntil(time.Now().Add(24 * time.Hour)).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Throttle.Delete().Where(throttle.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Throttle.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.Throttle.Create().SetTenantID(tid).SetKey("planted").SetFailures(100).
					SetWindowStart(time.Now()).SetLockedUntil(time.Now().Add(24 * time.Hour)).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(throttle.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Throttle.Query().Where(throttle.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.Throttle.Get(ctx, id)
					}),
			},
		},
		{
			name: "OutboxMessage", table: outboxmessage.Table,
			of: func(s side) int { return s.outbox.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return outboxRows(c.OutboxMessage.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.OutboxMessage.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OutboxMessage.Query().Where(outboxmessage.ID(id)).Count(ctx)
			},
			// Every field but updated_at is immutable: set it far from now,
			// so a change shows in the row's String().
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OutboxMessage.Update().Where(outboxmessage.ID(id)).SetUpdatedAt(forgedTime).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OutboxMessage.UpdateOneID(id).SetUpdatedAt(forgedTime).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OutboxMessage.Delete().Where(outboxmessage.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OutboxMessage.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.OutboxMessage.Create().SetTenantID(tid).SetTo("victim@example.com").
					SetSubject("planted").SetText("planted").SetHTML("<p>planted</p>").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(outboxmessage.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.OutboxMessage.Query().Where(outboxmessage.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.OutboxMessage.Get(ctx, id)
					}),
			},
		},
		{
			name: "SigningKey", table: signingkey.Table,
			of: func(s side) int { return s.signingKey.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return signingKeyRows(c.SigningKey.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.SigningKey.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.SigningKey.Query().Where(signingkey.ID(id)).Count(ctx)
			},
			// Retiring another workspace's key early would break its tokens.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.SigningKey.Update().Where(signingkey.ID(id)).SetUnpublishAt(forgedTime).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.SigningKey.UpdateOneID(id).SetUnpublishAt(forgedTime).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.SigningKey.Delete().Where(signingkey.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.SigningKey.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.SigningKey.Create().SetTenantID(tid).SetKid("planted").SetAlg(signingkey.AlgES256).
					SetPublicJwk("{}").SetPrivateSealed([]byte("x")).SetActivatesAt(forgedTime).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(signingkey.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.SigningKey.Query().Where(signingkey.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.SigningKey.Get(ctx, id)
					}),
			},
		},
		{
			name: "OAuthClient", table: oauthclient.Table,
			of: func(s side) int { return s.oauthApp.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return oauthClientRows(c.OAuthClient.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.OAuthClient.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthClient.Query().Where(oauthclient.ID(id)).Count(ctx)
			},
			// Pointing another workspace's app at an attacker's redirect URI.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthClient.Update().Where(oauthclient.ID(id)).SetRedirectUris([]string{"https://evil.example/cb"}).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OAuthClient.UpdateOneID(id).SetRedirectUris([]string{"https://evil.example/cb"}).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthClient.Delete().Where(oauthclient.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OAuthClient.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.OAuthClient.Create().SetTenantID(tid).SetClientID("planted").SetName("planted").
					SetTokenEndpointAuthMethod("none").SetGrantTypes([]string{"authorization_code"}).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(oauthclient.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.OAuthClient.Query().Where(oauthclient.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.OAuthClient.Get(ctx, id)
					}),
			},
		},
		{
			name: "OAuthToken", table: oauthtoken.Table,
			of: func(s side) int { return s.oauthToken.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return oauthTokenRows(c.OAuthToken.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.OAuthToken.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthToken.Query().Where(oauthtoken.ID(id)).Count(ctx)
			},
			// Reviving a revoked token of another workspace.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthToken.Update().Where(oauthtoken.ID(id)).SetActive(true).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OAuthToken.UpdateOneID(id).SetActive(true).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthToken.Delete().Where(oauthtoken.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OAuthToken.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.OAuthToken.Create().SetTenantID(tid).SetKind(oauthtoken.KindAccess).SetSignature("planted").SetRequestID("planted").SetClientID("planted").
					SetRequestedAt(forgedTime).SetExpiresAt(forgedTime).SetData([]byte("{}")).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(oauthtoken.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.OAuthToken.Query().Where(oauthtoken.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.OAuthToken.Get(ctx, id)
					}),
			},
		},
		{
			name: "OAuthConsent", table: oauthconsent.Table,
			of: func(s side) int { return s.consent.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return consentRows(c.OAuthConsent.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.OAuthConsent.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthConsent.Query().Where(oauthconsent.ID(id)).Count(ctx)
			},
			// Widening another workspace's consent.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthConsent.Update().Where(oauthconsent.ID(id)).SetScopes([]string{"admin"}).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OAuthConsent.UpdateOneID(id).SetScopes([]string{"admin"}).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.OAuthConsent.Delete().Where(oauthconsent.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.OAuthConsent.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.OAuthConsent.Create().SetTenantID(tid).SetUserID(1).SetClientID("planted").SetScopes([]string{"openid"}).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(oauthconsent.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.OAuthConsent.Query().Where(oauthconsent.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.OAuthConsent.Get(ctx, id)
					}),
			},
		},
		{
			name: "DeviceAuthorization", table: deviceauthorization.Table,
			of: func(s side) int { return s.device.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return deviceRows(c.DeviceAuthorization.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error {
				return errOnly(c.DeviceAuthorization.Get(ctx, id))
			},
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DeviceAuthorization.Query().Where(deviceauthorization.ID(id)).Count(ctx)
			},
			// Approving another workspace's device login.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DeviceAuthorization.Update().Where(deviceauthorization.ID(id)).SetStatus(deviceauthorization.StatusApproved).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.DeviceAuthorization.UpdateOneID(id).SetStatus(deviceauthorization.StatusApproved).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DeviceAuthorization.Delete().Where(deviceauthorization.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.DeviceAuthorization.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.DeviceAuthorization.Create().SetTenantID(tid).SetDeviceCodeHash("planted").SetUserCodeHash("planted").SetClientID("planted").
					SetExpiresAt(forgedTime).SetInterval(5).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(deviceauthorization.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.DeviceAuthorization.Query().Where(deviceauthorization.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.DeviceAuthorization.Get(ctx, id)
					}),
			},
		},
		{
			name: "Agent", table: agent.Table,
			of: func(s side) int { return s.agent.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return agentRows(c.Agent.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Agent.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Agent.Query().Where(agent.ID(id)).Count(ctx)
			},
			// Reviving or widening another workspace's agent.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Agent.Update().Where(agent.ID(id)).SetScopeCeiling([]string{"admin"}).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Agent.UpdateOneID(id).SetScopeCeiling([]string{"admin"}).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Agent.Delete().Where(agent.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Agent.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.Agent.Create().SetTenantID(tid).SetName("planted").SetSponsorID(1).SetScopeCeiling([]string{"openid"}).
					SetCreatedByKind(agent.CreatedByKindSystem).SetClientID("planted").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(agent.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Agent.Query().Where(agent.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.Agent.Get(ctx, id)
					}),
			},
		},
		{
			name: "DelegationGrant", table: delegationgrant.Table,
			of: func(s side) int { return s.grant.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return grantRows(c.DelegationGrant.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.DelegationGrant.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DelegationGrant.Query().Where(delegationgrant.ID(id)).Count(ctx)
			},
			// Widening another workspace's grant.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DelegationGrant.Update().Where(delegationgrant.ID(id)).SetScopes([]string{"admin"}).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.DelegationGrant.UpdateOneID(id).SetScopes([]string{"admin"}).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DelegationGrant.Delete().Where(delegationgrant.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.DelegationGrant.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.DelegationGrant.Create().SetTenantID(tid).SetUserID(1).SetAgentID(1).SetScopes([]string{"openid"}).SetExpiresAt(forgedTime).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(delegationgrant.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.DelegationGrant.Query().Where(delegationgrant.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.DelegationGrant.Get(ctx, id)
					}),
			},
		},
		{
			name: "AgentRun", table: agentrun.Table,
			of: func(s side) int { return s.run.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return agentRunRows(c.AgentRun.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.AgentRun.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AgentRun.Query().Where(agentrun.ID(id)).Count(ctx)
			},
			// Rewriting another workspace's trace.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AgentRun.Update().Where(agentrun.ID(id)).SetLastSeenAt(forgedTime).SetScopes([]string{"admin"}).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AgentRun.UpdateOneID(id).SetLastSeenAt(forgedTime).SetScopes([]string{"admin"}).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AgentRun.Delete().Where(agentrun.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AgentRun.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.AgentRun.Create().SetTenantID(tid).SetRunID("planted").SetAgentID(1).SetClientID("planted").SetLastSeenAt(forgedTime).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(agentrun.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.AgentRun.Query().Where(agentrun.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.AgentRun.Get(ctx, id)
					}),
			},
		},
		{
			name: "ApprovalRequest", table: approvalrequest.Table,
			of: func(s side) int { return s.approval.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return approvalRows(c.ApprovalRequest.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.ApprovalRequest.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.ApprovalRequest.Query().Where(approvalrequest.ID(id)).Count(ctx)
			},
			// Approving another workspace's request.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.ApprovalRequest.Update().Where(approvalrequest.ID(id)).SetStatus(approvalrequest.StatusApproved).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.ApprovalRequest.UpdateOneID(id).SetStatus(approvalrequest.StatusApproved).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.ApprovalRequest.Delete().Where(approvalrequest.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.ApprovalRequest.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.ApprovalRequest.Create().SetTenantID(tid).SetPublicID("apr_planted").SetAuthReqIDHash("planted").
					SetKind(approvalrequest.KindAction).SetClientID("planted").SetAgentID(1).SetUserID(1).
					SetDeliveryMode(approvalrequest.DeliveryModePoll).SetExpiresAt(forgedTime).SetInterval(5).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(approvalrequest.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.ApprovalRequest.Query().Where(approvalrequest.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.ApprovalRequest.Get(ctx, id)
					}),
			},
		},
		{
			name: "TOTPFactor", table: totpfactor.Table,
			of: func(s side) int { return s.totp.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return totpRows(c.TOTPFactor.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.TOTPFactor.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.TOTPFactor.Query().Where(totpfactor.ID(id)).Count(ctx)
			},
			// Confirming another workspace's authenticator app, or burning its time steps.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.TOTPFactor.Update().Where(totpfactor.ID(id)).SetConfirmedAt(forgedTime).SetLastUsedStep(1 << 40).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.TOTPFactor.UpdateOneID(id).SetConfirmedAt(forgedTime).SetLastUsedStep(1 << 40).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.TOTPFactor.Delete().Where(totpfactor.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.TOTPFactor.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.TOTPFactor.Create().SetTenantID(tid).SetUserID(1).SetSecretSealed([]byte("planted")).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(totpfactor.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.TOTPFactor.Query().Where(totpfactor.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.TOTPFactor.Get(ctx, id)
					}),
			},
		},
		{
			name: "RecoveryCode", table: recoverycode.Table,
			of: func(s side) int { return s.recovery.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return recoveryCodeRows(c.RecoveryCode.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.RecoveryCode.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.RecoveryCode.Query().Where(recoverycode.ID(id)).Count(ctx)
			},
			// Spending another workspace's recovery code.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.RecoveryCode.Update().Where(recoverycode.ID(id)).SetUsedAt(forgedTime).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.RecoveryCode.UpdateOneID(id).SetUsedAt(forgedTime).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.RecoveryCode.Delete().Where(recoverycode.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.RecoveryCode.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.RecoveryCode.Create().SetTenantID(tid).SetUserID(1).SetCodeHash(fmt.Sprintf("planted-%d", tid)).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(recoverycode.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.RecoveryCode.Query().Where(recoverycode.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.RecoveryCode.Get(ctx, id)
					}),
			},
		},
		{
			name: "Passkey", table: passkey.Table,
			of: func(s side) int { return s.passkey.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return passkeyRows(c.Passkey.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Passkey.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Passkey.Query().Where(passkey.ID(id)).Count(ctx)
			},
			// Renaming another workspace's passkey, or flagging it as cloned.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Passkey.Update().Where(passkey.ID(id)).SetName("pwned").SetCloneWarning(true).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Passkey.UpdateOneID(id).SetName("pwned").SetCloneWarning(true).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Passkey.Delete().Where(passkey.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Passkey.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.Passkey.Create().SetTenantID(tid).SetUserID(1).SetName("planted").SetCredentialID([]byte(fmt.Sprintf("planted-%d", tid))).
					SetPublicKey([]byte("planted")).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(passkey.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Passkey.Query().Where(passkey.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.Passkey.Get(ctx, id)
					}),
			},
		},
		{
			name: "IdentityProvider", table: identityprovider.Table,
			of: func(s side) int { return s.provider.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return providerRows(c.IdentityProvider.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error {
				return errOnly(c.IdentityProvider.Get(ctx, id))
			},
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.IdentityProvider.Query().Where(identityprovider.ID(id)).Count(ctx)
			},
			// Pointing another workspace's sign-in at a client of one's own.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.IdentityProvider.Update().Where(identityprovider.ID(id)).SetClientID("pwned").SetAllowSignUp(true).SetLinkVerifiedEmail(true).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.IdentityProvider.UpdateOneID(id).SetClientID("pwned").SetAllowSignUp(true).SetLinkVerifiedEmail(true).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.IdentityProvider.Delete().Where(identityprovider.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.IdentityProvider.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.IdentityProvider.Create().SetTenantID(tid).SetSlug("planted").SetKind(identityprovider.KindOidc).SetDisplayName("planted").
					SetClientID("planted").SetIssuer("https://intruder.example").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(identityprovider.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.IdentityProvider.Query().Where(identityprovider.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.IdentityProvider.Get(ctx, id)
					}),
			},
		},
		{
			name: "FederatedIdentity", table: federatedidentity.Table,
			of: func(s side) int { return s.federated.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return federatedRows(c.FederatedIdentity.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error {
				return errOnly(c.FederatedIdentity.Get(ctx, id))
			},
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.FederatedIdentity.Query().Where(federatedidentity.ID(id)).Count(ctx)
			},
			// Changing the address another workspace's linked identity reported.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.FederatedIdentity.Update().Where(federatedidentity.ID(id)).SetEmail("intruder@example.com").SetEmailVerified(true).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.FederatedIdentity.UpdateOneID(id).SetEmail("intruder@example.com").SetEmailVerified(true).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.FederatedIdentity.Delete().Where(federatedidentity.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.FederatedIdentity.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.FederatedIdentity.Create().SetTenantID(tid).SetUserID(1).SetProviderID(1).SetSubject("planted").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(federatedidentity.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.FederatedIdentity.Query().Where(federatedidentity.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.FederatedIdentity.Get(ctx, id)
					}),
			},
		},
		{
			name: "AuthChallenge", table: authchallenge.Table,
			of: func(s side) int { return s.challenge.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return challengeRows(c.AuthChallenge.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.AuthChallenge.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuthChallenge.Query().Where(authchallenge.ID(id)).Count(ctx)
			},
			// Spending another workspace's sign-in in progress.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuthChallenge.Update().Where(authchallenge.ID(id)).SetUsedAt(forgedTime).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AuthChallenge.UpdateOneID(id).SetUsedAt(forgedTime).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.AuthChallenge.Delete().Where(authchallenge.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.AuthChallenge.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.AuthChallenge.Create().SetTenantID(tid).SetKind("mfa").SetTokenHash(fmt.Sprintf("planted-%d", tid)).SetUserID(1).
					SetAmr([]string{"pwd"}).SetExpiresAt(forgedTime).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(authchallenge.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.AuthChallenge.Query().Where(authchallenge.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.AuthChallenge.Get(ctx, id)
					}),
			},
		},
		{
			name: "Webhook", table: webhook.Table,
			of: func(s side) int { return s.webhook.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return webhookRows(c.Webhook.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Webhook.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Webhook.Query().Where(webhook.ID(id)).Count(ctx)
			},
			// Redirecting another workspace's events to an attacker.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Webhook.Update().Where(webhook.ID(id)).SetURL("https://evil.example/hook").Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Webhook.UpdateOneID(id).SetURL("https://evil.example/hook").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Webhook.Delete().Where(webhook.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error { return c.Webhook.DeleteOneID(id).Exec(ctx) },
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.Webhook.Create().SetTenantID(tid).SetURL("https://evil.example/hook").SetSecret([]byte("planted")).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(webhook.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Webhook.Query().Where(webhook.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) { return c.Webhook.Get(ctx, id) }),
			},
		},
		{
			name: "WebhookDelivery", table: webhookdelivery.Table,
			of: func(s side) int { return s.delivery.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				return deliveryRows(c.WebhookDelivery.Query().All(ctx))
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.WebhookDelivery.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.WebhookDelivery.Query().Where(webhookdelivery.ID(id)).Count(ctx)
			},
			// Hiding another workspace's failed delivery, or sending it again.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.WebhookDelivery.Update().Where(webhookdelivery.ID(id)).SetStatus(webhookdelivery.StatusDelivered).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.WebhookDelivery.UpdateOneID(id).SetStatus(webhookdelivery.StatusDelivered).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.WebhookDelivery.Delete().Where(webhookdelivery.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.WebhookDelivery.DeleteOneID(id).Exec(ctx)
			},
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.WebhookDelivery.Create().SetTenantID(tid).SetKind(webhookdelivery.KindWebhook).SetEvent("approval.approved").
					SetURL("https://evil.example/hook").SetNextAttemptAt(forgedTime).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(webhookdelivery.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.WebhookDelivery.Query().Where(webhookdelivery.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.WebhookDelivery.Get(ctx, id)
					}),
			},
		},
		{
			name: "DataKey", table: datakey.Table,
			of: func(s side) int { return s.dataKey.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				xs, err := c.DataKey.Query().All(ctx)
				out := make([]row, len(xs))
				for i, x := range xs {
					out[i] = row{x.ID, x.TenantID, x.String() + " wrapped=" + string(x.Wrapped)}
				}
				return out, err
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.DataKey.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DataKey.Query().Where(datakey.ID(id)).Count(ctx)
			},
			// Swapping another workspace's data key for one the attacker knows.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DataKey.Update().Where(datakey.ID(id)).SetWrapped([]byte("attacker")).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.DataKey.UpdateOneID(id).SetWrapped([]byte("attacker")).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.DataKey.Delete().Where(datakey.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error { return c.DataKey.DeleteOneID(id).Exec(ctx) },
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.DataKey.Create().SetTenantID(tid).SetWrapped([]byte("planted")).SetMasterID("planted").Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(datakey.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.DataKey.Query().Where(datakey.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) { return c.DataKey.Get(ctx, id) }),
			},
		},
		{
			name: "Credential", table: credential.Table,
			of: func(s side) int { return s.credential.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				xs, err := c.Credential.Query().All(ctx)
				out := make([]row, len(xs))
				for i, x := range xs {
					out[i] = row{x.ID, x.TenantID, x.String() + " sealed=" + string(x.Sealed)}
				}
				return out, err
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Credential.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Credential.Query().Where(credential.ID(id)).Count(ctx)
			},
			// Replacing another workspace's secret, or un-revoking it.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Credential.Update().Where(credential.ID(id)).SetSealed([]byte("attacker")).Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Credential.UpdateOneID(id).SetSealed([]byte("attacker")).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Credential.Delete().Where(credential.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error { return c.Credential.DeleteOneID(id).Exec(ctx) },
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.Credential.Create().SetTenantID(tid).SetName("planted").SetKind(credential.KindAPIKey).
					SetOwnerKind(credential.OwnerKindWorkspace).SetSealed([]byte("planted")).SetDataKeyID(0).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(credential.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Credential.Query().Where(credential.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) {
						return c.Credential.Get(ctx, id)
					}),
			},
		},
		{
			name: "Tool", table: tool.Table,
			of: func(s side) int { return s.tool.ID },
			all: func(ctx context.Context, c *ent.Client) ([]row, error) {
				xs, err := c.Tool.Query().All(ctx)
				out := make([]row, len(xs))
				for i, x := range xs {
					out[i] = row{x.ID, x.TenantID, x.String()}
				}
				return out, err
			},
			get: func(ctx context.Context, c *ent.Client, id int) error { return errOnly(c.Tool.Get(ctx, id)) },
			countID: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Tool.Query().Where(tool.ID(id)).Count(ctx)
			},
			// Pointing another workspace's tool, and its credential, at an attacker.
			update: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Tool.Update().Where(tool.ID(id)).SetUpstreamURL("https://evil.example").Save(ctx)
			},
			updateOne: func(ctx context.Context, c *ent.Client, id int) error {
				return c.Tool.UpdateOneID(id).SetUpstreamURL("https://evil.example").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Tool.Delete().Where(tool.ID(id)).Exec(ctx)
			},
			deleteOne: func(ctx context.Context, c *ent.Client, id int) error { return c.Tool.DeleteOneID(id).Exec(ctx) },
			create: func(ctx context.Context, c *ent.Client, tid int) error {
				return c.Tool.Create().SetTenantID(tid).SetName("planted").SetUpstreamURL("https://evil.example").
					SetInjection(tool.InjectionBearer).Exec(ctx)
			},
			edges: []edgeCase{
				tenantEdge(tool.Table,
					func(c *ent.Client, id int) *ent.TenantQuery {
						return c.Tool.Query().Where(tool.ID(id)).QueryTenant()
					},
					func(ctx context.Context, c *ent.Client, id int) (tenantOwner, error) { return c.Tool.Get(ctx, id) }),
			},
		},
	}
}

// forgedTime is a timestamp no fixture row carries.
var forgedTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// setupSide creates a workspace with an owner, a member, an owner API token
// and the audit events those writes leave, all through the service; then,
// directly with the client as the system bound to the workspace (no service
// creates them yet), a session of the owner, a one-time token, a throttle and
// an outbox message.
func setupSide(t *testing.T, ts *tenants.Service, c *ent.Client, slug string) side {
	t.Helper()
	ctx := context.Background()
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug))
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	ownerM, err := ts.AddMember(sys, tenants.NewMember{Email: "owner@" + slug + ".example", Role: viewer.RoleOwner})
	if err != nil {
		t.Fatalf("add owner to %s: %v", slug, err)
	}
	member, err := ts.AddMember(sys, tenants.NewMember{Email: "member@" + slug + ".example", Role: viewer.RoleMember})
	if err != nil {
		t.Fatalf("add member to %s: %v", slug, err)
	}
	tok, _, err := ts.CreateAPIToken(sys, tenants.NewAPIToken{Name: "ci", Role: viewer.RoleOwner})
	if err != nil {
		t.Fatalf("create token in %s: %v", slug, err)
	}
	s := side{tenant: tn, ownerM: ownerM, member: member, token: tok, system: sys, memberUser: member.UserID}
	if s.owner, err = c.User.Get(sys, ownerM.UserID); err != nil {
		t.Fatal(err)
	}
	if s.chain, err = c.AuditChain.Query().Where(auditchain.TenantID(tn.ID)).Only(sys); err != nil {
		t.Fatal(err)
	}
	if s.event, err = c.AuditEvent.Query().Where(auditevent.TenantID(tn.ID), auditevent.Action("member.added")).First(sys); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if s.session, err = c.Session.Create().SetUserID(s.owner.ID).
		SetIDHash("session-" + slug).SetCsrfHash("csrf-" + slug).
		SetLastSeenAt(now).SetExpiresAt(now.Add(12 * time.Hour)).
		SetIP("192.0.2.1").SetUserAgent("test/" + slug).
		SetAmr([]string{"pwd"}).SetAuthTime(now).Save(sys); err != nil {
		t.Fatalf("create session in %s: %v", slug, err)
	}
	if s.ott, err = c.OneTimeToken.Create().SetPurpose(onetimetoken.PurposeVerifyEmail).
		SetTokenHash("ott-" + slug).SetUserID(s.owner.ID).SetEmail(s.owner.Email).
		SetExpiresAt(now.Add(time.Hour)).Save(sys); err != nil {
		t.Fatalf("create one-time token in %s: %v", slug, err)
	}
	// The same key in both workspaces: the key is unique per tenant only.
	if s.throttle, err = c.Throttle.Create().SetKey("ip:192.0.2.1").SetFailures(2).
		SetWindowStart(now).Save(sys); err != nil {
		t.Fatalf("create throttle in %s: %v", slug, err)
	}
	if s.outbox, err = c.OutboxMessage.Create().SetTo(s.owner.Email).SetSubject("Welcome to " + slug).
		SetText("hello").SetHTML("<p>hello</p>").Save(sys); err != nil {
		t.Fatalf("create outbox message in %s: %v", slug, err)
	}
	if s.signingKey, err = c.SigningKey.Create().SetKid("kid-" + slug).SetAlg(signingkey.AlgES256).
		SetPublicJwk(`{"kty":"EC"}`).SetPrivateSealed([]byte("sealed")).SetActivatesAt(now).Save(sys); err != nil {
		t.Fatalf("create signing key in %s: %v", slug, err)
	}
	if s.oauthApp, err = c.OAuthClient.Create().SetClientID("app-" + slug).SetName("App " + slug).
		SetTokenEndpointAuthMethod("client_secret_basic").SetGrantTypes([]string{"authorization_code"}).
		SetRedirectUris([]string{"https://" + slug + ".example/cb"}).Save(sys); err != nil {
		t.Fatalf("create oauth client in %s: %v", slug, err)
	}
	if s.oauthToken, err = c.OAuthToken.Create().SetKind(oauthtoken.KindAccess).SetSignature("sig-" + slug).
		SetRequestID("req-" + slug).SetClientID("app-" + slug).SetActive(false).SetRequestedAt(now).
		SetExpiresAt(now.Add(time.Hour)).SetData([]byte("{}")).Save(sys); err != nil {
		t.Fatalf("create oauth token in %s: %v", slug, err)
	}
	if s.consent, err = c.OAuthConsent.Create().SetUserID(s.owner.ID).SetClientID("app-" + slug).
		SetScopes([]string{"openid"}).Save(sys); err != nil {
		t.Fatalf("create consent in %s: %v", slug, err)
	}
	if s.device, err = c.DeviceAuthorization.Create().SetDeviceCodeHash("dc-" + slug).SetUserCodeHash("uc-" + slug).
		SetClientID("app-" + slug).SetExpiresAt(now.Add(time.Hour)).SetInterval(5).Save(sys); err != nil {
		t.Fatalf("create device authorization in %s: %v", slug, err)
	}
	if s.agent, err = c.Agent.Create().SetName("Agent " + slug).SetSponsorID(s.owner.ID).SetScopeCeiling([]string{"openid"}).
		SetCreatedByKind(agent.CreatedByKindSystem).SetClientID("agent-" + slug).Save(sys); err != nil {
		t.Fatalf("create agent in %s: %v", slug, err)
	}
	if s.grant, err = c.DelegationGrant.Create().SetUserID(s.owner.ID).SetAgentID(s.agent.ID).SetScopes([]string{"openid"}).
		SetExpiresAt(now.Add(time.Hour)).Save(sys); err != nil {
		t.Fatalf("create grant in %s: %v", slug, err)
	}
	if s.run, err = c.AgentRun.Create().SetRunID("run-" + slug).SetAgentID(s.agent.ID).SetClientID("agent-" + slug).
		SetUserID(s.owner.ID).SetGrantID(s.grant.ID).SetScopes([]string{"openid"}).SetLastSeenAt(now).Save(sys); err != nil {
		t.Fatalf("create agent run in %s: %v", slug, err)
	}
	if s.approval, err = c.ApprovalRequest.Create().SetPublicID("apr_" + slug).SetAuthReqIDHash("hash-" + slug).
		SetKind(approvalrequest.KindAction).SetClientID("agent-" + slug).SetAgentID(s.agent.ID).SetUserID(s.owner.ID).
		SetScopes([]string{"openid"}).SetDeliveryMode(approvalrequest.DeliveryModePoll).SetExpiresAt(now.Add(time.Hour)).
		SetInterval(5).Save(sys); err != nil {
		t.Fatalf("create approval request in %s: %v", slug, err)
	}
	if s.totp, err = c.TOTPFactor.Create().SetUserID(s.owner.ID).SetSecretSealed([]byte("sealed-" + slug)).
		SetConfirmedAt(now).Save(sys); err != nil {
		t.Fatalf("create TOTP factor in %s: %v", slug, err)
	}
	if s.recovery, err = c.RecoveryCode.Create().SetUserID(s.owner.ID).SetCodeHash("recovery-" + slug).Save(sys); err != nil {
		t.Fatalf("create recovery code in %s: %v", slug, err)
	}
	if s.passkey, err = c.Passkey.Create().SetUserID(s.owner.ID).SetName("Key " + slug).
		SetCredentialID([]byte("cred-" + slug)).SetPublicKey([]byte("pk-" + slug)).
		SetBackupEligible(true).SetTransports([]string{"internal"}).Save(sys); err != nil {
		t.Fatalf("create passkey in %s: %v", slug, err)
	}
	// The same slug in both workspaces: it is unique per tenant only.
	if s.provider, err = c.IdentityProvider.Create().SetSlug("github").SetKind(identityprovider.KindGithub).
		SetDisplayName("GitHub").SetClientID("gh-" + slug).SetClientSecretSealed([]byte("sealed-" + slug)).Save(sys); err != nil {
		t.Fatalf("create identity provider in %s: %v", slug, err)
	}
	if s.federated, err = c.FederatedIdentity.Create().SetUserID(s.owner.ID).SetProviderID(s.provider.ID).
		SetSubject("subject-" + slug).SetEmail(s.owner.Email).SetEmailVerified(true).Save(sys); err != nil {
		t.Fatalf("create federated identity in %s: %v", slug, err)
	}
	if s.challenge, err = c.AuthChallenge.Create().SetKind("mfa").SetTokenHash("challenge-" + slug).
		SetUserID(s.owner.ID).SetAmr([]string{"pwd"}).SetExpiresAt(now.Add(5 * time.Minute)).Save(sys); err != nil {
		t.Fatalf("create auth challenge in %s: %v", slug, err)
	}
	if s.webhook, err = c.Webhook.Create().SetURL("https://" + slug + ".example/hook").SetEvents([]string{"approval.requested"}).
		SetSecret([]byte("sealed-" + slug)).Save(sys); err != nil {
		t.Fatalf("create webhook in %s: %v", slug, err)
	}
	if s.delivery, err = c.WebhookDelivery.Create().SetKind(webhookdelivery.KindWebhook).SetWebhookID(s.webhook.ID).
		SetEvent("approval.requested").SetURL(s.webhook.URL).SetPayload(`{"type":"approval.requested"}`).
		SetApprovalID("apr_" + slug).SetNextAttemptAt(now).Save(sys); err != nil {
		t.Fatalf("create webhook delivery in %s: %v", slug, err)
	}
	if s.dataKey, err = c.DataKey.Create().SetWrapped([]byte("wrapped-" + slug)).SetMasterID("master").Save(sys); err != nil {
		t.Fatalf("create data key in %s: %v", slug, err)
	}
	if s.credential, err = c.Credential.Create().SetName("stripe").SetKind(credential.KindAPIKey).
		SetOwnerKind(credential.OwnerKindWorkspace).SetSealed([]byte("sealed-" + slug)).SetDataKeyID(s.dataKey.ID).Save(sys); err != nil {
		t.Fatalf("create credential in %s: %v", slug, err)
	}
	// The same name in both workspaces: it is unique per tenant only.
	if s.tool, err = c.Tool.Create().SetName("billing").SetUpstreamURL("https://billing." + slug + ".example").
		SetInjection(tool.InjectionBearer).SetCredentialID(s.credential.ID).Save(sys); err != nil {
		t.Fatalf("create tool in %s: %v", slug, err)
	}
	for name, tid := range map[string]int{
		"data key": s.dataKey.TenantID, "credential": s.credential.TenantID, "tool": s.tool.TenantID,
		"agent": s.agent.TenantID, "grant": s.grant.TenantID,
		"oauth client": s.oauthApp.TenantID, "oauth token": s.oauthToken.TenantID,
		"consent": s.consent.TenantID, "device authorization": s.device.TenantID,
		"session": s.session.TenantID, "one-time token": s.ott.TenantID,
		"throttle": s.throttle.TenantID, "outbox message": s.outbox.TenantID,
		"signing key": s.signingKey.TenantID, "agent run": s.run.TenantID,
		"TOTP factor": s.totp.TenantID, "recovery code": s.recovery.TenantID,
		"passkey": s.passkey.TenantID, "identity provider": s.provider.TenantID,
		"federated identity": s.federated.TenantID, "auth challenge": s.challenge.TenantID,
		"webhook": s.webhook.TenantID, "webhook delivery": s.delivery.TenantID,
	} {
		if tid != tn.ID {
			t.Fatalf("%s created as the system in %s has tenant %d, want %d", name, slug, tid, tn.ID)
		}
	}
	s.viewerCtx = viewer.NewContext(ctx, viewer.Viewer{
		TenantID: tn.ID, Kind: viewer.APIToken, ID: tok.ID, Label: "t", Role: viewer.RoleOwner,
	})
	return s
}

// tenantState is every row of tenant tid, read as the system, to prove an
// attack changed nothing.
func tenantState(t *testing.T, c *ent.Client, tid int) map[string][]string {
	t.Helper()
	sys := viewer.AsSystem(context.Background(), "test: read state")
	out := map[string][]string{}
	for _, e := range entities() {
		rows, err := e.all(sys, c)
		if err != nil {
			t.Fatalf("%s: read as system: %v", e.name, err)
		}
		for _, r := range rows {
			if r.tenant == tid {
				out[e.name] = append(out[e.name], r.text)
			}
		}
		sort.Strings(out[e.name])
	}
	return out
}

func diffState(t *testing.T, who string, before, after map[string][]string) {
	t.Helper()
	for name, rows := range before {
		if !slices.Equal(rows, after[name]) {
			t.Errorf("%s's %s rows changed:\nbefore %q\nafter  %q", who, name, rows, after[name])
		}
	}
}

func TestTenantIsolation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := db.Client
		ts := tenants.NewService(c, audit.NewRecorder())
		a := setupSide(t, ts, c, "a")
		b := setupSide(t, ts, c, "b")
		actx := a.viewerCtx
		bBefore := tenantState(t, c, b.tenant.ID)

		for _, e := range entities() {
			t.Run(e.name, func(t *testing.T) {
				aID, bID := e.of(a), e.of(b)
				if aID == 0 || bID == 0 || aID == bID {
					t.Fatalf("fixture has no distinct rows of %s: a=%d b=%d", e.name, aID, bID)
				}

				rows, err := e.all(actx, c)
				if err != nil {
					t.Fatalf("Query().All as A: %v", err)
				}
				if len(rows) == 0 {
					t.Fatalf("Query().All as A returned nothing: the filter hides A's own rows")
				}
				for _, r := range rows {
					if r.tenant != a.tenant.ID {
						t.Errorf("Query().All as A returned row %d of tenant %d", r.id, r.tenant)
					}
				}
				if err := e.get(actx, c, aID); err != nil {
					t.Errorf("Get(A's own row) as A: %v", err)
				}

				if err := e.get(actx, c, bID); !ent.IsNotFound(err) {
					t.Errorf("Get(B's row) as A: err = %v, want not found", err)
				}
				if n, err := e.countID(actx, c, bID); err != nil || n != 0 {
					t.Errorf("Query().Where(id == B's).Count() as A = %d, %v; want 0", n, err)
				}
				if n, err := e.countID(actx, c, aID); err != nil || n != 1 {
					t.Errorf("Query().Where(id == A's).Count() as A = %d, %v; want 1", n, err)
				}

				// Changes to B's row.
				n, err := e.update(actx, c, bID)
				switch {
				case e.appendOnly && err == nil:
					t.Errorf("Update().Where(id == B's) as A succeeded on an append-only entity (%d rows)", n)
				case !e.appendOnly && (err != nil || n != 0):
					t.Errorf("Update().Where(id == B's) as A = %d rows, %v; want 0 rows", n, err)
				}
				err = e.updateOne(actx, c, bID)
				switch {
				case e.appendOnly && err == nil:
					t.Errorf("UpdateOneID(B's) as A succeeded on an append-only entity")
				case !e.appendOnly && !ent.IsNotFound(err):
					t.Errorf("UpdateOneID(B's) as A: err = %v, want not found", err)
				}
				if n, err := e.delete(actx, c, bID); err == nil && n != 0 {
					t.Errorf("Delete().Where(id == B's) as A deleted %d rows", n)
				}
				if err := e.deleteOne(actx, c, bID); err == nil {
					t.Errorf("DeleteOneID(B's) as A succeeded")
				}
				if err := e.get(b.system, c, bID); err != nil {
					t.Errorf("B's row is gone after A's attempts (read as system): %v", err)
				}

				// Creating a row in B.
				if e.create != nil {
					if err := e.create(actx, c, b.tenant.ID); !errors.Is(err, privacy.Deny) {
						t.Errorf("create in B as A: err = %v, want a privacy denial", err)
					}
				}

				// Edges reach only A's rows.
				for _, ed := range e.edges {
					got, err := ed.viaQuery(actx, c, aID)
					if err != nil || len(got) == 0 {
						t.Errorf("edge %s from A's row as A: %d rows, %v; want A's rows", ed.name, len(got), err)
					}
					for _, r := range got {
						if r.tenant != a.tenant.ID {
							t.Errorf("edge %s from A's row reached row %d of tenant %d", ed.name, r.id, r.tenant)
						}
					}
					if got, err := ed.viaQuery(actx, c, bID); err != nil || len(got) != 0 {
						t.Errorf("edge %s via a query from B's row as A: %v, %v; want nothing", ed.name, got, err)
					}
					if got, err := ed.viaRow(b.system, actx, c, bID); err != nil || len(got) != 0 {
						t.Errorf("edge %s from B's row (loaded as system) traversed as A: %v, %v; want nothing", ed.name, got, err)
					}
				}
			})
		}

		t.Run("edge predicates", func(t *testing.T) {
			// A filter naming B's rows through an edge finds nothing.
			n, err := c.Membership.Query().Where(membership.HasUserWith(user.ID(b.memberUser))).Count(actx)
			if err != nil || n != 0 {
				t.Errorf("memberships with B's user as A = %d, %v; want 0", n, err)
			}
			n, err = c.User.Query().Where(user.HasMembershipWith(membership.ID(b.member.ID))).Count(actx)
			if err != nil || n != 0 {
				t.Errorf("users with B's membership as A = %d, %v; want 0", n, err)
			}
			n, err = c.User.Query().Where(user.EmailHasSuffix("@b.example")).Count(actx)
			if err != nil || n != 0 {
				t.Errorf("users with B's addresses as A = %d, %v; want 0", n, err)
			}
			n, err = c.Session.Query().Where(session.HasUserWith(user.ID(b.owner.ID))).Count(actx)
			if err != nil || n != 0 {
				t.Errorf("sessions with B's user as A = %d, %v; want 0", n, err)
			}
			n, err = c.User.Query().Where(user.HasSessionsWith(session.ID(b.session.ID))).Count(actx)
			if err != nil || n != 0 {
				t.Errorf("users with B's session as A = %d, %v; want 0", n, err)
			}
			// Eager loading follows the same rules.
			ms, err := c.Membership.Query().WithUser().WithTenant().All(actx)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.Edges.User == nil || m.Edges.User.TenantID != a.tenant.ID || m.Edges.Tenant == nil || m.Edges.Tenant.ID != a.tenant.ID {
					t.Errorf("membership %d eager-loaded user %+v tenant %+v; want A's", m.ID, m.Edges.User, m.Edges.Tenant)
				}
			}
			ss, err := c.Session.Query().WithUser().WithTenant().All(actx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) == 0 {
				t.Errorf("sessions as A: none; want A's")
			}
			for _, s := range ss {
				if s.Edges.User == nil || s.Edges.User.TenantID != a.tenant.ID || s.Edges.Tenant == nil || s.Edges.Tenant.ID != a.tenant.ID {
					t.Errorf("session %d eager-loaded user %+v tenant %+v; want A's", s.ID, s.Edges.User, s.Edges.Tenant)
				}
			}
			us, err := c.User.Query().WithSessions().All(actx)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range us {
				for _, s := range u.Edges.Sessions {
					if s.TenantID != a.tenant.ID {
						t.Errorf("user %d eager-loaded session %d of tenant %d; want A's", u.ID, s.ID, s.TenantID)
					}
				}
			}
		})

		t.Run("no tenant", func(t *testing.T) {
			none := context.Background()
			aBefore := tenantState(t, c, a.tenant.ID)
			for _, e := range entities() {
				if rows, err := e.all(none, c); err == nil && len(rows) != 0 {
					t.Errorf("%s: Query().All with no tenant returned %d rows", e.name, len(rows))
				}
				if n, err := e.countID(none, c, e.of(a)); err == nil && n != 0 {
					t.Errorf("%s: Count with no tenant = %d", e.name, n)
				}
				if err := e.get(none, c, e.of(a)); err == nil {
					t.Errorf("%s: Get with no tenant succeeded", e.name)
				}
				if n, err := e.update(none, c, e.of(a)); err == nil && n != 0 {
					t.Errorf("%s: Update with no tenant changed %d rows", e.name, n)
				}
				if err := e.updateOne(none, c, e.of(a)); err == nil {
					t.Errorf("%s: UpdateOneID with no tenant succeeded", e.name)
				}
				if err := e.deleteOne(none, c, e.of(a)); err == nil {
					t.Errorf("%s: DeleteOneID with no tenant succeeded", e.name)
				}
				if e.create != nil {
					if err := e.create(none, c, a.tenant.ID); err == nil {
						t.Errorf("%s: create with no tenant succeeded", e.name)
					}
				}
			}
			diffState(t, "A", aBefore, tenantState(t, c, a.tenant.ID))
		})

		diffState(t, "B", bBefore, tenantState(t, c, b.tenant.ID))
	})
}

// TestIsolationTableCoversEveryEntity fails when an ent entity, or a foreign
// key between entities, has no entry in the isolation table above.
func TestIsolationTableCoversEveryEntity(t *testing.T) {
	byTable := map[string]entityCase{}
	fks := map[string]bool{}
	for _, e := range entities() {
		if _, dup := byTable[e.table]; dup {
			t.Errorf("table %s is listed twice in the isolation table", e.table)
		}
		byTable[e.table] = e
		for _, ed := range e.edges {
			fks[ed.fk] = true
		}
	}
	known := map[string]bool{}
	for _, tbl := range migrate.Tables {
		known[tbl.Name] = true
		if isJoinTable(tbl.Name) {
			continue
		}
		if _, ok := byTable[tbl.Name]; !ok {
			t.Errorf("ent entity with table %q has no entry in the isolation table: add one to entities() in tenants/isolation_test.go", tbl.Name)
		}
		for _, fk := range tbl.ForeignKeys {
			for _, col := range fk.Columns {
				key := tbl.Name + "." + col.Name
				if !fks[key] {
					t.Errorf("foreign key %s (to %s) has no edge in the isolation table: add its edge to entities() in tenants/isolation_test.go", key, fk.RefTable.Name)
				}
			}
		}
	}
	for name, e := range byTable {
		if !known[name] {
			t.Errorf("isolation table entry %s names table %q, which ent no longer has", e.name, name)
		}
	}
}

// joinTables holds many-to-many join tables; they have no entity of their
// own and carry their tenant through the rows they join. None today.
var joinTables = map[string]bool{}

func isJoinTable(name string) bool { return joinTables[name] }

// TestEveryTableIsTenantOwned: every table carries a non-null tenant_id
// referencing tenants, except the tenants table itself and join tables.
func TestEveryTableIsTenantOwned(t *testing.T) {
	notOwned := map[string]bool{tenant.Table: true}
	for _, tbl := range migrate.Tables {
		if notOwned[tbl.Name] || isJoinTable(tbl.Name) {
			continue
		}
		col, ok := tbl.Column("tenant_id")
		if !ok {
			t.Errorf("table %s has no tenant_id column: embed schema.TenantMixin (or allow-list it here with a reason)", tbl.Name)
			continue
		}
		if col.Nullable {
			t.Errorf("%s.tenant_id is nullable", tbl.Name)
		}
		refs := false
		for _, fk := range tbl.ForeignKeys {
			if len(fk.Columns) == 1 && fk.Columns[0].Name == "tenant_id" && fk.RefTable != nil && fk.RefTable.Name == tenant.Table {
				refs = true
			}
		}
		if !refs {
			t.Errorf("%s.tenant_id does not reference %s", tbl.Name, tenant.Table)
		}
	}
}

// TestSystemInATenantStaysInIt: the service acting as the system inside one
// workspace (the CLI's `user create --tenant`, the demo seed) must not read
// or change another workspace. The system bypasses the privacy filters, so
// each service lookup has to stay in the bound tenant on its own.
func TestSystemInATenantStaysInIt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := db.Client
		ts := tenants.NewService(c, audit.NewRecorder())
		a := setupSide(t, ts, c, "a")
		b := setupSide(t, ts, c, "b")
		if _, err := ts.AddMember(a.system, tenants.NewMember{Email: "shared@example.com", Role: viewer.RoleMember}); err != nil {
			t.Fatal(err)
		}
		gone, err := ts.AddMember(a.system, tenants.NewMember{Email: "gone@example.com", Role: viewer.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.RemoveMember(a.system, gone.ID); err != nil {
			t.Fatal(err)
		}
		aBefore := tenantState(t, c, a.tenant.ID)

		for _, email := range []string{"shared@example.com", "gone@example.com"} {
			t.Run("add "+email+" to B", func(t *testing.T) {
				m, err := ts.AddMember(b.system, tenants.NewMember{Email: email, Role: viewer.RoleMember})
				if err != nil {
					t.Fatalf("AddMember in B of an address A also has: %v; want a new user in B", err)
				}
				u, err := c.User.Get(b.system, m.UserID)
				if err != nil {
					t.Fatal(err)
				}
				if m.TenantID != b.tenant.ID || u.TenantID != b.tenant.ID {
					t.Errorf("membership in tenant %d links user %d of tenant %d; want both in B (%d)", m.TenantID, u.ID, u.TenantID, b.tenant.ID)
				}
			})
		}
		t.Run("change role of A's membership", func(t *testing.T) {
			if _, err := ts.ChangeRole(b.system, a.member.ID, viewer.RoleOwner); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("ChangeRole as system in B on A's membership: %v; want not found", err)
			}
		})
		t.Run("remove A's membership", func(t *testing.T) {
			if err := ts.RemoveMember(b.system, a.member.ID); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("RemoveMember as system in B on A's membership: %v; want not found", err)
			}
		})
		t.Run("revoke A's token", func(t *testing.T) {
			if _, err := ts.RevokeAPIToken(b.system, a.token.ID); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("RevokeAPIToken as system in B on A's token: %v; want not found", err)
			}
		})
		t.Run("B keeps its only owner", func(t *testing.T) {
			// A has an owner too; only B's owners count.
			if _, err := ts.ChangeRole(b.system, b.ownerM.ID, viewer.RoleMember); apperr.KindOf(err) != apperr.Conflict {
				t.Errorf("demoting B's only owner as system in B: %v; want a conflict", err)
			}
			if err := ts.RemoveMember(b.system, b.ownerM.ID); apperr.KindOf(err) != apperr.Conflict {
				t.Errorf("removing B's only owner as system in B: %v; want a conflict", err)
			}
		})
		diffState(t, "A", aBefore, tenantState(t, c, a.tenant.ID))
	})
}

// TestNoCrossTenantReferences: a row of A may not point at a row of B. The
// privacy rules check the tenant of the new row; its edges must stay in that
// tenant too, or A could tie up B's rows (memberships.user_id is unique).
func TestNoCrossTenantReferences(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := db.Client
		ts := tenants.NewService(c, audit.NewRecorder())
		a := setupSide(t, ts, c, "a")
		b := setupSide(t, ts, c, "b")
		// A user of B with no membership yet (invited, or removed).
		lone, err := c.User.Create().SetEmail("lone@b.example").Save(b.system)
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.Membership.Create().SetUserID(lone.ID).SetRole(membership.RoleMember).Save(a.viewerCtx)
		if err == nil {
			t.Errorf("A created membership %d (tenant %d) for B's user %d; want it refused", m.ID, m.TenantID, lone.ID)
		}
		if _, err := ts.AddMember(b.system, tenants.NewMember{Email: "lone@b.example", Role: viewer.RoleMember}); err != nil {
			t.Errorf("B cannot add its own user after A's attempt: %v", err)
		}

		// A session of A signing in B's user. Everything else about the
		// session is valid: the same create for B's user in B succeeds.
		newSession := func(ctx context.Context, uid int, idHash string) (*ent.Session, error) {
			now := time.Now()
			return c.Session.Create().SetUserID(uid).SetIDHash(idHash).SetCsrfHash("csrf").
				SetLastSeenAt(now).SetExpiresAt(now.Add(time.Hour)).
				SetAmr([]string{"pwd"}).SetAuthTime(now).Save(ctx)
		}
		for who, ctx := range map[string]context.Context{"A's viewer": a.viewerCtx, "the system in A": a.system} {
			s, err := newSession(ctx, lone.ID, "cross-"+who)
			if err == nil {
				t.Errorf("%s created session %d (tenant %d) for B's user %d; want it refused", who, s.ID, s.TenantID, lone.ID)
			} else if !errors.Is(err, privacy.Deny) {
				t.Errorf("%s creating a session for B's user: err = %v, want a privacy denial", who, err)
			}
		}
		if n, err := c.Session.Query().Where(session.UserID(lone.ID)).Count(viewer.AsSystem(context.Background(), "test")); err != nil || n != 0 {
			t.Errorf("sessions of B's user after A's attempts = %d, %v; want 0", n, err)
		}
		if _, err := newSession(b.system, lone.ID, "own-b"); err != nil {
			t.Errorf("B cannot create a session for its own user: %v", err)
		}
	})
}
