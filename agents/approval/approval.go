// Package approval is the approver's side of human approval: who may
// decide an agent's request (the person it acts for, or members with a
// role), the inbox, the decision (approving needs a recent strong
// authentication: a passkey or an authenticator app), and the
// notifications that go with each step (email to the approvers, signed
// webhook events, the CIBA ping to the agent).
//
// The protocol side (the backchannel authentication endpoint, the CIBA
// grant and the single-use token) lives in the issuer (auth/oidc/issuer);
// the policies (which scopes and authorization_details types need
// approval, who approves, how long a request waits) are workspace
// settings (tenants/settings).
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/membership"
	entsession "github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// Config wires a Service.
type Config struct {
	Client   *ent.Client
	Audit    *audit.Recorder
	Flows    *signin.Flows
	Webhooks *webhooks.Service
	BaseURL  string
	Now      func() time.Time
	Log      *slog.Logger
}

// Service decides approval requests.
type Service struct{ cfg Config }

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.NewRecorder()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

// Request is an approval request as an approver sees it.
type Request struct {
	*ent.ApprovalRequest
	// Status is the stored status, or expired for a pending request past
	// its expiry.
	Status string
	// Agent is the requesting agent's name; Chain names every agent from
	// it up to the top-level one (client ids, the agent first).
	Agent string
	// User is the email of the person the agent acts for.
	User string
	// DecidedByEmail is the approver's email, once decided.
	DecidedByEmail string
	// CanDecide says whether the viewer may approve or deny it now.
	CanDecide bool
}

// Filter narrows List.
type Filter struct {
	// Status is pending, approved, denied, expired, issued or used; empty
	// means all.
	Status string
	Limit  int
}

var roleRank = map[string]int{"member": 1, "admin": 2, "owner": 3}

// mayDecide says whether v is an approver of r: the person the agent acts
// for, or (when the policy names a role) any member holding that role.
func mayDecide(v viewer.Viewer, r *ent.ApprovalRequest) bool {
	if v.Kind != viewer.Human {
		return false
	}
	if r.ApproverRole == "" {
		return v.ID == r.UserID
	}
	return roleRank[string(v.Role)] >= roleRank[r.ApproverRole]
}

// List returns the requests the viewer may see, newest first: an admin
// (or the operator, as the workspace's system) sees every request of the
// workspace; anyone else, the requests made in their name and those they
// may decide. At most 1000 (200 unless Filter.Limit says otherwise).
func (s *Service) List(ctx context.Context, f Filter) ([]*Request, error) {
	v := viewer.FromContext(ctx)
	operator := v.IsSystem() && v.HasTenant()
	if v.Kind != viewer.Human && !operator && !(v.Kind == viewer.APIToken && v.Role.AtLeast(viewer.RoleAdmin)) {
		return nil, apperr.New(apperr.Forbidden, "only people see approval requests")
	}
	q := s.cfg.Client.ApprovalRequest.Query().Order(ent.Desc(approvalrequest.FieldID))
	if !v.Role.AtLeast(viewer.RoleAdmin) {
		roles := []string{}
		for role, rank := range roleRank {
			if rank <= roleRank[string(v.Role)] {
				roles = append(roles, role)
			}
		}
		q = q.Where(approvalrequest.Or(approvalrequest.UserID(v.ID), approvalrequest.ApproverRoleIn(roles...)))
	}
	now := s.cfg.Now()
	switch f.Status {
	case "":
	case "pending":
		q = q.Where(approvalrequest.StatusEQ(approvalrequest.StatusPending), approvalrequest.ExpiresAtGT(now))
	case "expired":
		q = q.Where(approvalrequest.Or(approvalrequest.StatusEQ(approvalrequest.StatusExpired),
			approvalrequest.And(approvalrequest.StatusEQ(approvalrequest.StatusPending), approvalrequest.ExpiresAtLTE(now))))
	default:
		st := approvalrequest.Status(f.Status)
		if err := approvalrequest.StatusValidator(st); err != nil {
			return nil, apperr.InvalidField("status", "status must be pending, approved, denied, expired, issued or used")
		}
		q = q.Where(approvalrequest.StatusEQ(st))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 1000)
	rows, err := q.Limit(limit).All(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "approval requests")
	}
	return s.describe(ctx, rows)
}

// Get returns one request the viewer may see, by its approval id.
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	v := viewer.FromContext(ctx)
	row, err := s.cfg.Client.ApprovalRequest.Query().Where(approvalrequest.PublicID(id)).Only(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "approval request")
	}
	if !v.Role.AtLeast(viewer.RoleAdmin) && !mayDecide(v, row) && row.UserID != v.ID {
		return nil, apperr.New(apperr.NotFound, "approval request not found")
	}
	out, err := s.describe(ctx, []*ent.ApprovalRequest{row})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// describe adds names, the effective status and whether the viewer may
// decide, with one query per kind of name.
func (s *Service) describe(ctx context.Context, rows []*ent.ApprovalRequest) ([]*Request, error) {
	v := viewer.FromContext(ctx)
	sys := viewer.AsSystem(ctx, "approval inbox")
	var userIDs, agentIDs []int
	for _, r := range rows {
		userIDs = append(userIDs, r.UserID)
		if r.DecidedBy != nil {
			userIDs = append(userIDs, *r.DecidedBy)
		}
		agentIDs = append(agentIDs, r.AgentID)
	}
	users, err := s.cfg.Client.User.Query().Where(user.IDIn(userIDs...)).All(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "people")
	}
	emails := map[int]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	agents, err := s.cfg.Client.Agent.Query().Where(agent.IDIn(agentIDs...)).All(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "agents")
	}
	names := map[int]string{}
	for _, a := range agents {
		names[a.ID] = a.Name
	}
	now := s.cfg.Now()
	out := make([]*Request, 0, len(rows))
	for _, r := range rows {
		st := string(r.Status)
		if r.Status == approvalrequest.StatusPending && !r.ExpiresAt.After(now) {
			st = "expired"
		}
		q := &Request{ApprovalRequest: r, Status: st, Agent: names[r.AgentID], User: emails[r.UserID],
			CanDecide: st == "pending" && mayDecide(v, r)}
		if r.DecidedBy != nil {
			q.DecidedByEmail = emails[*r.DecidedBy]
		}
		out = append(out, q)
	}
	return out, nil
}

// Decision is an approver's answer.
type Decision struct {
	ID      string
	Approve bool
	// Reason may explain a denial to the agent's owners.
	Reason string
}

// Decide records an approver's answer, once. Approving needs the viewer's
// session to have authenticated with a passkey or an authenticator app
// within the workspace's step-up window (ErrStepUp otherwise); denying
// needs only the session. An approved grant request creates the
// delegation grant in the same transaction.
func (s *Service) Decide(ctx context.Context, d Decision) (*Request, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Human {
		return nil, apperr.New(apperr.Forbidden, "only a person may decide an approval request")
	}
	if len(d.Reason) > 500 {
		return nil, apperr.InvalidField("reason", "the reason must be at most 500 characters")
	}
	row, err := s.cfg.Client.ApprovalRequest.Query().Where(approvalrequest.PublicID(d.ID)).Only(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "approval request")
	}
	if !mayDecide(v, row) {
		if row.UserID != v.ID && !v.Role.AtLeast(viewer.RoleAdmin) {
			return nil, apperr.New(apperr.NotFound, "approval request not found")
		}
		s.refused(ctx, row, "not an approver of this request")
		return nil, apperr.New(apperr.Forbidden, "you may not decide this request: %s", approverText(row))
	}
	if row.Status != approvalrequest.StatusPending {
		return nil, apperr.New(apperr.Conflict, "this request was already %s", row.Status)
	}
	now := s.cfg.Now()
	if !row.ExpiresAt.After(now) {
		return nil, apperr.New(apperr.Conflict, "this request expired")
	}
	var amr []string
	var authTime time.Time
	if d.Approve {
		if v.SessionID == 0 || s.cfg.Flows == nil {
			s.refused(ctx, row, "no signed-in session")
			return nil, apperr.New(apperr.Forbidden, "approving needs a signed-in session with a passkey or authenticator-app confirmation")
		}
		cur, err := s.cfg.Client.Session.Query().Where(entsession.ID(v.SessionID), entsession.UserID(v.ID)).
			Only(viewer.AsSystem(ctx, "approver session"))
		if err != nil {
			return nil, apperr.Wrap(err, "session")
		}
		if err := s.cfg.Flows.RequireRecent(ctx, cur, true); err != nil {
			s.refused(ctx, row, "no recent strong authentication")
			return nil, err
		}
		amr, authTime = cur.Amr, cur.AuthTime
	}
	err = entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		sys := viewer.AsSystem(ctx, "approval decision")
		upd := tx.ApprovalRequest.Update().Where(approvalrequest.ID(row.ID), approvalrequest.StatusEQ(approvalrequest.StatusPending),
			approvalrequest.ExpiresAtGT(now)).SetDecidedBy(v.ID).SetDecidedAt(now.UTC()).SetDecidedAmr(amr)
		action, event := "approval.denied", "approval.denied"
		details := map[string]string{"user_id": strconv.Itoa(row.UserID), "approver": v.Label}
		if d.Approve {
			// An agent stopped since the request can use no approval: none
			// is recorded (and no grant given to it).
			if ok, err := chainActive(ctx, tx, row); err != nil {
				return err
			} else if !ok {
				return errAgentStopped
			}
			action, event = "approval.approved", "approval.approved"
			details["amr"] = strings.Join(amr, " ")
			details["auth_time"] = authTime.UTC().Format(time.RFC3339)
			upd.SetStatus(approvalrequest.StatusApproved)
			if row.Kind == approvalrequest.KindGrant {
				gid, err := s.grant(ctx, tx, row)
				if err != nil {
					return err
				}
				upd.SetCreatedGrantID(gid)
				details["grant_given"] = strconv.Itoa(gid)
			}
		} else {
			upd.SetStatus(approvalrequest.StatusDenied).SetDenyReason(strings.TrimSpace(d.Reason))
			if d.Reason != "" {
				details["reason"] = strings.TrimSpace(d.Reason)
			}
		}
		n, err := upd.Save(sys)
		if err != nil {
			return apperr.Wrap(err, "approval request")
		}
		if n != 1 {
			return apperr.New(apperr.Conflict, "this request was decided or expired meanwhile")
		}
		if _, err := s.cfg.Audit.Record(ctx, tx, event0(row, action, audit.Success, details)); err != nil {
			return apperr.Wrap(err, "audit event")
		}
		return s.decided(ctx, tx, row, event, map[string]any{"decided_by": v.Label, "amr": amr})
	})
	if errors.Is(err, errAgentStopped) {
		s.refused(ctx, row, "the agent is no longer active")
		return nil, apperr.New(apperr.Conflict, "the agent that asked is suspended or revoked: it can use no approval, deny the request instead")
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, d.ID)
}

// errAgentStopped: an agent of the request's chain is no longer active.
var errAgentStopped = errors.New("approval: the agent is no longer active")

// chainActive says whether the requesting agent and every agent of its
// chain are still active, in tx.
func chainActive(ctx context.Context, tx *ent.Tx, row *ent.ApprovalRequest) (bool, error) {
	chain := slices.Compact(slices.Sorted(slices.Values(append([]string{row.ClientID}, row.AgentChain...))))
	n, err := tx.Agent.Query().Where(agent.ClientIDIn(chain...), agent.StatusEQ(agent.StatusActive)).
		Count(viewer.AsSystem(ctx, "approval agent status"))
	if err != nil {
		return false, apperr.Wrap(err, "agents")
	}
	return n == len(chain), nil
}

// grant gives the delegation an approved grant request asked for.
func (s *Service) grant(ctx context.Context, tx *ent.Tx, row *ent.ApprovalRequest) (int, error) {
	sys := viewer.AsSystem(ctx, "delegation grant")
	exp := s.cfg.Now().Add(time.Duration(row.GrantSeconds) * time.Second).UTC().Truncate(time.Second)
	scopes := slices.DeleteFunc(slices.Clone(row.Scopes), func(s string) bool { return s == "openid" })
	scopes = append([]string{"openid"}, scopes...)
	g, err := tx.DelegationGrant.Create().SetUserID(row.UserID).SetAgentID(row.AgentID).SetScopes(scopes).
		SetExpiresAt(exp).Save(sys)
	if err != nil {
		return 0, apperr.Wrap(err, "grant")
	}
	_, err = s.cfg.Audit.Record(ctx, tx, audit.Event{Action: "grant.given", TargetType: "delegation_grant",
		TargetID: strconv.Itoa(g.ID), ClientID: row.ClientID, AgentChain: row.AgentChain, GrantID: strconv.Itoa(g.ID),
		Scope: scopes, ApprovalID: row.PublicID,
		Details: map[string]string{"expires_at": exp.Format(time.RFC3339), "via": "ciba"}})
	return g.ID, apperr.Wrap(err, "audit event")
}

// refused audits a refused decision (wrong approver, no step-up).
func (s *Service) refused(ctx context.Context, row *ent.ApprovalRequest, why string) {
	s.cfg.Audit.RecordAlone(ctx, s.cfg.Client, s.cfg.Log, event0(row, "approval.decision_refused", audit.Denied,
		map[string]string{"reason": why}))
}

// event0 is an audit event about request row.
func event0(row *ent.ApprovalRequest, action string, outcome audit.Outcome, details map[string]string) audit.Event {
	ev := audit.ForApproval(row, action, outcome, details)
	if row.AuthorizationDetails != "" {
		ev.Details["authorization_details"] = row.AuthorizationDetails
	}
	return ev
}

// eventData is the "data" of a webhook event about row: what an approver
// or an automation needs, never a secret.
func eventData(row *ent.ApprovalRequest, extra map[string]any) map[string]any {
	out := map[string]any{"approval_id": row.PublicID, "kind": string(row.Kind), "client_id": row.ClientID,
		"agent_chain": row.AgentChain, "user_id": strconv.Itoa(row.UserID), "scope": strings.Join(row.Scopes, " "),
		"binding_message": row.BindingMessage, "expires_at": row.ExpiresAt.UTC().Format(time.RFC3339)}
	if row.AuthorizationDetails != "" {
		out["authorization_details"] = json.RawMessage(row.AuthorizationDetails)
	}
	if row.GrantID != 0 {
		out["grant_id"] = strconv.Itoa(row.GrantID)
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func approverText(row *ent.ApprovalRequest) string {
	if row.ApproverRole == "" {
		return "only the person the agent acts for may"
	}
	return "only members with the role " + row.ApproverRole + " or higher may"
}

// Requested records the webhook event of a new request, in its
// transaction (the issuer calls it).
func (s *Service) Requested(ctx context.Context, tx *ent.Tx, row *ent.ApprovalRequest) error {
	if s.cfg.Webhooks == nil {
		return nil
	}
	return s.cfg.Webhooks.Enqueue(ctx, tx, "approval.requested", row.PublicID, eventData(row, nil))
}

// SealPing seals a ping client's notification token (the issuer calls it).
func (s *Service) SealPing(tenantID int, approvalID, bearer, authReqID string) ([]byte, error) {
	return s.cfg.Webhooks.SealPing(tenantID, approvalID, bearer, authReqID)
}

// Notify emails the approvers of a new request, after it committed, and
// audits who was told.
func (s *Service) Notify(ctx context.Context, row *ent.ApprovalRequest) {
	sys := viewer.AsSystem(ctx, "approval notification")
	q := s.cfg.Client.User.Query().Where(user.Disabled(false))
	if row.ApproverRole == "" {
		q = q.Where(user.ID(row.UserID))
	} else {
		roles := []membership.Role{}
		for role, rank := range roleRank {
			if rank >= roleRank[row.ApproverRole] {
				roles = append(roles, membership.Role(role))
			}
		}
		q = q.Where(user.HasMembershipWith(membership.RoleIn(roles...)))
	}
	approvers, err := q.Limit(50).All(sys)
	if err != nil {
		s.cfg.Log.ErrorContext(ctx, "approval notification", "err", err)
		return
	}
	t, err := s.cfg.Client.Tenant.Get(sys, row.TenantID)
	if err != nil {
		s.cfg.Log.ErrorContext(ctx, "approval notification", "err", err)
		return
	}
	name := row.ClientID
	if a, err := s.cfg.Client.Agent.Get(sys, row.AgentID); err == nil {
		name = a.Name
	}
	link := s.cfg.BaseURL + "/w/" + t.Slug + "/approvals?id=" + row.PublicID
	for _, u := range approvers {
		if s.cfg.Flows != nil {
			s.cfg.Flows.Notify(ctx, mail.ApprovalRequested, u.Email, mail.Data{Workspace: t.Name, Link: link,
				Agent: name, Summary: Summary(row)})
		}
	}
	s.cfg.Audit.RecordAlone(ctx, s.cfg.Client, s.cfg.Log, event0(row, "approval.notified", audit.Success,
		map[string]string{"email_recipients": strconv.Itoa(len(approvers)), "approver_role": row.ApproverRole}))
}

// Summary says in one line what a request asks for: its binding message
// and each authorization detail ("refund: invoice INV-1001, amount 42.00
// EUR"), else its scopes.
func Summary(row *ent.ApprovalRequest) string {
	var parts []string
	if row.BindingMessage != "" {
		parts = append(parts, strconv.Quote(row.BindingMessage))
	}
	var items []map[string]any
	if row.AuthorizationDetails != "" && json.Unmarshal([]byte(row.AuthorizationDetails), &items) == nil {
		for _, it := range items {
			var fields []string
			keys := make([]string, 0, len(it))
			for k := range it {
				if k != "type" {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				b, _ := json.Marshal(it[k])
				fields = append(fields, k+" "+strings.Trim(string(b), `"`))
			}
			typ, _ := it["type"].(string)
			parts = append(parts, typ+": "+strings.Join(fields, ", "))
		}
	}
	if row.Kind == approvalrequest.KindGrant {
		parts = append(parts, "a delegation of "+strings.Join(row.Scopes, " "))
	} else if len(items) == 0 {
		parts = append(parts, strings.Join(row.Scopes, " "))
	}
	return strings.Join(parts, "; ")
}

// decided records, in the decision's transaction, the webhook event of a
// decision and, for a ping client, the CIBA ping that tells it to redeem
// its auth_req_id.
func (s *Service) decided(ctx context.Context, tx *ent.Tx, row *ent.ApprovalRequest, event string, extra map[string]any) error {
	if s.cfg.Webhooks == nil {
		return nil
	}
	if err := s.cfg.Webhooks.Enqueue(ctx, tx, event, row.PublicID, eventData(row, extra)); err != nil {
		return apperr.Wrap(err, "webhook")
	}
	if row.DeliveryMode == approvalrequest.DeliveryModePing && len(row.NotificationToken) > 0 {
		return apperr.Wrap(s.cfg.Webhooks.EnqueuePing(ctx, tx, row.NotificationEndpoint, row.PublicID, row.NotificationToken), "ping")
	}
	return nil
}

// DenyAsOperator denies a pending request as the workspace's system (an
// operator's `mandate approval deny`): the agent's poll answers
// access_denied, and the audit names the system, not a person, as the
// one who denied. Nobody approves this way: approving needs a person's
// strong authentication (Decide).
func (s *Service) DenyAsOperator(ctx context.Context, id, reason string) (*Request, error) {
	v := viewer.FromContext(ctx)
	if !v.IsSystem() || !v.HasTenant() {
		return nil, apperr.New(apperr.Forbidden, "only an operator, acting as a workspace's system, may deny this way")
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > 500 {
		return nil, apperr.InvalidField("reason", "the reason must be at most 500 characters")
	}
	row, err := s.cfg.Client.ApprovalRequest.Query().Where(approvalrequest.PublicID(id)).Only(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "approval request")
	}
	if row.Status != approvalrequest.StatusPending {
		return nil, apperr.New(apperr.Conflict, "this request was already %s", row.Status)
	}
	now := s.cfg.Now()
	if !row.ExpiresAt.After(now) {
		return nil, apperr.New(apperr.Conflict, "this request expired")
	}
	err = entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		n, err := tx.ApprovalRequest.Update().Where(approvalrequest.ID(row.ID), approvalrequest.StatusEQ(approvalrequest.StatusPending),
			approvalrequest.ExpiresAtGT(now)).SetStatus(approvalrequest.StatusDenied).SetDecidedAt(now.UTC()).
			SetDenyReason(reason).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "approval request")
		}
		if n != 1 {
			return apperr.New(apperr.Conflict, "this request was decided or expired meanwhile")
		}
		details := map[string]string{"user_id": strconv.Itoa(row.UserID), "approver": v.Label}
		if reason != "" {
			details["reason"] = reason
		}
		if _, err := s.cfg.Audit.Record(ctx, tx, event0(row, "approval.denied", audit.Success, details)); err != nil {
			return apperr.Wrap(err, "audit event")
		}
		return s.decided(ctx, tx, row, "approval.denied", map[string]any{"decided_by": v.Label})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}
