package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/ent/identityprovider"
)

// The isolation cases of social sign-in's fields (entries of gqlCases).

const idpSecret = "a-client-secret-never-shown"

// newIdP adds a provider row to w as the system (directly: a fixture in B
// must not change B's audit chain, which the table checks).
func newIdP(t *testing.T, e *env, w workspace, slug string) *ent.IdentityProvider {
	t.Helper()
	p, err := e.c.IdentityProvider.Create().SetSlug(slug).SetKind(identityprovider.KindGithub).SetDisplayName("GitHub").
		SetClientID("client-" + slug).SetClientSecretSealed([]byte("sealed:" + idpSecret)).SetScopes([]string{"read:user"}).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newLink links userID to an identity at provider p in w, as the system
// (a stray row when userID is another workspace's).
func newLink(t *testing.T, e *env, w workspace, p *ent.IdentityProvider, userID int, subject string) *ent.FederatedIdentity {
	t.Helper()
	fi, err := e.c.FederatedIdentity.Create().SetUserID(userID).SetProviderID(p.ID).SetSubject(subject).
		SetEmail(subject + "@idp.example").Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// providersOf lists a workspace's provider slugs, read as the system.
func (e *env) providersOf(t *testing.T, tenantID int) []string {
	t.Helper()
	slugs, err := e.c.IdentityProvider.Query().Where(identityprovider.TenantID(tenantID)).Select(identityprovider.FieldSlug).Strings(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(slugs)
	return slugs
}

func identityProvidersCase(t *testing.T, e *env) {
	// Through the service, so the secret is really sealed and stored.
	if _, err := e.fx.social.CreateProvider(e.a.system, social.NewProvider{Slug: "a-listed", Kind: social.KindGitHub, ClientID: "client-a-listed",
		ClientSecret: idpSecret}); err != nil {
		t.Fatal(err)
	}
	bp := newIdP(t, e, e.b, "b-hidden")
	r := e.asA(t, `{ identityProviders { id slug kind displayName clientID hasClientSecret issuer scopes enabled callbackURL } }`, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("identityProviders: %+v", r.Errors)
	}
	raw := string(r.Data["identityProviders"])
	if strings.Contains(raw, idpSecret) {
		t.Errorf("identityProviders shows a client secret: %s", raw)
	}
	got := e.listed(t, e.asA, `{ identityProviders { slug } }`, "identityProviders", "slug")
	if want := e.providersOf(t, e.a.tenant.ID); !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("identityProviders = %v; want A's %v", got, want)
	}
	if slices.Contains(got, bp.Slug) || strings.Contains(raw, "client-"+bp.Slug) {
		t.Errorf("identityProviders lists B's provider: %s", raw)
	}
	if !strings.Contains(raw, `"hasClientSecret":true`) || !strings.Contains(raw, "/t/a/auth/social/a-listed/callback") {
		t.Errorf("identityProviders = %s; want the secret's presence and A's callback URL", raw)
	}
}

func createIdentityProviderCase(t *testing.T, e *env) {
	// B's provider's slug: in A it is a new, separate provider.
	newIdP(t, e, e.b, "b-slug")
	before := e.providersOf(t, e.b.tenant.ID)
	var p struct{ ID, Slug string }
	e.mutateA(t, `mutation { createIdentityProvider(input: {slug: "b-slug", kind: "oidc", displayName: "Made by A", clientID: "c",
		clientSecret: "s", issuer: "https://idp.a.example"}) { id slug } }`, "createIdentityProvider", nil, &p)
	row, err := e.c.IdentityProvider.Query().Where(identityprovider.TenantID(e.a.tenant.ID), identityprovider.Slug("b-slug")).Only(e.sysAll)
	if err != nil || id(row.ID) != p.ID || row.DisplayName != "Made by A" {
		t.Errorf("createIdentityProvider = %+v: row %v, %v; want it in A", p, row, err)
	}
	if after := e.providersOf(t, e.b.tenant.ID); !slices.Equal(after, before) {
		t.Errorf("B's providers %v; want %v", after, before)
	}
}

func updateIdentityProviderCase(t *testing.T, e *env) {
	own := newIdP(t, e, e.a, "a-update")
	bp := newIdP(t, e, e.b, "b-update")
	op := `mutation($id: ID!) { updateIdentityProvider(id: $id, input: {displayName: "renamed", clientSecret: "new"}) { id displayName } }`
	mutationOnB(t, e, op, "updateIdentityProvider", map[string]any{"id": id(bp.ID)}, map[string]any{"id": id(own.ID)},
		map[string]any{"id": id(bp.ID + 1_000_000)})
	if got, err := e.c.IdentityProvider.Get(e.sysAll, bp.ID); err != nil || got.DisplayName != bp.DisplayName ||
		string(got.ClientSecretSealed) != string(bp.ClientSecretSealed) {
		t.Errorf("B's provider changed: %v (%v)", got, err)
	}
	if got, err := e.c.IdentityProvider.Get(e.sysAll, own.ID); err != nil || got.DisplayName != "renamed" {
		t.Errorf("A's provider (control): %v (%v)", got, err)
	}
}

func deleteIdentityProviderCase(t *testing.T, e *env) {
	own := newIdP(t, e, e.a, "a-delete")
	bp := newIdP(t, e, e.b, "b-delete")
	bLink := newLink(t, e, e.b, bp, e.b.member.UserID, "b-delete-subject")
	op := `mutation($id: ID!) { deleteIdentityProvider(id: $id) { deletedID } }`
	mutationOnB(t, e, op, "deleteIdentityProvider", map[string]any{"id": id(bp.ID)}, map[string]any{"id": id(own.ID)},
		map[string]any{"id": id(bp.ID + 1_000_000)})
	if ok, err := e.c.IdentityProvider.Query().Where(identityprovider.ID(bp.ID)).Exist(e.sysAll); err != nil || !ok {
		t.Errorf("B's provider is gone (%v)", err)
	}
	if ok, err := e.c.FederatedIdentity.Query().Where(federatedidentity.ID(bLink.ID)).Exist(e.sysAll); err != nil || !ok {
		t.Errorf("B's link is gone (%v)", err)
	}
	if ok, err := e.c.IdentityProvider.Query().Where(identityprovider.ID(own.ID)).Exist(e.sysAll); err != nil || ok {
		t.Errorf("A's provider is still there (control, %v)", err)
	}
}

func myLinkedAccountsCase(t *testing.T, e *env) {
	ap := newIdP(t, e, e.a, "a-links")
	bp := newIdP(t, e, e.b, "b-links")
	own := newLink(t, e, e.a, ap, e.a.member.UserID, "member-at-a")
	newLink(t, e, e.a, ap, e.a.owner.UserID, "owner-at-a")
	// B's link names A's member's user id: only its tenant differs.
	stray := newLink(t, e, e.b, bp, e.a.member.UserID, "stray-at-b")
	got := e.listed(t, e.asAMember, `{ myLinkedAccounts { id provider providerName kind email createdAt lastUsedAt } }`, "myLinkedAccounts", "id")
	if !slices.Contains(got, id(own.ID)) || slices.Contains(got, id(stray.ID)) {
		t.Errorf("myLinkedAccounts = %v; want A's member's %d and not B's %d", got, own.ID, stray.ID)
	}
	mine, err := e.c.FederatedIdentity.Query().Where(federatedidentity.TenantID(e.a.tenant.ID), federatedidentity.UserID(e.a.member.UserID)).IDs(e.sysAll)
	if err != nil || !slices.Equal(got, sortedIDs(mine)) {
		t.Errorf("myLinkedAccounts = %v; want exactly A's member's %v (%v)", got, sortedIDs(mine), err)
	}
}

func unlinkAccountCase(t *testing.T, e *env) {
	ap := newIdP(t, e, e.a, "a-unlink")
	ap2 := newIdP(t, e, e.a, "a-unlink-2")
	bp := newIdP(t, e, e.b, "b-unlink")
	// Two of A's member's own, so removing one leaves a way in.
	own := newLink(t, e, e.a, ap, e.a.member.UserID, "unlink-me")
	newLink(t, e, e.a, ap2, e.a.member.UserID, "keep-me")
	stray := newLink(t, e, e.b, bp, e.a.member.UserID, "stray-unlink")
	op := `mutation($id: ID!) { unlinkAccount(id: $id) { deletedID } }`
	mutationOnBBy(t, e, e.asAMember, op, "unlinkAccount", map[string]any{"id": id(stray.ID)},
		map[string]any{"id": id(own.ID)}, map[string]any{"id": id(stray.ID + 1_000_000)})
	if ok, err := e.c.FederatedIdentity.Query().Where(federatedidentity.ID(stray.ID)).Exist(e.sysAll); err != nil || !ok {
		t.Errorf("B's link is gone (%v)", err)
	}
	if ok, err := e.c.FederatedIdentity.Query().Where(federatedidentity.ID(own.ID)).Exist(e.sysAll); err != nil || ok {
		t.Errorf("A's member's link is still there (control, %v)", err)
	}
}
