package graph_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// credentialFields is every field of Credential.
const credentialFields = `id name kind ownerKind ownerID provider expiresAt lastUsedAt rotatedAt revokedAt createdAt`

// An admin stores credentials of every kind, lists, rotates and revokes
// them; a member stores and sees only their own; no answer ever carries a
// value, not even an error about one.
func TestGraphQLVault(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		var all strings.Builder
		seen := func(r gqlResponse) gqlResponse {
			b, _ := json.Marshal(r)
			all.Write(b)
			for _, er := range r.Errors {
				all.WriteString(er.Message)
			}
			return r
		}
		secrets := []string{"sk_graph_value_1", "bearer_graph_value_2", "basic_graph_password_3", "gho_graph_access_4",
			"ghr_graph_refresh_5", "sk_graph_rotated_6", "member_graph_value_7", "bad\nvalue_graph_8"}
		create := `mutation($in: CreateCredentialInput!) { createCredential(input: $in) { ` + credentialFields + ` } }`
		type cred struct {
			ID, Name, Kind, OwnerKind, Provider string
			OwnerID                             *string
			RotatedAt, RevokedAt                *string
		}
		made := map[string]cred{}
		for _, in := range []map[string]any{
			{"name": "stripe", "kind": "api_key", "token": secrets[0]},
			{"name": "bearer", "kind": "bearer", "token": secrets[1]},
			{"name": "basic", "kind": "basic", "username": "svc", "password": secrets[2]},
			{"name": "github", "kind": "oauth2", "ownerKind": "user", "ownerID": id(e.a.member.UserID), "provider": "github",
				"accessToken": secrets[3], "refreshToken": secrets[4]},
		} {
			r := seen(e.asA(t, create, map[string]any{"in": in}))
			var c cred
			r.field(t, "createCredential", &c)
			if len(r.Errors) != 0 || c.ID == "" || c.Name != in["name"] || c.Kind != in["kind"] {
				t.Fatalf("createCredential(%s) = %+v, %+v", in["name"], c, r.Errors)
			}
			made[c.Name] = c
		}
		if g := made["github"]; g.OwnerKind != "user" || g.OwnerID == nil || *g.OwnerID != id(e.a.member.UserID) || g.Provider != "github" {
			t.Fatalf("github = %+v", g)
		}
		if s := made["stripe"]; s.OwnerKind != "workspace" || s.OwnerID != nil {
			t.Fatalf("stripe = %+v", s)
		}
		// Refusals name the field, never the value.
		for _, in := range []map[string]any{
			{"name": "bad", "kind": "api_key", "token": secrets[7]},
			{"name": "bad", "kind": "basic", "token": secrets[0]},
			{"name": "bad", "kind": "ssh", "token": secrets[0]},
		} {
			if r := seen(e.asA(t, create, map[string]any{"in": in})); !slices.Equal(r.codes(), []string{"BAD_USER_INPUT"}) {
				t.Errorf("createCredential(%v): %v", in["kind"], r.codes())
			}
		}
		r := seen(e.asA(t, `mutation($id: ID!, $v: CredentialValueInput!) { rotateCredential(id: $id, input: $v) { `+credentialFields+` } }`,
			map[string]any{"id": made["stripe"].ID, "v": map[string]any{"token": secrets[5]}}))
		var rot cred
		r.field(t, "rotateCredential", &rot)
		if len(r.Errors) != 0 || rot.ID != made["stripe"].ID || rot.RotatedAt == nil {
			t.Fatalf("rotateCredential = %+v, %+v", rot, r.Errors)
		}
		sec, _, err := e.fx.vault.Open(e.a.system, atoi(t, rot.ID))
		if err != nil || sec.Token != secrets[5] {
			t.Fatalf("the rotated credential does not open to its new value: %v", err)
		}
		r = seen(e.asA(t, `mutation($id: ID!) { revokeCredential(id: $id) { id revokedAt } }`, map[string]any{"id": made["bearer"].ID}))
		var rev cred
		r.field(t, "revokeCredential", &rev)
		if len(r.Errors) != 0 || rev.RevokedAt == nil {
			t.Fatalf("revokeCredential = %+v, %+v", rev, r.Errors)
		}
		if _, _, err := e.fx.vault.Open(e.a.system, atoi(t, rev.ID)); err == nil {
			t.Fatal("a revoked credential opened")
		}

		// The member: their own only.
		if r := seen(e.asAMember(t, create, map[string]any{"in": map[string]any{"name": "sneaky", "kind": "api_key", "token": secrets[6]}})); !slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
			t.Errorf("a member stored a workspace credential: %v", r.codes())
		}
		seen(e.asAMember(t, create, map[string]any{"in": map[string]any{"name": "mine", "kind": "bearer", "ownerKind": "user",
			"ownerID": id(e.a.member.UserID), "token": secrets[6]}}))
		if got := e.listed(t, e.asAMember, `{ credentials { `+credentialFields+` } }`, "credentials", "name"); !slices.Equal(got, []string{"github", "mine"}) {
			t.Errorf("the member sees %v", got)
		}
		if got := e.listed(t, e.asA, `{ credentials { `+credentialFields+` } }`, "credentials", "name"); !slices.Equal(got, []string{"basic", "bearer", "github", "mine", "stripe"}) {
			t.Errorf("the admin sees %v", got)
		}
		seen(e.asA(t, `{ credentials { `+credentialFields+` } }`, nil))
		seen(e.asAMember(t, `{ credentials { `+credentialFields+` } }`, nil))

		// The type has no field that could carry a value.
		r = e.asA(t, `{ __type(name: "Credential") { fields { name } } }`, nil)
		for _, bad := range []string{"value", "token", "password", "accessToken", "refreshToken", "sealed", "secret"} {
			if strings.Contains(string(r.Data["__type"]), `"`+bad+`"`) {
				t.Errorf("Credential has a field %s", bad)
			}
		}
		for _, v := range secrets {
			if strings.Contains(all.String(), v) || strings.Contains(all.String(), strings.ReplaceAll(v, "\n", `\n`)) {
				t.Fatalf("a GraphQL answer carried a secret value")
			}
		}
	})
}

// The isolation cases of the vault's fields (entries of gqlCases).

// newCredentialRow adds a credential row to w as its system, directly (a
// fixture in B must not change B's audit chain).
func newCredentialRow(t *testing.T, e *env, w workspace, name string) *ent.Credential {
	t.Helper()
	c, err := e.c.Credential.Create().SetName(name).SetKind(credential.KindAPIKey).SetOwnerKind(credential.OwnerKindWorkspace).
		SetSealed([]byte("sealed:" + name)).SetDataKeyID(0).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ownCredential stores a working credential in A through the vault.
func ownCredential(t *testing.T, e *env, name string) *ent.Credential {
	t.Helper()
	c, err := e.fx.vault.Create(e.a.system, vault.NewCredential{Name: name, Kind: credential.KindAPIKey,
		OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Token: "own-" + name}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func credentialsCase(t *testing.T, e *env) {
	own := ownCredential(t, e, "listed")
	bc := newCredentialRow(t, e, e.b, "hidden")
	got := e.listed(t, e.asA, `{ credentials { id name } }`, "credentials", "id")
	want, err := e.c.Credential.Query().Where(credential.TenantID(e.a.tenant.ID)).IDs(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, sortedIDs(want)) || !slices.Contains(got, id(own.ID)) || slices.Contains(got, id(bc.ID)) {
		t.Errorf("credentials = %v; want A's %v, not B's %d", got, sortedIDs(want), bc.ID)
	}
}

func createCredentialCase(t *testing.T, e *env) {
	before, err := e.c.Credential.Query().Where(credential.TenantID(e.b.tenant.ID)).Count(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ ID string }
	e.mutateA(t, `mutation { createCredential(input: {name: "made-by-a", kind: "api_key", token: "made-by-a-value"}) { id } }`,
		"createCredential", nil, &out)
	rows, err := e.c.Credential.Query().Where(credential.Name("made-by-a")).All(e.sysAll)
	if err != nil || len(rows) != 1 || rows[0].TenantID != e.a.tenant.ID || id(rows[0].ID) != out.ID {
		t.Errorf("createCredential = %+v: rows %v, %v; want one in A", out, rows, err)
	}
	// An owner in B is no owner in A.
	r := e.asA(t, `mutation($o: ID!) { createCredential(input: {name: "b-owned", kind: "api_key", ownerKind: "user", ownerID: $o, token: "xxxx"}) { id } }`,
		map[string]any{"o": id(e.b.member.UserID)})
	if !slices.Equal(r.codes(), []string{"BAD_USER_INPUT"}) {
		t.Errorf("createCredential owned by B's member: %v", r.codes())
	}
	if after, err := e.c.Credential.Query().Where(credential.TenantID(e.b.tenant.ID)).Count(e.sysAll); err != nil || after != before {
		t.Errorf("B's credentials %d -> %d (%v)", before, after, err)
	}
}

func rotateCredentialCase(t *testing.T, e *env) {
	own := ownCredential(t, e, "rotate")
	bc := newCredentialRow(t, e, e.b, "rotate")
	mutationOnB(t, e, `mutation($id: ID!) { rotateCredential(id: $id, input: {token: "rotated-by-a"}) { id } }`, "rotateCredential",
		map[string]any{"id": id(bc.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(bc.ID + 1_000_000)})
	if got, err := e.c.Credential.Get(e.sysAll, bc.ID); err != nil || string(got.Sealed) != string(bc.Sealed) || got.RotatedAt != nil {
		t.Errorf("B's credential changed: %v", err)
	}
}

func revokeCredentialCase(t *testing.T, e *env) {
	own := ownCredential(t, e, "revoke")
	bc := newCredentialRow(t, e, e.b, "revoke")
	mutationOnB(t, e, `mutation($id: ID!) { revokeCredential(id: $id) { id } }`, "revokeCredential",
		map[string]any{"id": id(bc.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(bc.ID + 1_000_000)})
	if got, err := e.c.Credential.Get(e.sysAll, bc.ID); err != nil || got.RevokedAt != nil {
		t.Errorf("B's credential was revoked: %v", err)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
