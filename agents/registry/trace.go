package registry

import (
	"context"
	"github.com/mandatehq/mandate/auth/audit"
	"slices"
	"strings"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/agentrun"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// TraceNode is one run of an agent in a trace: who ran it, with what
// authority, what it did, and the runs it started below it.
type TraceNode struct {
	Run       string
	ParentRun string
	Agent     *ent.Agent
	Scope     []string
	// Approval is the state of the run's approval requests: "none", or
	// each request as "apr_… STATUS by APPROVER (amr)", oldest first.
	Approval string
	Actions  []*ent.AuditEvent
	Children []*TraceNode
}

// Bounds of a trace: how deep and how wide the tree is read, and how many
// of each run's audit events (its latest) it shows.
const (
	traceMaxDepth       = 16
	traceMaxRuns        = 500
	traceActionsPerNode = 200
)

// Trace returns the tree of a run, read from the recorded runs (AgentRun,
// written by the issuer with each run's first token): the run, and every
// run started under it, recursively, each with its agent, the scope of its
// first token, and its latest actions from the audit trail. However old a
// run is, it is found. Admins only (a trace shows what agents did for
// people).
func (s *Service) Trace(ctx context.Context, run string) (*TraceNode, error) {
	v := viewer.FromContext(ctx)
	if !(v.IsSystem() && v.HasTenant()) && !(v.Kind != viewer.Agent && v.Role.AtLeast(viewer.RoleAdmin)) {
		return nil, apperr.New(apperr.Forbidden, "only an admin can read agent traces")
	}
	if run == "" {
		return nil, apperr.InvalidField("run", "name a run")
	}
	rootRow, err := s.client.AgentRun.Query().Where(agentrun.RunID(run)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "no run %q", run)
	}
	if err != nil {
		return nil, apperr.Wrap(err, "run")
	}
	rows := []*ent.AgentRun{rootRow}
	root := nodeOf(rootRow)
	nodes := []*TraceNode{root}
	seen := map[string]bool{run: true}
	frontier := []*TraceNode{root}
	for depth := 0; depth < traceMaxDepth && len(frontier) > 0 && len(nodes) < traceMaxRuns; depth++ {
		byRun := make(map[string]*TraceNode, len(frontier))
		ids := make([]string, 0, len(frontier))
		for _, n := range frontier {
			byRun[n.Run] = n
			ids = append(ids, n.Run)
		}
		kids, err := s.client.AgentRun.Query().Where(agentrun.ParentRunIn(ids...)).
			Order(ent.Asc(agentrun.FieldID)).Limit(traceMaxRuns - len(nodes)).All(ctx)
		if err != nil {
			return nil, apperr.Wrap(err, "runs")
		}
		frontier = frontier[:0:0]
		for _, k := range kids {
			if seen[k.RunID] {
				continue
			}
			seen[k.RunID] = true
			n := nodeOf(k)
			byRun[k.ParentRun].Children = append(byRun[k.ParentRun].Children, n)
			rows, nodes, frontier = append(rows, k), append(nodes, n), append(frontier, n)
		}
	}
	// The agents, in one read.
	agentIDs := make([]int, 0, len(rows))
	for _, r := range rows {
		if !slices.Contains(agentIDs, r.AgentID) {
			agentIDs = append(agentIDs, r.AgentID)
		}
	}
	as, err := s.client.Agent.Query().Where(agent.IDIn(agentIDs...)).All(viewer.AsSystem(ctx, "agents of a trace"))
	if err != nil {
		return nil, apperr.Wrap(err, "agents")
	}
	byID := make(map[int]*ent.Agent, len(as))
	for _, a := range as {
		byID[a.ID] = a
	}
	if err := s.approvalStates(ctx, nodes); err != nil {
		return nil, err
	}
	audit.Settle() // the tool calls already answered are in the trail
	for i, n := range nodes {
		n.Agent = byID[rows[i].AgentID]
		// Each run's latest actions, oldest first.
		acts, err := s.client.AuditEvent.Query().Where(auditevent.RunID(n.Run)).
			Order(ent.Desc(auditevent.FieldSeq)).Limit(traceActionsPerNode).All(ctx)
		if err != nil {
			return nil, apperr.Wrap(err, "audit events")
		}
		slices.Reverse(acts)
		n.Actions = acts
	}
	return root, nil
}

// approvalStates fills each node's Approval from the approval requests
// made in its run, in two reads.
func (s *Service) approvalStates(ctx context.Context, nodes []*TraceNode) error {
	byRun := make(map[string]*TraceNode, len(nodes))
	runs := make([]string, 0, len(nodes))
	for _, n := range nodes {
		byRun[n.Run] = n
		runs = append(runs, n.Run)
	}
	reqs, err := s.client.ApprovalRequest.Query().Where(approvalrequest.RunIn(runs...)).
		Order(ent.Asc(approvalrequest.FieldID)).All(ctx)
	if err != nil {
		return apperr.Wrap(err, "approval requests")
	}
	var deciders []int
	for _, r := range reqs {
		if r.DecidedBy != nil {
			deciders = append(deciders, *r.DecidedBy)
		}
	}
	people, err := s.client.User.Query().Where(user.IDIn(deciders...)).All(viewer.AsSystem(ctx, "approvers of a trace"))
	if err != nil {
		return apperr.Wrap(err, "approvers")
	}
	emails := map[int]string{}
	for _, u := range people {
		emails[u.ID] = u.Email
	}
	for _, r := range reqs {
		n := byRun[r.Run]
		state := r.PublicID + " " + string(r.Status)
		if r.DecidedBy != nil {
			state += " by " + emails[*r.DecidedBy]
			if len(r.DecidedAmr) > 0 {
				state += " (" + strings.Join(r.DecidedAmr, " ") + ")"
			}
		}
		if n.Approval == "none" {
			n.Approval = state
		} else {
			n.Approval += "; " + state
		}
	}
	return nil
}

func nodeOf(r *ent.AgentRun) *TraceNode {
	return &TraceNode{Run: r.RunID, ParentRun: r.ParentRun, Scope: append([]string{}, r.Scopes...), Approval: "none"}
}
