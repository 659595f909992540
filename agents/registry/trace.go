package registry

import (
	"context"
	"slices"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
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
	// Approval says whether a human approved an action of the run: none
	// until approvals exist.
	Approval string
	Actions  []*ent.AuditEvent
	Children []*TraceNode
}

// traceWindow bounds how many run-stamped audit events a trace reads.
const traceWindow = 5000

// Trace returns the tree of a run: the run, and every run whose tokens
// named it as their parent, recursively, from the audit trail. Admins
// only (a trace shows what agents did for people).
func (s *Service) Trace(ctx context.Context, run string) (*TraceNode, error) {
	v := viewer.FromContext(ctx)
	if !(v.IsSystem() && v.HasTenant()) && !(v.Kind != viewer.Agent && v.Role.AtLeast(viewer.RoleAdmin)) {
		return nil, apperr.New(apperr.Forbidden, "only an admin can read agent traces")
	}
	if run == "" {
		return nil, apperr.InvalidField("run", "name a run")
	}
	events, err := s.client.AuditEvent.Query().Where(auditevent.RunIDNEQ("")).
		Order(ent.Desc(auditevent.FieldSeq)).Limit(traceWindow).All(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "audit events")
	}
	slices.Reverse(events)
	nodes := map[string]*TraceNode{}
	node := func(r string) *TraceNode {
		n := nodes[r]
		if n == nil {
			n = &TraceNode{Run: r, Approval: "none"}
			nodes[r] = n
		}
		return n
	}
	for _, e := range events {
		n := node(e.RunID)
		n.Actions = append(n.Actions, e)
		if e.Action == "token.issued" {
			if pr := e.Details["parent_run"]; pr != "" && n.ParentRun == "" {
				n.ParentRun = pr
			}
			if n.Agent == nil && e.ClientID != "" {
				if a, err := s.ByClient(ctx, e.ClientID); err == nil {
					n.Agent = a
				}
			}
			if len(n.Scope) == 0 {
				n.Scope = e.Scope
			}
		}
	}
	root, ok := nodes[run]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no run %q in the recent audit trail", run)
	}
	for r, n := range nodes {
		if n.ParentRun != "" && r != run {
			if p, ok := nodes[n.ParentRun]; ok && p != n {
				p.Children = append(p.Children, n)
			}
		}
	}
	// Guard against a cycle of parent runs: walk from the root only.
	seen := map[*TraceNode]bool{}
	var prune func(n *TraceNode)
	prune = func(n *TraceNode) {
		seen[n] = true
		kids := n.Children[:0]
		for _, c := range n.Children {
			if !seen[c] {
				kids = append(kids, c)
				prune(c)
			}
		}
		n.Children = kids
	}
	prune(root)
	return root, nil
}
