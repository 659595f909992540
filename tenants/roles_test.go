package tenants_test

import (
	"context"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

type roleWorld struct {
	ts      *tenants.Service
	client  *ent.Client
	sys     context.Context
	tenant  int
	owner   *ent.Membership
	admin   *ent.Membership
	member  *ent.Membership
	ownerTk *ent.APIToken
	as      func(r viewer.Role) context.Context
}

func newRoleWorld(t *testing.T, now func() time.Time) roleWorld {
	t.Helper()
	db := testdb.Open(t, "sqlite3")
	rec := &audit.Recorder{Now: now}
	ts := tenants.NewService(db.Client, rec)
	ctx := context.Background()
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	w := roleWorld{ts: ts, client: db.Client, sys: sys, tenant: tn.ID}
	add := func(email string, r viewer.Role) *ent.Membership {
		m, err := ts.AddMember(sys, tenants.NewMember{Email: email, Role: r})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	w.owner, w.admin, w.member = add("owner@acme.test", viewer.RoleOwner), add("admin@acme.test", viewer.RoleAdmin), add("member@acme.test", viewer.RoleMember)
	w.ownerTk, _, err = ts.CreateAPIToken(sys, tenants.NewAPIToken{Name: "owner token", Role: viewer.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	w.as = func(r viewer.Role) context.Context {
		return viewer.NewContext(ctx, viewer.Viewer{TenantID: tn.ID, Kind: viewer.APIToken, ID: 99, Label: string(r) + " token", Role: r})
	}
	return w
}

// The role rules, as a table: who may do what to whom.
func TestRoleRules(t *testing.T) {
	type op func(w roleWorld, ctx context.Context) error
	addAs := func(r viewer.Role) op {
		return func(w roleWorld, ctx context.Context) error {
			_, err := w.ts.AddMember(ctx, tenants.NewMember{Email: "new-" + string(r) + "@acme.test", Role: r})
			return err
		}
	}
	promote := func(pick func(roleWorld) *ent.Membership, to viewer.Role) op {
		return func(w roleWorld, ctx context.Context) error {
			_, err := w.ts.ChangeRole(ctx, pick(w).ID, to)
			return err
		}
	}
	remove := func(pick func(roleWorld) *ent.Membership) op {
		return func(w roleWorld, ctx context.Context) error { return w.ts.RemoveMember(ctx, pick(w).ID) }
	}
	token := func(r viewer.Role) op {
		return func(w roleWorld, ctx context.Context) error {
			_, _, err := w.ts.CreateAPIToken(ctx, tenants.NewAPIToken{Name: "x", Role: r})
			return err
		}
	}
	revokeOwnerToken := func(w roleWorld, ctx context.Context) error {
		_, err := w.ts.RevokeAPIToken(ctx, w.ownerTk.ID)
		return err
	}
	settings := func(w roleWorld, ctx context.Context) error {
		n := "Acme Corp"
		_, err := w.ts.UpdateSettings(ctx, tenants.SettingsUpdate{Name: &n})
		return err
	}
	member := func(w roleWorld) *ent.Membership { return w.member }
	admin := func(w roleWorld) *ent.Membership { return w.admin }
	owner := func(w roleWorld) *ent.Membership { return w.owner }

	const ok, forbidden, conflict = "", apperr.Forbidden, apperr.Conflict
	cases := []struct {
		name string
		as   viewer.Role
		do   op
		want apperr.Kind
	}{
		{"member adds a member", viewer.RoleMember, addAs(viewer.RoleMember), forbidden},
		{"admin adds a member", viewer.RoleAdmin, addAs(viewer.RoleMember), ok},
		{"admin adds an admin", viewer.RoleAdmin, addAs(viewer.RoleAdmin), forbidden},
		{"owner adds an admin", viewer.RoleOwner, addAs(viewer.RoleAdmin), ok},
		{"owner adds an owner", viewer.RoleOwner, addAs(viewer.RoleOwner), ok},
		{"admin promotes a member to admin", viewer.RoleAdmin, promote(member, viewer.RoleAdmin), forbidden},
		{"admin demotes an admin", viewer.RoleAdmin, promote(admin, viewer.RoleMember), forbidden},
		{"owner promotes a member to admin", viewer.RoleOwner, promote(member, viewer.RoleAdmin), ok},
		{"owner demotes the last owner", viewer.RoleOwner, promote(owner, viewer.RoleAdmin), conflict},
		{"member removes a member", viewer.RoleMember, remove(member), forbidden},
		{"admin removes a member", viewer.RoleAdmin, remove(member), ok},
		{"admin removes an admin", viewer.RoleAdmin, remove(admin), forbidden},
		{"owner removes the last owner", viewer.RoleOwner, remove(owner), conflict},
		{"member creates a token", viewer.RoleMember, token(viewer.RoleMember), forbidden},
		{"admin creates an admin token", viewer.RoleAdmin, token(viewer.RoleAdmin), ok},
		{"admin creates an owner token", viewer.RoleAdmin, token(viewer.RoleOwner), forbidden},
		{"admin revokes an owner token", viewer.RoleAdmin, revokeOwnerToken, forbidden},
		{"owner revokes an owner token", viewer.RoleOwner, revokeOwnerToken, ok},
		{"member changes settings", viewer.RoleMember, settings, forbidden},
		{"admin changes settings", viewer.RoleAdmin, settings, ok},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newRoleWorld(t, time.Now)
			before := countEvents(t, w)
			err := tc.do(w, w.as(tc.as))
			if tc.want == ok {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				if countEvents(t, w) <= before {
					t.Fatal("the change wrote no audit event")
				}
				return
			}
			if apperr.KindOf(err) != tc.want {
				t.Fatalf("want %s, got %v", tc.want, err)
			}
			if countEvents(t, w) != before {
				t.Fatal("a refused change wrote an audit event")
			}
		})
	}
}

func countEvents(t *testing.T, w roleWorld) int {
	t.Helper()
	n, err := w.client.AuditEvent.Query().Where(auditevent.TenantID(w.tenant)).Count(w.sys)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAPITokenLifecycle(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	w := newRoleWorld(t, clock)
	exp := now.Add(time.Hour)
	tk, secret, err := w.ts.CreateAPIToken(w.sys, tenants.NewAPIToken{Name: "ci", Role: viewer.RoleAdmin, ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := w.ts.AuthenticateAPIToken(ctx, w.tenant, secret)
	if err != nil || v.Role != viewer.RoleAdmin || v.ID != tk.ID || v.Kind != viewer.APIToken {
		t.Fatalf("fresh token: %+v, %v", v, err)
	}
	// Only the hash is stored.
	stored, _ := w.client.APIToken.Get(w.sys, tk.ID)
	if stored.TokenHash == secret || len(stored.TokenHash) != 64 {
		t.Fatal("the token is not stored hashed")
	}
	for name, tok := range map[string]string{
		"tampered":         secret[:len(secret)-1] + "x",
		"no prefix":        secret[4:],
		"empty":            "",
		"another tenant's": "mdt_" + secret[4:],
	} {
		if _, err := w.ts.AuthenticateAPIToken(ctx, w.tenant+1, tok); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Fatalf("%s token: %v", name, err)
		}
	}
	now = exp
	if _, err := w.ts.AuthenticateAPIToken(ctx, w.tenant, secret); apperr.KindOf(err) != apperr.Unauthenticated {
		t.Fatalf("expired token: %v", err)
	}
	now = exp.Add(-time.Minute)
	if _, err := w.ts.RevokeAPIToken(w.sys, tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ts.AuthenticateAPIToken(ctx, w.tenant, secret); apperr.KindOf(err) != apperr.Unauthenticated {
		t.Fatalf("revoked token: %v", err)
	}
	past := now.Add(-time.Second)
	if _, _, err := w.ts.CreateAPIToken(w.sys, tenants.NewAPIToken{Name: "old", Role: viewer.RoleMember, ExpiresAt: &past}); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("token expiring in the past: %v", err)
	}
}

func TestRemovedMemberCanBeAddedBack(t *testing.T) {
	w := newRoleWorld(t, time.Now)
	if err := w.ts.RemoveMember(w.sys, w.member.ID); err != nil {
		t.Fatal(err)
	}
	u, _ := w.client.User.Get(w.sys, w.member.UserID)
	if !u.Disabled {
		t.Fatal("a removed member's account is still enabled")
	}
	m, err := w.ts.AddMember(w.sys, tenants.NewMember{Email: "MEMBER@acme.test", Role: viewer.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if m.UserID != w.member.UserID {
		t.Fatal("adding the address back created a second user")
	}
	if u, _ := w.client.User.Get(w.sys, m.UserID); u.Disabled {
		t.Fatal("the re-added member is still disabled")
	}
	if _, err := w.ts.AddMember(w.sys, tenants.NewMember{Email: "member@ACME.test", Role: viewer.RoleMember}); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("adding a member twice: %v", err)
	}
}
