package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/graph"
)

// socialEdge is social sign-in's edge: its HTTP routes (mounted with the
// other extra edges) and its GraphQL fields.
type socialEdge struct {
	*social.Handler
	svc *social.Service
}

// wireGraph adds the edge's GraphQL services.
func (e socialEdge) wireGraph(gh *graph.Handler) *graph.Handler { return gh.WithSocial(e.svc) }

// socialService builds the social sign-in service for the CLI (which only
// configures providers: no sign-in flows).
func (a *app) socialService() (*social.Service, error) {
	if _, err := a.cfg.LoadSecret(); err != nil {
		return nil, err
	}
	return social.New(social.Config{Client: a.db.Client, Tenants: a.tenants, Audit: audit.NewRecorder(), MasterSecret: a.cfg.Secret, PreviousSecrets: a.cfg.Masters()[1:],
		BaseURL: a.cfg.EffectiveBaseURL(), Log: a.log})
}

func providerJSON(p *ent.IdentityProvider, callback string) map[string]any {
	return map[string]any{"id": p.ID, "slug": p.Slug, "kind": string(p.Kind), "display_name": p.DisplayName, "client_id": p.ClientID,
		"has_client_secret": social.HasClientSecret(p), "issuer": p.Issuer, "scopes": p.Scopes, "enabled": p.Enabled,
		"link_verified_email": p.LinkVerifiedEmail, "allow_sign_up": p.AllowSignUp, "callback_url": callback}
}

// idpCmd is `mandate idp`: a workspace's social and OpenID Connect
// sign-in providers.
func (a *app) idpCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "idp", Short: "Manage a workspace's sign-in providers (GitHub, Google, Microsoft, GitLab, OpenID Connect)"}
	cmd.AddCommand(a.idpCreateCmd(), a.idpListCmd(), a.idpDeleteCmd())
	return cmd
}

func (a *app) idpCreateCmd() *cobra.Command {
	var (
		in         social.NewProvider
		tenant     string
		secretFile string
		disabled   bool
	)
	c := &cobra.Command{
		Use:   "create",
		Short: "Configure a provider; the client secret is read from --client-secret-file (- for stdin) and never printed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if secretFile != "" {
				var r io.Reader = os.Stdin
				if secretFile != "-" {
					f, err := os.Open(secretFile)
					if err != nil {
						return err
					}
					defer f.Close()
					r = f
				}
				b, err := io.ReadAll(io.LimitReader(r, 4096))
				if err != nil {
					return err
				}
				in.ClientSecret = strings.TrimSpace(string(b))
			}
			enabled := !disabled
			in.Enabled = &enabled
			sys, err := a.openAsOperator(cmd.Context(), tenant, "idp create")
			if err != nil {
				return err
			}
			s, err := a.socialService()
			if err != nil {
				return err
			}
			p, err := s.CreateProvider(sys, in)
			if err != nil {
				return err
			}
			cb, err := s.CallbackURL(sys, p)
			if err != nil {
				return err
			}
			return a.emit(providerJSON(p, cb), "provider %s (%s) configured in %s; register this redirect URI at the provider: %s",
				p.Slug, p.Kind, tenant, cb)
		},
	}
	f := c.Flags()
	f.StringVar(&tenant, "tenant", "", "the workspace's slug (required)")
	f.StringVar(&in.Slug, "slug", "", "the provider's name in URLs, e.g. github (required)")
	f.StringVar(&in.Kind, "kind", "", "one of "+strings.Join(social.Kinds, ", ")+" (required)")
	f.StringVar(&in.DisplayName, "name", "", "the sign-in button's label (default: the kind's name; required for oidc)")
	f.StringVar(&in.ClientID, "client-id", "", "the client id registered at the provider (required)")
	f.StringVar(&secretFile, "client-secret-file", "", "a file holding the client secret, or - for stdin")
	f.StringVar(&in.Issuer, "issuer", "", "oidc: the issuer URL; microsoft: a tenant's issuer; github/gitlab: an Enterprise or self-managed base URL")
	f.StringSliceVar(&in.Scopes, "scope", nil, "a scope to ask for (repeatable; default per kind)")
	f.BoolVar(&in.LinkVerifiedEmail, "link-verified-email", false, "link a first sign-in to the account with the same verified address")
	f.BoolVar(&in.AllowSignUp, "allow-sign-up", false, "create accounts on first sign-in (within the workspace's sign-up mode)")
	f.BoolVar(&disabled, "disabled", false, "configure it disabled")
	for _, r := range []string{"tenant", "slug", "kind", "client-id"} {
		_ = c.MarkFlagRequired(r)
	}
	return c
}

func (a *app) idpListCmd() *cobra.Command {
	var tenant string
	c := &cobra.Command{
		Use:   "list",
		Short: "List a workspace's providers (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), tenant, "idp list")
			if err != nil {
				return err
			}
			s, err := a.socialService()
			if err != nil {
				return err
			}
			ps, err := s.Providers(sys)
			if err != nil {
				return err
			}
			list := make([]map[string]any, 0, len(ps))
			text := ""
			for _, p := range ps {
				cb, err := s.CallbackURL(sys, p)
				if err != nil {
					return err
				}
				list = append(list, providerJSON(p, cb))
				state := "enabled"
				if !p.Enabled {
					state = "disabled"
				}
				text += fmt.Sprintf("%s  %s  %s  %s\n", p.Slug, p.Kind, state, p.DisplayName)
			}
			return a.emit(map[string]any{"tenant": tenant, "providers": list}, "%s", strings.TrimSuffix(text, "\n"))
		},
	}
	c.Flags().StringVar(&tenant, "tenant", "", "the workspace's slug (required)")
	_ = c.MarkFlagRequired("tenant")
	return c
}

func (a *app) idpDeleteCmd() *cobra.Command {
	var tenant, slug string
	c := &cobra.Command{
		Use:   "delete",
		Short: "Remove a provider and every account's link to it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), tenant, "idp delete")
			if err != nil {
				return err
			}
			s, err := a.socialService()
			if err != nil {
				return err
			}
			p, err := a.db.Client.IdentityProvider.Query().Where(identityprovider.Slug(slug)).Only(sys)
			if err != nil {
				return fmt.Errorf("provider %q: not found in %s", slug, tenant)
			}
			if err := s.DeleteProvider(sys, p.ID); err != nil {
				return err
			}
			return a.emit(map[string]any{"tenant": tenant, "deleted": p.ID, "slug": p.Slug}, "provider %s deleted from %s", p.Slug, tenant)
		},
	}
	c.Flags().StringVar(&tenant, "tenant", "", "the workspace's slug (required)")
	c.Flags().StringVar(&slug, "slug", "", "the provider's slug (required)")
	_ = c.MarkFlagRequired("tenant")
	_ = c.MarkFlagRequired("slug")
	return c
}
