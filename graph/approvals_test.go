package graph_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// pendingApproval is what newApproval stores besides its defaults.
type pendingApproval struct {
	userID       int
	approverRole string
	details      string
	binding      string
	expiresIn    time.Duration
}

// newApproval stores a pending CIBA request of w's agent as w's system, as
// the backchannel endpoint would (that endpoint has its own tests).
func newApproval(t *testing.T, e *env, w workspace, p pendingApproval) *ent.ApprovalRequest {
	t.Helper()
	raw := make([]byte, 8)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	if p.expiresIn == 0 {
		p.expiresIn = 10 * time.Minute
	}
	requires := []string{"scope:" + w.slug + ":refund"}
	if p.details != "" {
		requires = []string{"type:refund"}
	}
	r, err := e.c.ApprovalRequest.Create().SetPublicID("apr_" + hex.EncodeToString(raw)).
		SetAuthReqIDHash("hash-" + hex.EncodeToString(raw)).SetKind(approvalrequest.KindAction).
		SetClientID(w.agent.ClientID).SetAgentID(w.agent.ID).SetAgentChain([]string{w.agent.ClientID}).
		SetUserID(p.userID).SetGrantID(w.grant.ID).SetScopes([]string{w.slug + ":refund"}).
		SetAuthorizationDetails(p.details).SetBindingMessage(p.binding).SetApproverRole(p.approverRole).
		SetRequires(requires).SetDeliveryMode(approvalrequest.DeliveryModePoll).
		SetExpiresAt(time.Now().Add(p.expiresIn).UTC().Truncate(time.Second)).SetInterval(5).Save(w.system)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// loginWith opens a session in A for a user that authenticated ago with
// the methods amr.
func loginWith(t *testing.T, e *env, userID int, amr []string, ago time.Duration) session.Started {
	t.Helper()
	m := session.New(e.c, func() time.Time { return time.Now().Add(-ago) }, false)
	tx, err := e.c.Tx(e.a.system)
	if err != nil {
		t.Fatal(err)
	}
	u, err := tx.User.Get(e.a.system, userID)
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	st, err := m.Start(e.a.system, tx, u, amr, 3*time.Hour)
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return st
}

// personIn runs operations in A as the person of login.
func (e *env) personIn(login session.Started) actor {
	return func(t *testing.T, query string, vars map[string]any) gqlResponse {
		t.Helper()
		return e.asPerson(t, e.a.slug, login, query, vars)
	}
}

// approvalView is an ApprovalRequest as GraphQL answers it.
type approvalView struct {
	ID                   string   `json:"id"`
	Kind                 string   `json:"kind"`
	Status               string   `json:"status"`
	AgentName            string   `json:"agentName"`
	AgentChain           []string `json:"agentChain"`
	ClientID             string   `json:"clientID"`
	UserID               string   `json:"userID"`
	UserEmail            string   `json:"userEmail"`
	GrantID              *string  `json:"grantID"`
	Scopes               []string `json:"scopes"`
	AuthorizationDetails *string  `json:"authorizationDetails"`
	Summary              string   `json:"summary"`
	BindingMessage       string   `json:"bindingMessage"`
	Requires             []string `json:"requires"`
	ApproverRole         string   `json:"approverRole"`
	Run                  string   `json:"run"`
	CreatedAt            string   `json:"createdAt"`
	ExpiresAt            string   `json:"expiresAt"`
	DecidedByEmail       *string  `json:"decidedByEmail"`
	DecidedAt            *string  `json:"decidedAt"`
	DecidedAmr           []string `json:"decidedAmr"`
	DenyReason           string   `json:"denyReason"`
	UsedAt               *string  `json:"usedAt"`
	CanDecide            bool     `json:"canDecide"`
}

const approvalFields = `id kind status agentName agentChain clientID userID userEmail grantID scopes authorizationDetails
	summary bindingMessage requires approverRole run createdAt expiresAt decidedByEmail decidedAt decidedAmr denyReason usedAt canDecide`

// inbox lists the approval requests by sees, by id.
func inbox(t *testing.T, by actor, status string) map[string]approvalView {
	t.Helper()
	vars := map[string]any{}
	if status != "" {
		vars["status"] = status
	}
	r := by(t, `query($status: String) { approvalRequests(status: $status, first: 50) { `+approvalFields+` } }`, vars)
	if len(r.Errors) != 0 {
		t.Fatalf("approvalRequests: %+v", r.Errors)
	}
	var rows []approvalView
	r.field(t, "approvalRequests", &rows)
	out := map[string]approvalView{}
	for _, row := range rows {
		out[row.ID] = row
	}
	return out
}

func inboxIDs(m map[string]approvalView) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }

const (
	approveOp = `mutation($id: String!) { approve(id: $id) { ` + approvalFields + ` } }`
	denyOp    = `mutation($id: String!, $reason: String) { deny(id: $id, reason: $reason) { ` + approvalFields + ` } }`
)

// The approvers' inbox and decisions over HTTP: who sees which request,
// who may decide it, approving only after a recent passkey or
// authenticator-app confirmation, each request decided once.
func TestApprovalInboxAndDecisions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		ann := e.a.member // the person the agent acts for
		annEmail := e.user(t, ann.UserID).Email
		bob, bobLogin := freshMemberWithLogin(t, e, "bob@a.example")
		details := `[{"type":"refund","invoice":"INV-1001","amount":"42.00","currency":"EUR"}]`
		mine := newApproval(t, e, e.a, pendingApproval{userID: ann.UserID, details: details, binding: "R-1001"})
		byAdmin := newApproval(t, e, e.a, pendingApproval{userID: ann.UserID, approverRole: "admin"})
		byMember := newApproval(t, e, e.a, pendingApproval{userID: ann.UserID, approverRole: "member"})
		expired := newApproval(t, e, e.a, pendingApproval{userID: ann.UserID, expiresIn: -time.Minute})
		bobs := newApproval(t, e, e.a, pendingApproval{userID: bob.UserID})
		// B's request names A's member's user id: only its tenant differs.
		stray := newApproval(t, e, e.b, pendingApproval{userID: ann.UserID})

		annPwd := e.asAMember
		bobPwd := e.personIn(bobLogin)
		annStrong := e.personIn(loginWith(t, e, ann.UserID, []string{"pwd", "otp"}, 0))

		t.Run("who sees what", func(t *testing.T) {
			all := sorted(mine.PublicID, byAdmin.PublicID, byMember.PublicID, expired.PublicID, bobs.PublicID)
			for _, tc := range []struct {
				who  string
				by   actor
				want []string
			}{
				{"A's owner token", e.asA, all},
				{"Ann (made in her name)", annPwd, sorted(mine.PublicID, byAdmin.PublicID, byMember.PublicID, expired.PublicID)},
				// Bob sees his own and those any member decides; not Ann's.
				{"Bob", bobPwd, sorted(byMember.PublicID, bobs.PublicID)},
			} {
				if got := inboxIDs(inbox(t, tc.by, "")); !slices.Equal(got, tc.want) {
					t.Errorf("approvalRequests as %s = %v; want %v", tc.who, got, tc.want)
				}
			}
			if got := inboxIDs(inbox(t, annPwd, "pending")); !slices.Equal(got, sorted(mine.PublicID, byAdmin.PublicID, byMember.PublicID)) {
				t.Errorf("Ann's pending requests = %v", got)
			}
			if got := inboxIDs(inbox(t, e.asA, "expired")); !slices.Equal(got, []string{expired.PublicID}) {
				t.Errorf("expired requests = %v; want %s", got, expired.PublicID)
			}
			if r := e.asA(t, `{ approvalRequests(status: "lost") { id } }`, nil); !slices.Equal(r.codes(), []string{"BAD_USER_INPUT"}) {
				t.Errorf("approvalRequests(status: lost): %+v; want BAD_USER_INPUT", r.Errors)
			}

			got := inbox(t, annPwd, "")
			m := got[mine.PublicID]
			wantDetails := details
			if m.Kind != "action" || m.Status != "pending" || m.AgentName != e.a.agent.Name || m.ClientID != e.a.agent.ClientID ||
				!slices.Equal(m.AgentChain, []string{e.a.agent.ClientID}) || m.UserID != id(ann.UserID) || m.UserEmail != annEmail ||
				m.GrantID == nil || *m.GrantID != id(e.a.grant.ID) || m.AuthorizationDetails == nil || *m.AuthorizationDetails != wantDetails ||
				m.BindingMessage != "R-1001" || !slices.Equal(m.Requires, []string{"type:refund"}) || m.ApproverRole != "" ||
				m.DecidedByEmail != nil || m.DecidedAt != nil || len(m.DecidedAmr) != 0 || m.UsedAt != nil || !m.CanDecide {
				t.Errorf("Ann's request = %+v", m)
			}
			if want := `"R-1001"; refund: amount 42.00, currency EUR, invoice INV-1001`; m.Summary != want {
				t.Errorf("summary = %q; want %q", m.Summary, want)
			}
			if got[byAdmin.PublicID].CanDecide || !got[byMember.PublicID].CanDecide || got[expired.PublicID].CanDecide ||
				got[expired.PublicID].Status != "expired" {
				t.Errorf("Ann's canDecide/status: admin's %+v, member's %+v, expired %+v", got[byAdmin.PublicID], got[byMember.PublicID], got[expired.PublicID])
			}
			if a := got[byAdmin.PublicID]; a.AuthorizationDetails != nil || a.Summary != "a:refund" {
				t.Errorf("a request without details = %+v", a)
			}

			one := `query($id: String!) { approvalRequest(id: $id) { id status canDecide } }`
			for _, tc := range []struct {
				who     string
				by      actor
				id      string
				visible bool
			}{
				{"Ann, her own", annPwd, mine.PublicID, true},
				{"Bob, Ann's", bobPwd, mine.PublicID, false},
				{"Bob, a member's to decide", bobPwd, byMember.PublicID, true},
				{"A's owner, B's", e.asA, stray.PublicID, false},
				{"Ann, B's naming her", annPwd, stray.PublicID, false},
				{"A's owner, none", e.asA, "apr_none", false},
			} {
				r := tc.by(t, one, map[string]any{"id": tc.id})
				if len(r.Errors) != 0 {
					t.Errorf("approvalRequest as %s: %+v", tc.who, r.Errors)
					continue
				}
				if raw := string(r.Data["approvalRequest"]); (raw != "null") != tc.visible || (tc.visible && !strings.Contains(raw, tc.id)) {
					t.Errorf("approvalRequest as %s = %s; visible %v", tc.who, raw, tc.visible)
				}
			}
		})

		t.Run("approving needs a recent strong authentication", func(t *testing.T) {
			for _, tc := range []struct {
				who string
				by  actor
			}{
				{"a password session", annPwd},
				{"an authenticator app 11 minutes ago", e.personIn(loginWith(t, e, ann.UserID, []string{"pwd", "otp"}, 11*time.Minute))},
			} {
				r := tc.by(t, approveOp, map[string]any{"id": mine.PublicID})
				if !slices.Equal(r.codes(), []string{"STEP_UP_REQUIRED"}) || string(r.Data["approve"]) != "null" && len(r.Data["approve"]) != 0 {
					t.Errorf("approve on %s: %+v; want STEP_UP_REQUIRED", tc.who, r.Errors)
				}
			}
			if r := e.asA(t, approveOp, map[string]any{"id": byAdmin.PublicID}); !slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
				t.Errorf("approve with an API token: %+v; want FORBIDDEN", r.Errors)
			}
			if row := e.approvalRow(t, mine.ID); row.Status != approvalrequest.StatusPending || row.DecidedBy != nil {
				t.Fatalf("a refused approval changed the request: %+v", row)
			}
			if n := e.approvalEvents(t, mine.PublicID, "approval.decision_refused"); n != 2 {
				t.Errorf("%d refused decisions audited; want 2", n)
			}

			r := annStrong(t, approveOp, map[string]any{"id": mine.PublicID})
			var got approvalView
			r.field(t, "approve", &got)
			if len(r.Errors) != 0 || got.Status != "approved" || got.DecidedByEmail == nil || *got.DecidedByEmail != annEmail ||
				!slices.Contains(got.DecidedAmr, "otp") || got.DecidedAt == nil || got.CanDecide {
				t.Fatalf("approve with an authenticator app just now: %+v, %+v", got, r.Errors)
			}
			evs := e.approvalEventRows(t, mine.PublicID, "approval.approved")
			if len(evs) != 1 || evs[0].ActorID != id(ann.UserID) || !strings.Contains(evs[0].Details["amr"], "otp") || !evs[0].ApprovalRequired {
				t.Errorf("approval.approved events: %+v", evs)
			}

			r = annStrong(t, approveOp, map[string]any{"id": mine.PublicID})
			if !slices.Equal(r.codes(), []string{"CONFLICT"}) {
				t.Errorf("approving twice: %+v; want CONFLICT", r.Errors)
			}
			if r := annStrong(t, denyOp, map[string]any{"id": mine.PublicID}); !slices.Equal(r.codes(), []string{"CONFLICT"}) {
				t.Errorf("denying an approved request: %+v; want CONFLICT", r.Errors)
			}
			if r := annStrong(t, approveOp, map[string]any{"id": expired.PublicID}); !slices.Equal(r.codes(), []string{"CONFLICT"}) {
				t.Errorf("approving an expired request: %+v; want CONFLICT", r.Errors)
			}
		})

		t.Run("only its approvers decide a request", func(t *testing.T) {
			ownerStrong := e.personIn(loginWith(t, e, e.a.owner.UserID, []string{"pwd", "hwk"}, 0))
			bobStrong := e.personIn(loginWith(t, e, bob.UserID, []string{"pwd", "otp"}, 0))
			for _, tc := range []struct {
				who, op, id string
				by          actor
				code        string
			}{
				// A request another member may not see does not exist for them.
				{"Bob approves Ann's", approveOp, mine.PublicID, bobStrong, "NOT_FOUND"},
				{"Ann approves Bob's", approveOp, bobs.PublicID, annStrong, "NOT_FOUND"},
				{"Bob denies an admin's", denyOp, byAdmin.PublicID, bobStrong, "NOT_FOUND"},
				// Ann sees a request in her name but the policy gives it to admins.
				{"Ann approves an admin's", approveOp, byAdmin.PublicID, annStrong, "FORBIDDEN"},
				{"Ann denies an admin's", denyOp, byAdmin.PublicID, annStrong, "FORBIDDEN"},
				{"A's owner decides B's", approveOp, stray.PublicID, ownerStrong, "NOT_FOUND"},
				{"A's owner decides none", approveOp, "apr_none", ownerStrong, "NOT_FOUND"},
			} {
				r := tc.by(t, tc.op, map[string]any{"id": tc.id})
				if !slices.Equal(r.codes(), []string{tc.code}) {
					t.Errorf("%s: %+v; want %s", tc.who, r.Errors, tc.code)
				}
			}
			subjectOnly := newApproval(t, e, e.a, pendingApproval{userID: ann.UserID})
			if r := ownerStrong(t, approveOp, map[string]any{"id": subjectOnly.PublicID}); !slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
				t.Errorf("the owner approves what only Ann may: %+v; want FORBIDDEN", r.Errors)
			}
			if row := e.approvalRow(t, stray.ID); row.Status != approvalrequest.StatusPending {
				t.Errorf("B's request: %+v; want it pending", row)
			}

			// An admin approves what the policy gives admins.
			r := ownerStrong(t, approveOp, map[string]any{"id": byAdmin.PublicID})
			var got approvalView
			r.field(t, "approve", &got)
			if len(r.Errors) != 0 || got.Status != "approved" || !slices.Contains(got.DecidedAmr, "hwk") {
				t.Errorf("the owner approves an admin's: %+v, %+v", got, r.Errors)
			}

			// Denying needs no step-up, and keeps the reason.
			r = bobPwd(t, denyOp, map[string]any{"id": byMember.PublicID, "reason": "  not this invoice  "})
			r.field(t, "deny", &got)
			if len(r.Errors) != 0 || got.Status != "denied" || got.DenyReason != "not this invoice" || got.DecidedByEmail == nil ||
				*got.DecidedByEmail != "bob@a.example" || len(got.DecidedAmr) != 0 {
				t.Errorf("Bob denies a member's: %+v, %+v", got, r.Errors)
			}
			evs := e.approvalEventRows(t, byMember.PublicID, "approval.denied")
			if len(evs) != 1 || evs[0].Details["reason"] != "not this invoice" || evs[0].ActorID != id(bob.UserID) {
				t.Errorf("approval.denied events: %+v", evs)
			}
			if r := bobPwd(t, denyOp, map[string]any{"id": bobs.PublicID, "reason": strings.Repeat("x", 501)}); !slices.Equal(r.codes(), []string{"BAD_USER_INPUT"}) {
				t.Errorf("a 501-character reason: %+v; want BAD_USER_INPUT", r.Errors)
			}
		})
	})
}

// approvalRow reads a request as the system.
func (e *env) approvalRow(t *testing.T, rowID int) *ent.ApprovalRequest {
	t.Helper()
	r, err := e.c.ApprovalRequest.Get(e.sysAll, rowID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// approvalEventRows are the audit events of one approval with action.
func (e *env) approvalEventRows(t *testing.T, approvalID, action string) []*ent.AuditEvent {
	t.Helper()
	evs, err := e.c.AuditEvent.Query().Where(auditevent.ApprovalID(approvalID), auditevent.Action(action)).All(e.sysAll)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (e *env) approvalEvents(t *testing.T, approvalID, action string) int {
	t.Helper()
	return len(e.approvalEventRows(t, approvalID, action))
}

// The approval policies: admins only; every scope named must be in the
// catalog; schemas must be JSON and compile; one audited change.
func TestApprovalPolicies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		update := `mutation($scopes: [ScopeApprovalInput!], $types: [AuthorizationDetailTypeInput!]) {
			updateApprovalPolicies(scopes: $scopes, detailTypes: $types) {
				scopes { scope rule { approverRole waitMinutes } }
				detailTypes { type description schema approval { approverRole waitMinutes } } } }`
		schema := `{"type":"object","required":["invoice","amount"],"properties":{"invoice":{"type":"string"},"amount":{"type":"string"}}}`
		refund := map[string]any{"type": "refund", "description": "Refund an invoice", "schema": schema,
			"approval": map[string]any{"approverRole": "admin", "waitMinutes": 30}}
		rule := func(role string, wait int) map[string]any {
			return map[string]any{"approverRole": role, "waitMinutes": wait}
		}

		before, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			by    actor
			vars  map[string]any
			code  string
			field string
			msg   string
		}{
			{"a member", e.asAMember, map[string]any{"scopes": []any{}}, "FORBIDDEN", "", "admin"},
			{"a scope not in the catalog", e.asA, map[string]any{"scopes": []any{map[string]any{"scope": "payroll:run", "rule": rule("", 0)}}},
				"BAD_USER_INPUT", "scopes", "payroll:run"},
			{"a scope twice", e.asA, map[string]any{"scopes": []any{map[string]any{"scope": "a:read", "rule": rule("", 0)},
				map[string]any{"scope": "a:read", "rule": rule("admin", 0)}}}, "BAD_USER_INPUT", "scopes", "twice"},
			{"an unknown role", e.asA, map[string]any{"scopes": []any{map[string]any{"scope": "a:read", "rule": rule("god", 0)}}},
				"BAD_USER_INPUT", "settings", "approverRole"},
			{"a wait of two days", e.asA, map[string]any{"scopes": []any{map[string]any{"scope": "a:read", "rule": rule("", 2880)}}},
				"BAD_USER_INPUT", "settings", "waitMinutes"},
			{"a schema that is not JSON", e.asA, map[string]any{"types": []any{map[string]any{"type": "refund", "description": "x", "schema": "{type: object"}}},
				"BAD_USER_INPUT", "detailTypes", "not JSON"},
			{"a schema that does not compile", e.asA, map[string]any{"types": []any{map[string]any{"type": "refund", "description": "x", "schema": `{"type": 12}`}}},
				"BAD_USER_INPUT", "settings", "does not compile"},
			{"a remote reference", e.asA, map[string]any{"types": []any{map[string]any{"type": "refund", "description": "x",
				"schema": `{"$ref": "https://schemas.example/refund.json"}`}}}, "BAD_USER_INPUT", "settings", "self-contained"},
			{"a bad type name", e.asA, map[string]any{"types": []any{map[string]any{"type": "re fund", "description": "x", "schema": schema}}},
				"BAD_USER_INPUT", "settings", "re fund"},
		} {
			r := tc.by(t, update, tc.vars)
			if !slices.Equal(r.codes(), []string{tc.code}) || (tc.field != "" && r.Errors[0].Extensions["field"] != tc.field) ||
				!strings.Contains(r.Errors[0].Message, tc.msg) {
				t.Errorf("%s: %+v; want %s on %q mentioning %q", tc.name, r.Errors, tc.code, tc.field, tc.msg)
			}
		}
		if r := e.asAMember(t, `{ approvalPolicies { scopes { scope } } }`, nil); !slices.Equal(r.codes(), []string{"FORBIDDEN"}) {
			t.Errorf("approvalPolicies as a member: %+v; want FORBIDDEN", r.Errors)
		}
		if after, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID); err != nil || !samePolicies(before, after) {
			t.Fatalf("refused updates changed the settings: %+v (%v)", after.Settings, err)
		}

		r := e.asA(t, update, map[string]any{"scopes": []any{map[string]any{"scope": "a:read", "rule": rule("", 0)}}, "types": []any{refund}})
		var got struct {
			Scopes []struct {
				Scope string
				Rule  struct {
					ApproverRole string
					WaitMinutes  int
				}
			}
			DetailTypes []struct {
				Type, Description, Schema string
				Approval                  *struct {
					ApproverRole string
					WaitMinutes  int
				}
			}
		}
		r.field(t, "updateApprovalPolicies", &got)
		if len(r.Errors) != 0 || len(got.Scopes) != 1 || got.Scopes[0].Scope != "a:read" || got.Scopes[0].Rule.ApproverRole != "" ||
			got.Scopes[0].Rule.WaitMinutes != 10 || len(got.DetailTypes) != 1 || got.DetailTypes[0].Type != "refund" ||
			got.DetailTypes[0].Approval == nil || got.DetailTypes[0].Approval.ApproverRole != "admin" || got.DetailTypes[0].Approval.WaitMinutes != 30 {
			t.Fatalf("updateApprovalPolicies = %+v, %+v", got, r.Errors)
		}
		var sch map[string]any
		if err := json.Unmarshal([]byte(got.DetailTypes[0].Schema), &sch); err != nil || sch["type"] != "object" {
			t.Errorf("the stored schema = %q (%v)", got.DetailTypes[0].Schema, err)
		}
		tn, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID)
		if err != nil || tn.Settings.ScopeApproval("a:read") == nil || tn.Settings.Approvals(nil, []string{"refund"})["type:refund"].ApproverRole != "admin" {
			t.Fatalf("A's settings after the update: %+v (%v)", tn.Settings, err)
		}
		// The catalog keeps its descriptions; B is untouched.
		if tn.Settings.Scopes[0].Description != before.Settings.Scopes[0].Description {
			t.Errorf("the catalog lost its description: %+v", tn.Settings.Scopes)
		}
		if tb, err := e.c.Tenant.Get(e.sysAll, e.b.tenant.ID); err != nil || tb.Settings.ScopeApproval("b:read") != nil || len(tb.Settings.DetailTypes) != 0 {
			t.Errorf("B's settings after A's update: %+v (%v)", tb.Settings, err)
		}
		evs, err := e.c.AuditEvent.Query().Where(auditevent.TenantID(e.a.tenant.ID), auditevent.Action("tenant.settings_updated")).
			Order(ent.Desc(auditevent.FieldSeq)).All(e.sysAll)
		if err != nil || len(evs) == 0 || evs[0].Details["approval_scopes"] != "a:read(subject,10m0s)" || evs[0].Details["approval_types"] != "refund(admin,30m0s)" {
			t.Fatalf("the audit of the update: %+v (%v)", evs, err)
		}

		q := `{ approvalPolicies { scopes { scope rule { approverRole waitMinutes } } detailTypes { type approval { approverRole } } } }`
		if r := e.asA(t, q, nil); len(r.Errors) != 0 || !strings.Contains(string(r.Data["approvalPolicies"]), `"scope":"a:read"`) ||
			!strings.Contains(string(r.Data["approvalPolicies"]), `"type":"refund"`) {
			t.Errorf("approvalPolicies = %s, %+v", r.Data["approvalPolicies"], r.Errors)
		}

		// An empty list: no scope needs approval; the types stay (not given).
		r = e.asA(t, update, map[string]any{"scopes": []any{}})
		r.field(t, "updateApprovalPolicies", &got)
		if len(r.Errors) != 0 || len(got.Scopes) != 0 || len(got.DetailTypes) != 1 {
			t.Errorf("updateApprovalPolicies(scopes: []) = %+v, %+v", got, r.Errors)
		}
		if tn, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID); err != nil || tn.Settings.ScopeApproval("a:read") != nil ||
			len(tn.Settings.Scopes) != len(before.Settings.Scopes) {
			t.Errorf("A's catalog after clearing: %+v (%v)", tn.Settings.Scopes, err)
		}
	})
}

// samePolicies says whether two tenants' approval policies are equal.
func samePolicies(a, b *ent.Tenant) bool {
	x, _ := json.Marshal([]any{a.Settings.Scopes, a.Settings.DetailTypes})
	y, _ := json.Marshal([]any{b.Settings.Scopes, b.Settings.DetailTypes})
	return string(x) == string(y)
}

// The isolation cases of the approval fields (entries of gqlCases). B's
// requests are stored directly: state does not list them, and B's audit
// chain stays as it was.

func approvalRequestsCase(t *testing.T, e *env) {
	own := newApproval(t, e, e.a, pendingApproval{userID: e.a.member.UserID})
	// B's request names A's member's user id: only its tenant differs.
	stray := newApproval(t, e, e.b, pendingApproval{userID: e.a.member.UserID, approverRole: "member"})
	for who, by := range map[string]actor{"A's owner": e.asA, "A's member": e.asAMember} {
		got := inbox(t, by, "")
		if _, ok := got[own.PublicID]; !ok {
			t.Errorf("approvalRequests as %s = %v; want A's %s (control)", who, inboxIDs(got), own.PublicID)
		}
		if _, ok := got[stray.PublicID]; ok {
			t.Errorf("approvalRequests as %s lists B's %s", who, stray.PublicID)
		}
	}
}

func approvalRequestCase(t *testing.T, e *env) {
	own := newApproval(t, e, e.a, pendingApproval{userID: e.a.member.UserID})
	stray := newApproval(t, e, e.b, pendingApproval{userID: e.a.member.UserID})
	q := `query($id: String!) { approvalRequest(id: $id) { id userEmail summary } }`
	for who, by := range map[string]actor{"A's owner": e.asA, "A's member": e.asAMember} {
		r := by(t, q, map[string]any{"id": stray.PublicID})
		none := by(t, q, map[string]any{"id": "apr_nowhere"})
		if string(r.Data["approvalRequest"]) != "null" || errorsWithout(r, 0) != errorsWithout(none, 0) {
			t.Errorf("approvalRequest(B's) as %s = %s, %+v; want null, as for one that exists nowhere (%+v)", who,
				r.Data["approvalRequest"], r.Errors, none.Errors)
		}
		if ok := by(t, q, map[string]any{"id": own.PublicID}); !strings.Contains(string(ok.Data["approvalRequest"]), own.PublicID) {
			t.Errorf("approvalRequest(A's own) as %s = %s, %+v (control)", who, ok.Data["approvalRequest"], ok.Errors)
		}
	}
}

// approvalPoliciesCase: A's answer is exactly A's policy, which B's
// (none) differs from. (B's own token is not used: using it changes B.)
func approvalPoliciesCase(t *testing.T, e *env) {
	r := e.asA(t, `mutation { updateApprovalPolicies(scopes: [{scope: "a:read", rule: {approverRole: "admin"}}]) { scopes { scope } } }`, nil)
	if len(r.Errors) != 0 {
		t.Fatalf("fixture: %+v", r.Errors)
	}
	t.Cleanup(func() { e.asA(t, `mutation { updateApprovalPolicies(scopes: []) { scopes { scope } } }`, nil) })
	q := `{ approvalPolicies { scopes { scope rule { approverRole } } detailTypes { type } } }`
	if got := string(e.asA(t, q, nil).Data["approvalPolicies"]); got != `{"scopes":[{"scope":"a:read","rule":{"approverRole":"admin"}}],"detailTypes":[]}` {
		t.Errorf("approvalPolicies as A's owner = %s; want A's", got)
	}
}

// decideOnB runs op (approve or deny) as A's member, strongly signed in,
// on B's request naming them: NOT_FOUND as for a request that exists
// nowhere, B's request still pending; A's own works (control).
func decideOnB(t *testing.T, e *env, op, field string) {
	own := newApproval(t, e, e.a, pendingApproval{userID: e.a.member.UserID})
	stray := newApproval(t, e, e.b, pendingApproval{userID: e.a.member.UserID})
	strong := e.personIn(loginWith(t, e, e.a.member.UserID, []string{"pwd", "otp"}, 0))
	mutationOnBBy(t, e, strong, op, field, map[string]any{"id": stray.PublicID}, map[string]any{"id": own.PublicID},
		map[string]any{"id": "apr_nowhere"})
	if row := e.approvalRow(t, stray.ID); row.Status != approvalrequest.StatusPending || row.DecidedBy != nil {
		t.Errorf("B's request after %s from A: %+v", field, row)
	}
	if row := e.approvalRow(t, own.ID); row.Status == approvalrequest.StatusPending {
		t.Errorf("A's own request after %s: %+v (control)", field, row)
	}
}

func approveCase(t *testing.T, e *env) { decideOnB(t, e, approveOp, "approve") }

func denyCase(t *testing.T, e *env) { decideOnB(t, e, denyOp, "deny") }

func updateApprovalPoliciesCase(t *testing.T, e *env) {
	before := e.state(t, e.b.tenant.ID)
	op := `mutation($scopes: [ScopeApprovalInput!]) { updateApprovalPolicies(scopes: $scopes) { scopes { scope } } }`
	// B's catalog scope is not in A's catalog.
	r := e.asA(t, op, map[string]any{"scopes": []any{map[string]any{"scope": "b:read", "rule": map[string]any{}}}})
	if !slices.Equal(r.codes(), []string{"BAD_USER_INPUT"}) {
		t.Errorf("updateApprovalPolicies naming B's scope: %+v; want BAD_USER_INPUT", r.Errors)
	}
	r = e.asA(t, op, map[string]any{"scopes": []any{map[string]any{"scope": "a:read", "rule": map[string]any{}}}})
	if len(r.Errors) != 0 {
		t.Fatalf("updateApprovalPolicies on A (control): %+v", r.Errors)
	}
	t.Cleanup(func() { e.asA(t, op, map[string]any{"scopes": []any{}}) })
	e.bUnchanged(t, before)
	if tb, err := e.c.Tenant.Get(e.sysAll, e.b.tenant.ID); err != nil || tb.Settings.ScopeApproval("b:read") != nil || len(tb.Settings.DetailTypes) != 0 {
		t.Errorf("B's settings after A's update: %+v (%v)", tb.Settings, err)
	}
	if ta, err := e.c.Tenant.Get(e.sysAll, e.a.tenant.ID); err != nil || ta.Settings.ScopeApproval("a:read") == nil {
		t.Errorf("A's settings after A's update: %+v (%v)", ta.Settings, err)
	}
}
