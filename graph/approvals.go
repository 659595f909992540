package graph

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/graph/model"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/settings"
)

// WithApprovals wires the approvers' inbox and decisions (human approval
// of agents' requests, OpenID CIBA).
func (h *Handler) WithApprovals(s *approval.Service) *Handler {
	h.resolver.approvals = s
	return h
}

func (r *Resolver) approvalsOrErr() (*approval.Service, error) {
	if r.approvals == nil {
		return nil, apperr.New(apperr.Internal, "approvals are not configured")
	}
	return r.approvals, nil
}

// approvalPolicies renders a workspace's approval policies: the catalog
// scopes that need approval, and every authorization_details type.
func approvalPolicies(s settings.Tenant) *model.ApprovalPolicies {
	out := &model.ApprovalPolicies{Scopes: []*model.ScopeApproval{}, DetailTypes: []*model.AuthorizationDetailType{}}
	for _, sc := range s.Scopes {
		if sc.Approval != nil {
			out.Scopes = append(out.Scopes, &model.ScopeApproval{Scope: sc.Name, Rule: approvalRule(sc.Approval)})
		}
	}
	for _, d := range s.DetailTypes {
		var rule *model.ApprovalRule
		if d.Approval != nil {
			rule = approvalRule(d.Approval)
		}
		out.DetailTypes = append(out.DetailTypes, &model.AuthorizationDetailType{Type: d.Type, Description: d.Description,
			Schema: string(d.Schema), Approval: rule})
	}
	return out
}

// approvalRule renders a rule with its effective wait (the default when
// unset).
func approvalRule(r *settings.ApprovalRule) *model.ApprovalRule {
	return &model.ApprovalRule{ApproverRole: r.ApproverRole, WaitMinutes: int(r.Wait().Minutes())}
}

// ruleInput parses an approval rule's input; validation of its values is
// the settings' (one message for every problem).
func ruleInput(in *model.ApprovalRuleInput) *settings.ApprovalRule {
	r := &settings.ApprovalRule{}
	if in == nil {
		return r
	}
	if in.ApproverRole != nil {
		r.ApproverRole = *in.ApproverRole
	}
	if in.WaitMinutes != nil {
		r.WaitMinutes = *in.WaitMinutes
	}
	return r
}

// catalogWithApprovals returns the scope catalog with exactly the listed
// scopes needing approval (the rest lose their rule). Every listed scope
// must be in the catalog, once.
func catalogWithApprovals(catalog []settings.Scope, in []*model.ScopeApprovalInput) ([]settings.Scope, error) {
	rules := map[string]*settings.ApprovalRule{}
	for _, sa := range in {
		if !slices.ContainsFunc(catalog, func(sc settings.Scope) bool { return sc.Name == sa.Scope }) {
			return nil, apperr.InvalidField("scopes", "%q is not in the scope catalog: add it there first", sa.Scope)
		}
		if rules[sa.Scope] != nil {
			return nil, apperr.InvalidField("scopes", "%q is listed twice", sa.Scope)
		}
		rules[sa.Scope] = ruleInput(sa.Rule)
	}
	out := slices.Clone(catalog)
	for i := range out {
		out[i].Approval = rules[out[i].Name]
	}
	return out, nil
}

// detailTypesInput parses authorization_details types; each schema must be
// JSON text (whether it compiles is the settings' check).
func detailTypesInput(in []*model.AuthorizationDetailTypeInput) ([]settings.DetailType, error) {
	out := make([]settings.DetailType, 0, len(in))
	for _, d := range in {
		var schema bytes.Buffer
		if err := json.Compact(&schema, []byte(d.Schema)); err != nil {
			return nil, apperr.InvalidField("detailTypes", "detail type %q: the schema is not JSON", d.Type)
		}
		dt := settings.DetailType{Type: d.Type, Description: d.Description, Schema: json.RawMessage(schema.Bytes())}
		if d.Approval != nil {
			dt.Approval = ruleInput(d.Approval)
		}
		out = append(out, dt)
	}
	return out, nil
}
