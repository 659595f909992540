package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/passkey"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/graph"
	"github.com/mandatehq/mandate/tenants"
)

// mfaEdge is the two-factor capability's edge: its HTTP routes (mounted
// with the other extra edges) and its GraphQL fields.
type mfaEdge struct {
	*mfa.Handler
	svc *mfa.Service
}

// wireGraph adds the edge's GraphQL services.
func (e mfaEdge) wireGraph(gh *graph.Handler) *graph.Handler { return gh.WithSecurity(e.svc) }

// resetFactorsCmd is `mandate user reset-factors`: an operator's reset of a
// member's second factors (a lost phone, no admin at hand).
func (a *app) resetFactorsCmd() *cobra.Command {
	var slug, email string
	cmd := &cobra.Command{
		Use:   "reset-factors",
		Short: "Remove a member's second factors (authenticator app, recovery codes, passkeys); the member is mailed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := tenants.NormalizeEmail(email)
			if err != nil {
				return err
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "user reset-factors")
			if err != nil {
				return err
			}
			u, err := a.db.Client.User.Query().Where(user.Email(addr), user.HasMembership()).Only(sys)
			if err != nil {
				return fmt.Errorf("no member %s in %s", addr, slug)
			}
			base := env("BASE_URL", "http://127.0.0.1:8080")
			flows, err := a.signinFlows(base)
			if err != nil {
				return err
			}
			// The command exits as soon as it returns: mail first.
			flows.MailNow()
			svc, err := mfa.New(mfa.Config{Client: a.db.Client, Flows: flows, Audit: audit.NewRecorder(), Log: a.log})
			if err != nil {
				return err
			}
			// The passkeys go too, as they do when an admin resets.
			svc.AddResetter("passkeys", passkey.New(passkey.Config{Client: a.db.Client, Flows: flows, Audit: audit.NewRecorder(), BaseURL: base, Log: a.log}))
			res, err := svc.ResetFactors(sys, u.ID)
			if err != nil {
				return err
			}
			out := map[string]any{"tenant": slug, "user_id": res.UserID, "email": res.Email, "totp_removed": res.TOTPRemoved,
				"recovery_codes_removed": res.RecoveryCodesRemoved}
			others := make([]string, 0, len(res.Other))
			for factor, n := range res.Other {
				out[factor+"_removed"] = n
				others = append(others, fmt.Sprintf(", %d %s", n, factor))
			}
			sort.Strings(others)
			return a.emit(out, "reset the second factors of %s in %s: authenticator app %s, %d recovery codes%s",
				res.Email, slug, map[bool]string{true: "removed", false: "none"}[res.TOTPRemoved], res.RecoveryCodesRemoved, strings.Join(others, ""))
		},
	}
	cmd.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	cmd.Flags().StringVar(&email, "email", "", "the member's email address (required)")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("email")
	return cmd
}
