package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/graph"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
)

// approvalEdge is human approval's edge: the approvers' inbox and
// decisions in GraphQL. CIBA itself is the issuer's, so it mounts no
// routes of its own.
type approvalEdge struct{ svc *approval.Service }

// Mount adds nothing: the issuer serves the backchannel endpoint.
func (approvalEdge) Mount(*http.ServeMux) {}

// wireGraph adds the edge's GraphQL services.
func (e approvalEdge) wireGraph(gh *graph.Handler) *graph.Handler { return gh.WithApprovals(e.svc) }

// approvalJSON is an approval request as the CLI prints it.
type approvalJSON struct {
	ID                   string          `json:"id"`
	Kind                 string          `json:"kind"`
	Status               string          `json:"status"`
	Agent                string          `json:"agent"`
	ClientID             string          `json:"client_id"`
	AgentChain           []string        `json:"agent_chain"`
	User                 string          `json:"user"`
	Scopes               []string        `json:"scopes"`
	AuthorizationDetails json.RawMessage `json:"authorization_details"`
	BindingMessage       string          `json:"binding_message"`
	Summary              string          `json:"summary"`
	Requires             []string        `json:"requires"`
	ApproverRole         string          `json:"approver_role"`
	CreatedAt            time.Time       `json:"created_at"`
	ExpiresAt            time.Time       `json:"expires_at"`
	// DecidedBy is the approver's email, "system" for an operator's
	// denial, empty while undecided.
	DecidedBy  string     `json:"decided_by"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	DecidedAmr []string   `json:"decided_amr,omitempty"`
	DenyReason string     `json:"deny_reason,omitempty"`
	UsedAt     *time.Time `json:"used_at,omitempty"`
}

func newApprovalJSON(r *approval.Request) approvalJSON {
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	j := approvalJSON{ID: r.PublicID, Kind: string(r.Kind), Status: r.Status, Agent: r.Agent, ClientID: r.ClientID,
		AgentChain: orEmpty(r.AgentChain), User: r.User, Scopes: orEmpty(r.Scopes), BindingMessage: r.BindingMessage,
		Summary: approval.Summary(r.ApprovalRequest), Requires: orEmpty(r.Requires), ApproverRole: r.ApproverRole,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), DecidedBy: r.DecidedByEmail, DecidedAt: r.DecidedAt,
		DecidedAmr: r.DecidedAmr, DenyReason: r.DenyReason, UsedAt: r.UsedAt}
	if r.AuthorizationDetails != "" && json.Valid([]byte(r.AuthorizationDetails)) {
		j.AuthorizationDetails = json.RawMessage(r.AuthorizationDetails)
	}
	if j.DecidedBy == "" && r.DecidedAt != nil {
		j.DecidedBy = "system"
	}
	return j
}

// approvalText is one line about a request.
func approvalText(j approvalJSON) string {
	line := fmt.Sprintf("%s  %s  %s for %s  %s  until %s", j.ID, j.Status, j.Agent, j.User, j.Summary, j.ExpiresAt.Format(time.RFC3339))
	if j.DecidedBy != "" {
		line += "  decided by " + j.DecidedBy
	}
	return line
}

// approvalStatuses are the statuses list filters on.
var approvalStatuses = []string{"pending", "approved", "denied", "expired", "issued", "used"}

// approvalService builds the approval service for the CLI: no sign-in
// flows (nobody approves here), the webhooks so a denial is announced.
func (a *app) approvalService() (*approval.Service, error) {
	hooks, err := a.webhooksService()
	if err != nil {
		return nil, err
	}
	return approval.New(approval.Config{Client: a.db.Client, Audit: audit.NewRecorder(), Webhooks: hooks,
		BaseURL: a.cfg.EffectiveBaseURL(), Log: a.log}), nil
}

// approvalCmd is `mandate approval`: agents' requests for a person's
// approval (OpenID CIBA) and the policies that call for them.
func (a *app) approvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "approval",
		Short: "List and deny agents' approval requests; set which scopes and authorization_details types need approval",
		Long: `Agents ask a person to approve one action (OpenID CIBA with authorization_details)
when a scope or an authorization_details type needs approval.

An operator may list, show and deny requests here. Approving is not offered:
it needs the approver's own strong authentication (a passkey or an
authenticator-app confirmation), which only the dashboard's approvals inbox
(or the GraphQL approve mutation, in a person's session) can check.`,
	}
	var (
		slug, status, id, reason string
		limit                    int
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List a workspace's approval requests, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !slices.Contains(approvalStatuses, status) {
				return fmt.Errorf("--status %q: use %s", status, strings.Join(approvalStatuses, ", "))
			}
			if limit < 1 || limit > 1000 {
				return errors.New("--limit must be between 1 and 1000")
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "approval list")
			if err != nil {
				return err
			}
			// Reading needs no webhooks (nor the master secret).
			rs, err := approval.New(approval.Config{Client: a.db.Client, Log: a.log}).List(sys, approval.Filter{Status: status, Limit: limit})
			if err != nil {
				return err
			}
			js := make([]approvalJSON, 0, len(rs))
			lines := make([]string, 0, len(rs))
			for _, r := range rs {
				j := newApprovalJSON(r)
				js = append(js, j)
				lines = append(lines, approvalText(j))
			}
			if len(lines) == 0 {
				lines = append(lines, "no approval requests in "+slug)
			}
			return a.emit(map[string]any{"tenant": slug, "approvals": js}, "%s", strings.Join(lines, "\n"))
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Show one approval request: the agent chain, the person, the exact details and the decision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "approval show")
			if err != nil {
				return err
			}
			// Reading needs no webhooks (nor the master secret).
			svc := approval.New(approval.Config{Client: a.db.Client, Log: a.log})
			r, err := svc.Get(sys, id)
			if err != nil {
				return err
			}
			j := newApprovalJSON(r)
			text := approvalText(j)
			if j.AuthorizationDetails != nil {
				text += "\nauthorization_details: " + string(j.AuthorizationDetails)
			}
			if len(j.AgentChain) > 0 {
				text += "\nagent chain: " + strings.Join(j.AgentChain, " <- ")
			}
			if j.DenyReason != "" {
				text += "\ndenied because: " + j.DenyReason
			}
			return a.emit(j, "%s", text)
		},
	}
	deny := &cobra.Command{
		Use:   "deny",
		Short: "Deny a pending request as the operator: the agent's poll answers access_denied (approving needs a person in the dashboard)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "approval deny")
			if err != nil {
				return err
			}
			svc, err := a.approvalService()
			if err != nil {
				return err
			}
			r, err := svc.DenyAsOperator(sys, id, reason)
			if err != nil {
				return err
			}
			j := newApprovalJSON(r)
			return a.emit(j, "denied: %s", approvalText(j))
		},
	}
	for _, c := range []*cobra.Command{list, show, deny} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		_ = c.MarkFlagRequired("tenant")
	}
	for _, c := range []*cobra.Command{show, deny} {
		c.Flags().StringVar(&id, "id", "", "the approval id (apr_…), as approval list shows it (required)")
		_ = c.MarkFlagRequired("id")
	}
	list.Flags().StringVar(&status, "status", "", "only requests with this status: "+strings.Join(approvalStatuses, ", "))
	list.Flags().IntVar(&limit, "limit", 200, "at most this many requests")
	deny.Flags().StringVar(&reason, "reason", "", "why, for the agent's owners and the audit (at most 500 characters)")
	cmd.AddCommand(list, show, deny, a.approvalPolicyCmd(), a.approvalTypeCmd())
	return cmd
}

// ruleJSON is an approval rule as the CLI prints it.
type ruleJSON struct {
	ApproverRole string `json:"approver_role"`
	WaitMinutes  int    `json:"wait_minutes"`
}

func newRuleJSON(r *settings.ApprovalRule) *ruleJSON {
	if r == nil {
		return nil
	}
	return &ruleJSON{ApproverRole: r.ApproverRole, WaitMinutes: int(r.Wait().Minutes())}
}

func ruleText(r *settings.ApprovalRule) string {
	if r == nil {
		return "no approval"
	}
	who := "the person the agent acts for"
	if r.ApproverRole != "" {
		who = "a member with the role " + r.ApproverRole + " or higher"
	}
	return fmt.Sprintf("approved by %s, waits %s", who, r.Wait())
}

// emitPolicies prints a workspace's approval policies: the catalog scopes
// that need approval and every authorization_details type.
func (a *app) emitPolicies(slug string, st settings.Tenant) error {
	type scopeJSON struct {
		Scope string `json:"scope"`
		ruleJSON
	}
	type typeJSON struct {
		Type        string          `json:"type"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Approval    *ruleJSON       `json:"approval"`
	}
	scopes, types := []scopeJSON{}, []typeJSON{}
	var lines []string
	for _, sc := range st.Scopes {
		if sc.Approval != nil {
			scopes = append(scopes, scopeJSON{Scope: sc.Name, ruleJSON: *newRuleJSON(sc.Approval)})
			lines = append(lines, fmt.Sprintf("scope %s: %s", sc.Name, ruleText(sc.Approval)))
		}
	}
	for _, d := range st.DetailTypes {
		types = append(types, typeJSON{Type: d.Type, Description: d.Description, Schema: d.Schema, Approval: newRuleJSON(d.Approval)})
		lines = append(lines, fmt.Sprintf("type %s (%s): %s", d.Type, d.Description, ruleText(d.Approval)))
	}
	if len(lines) == 0 {
		lines = append(lines, "nothing in "+slug+" needs approval")
	}
	return a.emit(map[string]any{"tenant": slug, "scopes": scopes, "detail_types": types}, "%s", strings.Join(lines, "\n"))
}

// approvalPolicyCmd is `mandate approval policy`: which catalog scopes
// need approval.
func (a *app) approvalPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Show the approval policies; mark catalog scopes as needing approval"}
	var (
		slug, scope, role string
		wait              int
	)
	// setRule gives scope its rule (nil: none), as the workspace's system.
	setRule := func(ctx context.Context, why string, rule *settings.ApprovalRule) error {
		sys, err := a.openAsOperator(ctx, slug, why)
		if err != nil {
			return err
		}
		t, err := a.tenants.TenantBySlug(sys, slug)
		if err != nil {
			return err
		}
		catalog := slices.Clone(t.Settings.Scopes)
		i := slices.IndexFunc(catalog, func(sc settings.Scope) bool { return sc.Name == scope })
		if i < 0 {
			return fmt.Errorf("--scope %q is not in %s's scope catalog: add it with `mandate scopes set` first", scope, slug)
		}
		catalog[i].Approval = rule
		t, err = a.tenants.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &catalog})
		if err != nil {
			return err
		}
		return a.emitPolicies(slug, t.Settings)
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the scopes and authorization_details types that need approval, and who approves",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "approval policy list")
			if err != nil {
				return err
			}
			t, err := a.tenants.TenantBySlug(sys, slug)
			if err != nil {
				return err
			}
			return a.emitPolicies(slug, t.Settings)
		},
	}
	set := &cobra.Command{
		Use:   "set",
		Short: "Make a catalog scope need a person's approval for every token that carries it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return setRule(cmd.Context(), "approval policy set", &settings.ApprovalRule{ApproverRole: role, WaitMinutes: wait})
		},
	}
	unset := &cobra.Command{
		Use:   "unset",
		Short: "Let a catalog scope be issued without approval again",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return setRule(cmd.Context(), "approval policy unset", nil)
		},
	}
	for _, c := range []*cobra.Command{list, set, unset} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		_ = c.MarkFlagRequired("tenant")
	}
	for _, c := range []*cobra.Command{set, unset} {
		c.Flags().StringVar(&scope, "scope", "", "a scope of the workspace's catalog (required)")
		_ = c.MarkFlagRequired("scope")
	}
	set.Flags().StringVar(&role, "approver-role", "", "who approves: empty for the person the agent acts for, else member, admin or owner (that role or higher)")
	set.Flags().IntVar(&wait, "wait", 0, "how long a request waits for a decision, in minutes (default 10, at most 1440)")
	cmd.AddCommand(list, set, unset)
	return cmd
}

// approvalTypeCmd is `mandate approval type`: the RFC 9396
// authorization_details types agents may send.
func (a *app) approvalTypeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "type", Short: "Declare the authorization_details types agents may send, and which need approval"}
	var (
		slug, typ, schemaFile, desc, role string
		needsApproval                     bool
		wait                              int
	)
	// change replaces the detail types with edit's result, as the
	// workspace's system.
	change := func(ctx context.Context, why string, edit func([]settings.DetailType) ([]settings.DetailType, error)) error {
		sys, err := a.openAsOperator(ctx, slug, why)
		if err != nil {
			return err
		}
		t, err := a.tenants.TenantBySlug(sys, slug)
		if err != nil {
			return err
		}
		types, err := edit(slices.Clone(t.Settings.DetailTypes))
		if err != nil {
			return err
		}
		t, err = a.tenants.UpdateSettings(sys, tenants.SettingsUpdate{DetailTypes: &types})
		if err != nil {
			return err
		}
		return a.emitPolicies(slug, t.Settings)
	}
	set := &cobra.Command{
		Use:   "set",
		Short: "Declare (or redeclare) an authorization_details type by the JSON Schema of its fields",
		Long: `Declare (or redeclare) an authorization_details type by the JSON Schema of its
fields. The declaration replaces an earlier one of the same type: without
--approval (or --approver-role or --wait, which imply it) the type needs no
approval. Without --description an earlier description is kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := os.ReadFile(schemaFile)
			if err != nil {
				return fmt.Errorf("--schema-file: %w", err)
			}
			var schema bytes.Buffer
			if err := json.Compact(&schema, raw); err != nil {
				return fmt.Errorf("--schema-file %s is not JSON: %v", schemaFile, err)
			}
			d := settings.DetailType{Type: typ, Description: desc, Schema: schema.Bytes()}
			if needsApproval || cmd.Flags().Changed("approver-role") || cmd.Flags().Changed("wait") {
				d.Approval = &settings.ApprovalRule{ApproverRole: role, WaitMinutes: wait}
			}
			return change(cmd.Context(), "approval type set", func(types []settings.DetailType) ([]settings.DetailType, error) {
				i := slices.IndexFunc(types, func(x settings.DetailType) bool { return x.Type == typ })
				if i < 0 {
					return append(types, d), nil
				}
				if !cmd.Flags().Changed("description") {
					d.Description = types[i].Description
				}
				types[i] = d
				return types, nil
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove",
		Short: "Stop accepting an authorization_details type",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return change(cmd.Context(), "approval type remove", func(types []settings.DetailType) ([]settings.DetailType, error) {
				i := slices.IndexFunc(types, func(x settings.DetailType) bool { return x.Type == typ })
				if i < 0 {
					return nil, fmt.Errorf("--type %q is not declared in %s", typ, slug)
				}
				return slices.Delete(types, i, i+1), nil
			})
		},
	}
	for _, c := range []*cobra.Command{set, remove} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		c.Flags().StringVar(&typ, "type", "", "the authorization_details type, e.g. refund (required)")
		_ = c.MarkFlagRequired("tenant")
		_ = c.MarkFlagRequired("type")
	}
	fl := set.Flags()
	fl.StringVar(&schemaFile, "schema-file", "", "a file holding the type's self-contained JSON Schema (required)")
	fl.StringVar(&desc, "description", "", "what an object of the type asks for, for approvers")
	fl.BoolVar(&needsApproval, "approval", false, "every token carrying the type needs a person's approval of that exact object")
	fl.StringVar(&role, "approver-role", "", "who approves: empty for the person the agent acts for, else member, admin or owner")
	fl.IntVar(&wait, "wait", 0, "how long a request waits for a decision, in minutes (default 10, at most 1440)")
	_ = set.MarkFlagRequired("schema-file")
	cmd.AddCommand(set, remove)
	return cmd
}
