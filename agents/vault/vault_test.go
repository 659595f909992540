package vault_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/datakey"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

var (
	oldMaster = []byte("old-master-secret-0123456789abcdefghijklmnop")
	newMaster = []byte("new-master-secret-0123456789abcdefghijklmnop")
)

// workspace is one tenant of the fixture: an owner (admin), a member and
// an agent, and a context for each.
type workspace struct {
	id                    int
	owner, member, agent  int
	admin, person, robot  context.Context
	sys                   context.Context
	ownerEmail, memberEml string
}

type world struct {
	db    *database.DB
	audit *audit.Recorder
	now   time.Time
}

func newWorld(db *database.DB) *world {
	return &world{db: db, audit: audit.NewRecorder(), now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
}

func (w *world) service(t *testing.T, masters ...[]byte) *vault.Service {
	t.Helper()
	s, err := vault.New(vault.Config{Client: w.db.Client, Audit: w.audit, Masters: masters, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) workspace(t *testing.T, slug string) *workspace {
	t.Helper()
	ctx := context.Background()
	c := w.db.Client
	ts := tenants.NewService(c, w.audit)
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, strings.ToUpper(slug))
	if err != nil {
		t.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
	om, err := ts.AddMember(sys, tenants.NewMember{Email: "owner@" + slug + ".test", Role: viewer.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	mm, err := ts.AddMember(sys, tenants.NewMember{Email: "member@" + slug + ".test", Role: viewer.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := c.Agent.Create().SetName("Agent " + slug).SetSponsorID(om.UserID).SetScopeCeiling([]string{"openid"}).
		SetCreatedByKind(agent.CreatedByKindSystem).SetClientID("agent-" + slug).Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	as := func(k viewer.Kind, id int, r viewer.Role) context.Context {
		return viewer.NewContext(ctx, viewer.Viewer{TenantID: tn.ID, Kind: k, ID: id, Label: "t", Role: r})
	}
	return &workspace{id: tn.ID, owner: om.UserID, member: mm.UserID, agent: ag.ID, sys: sys,
		admin: as(viewer.Human, om.UserID, viewer.RoleOwner), person: as(viewer.Human, mm.UserID, viewer.RoleMember),
		robot: as(viewer.Agent, ag.ID, ""), ownerEmail: "owner@" + slug + ".test", memberEml: "member@" + slug + ".test"}
}

func apiKey(name, token string) vault.NewCredential {
	return vault.NewCredential{Name: name, Kind: credential.KindAPIKey, OwnerKind: credential.OwnerKindWorkspace,
		Value: vault.Secret{Token: token}}
}

func mustCreate(t *testing.T, s *vault.Service, ctx context.Context, in vault.NewCredential) *ent.Credential {
	t.Helper()
	c, err := s.Create(ctx, in)
	if err != nil {
		t.Fatalf("create %s: %v", in.Name, err)
	}
	return c
}

func mustOpen(t *testing.T, s *vault.Service, ctx context.Context, id int) vault.Secret {
	t.Helper()
	sec, _, err := s.Open(ctx, id)
	if err != nil {
		t.Fatalf("open %d: %v", id, err)
	}
	return sec
}

func wantSealed(t *testing.T, what string, s *vault.Service, ctx context.Context, id int) {
	t.Helper()
	sec, _, err := s.Open(ctx, id)
	if !errors.Is(err, vault.ErrSealed) {
		t.Fatalf("%s: want ErrSealed, got %v", what, err)
	}
	if sec != (vault.Secret{}) {
		t.Fatalf("%s: a failed open returned a value", what)
	}
}

// Every kind stores and opens; bad values are refused per kind, naming
// the field; the value is in no listing, no String() and no audit event.
func TestCreateKinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(db)
		a := w.workspace(t, "acme")
		s := w.service(t, newMaster)
		good := []vault.NewCredential{
			apiKey("stripe", "sk_live_apikey_value_1"),
			{Name: "bearer", Kind: credential.KindBearer, OwnerKind: credential.OwnerKindAgent, OwnerID: a.agent, Value: vault.Secret{Token: "bearer_value_2"}},
			{Name: "basic", Kind: credential.KindBasic, OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Username: "svc-user", Password: "basic_password_3"}},
			{Name: "github", Kind: credential.KindOauth2, OwnerKind: credential.OwnerKindUser, OwnerID: a.owner, Provider: "github",
				Value: vault.Secret{AccessToken: "gho_access_value_4", RefreshToken: "ghr_refresh_value_5"}},
		}
		secrets := []string{"sk_live_apikey_value_1", "bearer_value_2", "basic_password_3", "gho_access_value_4", "ghr_refresh_value_5"}
		for _, in := range good {
			c := mustCreate(t, s, a.admin, in)
			if got := mustOpen(t, s, a.admin, c.ID); got != in.Value {
				t.Fatalf("%s opened to a different value", in.Name)
			}
			if c.Kind != in.Kind || c.OwnerKind != in.OwnerKind || c.OwnerID != in.OwnerID || c.Provider != in.Provider {
				t.Fatalf("%s: stored metadata %v", in.Name, c)
			}
		}
		bad := map[string]vault.NewCredential{
			"api key without token":      apiKey("k", ""),
			"api key with a password":    {Name: "k", Kind: credential.KindAPIKey, OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Token: "x", Password: "y"}},
			"bearer with access token":   {Name: "k", Kind: credential.KindBearer, OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Token: "x", AccessToken: "y"}},
			"basic without password":     {Name: "k", Kind: credential.KindBasic, OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Username: "u"}},
			"basic with colon":           {Name: "k", Kind: credential.KindBasic, OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Username: "u:v", Password: "p"}},
			"oauth2 without access":      {Name: "k", Kind: credential.KindOauth2, OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{RefreshToken: "r"}},
			"oauth2 with a token":        {Name: "k", Kind: credential.KindOauth2, OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{AccessToken: "a", Token: "t"}},
			"newline in a value":         apiKey("k", "abc\r\nX-Evil: 1"),
			"too long":                   apiKey("k", strings.Repeat("x", 8<<10+1)),
			"unknown kind":               {Name: "k", Kind: "ssh", OwnerKind: credential.OwnerKindWorkspace, Value: vault.Secret{Token: "x"}},
			"empty name":                 apiKey(" ", "x"),
			"workspace with an owner id": {Name: "k", Kind: credential.KindAPIKey, OwnerKind: credential.OwnerKindWorkspace, OwnerID: a.owner, Value: vault.Secret{Token: "x"}},
			"user without id":            {Name: "k", Kind: credential.KindAPIKey, OwnerKind: credential.OwnerKindUser, Value: vault.Secret{Token: "x"}},
			"unknown user":               {Name: "k", Kind: credential.KindAPIKey, OwnerKind: credential.OwnerKindUser, OwnerID: 99999, Value: vault.Secret{Token: "x"}},
			"unknown agent":              {Name: "k", Kind: credential.KindAPIKey, OwnerKind: credential.OwnerKindAgent, OwnerID: 99999, Value: vault.Secret{Token: "x"}},
		}
		for what, in := range bad {
			if _, err := s.Create(a.admin, in); apperr.KindOf(err) != apperr.Invalid {
				t.Errorf("%s: want an invalid-input error, got %v", what, err)
			}
		}
		if _, err := s.Create(a.admin, apiKey("stripe", "another")); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("duplicate name: want a conflict, got %v", err)
		}
		list, err := s.List(a.admin)
		if err != nil || len(list) != len(good) {
			t.Fatalf("list: %d, %v", len(list), err)
		}
		var seen strings.Builder
		for _, c := range list {
			fmt.Fprintf(&seen, "%v %+v %s\n", c, *c, c.String())
		}
		events, err := db.Client.AuditEvent.Query().Where(auditevent.TargetType("credential")).All(a.sys)
		if err != nil || len(events) != len(good) {
			t.Fatalf("audit events: %d, %v", len(events), err)
		}
		for _, e := range events {
			fmt.Fprintf(&seen, "%v %s\n", e.Details, e.String())
			if e.Action != "credential.created" || e.CredentialID != e.TargetID {
				t.Fatalf("audit event %s %s", e.Action, e.CredentialID)
			}
		}
		fmt.Fprintf(&seen, "%v %+v %#v %s", good[3].Value, good[3].Value, good[3].Value, good[3].Value)
		for _, v := range secrets {
			if strings.Contains(seen.String(), v) {
				t.Fatalf("a secret value leaked into a listing, String() or an audit event: %s", seen.String())
			}
		}
	})
}

// The associated data binds a ciphertext to its row; tampering with a
// sealed value or a wrapped data key fails closed.
func TestCiphertextBinding(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(db)
		a, b := w.workspace(t, "acme"), w.workspace(t, "beta")
		s := w.service(t, newMaster)
		src := mustCreate(t, s, a.admin, apiKey("src", "secret-source-value"))
		same := mustCreate(t, s, a.admin, apiKey("same", "secret-same-value"))
		other := mustCreate(t, s, b.admin, apiKey("other", "secret-other-value"))
		c := db.Client
		raw, err := c.Credential.Get(a.sys, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Credential.UpdateOneID(same.ID).SetSealed(raw.Sealed).Exec(a.sys); err != nil {
			t.Fatal(err)
		}
		wantSealed(t, "copied to another row of the workspace", s, a.admin, same.ID)
		if err := c.Credential.UpdateOneID(other.ID).SetSealed(raw.Sealed).SetDataKeyID(raw.DataKeyID).Exec(b.sys); err != nil {
			t.Fatal(err)
		}
		wantSealed(t, "copied to another workspace, naming the source's data key", s, b.admin, other.ID)
		if err := c.Credential.UpdateOneID(other.ID).SetDataKeyID(mustCreate(t, s, b.admin, apiKey("x", "xxxx")).DataKeyID).Exec(b.sys); err != nil {
			t.Fatal(err)
		}
		wantSealed(t, "copied to another workspace under its key", s, b.admin, other.ID)

		// One flipped bit of the ciphertext.
		flipped := append([]byte(nil), raw.Sealed...)
		flipped[len(flipped)-1] ^= 1
		if err := c.Credential.UpdateOneID(src.ID).SetSealed(flipped).Exec(a.sys); err != nil {
			t.Fatal(err)
		}
		wantSealed(t, "tampered ciphertext", s, a.admin, src.ID)
		if err := c.Credential.UpdateOneID(src.ID).SetSealed([]byte{1, 2}).Exec(a.sys); err != nil {
			t.Fatal(err)
		}
		wantSealed(t, "truncated ciphertext", s, a.admin, src.ID)

		// A tampered wrapped data key: a fresh service (no cached key)
		// fails closed for every credential of the workspace.
		okc := mustCreate(t, s, a.admin, apiKey("ok", "secret-ok-value"))
		dk, err := c.DataKey.Get(a.sys, okc.DataKeyID)
		if err != nil {
			t.Fatal(err)
		}
		w2 := append([]byte(nil), dk.Wrapped...)
		w2[len(w2)/2] ^= 0x80
		if err := c.DataKey.UpdateOne(dk).SetWrapped(w2).Exec(a.sys); err != nil {
			t.Fatal(err)
		}
		wantSealed(t, "tampered data key", w.service(t, newMaster), a.admin, okc.ID)
		if _, err := w.service(t, newMaster).Create(a.admin, apiKey("after", "xxxx")); err == nil {
			t.Fatal("created a credential under a tampered data key")
		}
		// A data key moved to another workspace does not open there.
		bdk, err := c.DataKey.Query().Only(b.sys)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.DataKey.UpdateOne(bdk).SetWrapped(dk.Wrapped).Exec(b.sys); err != nil {
			t.Fatal(err)
		}
		wantSealed(t, "data key copied to another workspace", w.service(t, newMaster), b.admin, mustOtherID(t, c, b))
	})
}

func mustOtherID(t *testing.T, c *ent.Client, b *workspace) int {
	t.Helper()
	r, err := c.Credential.Query().Where(credential.Name("x")).Only(b.sys)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// Rotate keeps the id and opens to the new value; Revoke makes Open fail
// and ends changes.
func TestRotateAndRevoke(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(db)
		a := w.workspace(t, "acme")
		s := w.service(t, newMaster)
		c := mustCreate(t, s, a.admin, apiKey("stripe", "first-value"))
		w.now = w.now.Add(time.Hour)
		r, err := s.Rotate(a.admin, c.ID, vault.Secret{Token: "second-value"})
		if err != nil || r.ID != c.ID || r.RotatedAt == nil || !r.RotatedAt.Equal(w.now) {
			t.Fatalf("rotate: %v %v", r, err)
		}
		if got := mustOpen(t, s, a.admin, c.ID); got.Token != "second-value" {
			t.Fatal("rotate did not change the value")
		}
		if _, err := s.Rotate(a.admin, c.ID, vault.Secret{Username: "u", Password: "p"}); apperr.KindOf(err) != apperr.Invalid {
			t.Fatalf("rotate to another kind's value: %v", err)
		}
		if _, err := s.Rotate(a.person, c.ID, vault.Secret{Token: "mine"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("a member rotated the workspace's credential: %v", err)
		}
		if _, err := s.Revoke(a.robot, c.ID); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("an agent revoked a credential: %v", err)
		}
		if _, err := s.Revoke(a.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Open(a.admin, c.ID); err == nil {
			t.Fatal("a revoked credential opened")
		}
		if _, err := s.Rotate(a.admin, c.ID, vault.Secret{Token: "third"}); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("rotated a revoked credential: %v", err)
		}
		var actions []string
		for _, e := range db.Client.AuditEvent.Query().Where(auditevent.TargetID(strconv.Itoa(c.ID)), auditevent.TargetType("credential")).
			Order(ent.Asc(auditevent.FieldID)).AllX(a.sys) {
			actions = append(actions, e.Action)
		}
		if strings.Join(actions, ",") != "credential.created,credential.rotated,credential.revoked" {
			t.Fatalf("audit trail %v", actions)
		}
	})
}

// People see their own credentials, agents none, admins all; a member
// stores only their own.
func TestWhoSeesWhat(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(db)
		a := w.workspace(t, "acme")
		s := w.service(t, newMaster)
		mustCreate(t, s, a.admin, apiKey("workspace", "ws-value"))
		mustCreate(t, s, a.admin, vault.NewCredential{Name: "owner's", Kind: credential.KindBearer,
			OwnerKind: credential.OwnerKindUser, OwnerID: a.owner, Value: vault.Secret{Token: "owner-value"}})
		mine := mustCreate(t, s, a.person, vault.NewCredential{Name: "member's", Kind: credential.KindBearer,
			OwnerKind: credential.OwnerKindUser, OwnerID: a.member, Value: vault.Secret{Token: "member-value"}})
		if _, err := s.Create(a.person, apiKey("sneaky", "x")); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("a member stored a workspace credential: %v", err)
		}
		if _, err := s.Create(a.person, vault.NewCredential{Name: "other's", Kind: credential.KindBearer,
			OwnerKind: credential.OwnerKindUser, OwnerID: a.owner, Value: vault.Secret{Token: "x"}}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("a member stored someone else's credential: %v", err)
		}
		if _, err := s.Create(a.robot, vault.NewCredential{Name: "agent's", Kind: credential.KindBearer,
			OwnerKind: credential.OwnerKindAgent, OwnerID: a.agent, Value: vault.Secret{Token: "x"}}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("an agent stored a credential: %v", err)
		}
		names := func(ctx context.Context) string {
			cs, err := s.List(ctx)
			if err != nil {
				return "error: " + string(apperr.KindOf(err))
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.Name)
			}
			return strings.Join(out, ",")
		}
		if got := names(a.admin); got != "member's,owner's,workspace" {
			t.Fatalf("admin sees %s", got)
		}
		if got := names(a.person); got != "member's" {
			t.Fatalf("member sees %s", got)
		}
		if got := names(a.robot); got != "error: FORBIDDEN" {
			t.Fatalf("agent sees %s", got)
		}
		if _, err := s.Rotate(a.person, mine.ID, vault.Secret{Token: "member-value-2"}); err != nil {
			t.Fatalf("a member rotating their own: %v", err)
		}
		// Another workspace's admin neither sees nor changes it.
		b := w.workspace(t, "beta")
		if got := names(b.admin); got != "" {
			t.Fatalf("another workspace's admin sees %s", got)
		}
		if _, err := s.Revoke(b.admin, mine.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("another workspace revoked it: %v", err)
		}
	})
}

// RotateMaster re-wraps every data key under the new master, audited;
// credentials then open with the new master alone, not with the old one;
// a second run changes nothing.
func TestRotateMaster(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(db)
		a, b := w.workspace(t, "acme"), w.workspace(t, "beta")
		old := w.service(t, oldMaster)
		ids := map[*workspace][]int{}
		for _, ws := range []*workspace{a, b} {
			ids[ws] = append(ids[ws], mustCreate(t, old, ws.admin, apiKey("k1", "value-1-"+strconv.Itoa(ws.id))).ID,
				mustCreate(t, old, ws.admin, vault.NewCredential{Name: "k2", Kind: credential.KindBasic, OwnerKind: credential.OwnerKindWorkspace,
					Value: vault.Secret{Username: "u", Password: "value-2-" + strconv.Itoa(ws.id)}}).ID)
		}
		// During the rotation: new first, old known.
		both := w.service(t, newMaster, oldMaster)
		if got := mustOpen(t, both, a.admin, ids[a][0]); got.Token != "value-1-"+strconv.Itoa(a.id) {
			t.Fatal("the rotating service opens the old value wrong")
		}
		w.now = w.now.Add(time.Hour)
		n, err := both.RotateMaster(context.Background())
		if err != nil || n != 2 {
			t.Fatalf("rotate master: %d, %v", n, err)
		}
		for _, ws := range []*workspace{a, b} {
			dks, err := db.Client.DataKey.Query().All(ws.sys)
			if err != nil || len(dks) != 1 || dks[0].MasterID != vault.MasterID(newMaster) || dks[0].RewrappedAt == nil {
				t.Fatalf("data keys of %d after rotation: %v %v", ws.id, dks, err)
			}
			ev, err := db.Client.AuditEvent.Query().Where(auditevent.Action("vault.master_rotated")).All(ws.sys)
			if err != nil || len(ev) != 1 || ev[0].TargetID != strconv.Itoa(dks[0].ID) ||
				ev[0].Details["to"] != vault.MasterID(newMaster) || ev[0].Details["from"] != vault.MasterID(oldMaster) {
				t.Fatalf("rotation audit of %d: %v %v", ws.id, ev, err)
			}
		}
		fresh := w.service(t, newMaster)
		for ws, list := range ids {
			for _, id := range list {
				mustOpen(t, fresh, ws.admin, id)
			}
			wantSealed(t, "old master only", w.service(t, oldMaster), ws.admin, list[0])
		}
		if n, err := fresh.RotateMaster(context.Background()); err != nil || n != 0 {
			t.Fatalf("second rotation: %d, %v", n, err)
		}
		if n, err := both.RotateMaster(context.Background()); err != nil || n != 0 {
			t.Fatalf("second rotation: %d, %v", n, err)
		}
		if c, _ := db.Client.AuditEvent.Query().Where(auditevent.Action("vault.master_rotated")).Count(viewer.AsSystem(context.Background(), "t")); c != 2 {
			t.Fatalf("%d rotation events after a no-op run", c)
		}
		// A service that does not know a key's master refuses to rotate.
		if _, err := w.service(t, []byte("a-third-master-secret-0123456789abcdefghij")).RotateMaster(context.Background()); err == nil {
			t.Fatal("rotated keys wrapped by an unknown master")
		}
		// New credentials after the rotation still open everywhere new.
		c := mustCreate(t, fresh, a.admin, apiKey("k3", "value-3"))
		mustOpen(t, w.service(t, newMaster, oldMaster), a.admin, c.ID)
	})
}

// Two services using a workspace's vault for the first time at once: every
// credential either sealed opens with both, whatever key it names.
func TestConcurrentFirstUse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(db)
		a := w.workspace(t, "acme")
		s1, s2 := w.service(t, newMaster), w.service(t, newMaster)
		var wg sync.WaitGroup
		out := make([]*ent.Credential, 2)
		errs := make([]error, 2)
		for i, s := range []*vault.Service{s1, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i], errs[i] = s.Create(a.admin, apiKey("k"+strconv.Itoa(i), "value-"+strconv.Itoa(i)))
			}()
		}
		wg.Wait()
		for i := range out {
			if errs[i] != nil {
				// SQLite may refuse one writer outright; that one tries again.
				if out[i], errs[i] = []*vault.Service{s1, s2}[i].Create(a.admin, apiKey("k"+strconv.Itoa(i), "value-"+strconv.Itoa(i))); errs[i] != nil {
					t.Fatalf("create %d: %v", i, errs[i])
				}
			}
		}
		n, err := db.Client.DataKey.Query().Where(datakey.TenantID(a.id)).Count(a.sys)
		if err != nil || n < 1 || n > 2 {
			t.Fatalf("%d data keys, %v", n, err)
		}
		for _, s := range []*vault.Service{s1, s2, w.service(t, newMaster)} {
			for i, c := range out {
				if got := mustOpen(t, s, a.admin, c.ID); got.Token != "value-"+strconv.Itoa(i) {
					t.Fatalf("credential %d opened wrong", i)
				}
			}
		}
	})
}
