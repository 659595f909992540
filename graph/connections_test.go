package graph_test

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/credential"
)

// The isolation cases of connected accounts (entries of gqlCases).

// strayConnection adds, directly in B, an oauth2 connection row owned by
// a user id that is A's member's: only its tenant differs.
func strayConnection(t *testing.T, e *env, provider string) *ent.Credential {
	t.Helper()
	c, err := e.c.Credential.Create().SetName("stray " + provider).SetKind(credential.KindOauth2).SetOwnerKind(credential.OwnerKindUser).
		SetOwnerID(e.a.member.UserID).SetProvider(provider).SetSealed([]byte("sealed:" + provider)).SetDataKeyID(0).Save(e.b.system)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ownConnection connects A's member at provider through the vault.
func ownConnection(t *testing.T, e *env, provider string) *ent.Credential {
	t.Helper()
	conns := vault.NewConnections(e.fx.vault)
	if err := conns.StoreConnection(e.a.system, e.a.member.UserID, provider, &oauth2.Token{AccessToken: "own-access-" + provider,
		RefreshToken: "own-refresh-" + provider, Expiry: time.Now().Add(time.Hour)}, []string{"repo"}); err != nil {
		t.Fatal(err)
	}
	c, err := e.c.Credential.Query().Where(credential.Provider(provider), credential.OwnerID(e.a.member.UserID),
		credential.RevokedAtIsNil()).Only(e.a.system)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func connectedAccountsCase(t *testing.T, e *env) {
	own := ownConnection(t, e, "gh-listed")
	stray := strayConnection(t, e, "gh-stray")
	got := e.listed(t, e.asAMember, `{ connectedAccounts { id provider scopes expiresAt createdAt lastUsedAt } }`, "connectedAccounts", "id")
	if !slices.Contains(got, id(own.ID)) || slices.Contains(got, id(stray.ID)) {
		t.Errorf("connectedAccounts = %v; want A's member's %d and not B's %d", got, own.ID, stray.ID)
	}
	// A's admin token is no person: it sees no one's connections.
	if r := e.asA(t, `{ connectedAccounts { id } }`, nil); !slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
		t.Errorf("connectedAccounts as A's token: %v %s", r.codes(), r.Data["connectedAccounts"])
	}
}

func disconnectAccountCase(t *testing.T, e *env) {
	ownConnection(t, e, "gh-own")
	stray := strayConnection(t, e, "gh-b-only")
	op := `mutation($p: String!) { disconnectAccount(provider: $p) { id provider } }`
	mutationOnBBy(t, e, e.asAMember, op, "disconnectAccount", map[string]any{"p": "gh-b-only"},
		map[string]any{"p": "gh-own"}, map[string]any{"p": "gh-nowhere"})
	if got, err := e.c.Credential.Get(e.sysAll, stray.ID); err != nil || got.RevokedAt != nil {
		t.Errorf("B's connection was revoked (%v)", err)
	}
}
