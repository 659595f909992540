package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// The passkey fields' own rules, over HTTP: a person's passkeys only (an
// API token has none), removal after a recent sign-in, never the last way
// in.
func TestPasskeyFieldsAnswerWithTheirCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		only := newPasskey(t, e, e.a, e.a.member.UserID, "only")
		remove := `mutation($id: ID!) { removePasskey(id: $id) { deletedID } }`

		if r := e.asA(t, `{ myPasskeys { id } }`, nil); !slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
			t.Errorf("myPasskeys with an API token: %+v; want FORBIDDEN", r.Errors)
		}
		// A's member has no password: the only passkey stays.
		if r := e.asAMember(t, remove, map[string]any{"id": id(only.ID)}); !slices.Equal(r.codes(), []string{"CONFLICT"}) {
			t.Errorf("removing the last way in: %+v; want CONFLICT", r.Errors)
		}
		second := newPasskey(t, e, e.a, e.a.member.UserID, "second")
		// A session that signed in an hour ago must step up first.
		stale := session.New(e.c, func() time.Time { return time.Now().Add(-time.Hour) }, false)
		tx, err := e.c.Tx(e.a.system)
		if err != nil {
			t.Fatal(err)
		}
		u, err := tx.User.Get(e.a.system, e.a.member.UserID)
		if err != nil {
			t.Fatal(err)
		}
		old, err := stale.Start(e.a.system, tx, u, []string{"pwd"}, 3*time.Hour)
		if err != nil || tx.Commit() != nil {
			t.Fatal(err)
		}
		r := e.asPerson(t, e.a.slug, old, remove, map[string]any{"id": id(second.ID)})
		if !slices.Equal(r.codes(), []string{"STEP_UP_REQUIRED"}) {
			t.Errorf("removing on a stale session: %+v; want STEP_UP_REQUIRED", r.Errors)
		}
		if n, err := e.c.Passkey.Query().Where(passkey.UserID(e.a.member.UserID)).Count(e.sysAll); err != nil || n != 2 {
			t.Fatalf("%d passkeys left (%v), want 2", n, err)
		}
		// A recent session may.
		r = e.asAMember(t, remove, map[string]any{"id": id(second.ID)})
		var p struct{ DeletedID string }
		r.field(t, "removePasskey", &p)
		if len(r.Errors) != 0 || p.DeletedID != id(second.ID) {
			t.Errorf("removePasskey on a recent session: %+v, %+v", p, r.Errors)
		}
	})
}
