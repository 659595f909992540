package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/graph"
)

// gatewayEdge is the tool gateway (its routes, and its guard that sees
// gateway paths before the mux cleans them) and the tools registry's
// GraphQL fields.
type gatewayEdge struct {
	*gateway.Gateway
	tools *gateway.Service
}

// wireGraph adds the edge's GraphQL services.
func (e gatewayEdge) wireGraph(gh *graph.Handler) *graph.Handler { return gh.WithTools(e.tools) }

// toolJSON is a tool as the CLI prints it.
type toolJSON struct {
	ID               int             `json:"id"`
	Name             string          `json:"name"`
	UpstreamURL      string          `json:"upstream_url"`
	Injection        string          `json:"injection"`
	CredentialSource string          `json:"credential_source"`
	CredentialID     int             `json:"credential_id,omitempty"`
	Operations       json.RawMessage `json:"operations"`
	Internal         bool            `json:"internal"`
	Disabled         bool            `json:"disabled"`
}

func newToolJSON(t *ent.Tool) toolJSON {
	return toolJSON{ID: t.ID, Name: t.Name, UpstreamURL: t.UpstreamURL, Injection: string(t.Injection),
		CredentialSource: string(t.CredentialSource), CredentialID: t.CredentialID, Operations: json.RawMessage(t.Operations),
		Internal: t.Internal, Disabled: t.Disabled}
}

// toolCmd is `mandate tool`: the upstream APIs agents call through the
// gateway.
func (a *app) toolCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tool", Short: "Manage the tools agents call through the gateway (/t/{slug}/gateway/{tool}/…)"}
	var (
		slug, name, description, upstream, injection, headerName, headerTemplate, queryParam, opsFile, redaction string
		credentialID                                                                                             int
		internal                                                                                                 bool
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Register a tool: its upstream, the vaulted credential injected and how, and its operations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ops, err := os.ReadFile(opsFile)
			if err != nil {
				return fmt.Errorf("--operations-file: %w", err)
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "tool create")
			if err != nil {
				return err
			}
			t, err := gateway.NewService(a.db.Client, audit.NewRecorder()).CreateTool(sys, gateway.ToolInput{Name: name,
				Description: description, UpstreamURL: upstream, Injection: tool.Injection(injection), HeaderName: headerName,
				HeaderTemplate: headerTemplate, QueryParam: queryParam, CredentialSource: tool.CredentialSourceWorkspace,
				CredentialID: credentialID, Operations: string(ops), Redaction: redaction, Internal: internal})
			if err != nil {
				return err
			}
			return a.emit(newToolJSON(t), "tool %d %s → %s", t.ID, t.Name, t.UpstreamURL)
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the workspace's tools",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "tool list")
			if err != nil {
				return err
			}
			ts, err := gateway.NewService(a.db.Client, audit.NewRecorder()).ListTools(sys)
			if err != nil {
				return err
			}
			out := make([]toolJSON, 0, len(ts))
			text := ""
			for _, t := range ts {
				out = append(out, newToolJSON(t))
				text += fmt.Sprintf("%d  %s  %s  %s\n", t.ID, t.Name, t.UpstreamURL, t.Injection)
			}
			return a.emit(map[string]any{"tools": out}, "%s", text)
		},
	}
	var id int
	del := &cobra.Command{
		Use:   "delete",
		Short: "Delete a tool: gateway calls to it stop at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id <= 0 {
				return errors.New("--id is required")
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "tool delete")
			if err != nil {
				return err
			}
			if err := gateway.NewService(a.db.Client, audit.NewRecorder()).DeleteTool(sys, id); err != nil {
				return err
			}
			return a.emit(map[string]any{"id": id, "deleted": true}, "tool %d deleted", id)
		},
	}
	for _, c := range []*cobra.Command{create, list, del} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		_ = c.MarkFlagRequired("tenant")
	}
	fl := create.Flags()
	fl.StringVar(&name, "name", "", "the tool's name, as agents' tools name it (required)")
	fl.StringVar(&description, "description", "", "what the tool is for")
	fl.StringVar(&upstream, "upstream", "", "the upstream base URL (https; http only with --internal) (required)")
	fl.StringVar(&injection, "injection", "bearer", "how the credential is injected: header, bearer, basic or query")
	fl.StringVar(&headerName, "header", "", "the header for --injection header")
	fl.StringVar(&headerTemplate, "template", "", "the header value for --injection header, with {secret}")
	fl.StringVar(&queryParam, "query-param", "", "the query parameter for --injection query")
	fl.IntVar(&credentialID, "credential", 0, "the vaulted credential's id (required)")
	fl.StringVar(&opsFile, "operations-file", "", `a JSON file of operations: [{"method":"POST","path":"/refunds/*","scope":"refunds:execute","approval":true}] (required)`)
	fl.StringVar(&redaction, "redaction", "{}", `redaction rules as JSON: {"headers":[…],"json_fields":[…]}`)
	fl.BoolVar(&internal, "internal", false, "allow a private or loopback upstream")
	for _, f := range []string{"name", "upstream", "credential", "operations-file"} {
		_ = create.MarkFlagRequired(f)
	}
	del.Flags().IntVar(&id, "id", 0, "the tool's id (required)")
	cmd.AddCommand(create, list, del)
	return cmd
}
