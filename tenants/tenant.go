package tenants

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/schema"
	"github.com/mandatehq/mandate/ent/tenant"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// reservedSlugs cannot name a workspace: they would shadow routes.
var reservedSlugs = map[string]bool{"admin": true, "api": true, "assets": true, "static": true, "system": true, "well-known": true}

// ValidateSlug reports what is wrong with a workspace slug.
func ValidateSlug(slug string) error {
	switch {
	case !schema.SlugPattern.MatchString(slug):
		return apperr.InvalidField("slug", "slug must be 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen")
	case reservedSlugs[slug]:
		return apperr.InvalidField("slug", "slug %q is reserved", slug)
	}
	return nil
}

// CreateTenant creates a workspace with default settings and starts its
// audit chain. Only the system creates workspaces (the CLI, the demo seed).
func (s *Service) CreateTenant(ctx context.Context, slug, name string) (*ent.Tenant, error) {
	if !viewer.FromContext(ctx).IsSystem() {
		return nil, apperr.New(apperr.Forbidden, "only an operator can create a workspace")
	}
	slug = strings.TrimSpace(slug)
	name = strings.TrimSpace(name)
	if err := ValidateSlug(slug); err != nil {
		return nil, err
	}
	if name == "" || len(name) > 200 {
		return nil, apperr.InvalidField("name", "name must be 1-200 characters")
	}
	var t *ent.Tenant
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		exists, err := tx.Tenant.Query().Where(tenant.Slug(slug)).Exist(ctx)
		if err != nil {
			return apperr.Wrap(err, "workspace")
		}
		if exists {
			return apperr.New(apperr.Conflict, "a workspace with slug %q already exists", slug)
		}
		t, err = tx.Tenant.Create().SetSlug(slug).SetName(name).SetSettings(settings.Default()).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "workspace")
		}
		if err := audit.StartChain(ctx, tx, t.ID); err != nil {
			return apperr.Wrap(err, "audit chain")
		}
		tctx := viewer.ForTenant(ctx, t.ID)
		_, err = s.audit.Record(tctx, tx, audit.Event{
			Action: "tenant.created", TargetType: "tenant", TargetID: strconv.Itoa(t.ID),
			Details: map[string]string{"slug": slug, "name": name},
		})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TenantBySlug resolves a workspace from the slug in a URL or a CLI flag.
// It is system work: the caller is not bound to a tenant yet.
func (s *Service) TenantBySlug(ctx context.Context, slug string) (*ent.Tenant, error) {
	sys := viewer.AsSystem(ctx, "resolve workspace slug")
	t, err := s.client.Tenant.Query().Where(tenant.Slug(slug)).Only(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "workspace")
	}
	s.slugs.Store(slug, t.ID)
	return t, nil
}

// TenantIDBySlug is TenantBySlug for the hot path: cached in memory.
func (s *Service) TenantIDBySlug(ctx context.Context, slug string) (int, error) {
	if id, ok := s.slugs.Load(slug); ok {
		return id.(int), nil
	}
	if !schema.SlugPattern.MatchString(slug) {
		return 0, apperr.New(apperr.NotFound, "workspace not found")
	}
	t, err := s.TenantBySlug(ctx, slug)
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}

// ListTenants lists every workspace (operators only).
func (s *Service) ListTenants(ctx context.Context) ([]*ent.Tenant, error) {
	if !viewer.FromContext(ctx).IsSystem() {
		return nil, apperr.New(apperr.Forbidden, "only an operator can list workspaces")
	}
	ts, err := s.client.Tenant.Query().Order(ent.Asc(tenant.FieldSlug)).All(ctx)
	return ts, apperr.Wrap(err, "workspaces")
}

// SettingsUpdate is a partial change of a workspace's name and policy.
type SettingsUpdate struct {
	Name                   *string
	SignUpMode             *string
	SessionLifetimeMinutes *int
	SessionIdleMinutes     *int
	AuditRetentionDays     *int
	AccessTokenMinutes     *int
	RefreshTokenDays       *int
	IDTokenMinutes         *int
	ClientRegistration     *string
	MFAPolicy              *string
	StepUpMinutes          *int
	PasskeyRPID            *string
	PasskeyOrigins         *[]string
	// Scopes replaces the scope catalog.
	Scopes *[]settings.Scope
	// KeepScopeRules keeps, for each scope of Scopes that names none, the
	// minimum role and approval rule the catalog held under that name: an
	// edit of names and descriptions does not drop them.
	KeepScopeRules bool
	// DetailTypes replaces the authorization_details types.
	DetailTypes *[]settings.DetailType
}

// UpdateSettings changes the viewer's workspace. Admins only.
func (s *Service) UpdateSettings(ctx context.Context, in SettingsUpdate) (*ent.Tenant, error) {
	v, err := requireRole(ctx, viewer.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var out *ent.Tenant
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		t, err := tx.Tenant.Get(ctx, v.TenantID)
		if err != nil {
			return apperr.Wrap(err, "workspace")
		}
		next := t.Settings
		changed := map[string]string{}
		if in.SignUpMode != nil {
			next.SignUpMode = settings.SignUpMode(*in.SignUpMode)
			changed["signUpMode"] = *in.SignUpMode
		}
		if in.SessionLifetimeMinutes != nil {
			next.SessionLifetimeMinutes = *in.SessionLifetimeMinutes
			changed["sessionLifetimeMinutes"] = strconv.Itoa(*in.SessionLifetimeMinutes)
		}
		if next.SessionIdleMinutes == 0 {
			next.SessionIdleMinutes = next.IdleMinutes()
		}
		if in.SessionIdleMinutes != nil {
			next.SessionIdleMinutes = *in.SessionIdleMinutes
			changed["sessionIdleMinutes"] = strconv.Itoa(*in.SessionIdleMinutes)
		} else if next.SessionIdleMinutes > next.SessionLifetimeMinutes {
			// A shorter lifetime shortens the idle timeout with it.
			next.SessionIdleMinutes = next.SessionLifetimeMinutes
		}
		if in.AuditRetentionDays != nil {
			next.AuditRetentionDays = *in.AuditRetentionDays
			changed["auditRetentionDays"] = strconv.Itoa(*in.AuditRetentionDays)
		}
		for key, pair := range map[string]struct{ in, to *int }{
			"accessTokenMinutes": {in.AccessTokenMinutes, &next.AccessTokenMinutes},
			"refreshTokenDays":   {in.RefreshTokenDays, &next.RefreshTokenDays},
			"idTokenMinutes":     {in.IDTokenMinutes, &next.IDTokenMinutes},
		} {
			if pair.in != nil {
				*pair.to = *pair.in
				changed[key] = strconv.Itoa(*pair.in)
			}
		}
		if in.ClientRegistration != nil {
			next.ClientRegistration = *in.ClientRegistration
			changed["clientRegistration"] = *in.ClientRegistration
		}
		if in.MFAPolicy != nil {
			next.MFAPolicy = settings.MFAPolicy(*in.MFAPolicy)
			changed["mfaPolicy"] = *in.MFAPolicy
		}
		if in.StepUpMinutes != nil {
			next.StepUpMinutes = *in.StepUpMinutes
			changed["stepUpMinutes"] = strconv.Itoa(*in.StepUpMinutes)
		}
		if in.PasskeyRPID != nil {
			next.PasskeyRPID = strings.TrimSpace(*in.PasskeyRPID)
			changed["passkeyRpId"] = next.PasskeyRPID
		}
		if in.PasskeyOrigins != nil {
			next.PasskeyOrigins = *in.PasskeyOrigins
			changed["passkeyOrigins"] = strings.Join(next.PasskeyOrigins, " ")
		}
		if in.Scopes != nil {
			next.Scopes = slices.Clone(*in.Scopes)
			if in.KeepScopeRules {
				for i, sc := range next.Scopes {
					for _, old := range t.Settings.Scopes {
						if old.Name == sc.Name && sc.MinRole == "" && sc.Approval == nil {
							next.Scopes[i].MinRole, next.Scopes[i].Approval = old.MinRole, old.Approval
						}
					}
				}
			}
			names := make([]string, len(next.Scopes))
			for i, sc := range next.Scopes {
				names[i] = sc.Name
			}
			changed["scopes"] = strings.Join(names, " ")
			changed["approval_scopes"] = approvalSummary(next.Scopes, nil)
		}
		if in.DetailTypes != nil {
			next.DetailTypes = *in.DetailTypes
			changed["detailTypes"] = strings.Join(next.DetailTypeNames(), " ")
			changed["approval_types"] = approvalSummary(nil, next.DetailTypes)
		}
		if err := next.Validate(); err != nil {
			return apperr.InvalidField("settings", "%s", err.Error())
		}
		upd := tx.Tenant.UpdateOne(t).SetSettings(next)
		if in.Name != nil {
			name := strings.TrimSpace(*in.Name)
			if name == "" || len(name) > 200 {
				return apperr.InvalidField("name", "name must be 1-200 characters")
			}
			upd.SetName(name)
			changed["name"] = name
		}
		out, err = upd.Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "workspace")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{
			Action: "tenant.settings_updated", TargetType: "tenant", TargetID: strconv.Itoa(t.ID),
			Details: changed,
		})
		return apperr.Wrap(err, "audit event")
	})
	if err == nil && s.OnSettingsChange != nil {
		s.OnSettingsChange(out.ID)
	}
	return out, err
}

// approvalSummary names, for the audit event, what needs approval and who
// approves: "refunds:execute(subject,10m) refund(admin,30m)".
func approvalSummary(scopes []settings.Scope, types []settings.DetailType) string {
	var parts []string
	add := func(name string, r *settings.ApprovalRule) {
		if r == nil {
			return
		}
		who := r.ApproverRole
		if who == "" {
			who = "subject"
		}
		parts = append(parts, name+"("+who+","+r.Wait().String()+")")
	}
	for _, sc := range scopes {
		add(sc.Name, sc.Approval)
	}
	for _, d := range types {
		add(d.Type, d.Approval)
	}
	return strings.Join(parts, " ")
}
