package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
)

// grantJSON is a delegation grant as the CLI prints it.
type grantJSON struct {
	ID        int        `json:"id"`
	UserID    int        `json:"user_id"`
	UserEmail string     `json:"user_email,omitempty"`
	AgentID   int        `json:"agent_id"`
	Agent     string     `json:"agent,omitempty"`
	ClientID  string     `json:"client_id,omitempty"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt time.Time  `json:"expires_at"`
	Status    string     `json:"status"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// grantsJSON describes grants with their people's emails and agents'
// names, read as the workspace's system.
func (a *app) grantsJSON(ctx context.Context, gs []*ent.DelegationGrant) ([]grantJSON, error) {
	out := make([]grantJSON, 0, len(gs))
	users, agents := map[int]*ent.User{}, map[int]*ent.Agent{}
	for _, g := range gs {
		if _, ok := users[g.UserID]; !ok {
			u, err := a.db.Client.User.Get(ctx, g.UserID)
			if err != nil && !ent.IsNotFound(err) {
				return nil, err
			}
			users[g.UserID] = u
		}
		if _, ok := agents[g.AgentID]; !ok {
			ag, err := a.db.Client.Agent.Get(ctx, g.AgentID)
			if err != nil && !ent.IsNotFound(err) {
				return nil, err
			}
			agents[g.AgentID] = ag
		}
		j := grantJSON{ID: g.ID, UserID: g.UserID, AgentID: g.AgentID, Scopes: g.Scopes, ExpiresAt: g.ExpiresAt.UTC(),
			Status: string(g.Status), RevokedAt: g.RevokedAt, CreatedAt: g.CreatedAt.UTC()}
		if u := users[g.UserID]; u != nil {
			j.UserEmail = u.Email
		}
		if ag := agents[g.AgentID]; ag != nil {
			j.Agent, j.ClientID = ag.Name, ag.ClientID
		}
		out = append(out, j)
	}
	return out, nil
}

// grantText is one line about a grant.
func grantText(g grantJSON) string {
	who := g.UserEmail
	if who == "" {
		who = fmt.Sprintf("user %d", g.UserID)
	}
	agent := g.Agent
	if agent == "" {
		agent = fmt.Sprintf("agent %d", g.AgentID)
	}
	return fmt.Sprintf("%d  %s  %s -> %s  %s  until %s", g.ID, g.Status, who, agent, strings.Join(g.Scopes, " "),
		g.ExpiresAt.Format(time.RFC3339))
}

// grantCmd manages delegation grants as the workspace's system: what an
// admin does in the dashboard, for scripts and incidents.
func (a *app) grantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "grant", Short: "List, narrow and revoke the grants people gave agents"}
	var (
		slug, expires string
		id            int
		scopes        []string
	)
	service := func() *delegation.Service { return delegation.NewService(a.db.Client, audit.NewRecorder()) }
	one := func(ctx context.Context, g *ent.DelegationGrant, verb string) error {
		js, err := a.grantsJSON(ctx, []*ent.DelegationGrant{g})
		if err != nil {
			return err
		}
		return a.emit(js[0], "grant %s: %s", verb, grantText(js[0]))
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List a workspace's delegation grants, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "grant list")
			if err != nil {
				return err
			}
			gs, err := service().List(sys)
			if err != nil {
				return err
			}
			js, err := a.grantsJSON(sys, gs)
			if err != nil {
				return err
			}
			lines := make([]string, 0, len(js))
			for _, g := range js {
				lines = append(lines, grantText(g))
			}
			if len(lines) == 0 {
				lines = append(lines, "no grants in "+slug)
			}
			return a.emit(map[string]any{"tenant": slug, "grants": js}, "%s", strings.Join(lines, "\n"))
		},
	}
	narrow := &cobra.Command{
		Use:   "narrow",
		Short: "Narrow an active grant: fewer scopes and/or an earlier expiry; tokens with a dropped scope stop at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var keep []string
			if cmd.Flags().Changed("scopes") {
				keep = make([]string, 0, len(scopes))
				for _, s := range scopes {
					if s = strings.TrimSpace(s); s != "" {
						keep = append(keep, s)
					}
				}
			}
			var exp *time.Time
			if cmd.Flags().Changed("expires") {
				t, err := time.Parse(time.RFC3339, expires)
				if err != nil {
					return fmt.Errorf("--expires %q: write an RFC 3339 time, e.g. 2026-12-01T17:00:00Z", expires)
				}
				exp = &t
			}
			if keep == nil && exp == nil {
				return fmt.Errorf("give --scopes, --expires or both")
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "grant narrow")
			if err != nil {
				return err
			}
			g, err := service().Narrow(sys, id, keep, exp)
			if err != nil {
				return err
			}
			return one(sys, g, "narrowed")
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a grant: every token derived from it stops at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "grant revoke")
			if err != nil {
				return err
			}
			g, err := service().Revoke(sys, id)
			if err != nil {
				return err
			}
			return one(sys, g, "revoked")
		},
	}
	for _, c := range []*cobra.Command{list, narrow, revoke} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		_ = c.MarkFlagRequired("tenant")
	}
	for _, c := range []*cobra.Command{narrow, revoke} {
		c.Flags().IntVar(&id, "id", 0, "the grant's id, as grant list shows it (required)")
		_ = c.MarkFlagRequired("id")
	}
	narrow.Flags().StringSliceVar(&scopes, "scopes", nil, "the scopes to keep, comma-separated: a subset of the grant's")
	narrow.Flags().StringVar(&expires, "expires", "", "the new expiry (RFC 3339): in the future, no later than the grant's")
	cmd.AddCommand(list, narrow, revoke)
	return cmd
}
