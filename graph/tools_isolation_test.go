package graph_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/tool"
)

// The isolation cases of the tools' fields (entries of gqlCases).

// newTool adds a credential and a tool that uses it to w, as its system
// (directly: a fixture in B must not change B's audit chain).
func newTool(t *testing.T, e *env, w workspace, name string) (*ent.Tool, *ent.Credential) {
	t.Helper()
	c, err := e.c.Credential.Create().SetName("key " + name).SetKind(credential.KindAPIKey).
		SetOwnerKind(credential.OwnerKindWorkspace).SetSealed([]byte("sealed")).SetDataKeyID(0).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := e.c.Tool.Create().SetName(name).SetUpstreamURL("https://" + w.slug + ".example/api").
		SetInjection(tool.InjectionBearer).SetCredentialID(c.ID).
		SetOperations(`[{"method":"GET","path":"/**","scope":"openid"}]`).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	return tl, c
}

const toolInputFields = `upstreamURL: "https://a.example/api", injection: "bearer", operations: "[{\"method\":\"GET\",\"path\":\"/**\",\"scope\":\"openid\"}]"`

func toolsCase(t *testing.T, e *env) {
	own, _ := newTool(t, e, e.a, "listed")
	bt, _ := newTool(t, e, e.b, "hidden")
	got := e.listed(t, e.asA, `{ tools { id name upstreamURL injection credentialID operations } }`, "tools", "id")
	if !slices.Contains(got, id(own.ID)) || slices.Contains(got, id(bt.ID)) {
		t.Errorf("tools = %v; want A's %d, not B's %d", got, own.ID, bt.ID)
	}
}

func createToolCase(t *testing.T, e *env) {
	_, ac := newTool(t, e, e.a, "create-a")
	_, bc := newTool(t, e, e.b, "create-b")
	// B's credential is not A's to use.
	r := e.asA(t, `mutation($c: ID!) { createTool(input: {name: "stolen", `+toolInputFields+`, credentialID: $c}) { id } }`,
		map[string]any{"c": strconv.Itoa(bc.ID)})
	if len(r.Errors) == 0 {
		t.Errorf("createTool with B's credential succeeded")
	}
	var out struct{ ID string }
	e.mutateA(t, `mutation($c: ID!) { createTool(input: {name: "made", `+toolInputFields+`, credentialID: $c}) { id } }`,
		"createTool", map[string]any{"c": strconv.Itoa(ac.ID)}, &out)
	rows, err := e.c.Tool.Query().Where(tool.Name("made")).All(e.sysAll)
	if err != nil || len(rows) != 1 || rows[0].TenantID != e.a.tenant.ID || id(rows[0].ID) != out.ID {
		t.Errorf("createTool: rows %v, %v; want one in A", rows, err)
	}
}

func updateToolCase(t *testing.T, e *env) {
	own, ac := newTool(t, e, e.a, "update-a")
	bt, _ := newTool(t, e, e.b, "update-b")
	op := `mutation($id: ID!, $c: ID!) { updateTool(id: $id, input: {name: "renamed", ` + toolInputFields + `, credentialID: $c}) { id } }`
	mutationOnB(t, e, op, "updateTool", map[string]any{"id": id(bt.ID), "c": strconv.Itoa(ac.ID)},
		map[string]any{"id": id(own.ID), "c": strconv.Itoa(ac.ID)}, map[string]any{"id": id(bt.ID + 1_000_000), "c": strconv.Itoa(ac.ID)})
	if got, err := e.c.Tool.Get(e.sysAll, bt.ID); err != nil || got.Name != "update-b" {
		t.Errorf("B's tool changed: %v, %v", got, err)
	}
}

func setToolDisabledCase(t *testing.T, e *env) {
	own, _ := newTool(t, e, e.a, "disable-a")
	bt, _ := newTool(t, e, e.b, "disable-b")
	mutationOnB(t, e, `mutation($id: ID!) { setToolDisabled(id: $id, disabled: true) { id disabled } }`, "setToolDisabled",
		map[string]any{"id": id(bt.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(bt.ID + 1_000_000)})
	if got, err := e.c.Tool.Get(e.sysAll, bt.ID); err != nil || got.Disabled {
		t.Errorf("B's tool was disabled: %v, %v", got, err)
	}
}

func deleteToolCase(t *testing.T, e *env) {
	own, _ := newTool(t, e, e.a, "delete-a")
	bt, _ := newTool(t, e, e.b, "delete-b")
	mutationOnB(t, e, `mutation($id: ID!) { deleteTool(id: $id) }`, "deleteTool",
		map[string]any{"id": id(bt.ID)}, map[string]any{"id": id(own.ID)}, map[string]any{"id": id(bt.ID + 1_000_000)})
	if ok, err := e.c.Tool.Query().Where(tool.ID(bt.ID)).Exist(e.sysAll); err != nil || !ok {
		t.Errorf("B's tool is gone (%v)", err)
	}
}
