package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

func (a *app) migrateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and show their status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := a.open(ctx); err != nil {
				return err
			}
			st, err := a.db.Status(ctx)
			if err != nil {
				return err
			}
			current, latest, err := a.db.Versions(ctx)
			if err != nil {
				return err
			}
			if a.json {
				return a.emit(map[string]any{"dialect": a.db.Target.Dialect, "version": current, "latest": latest, "migrations": st}, "")
			}
			for _, m := range st {
				state := "pending"
				if m.Applied {
					state = "applied"
				}
				fmt.Fprintf(a.out, "%-8s %d %s\n", state, m.Version, m.Name)
			}
			return a.emit(nil, "database (%s) at version %d of %d", a.db.Target.Dialect, current, latest)
		},
	}
	return cmd
}

type tenantJSON struct {
	ID        int       `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *app) tenantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Manage workspaces"}
	var slug, name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a workspace",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := a.open(ctx); err != nil {
				return err
			}
			sys := viewer.AsSystem(audit.WithRequest(ctx, audit.Request{UserAgent: "mandate-cli"}), "cli: tenant create")
			t, err := a.tenants.CreateTenant(sys, slug, name)
			if err != nil {
				return err
			}
			return a.emit(tenantJSON{t.ID, t.Slug, t.Name, t.CreatedAt}, "created workspace %s (%s), id %d", t.Slug, t.Name, t.ID)
		},
	}
	create.Flags().StringVar(&slug, "slug", "", "the workspace's URL name: lower-case letters, digits, hyphens (required)")
	create.Flags().StringVar(&name, "name", "", "the workspace's display name (required)")
	_ = create.MarkFlagRequired("slug")
	_ = create.MarkFlagRequired("name")
	list := &cobra.Command{
		Use:   "list",
		Short: "List workspaces",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := a.open(ctx); err != nil {
				return err
			}
			ts, err := a.tenants.ListTenants(viewer.AsSystem(ctx, "cli: tenant list"))
			if err != nil {
				return err
			}
			out := make([]tenantJSON, 0, len(ts))
			for _, t := range ts {
				out = append(out, tenantJSON{t.ID, t.Slug, t.Name, t.CreatedAt})
				if !a.json {
					fmt.Fprintf(a.out, "%s\t%s\t%d\n", t.Slug, t.Name, t.ID)
				}
			}
			if a.json {
				return a.emit(map[string]any{"tenants": out}, "")
			}
			return nil
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users"}
	var (
		slug, email, pw, name, role string
		verified                    bool
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a user with a membership in a workspace",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := viewer.Role(role)
			if !r.Valid() {
				return fmt.Errorf("--role must be owner, admin or member, not %q", role)
			}
			var hash string
			if pw != "" {
				if err := password.Check(pw, email); err != nil {
					return err
				}
				var err error
				if hash, err = password.Hash(pw, password.Default); err != nil {
					return err
				}
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "user create")
			if err != nil {
				return err
			}
			m, err := a.tenants.AddMember(sys, tenants.NewMember{
				Email: email, Name: name, Role: r, PasswordHash: hash, EmailVerified: verified,
			})
			if err != nil {
				return err
			}
			u := m.Edges.User
			return a.emit(map[string]any{
				"id": u.ID, "tenant": slug, "email": u.Email, "name": u.Name, "role": string(m.Role),
				"email_verified": u.EmailVerified, "membership_id": m.ID,
			}, "created user %s (%s) in %s, id %d", u.Email, m.Role, slug, u.ID)
		},
	}
	fl := create.Flags()
	fl.StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	fl.StringVar(&email, "email", "", "the user's email address (required)")
	fl.StringVar(&pw, "password", "", "the user's password (at least 8 characters)")
	fl.StringVar(&name, "name", "", "the user's display name")
	fl.StringVar(&role, "role", "member", "owner, admin or member")
	fl.BoolVar(&verified, "verified", false, "mark the email address as verified")
	_ = create.MarkFlagRequired("tenant")
	_ = create.MarkFlagRequired("email")
	cmd.AddCommand(create, a.resetFactorsCmd())
	return cmd
}

func (a *app) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var (
		slug, name, role string
		expiresIn        time.Duration
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token; it is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := viewer.Role(role)
			if !r.Valid() {
				return fmt.Errorf("--role must be owner, admin or member, not %q", role)
			}
			if expiresIn < 0 {
				return errors.New("--expires-in must be positive")
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "token create")
			if err != nil {
				return err
			}
			in := tenants.NewAPIToken{Name: name, Role: r}
			if expiresIn > 0 {
				at := time.Now().Add(expiresIn)
				in.ExpiresAt = &at
			}
			t, tok, err := a.tenants.CreateAPIToken(sys, in)
			if err != nil {
				return err
			}
			out := map[string]any{"id": t.ID, "token": tok, "name": t.Name, "role": string(t.Role), "prefix": t.Prefix, "tenant": slug}
			if t.ExpiresAt != nil {
				out["expires_at"] = t.ExpiresAt
			}
			return a.emit(out, "%s", tok)
		},
	}
	fl := create.Flags()
	fl.StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	fl.StringVar(&name, "name", "", "a name to recognise the token by (required)")
	fl.StringVar(&role, "role", "", "owner, admin or member (required)")
	fl.DurationVar(&expiresIn, "expires-in", 0, "lifetime, e.g. 720h; never expires if unset")
	for _, f := range []string{"tenant", "name", "role"} {
		_ = create.MarkFlagRequired(f)
	}
	cmd.AddCommand(create)
	return cmd
}

func (a *app) auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Inspect the audit log"}
	var slug string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify a workspace's audit hash chain; exits non-zero on a broken chain",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "audit verify")
			if err != nil {
				return err
			}
			rep, err := audit.Verify(sys, a.db.Client)
			if err != nil {
				return err
			}
			if !rep.OK() {
				if a.json {
					_ = a.emit(map[string]any{"tenant": slug, "ok": false, "events": rep.Events, "break": rep.Break}, "")
				}
				return rep.Break
			}
			return a.emit(map[string]any{"tenant": slug, "ok": true, "events": rep.Events, "head": rep.Head},
				"audit chain of %s intact: %d events, head %s", slug, rep.Events, rep.Head)
		},
	}
	verify.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	_ = verify.MarkFlagRequired("tenant")
	cmd.AddCommand(verify)
	return cmd
}

func (a *app) keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage token-signing keys"}
	var (
		slug, alg            string
		publishFor, lifetime time.Duration
	)
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a signing key: published now, signing after --publish-for; the old one stays published until its tokens expire",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := a.cfg.LoadSecret(); err != nil {
				return err
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "keys rotate")
			if err != nil {
				return err
			}
			m, err := keys.NewManager(a.db.Client, a.cfg.Secret, audit.NewRecorder(), a.cfg.Masters()[1:]...)
			if err != nil {
				return err
			}
			k, err := m.Rotate(sys, alg, publishFor, lifetime)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"tenant": slug, "kid": k.Kid, "alg": string(k.Alg), "activates_at": k.ActivatesAt},
				"new %s key %s for %s: published now, signs from %s", k.Alg, k.Kid, slug, k.ActivatesAt.Format(time.RFC3339))
		},
	}
	fl := rotate.Flags()
	fl.StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	fl.StringVar(&alg, "alg", keys.ES256, "ES256, RS256 or EdDSA")
	fl.DurationVar(&publishFor, "publish-for", keys.DefaultPublishFor, "how long the new key is published before it signs (the first key signs at once)")
	fl.DurationVar(&lifetime, "token-lifetime", keys.DefaultTokenLifetime, "how long superseded keys stay published: the longest lifetime of a signed token")
	_ = rotate.MarkFlagRequired("tenant")
	cmd.AddCommand(rotate, a.rotateMasterCmd())
	return cmd
}

func (a *app) clientCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "client", Short: "Manage the applications registered with a workspace's issuer"}
	var (
		slug, name, jwksFile, format, authMethod, alg, backchannel string
		redirects, grants, scopes, audience, postLogout            []string
		public, requirePAR                                         bool
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Register an application; a generated secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := clients.NewClient{Name: name, RedirectURIs: redirects, GrantTypes: grants, Public: public, TokenFormat: format,
				AuthMethod: authMethod, SigningAlg: alg, Scopes: scopes, Audience: audience, PostLogoutRedirectURIs: postLogout,
				BackchannelLogoutURI: backchannel, RequirePAR: requirePAR}
			if jwksFile != "" {
				b, err := os.ReadFile(jwksFile)
				if err != nil {
					return fmt.Errorf("--jwks-file: %w", err)
				}
				in.JWKS = b
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "client create")
			if err != nil {
				return err
			}
			c, secret, err := clients.NewService(a.db.Client, audit.NewRecorder()).Create(sys, in)
			if err != nil {
				return err
			}
			out := map[string]any{
				"id": c.ID, "client_id": c.ClientID, "name": c.Name, "tenant": slug, "public": c.Public,
				"grant_types": c.GrantTypes, "redirect_uris": c.RedirectUris,
				"token_endpoint_auth_method": c.TokenEndpointAuthMethod, "token_format": string(c.TokenFormat),
				"signing_alg": string(c.SigningAlg), "scopes": c.Scopes,
			}
			if secret != "" {
				out["client_secret"] = secret
			}
			if secret != "" {
				return a.emit(out, "client_id %s\nclient_secret %s (shown once)", c.ClientID, secret)
			}
			return a.emit(out, "client_id %s (%s)", c.ClientID, c.TokenEndpointAuthMethod)
		},
	}
	fl := create.Flags()
	fl.StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	fl.StringVar(&name, "name", "", "the application's name (required)")
	fl.StringArrayVar(&redirects, "redirect-uri", nil, "an allowed redirect URI (repeatable)")
	fl.StringArrayVar(&grants, "grant", nil, "a grant type (repeatable): authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code")
	fl.BoolVar(&public, "public", false, "a public client (no secret; PKCE required)")
	fl.StringVar(&jwksFile, "jwks-file", "", "a JWK set file: the client authenticates with private_key_jwt")
	fl.StringVar(&format, "token-format", "jwt", "access token format: jwt or opaque")
	fl.StringVar(&authMethod, "auth-method", "", "for a client with a secret: client_secret_basic (default) or client_secret_post")
	fl.StringVar(&alg, "signing-alg", "ES256", "how the client's tokens are signed: ES256, RS256 or EdDSA")
	fl.StringArrayVar(&scopes, "scope", nil, "a scope the client may request (repeatable; default openid profile email offline_access)")
	fl.StringArrayVar(&audience, "audience", nil, "a resource (RFC 8707) the client may ask tokens for (repeatable)")
	fl.StringArrayVar(&postLogout, "post-logout-redirect-uri", nil, "an allowed post-logout redirect URI (repeatable)")
	fl.StringVar(&backchannel, "backchannel-logout-uri", "", "where to POST back-channel logout tokens")
	fl.BoolVar(&requirePAR, "require-par", false, "refuse authorization requests that were not pushed (RFC 9126)")
	_ = create.MarkFlagRequired("tenant")
	_ = create.MarkFlagRequired("name")
	cmd.AddCommand(create, a.clientListCmd(), a.clientRotateSecretCmd(), a.clientDisableCmd(true), a.clientDisableCmd(false))
	return cmd
}

func (a *app) clientListCmd() *cobra.Command {
	var slug string
	c := &cobra.Command{
		Use:   "list",
		Short: "List a workspace's applications (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "client list")
			if err != nil {
				return err
			}
			cs, err := clients.NewService(a.db.Client, audit.NewRecorder()).List(sys)
			if err != nil {
				return err
			}
			list := make([]map[string]any, 0, len(cs))
			text := ""
			for _, c := range cs {
				list = append(list, map[string]any{"id": c.ID, "client_id": c.ClientID, "name": c.Name, "public": c.Public,
					"grant_types": c.GrantTypes, "token_endpoint_auth_method": c.TokenEndpointAuthMethod,
					"token_format": string(c.TokenFormat), "disabled": c.DisabledAt != nil})
				text += fmt.Sprintf("%s  %s  %s\n", c.ClientID, c.TokenEndpointAuthMethod, c.Name)
			}
			return a.emit(map[string]any{"tenant": slug, "clients": list}, "%s", strings.TrimSuffix(text, "\n"))
		},
	}
	c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	_ = c.MarkFlagRequired("tenant")
	return c
}

func (a *app) clientRotateSecretCmd() *cobra.Command {
	var slug, id string
	c := &cobra.Command{
		Use:   "rotate-secret",
		Short: "Replace an application's secret; the new one is printed once and the old one stops working",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "client rotate-secret")
			if err != nil {
				return err
			}
			_, secret, err := clients.NewService(a.db.Client, audit.NewRecorder()).RotateSecret(sys, id)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"client_id": id, "client_secret": secret}, "client_secret %s (shown once)", secret)
		},
	}
	c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	c.Flags().StringVar(&id, "client-id", "", "the application's client_id (required)")
	_ = c.MarkFlagRequired("tenant")
	_ = c.MarkFlagRequired("client-id")
	return c
}

func (a *app) clientDisableCmd(disable bool) *cobra.Command {
	var slug, id string
	use, short := "enable", "Enable a disabled application again"
	if disable {
		use, short = "disable", "Disable an application: its tokens stop working at once"
	}
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "client "+use)
			if err != nil {
				return err
			}
			cl, err := clients.NewService(a.db.Client, audit.NewRecorder()).SetDisabled(sys, id, disable)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"client_id": cl.ClientID, "disabled": cl.DisabledAt != nil}, "%s %sd", cl.ClientID, use)
		},
	}
	c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	c.Flags().StringVar(&id, "client-id", "", "the application's client_id (required)")
	_ = c.MarkFlagRequired("tenant")
	_ = c.MarkFlagRequired("client-id")
	return c
}

func (a *app) scopesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "scopes", Short: "Manage a workspace's scope catalog"}
	var slug string
	var entries []string
	show := func(st settings.Tenant) error {
		list := []map[string]any{}
		text := ""
		for _, s := range settings.StandardScopes {
			list = append(list, map[string]any{"name": s.Name, "description": st.ScopeDescription(s.Name), "standard": true})
			text += fmt.Sprintf("%s  %s (standard)\n", s.Name, st.ScopeDescription(s.Name))
		}
		for _, s := range st.Scopes {
			list = append(list, map[string]any{"name": s.Name, "description": s.Description, "standard": false})
			text += fmt.Sprintf("%s  %s\n", s.Name, s.Description)
		}
		return a.emit(map[string]any{"tenant": slug, "scopes": list}, "%s", strings.TrimSuffix(text, "\n"))
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the standard scopes and the workspace's catalog",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, err := a.openAsOperator(cmd.Context(), slug, "scopes list")
			if err != nil {
				return err
			}
			t, err := a.tenants.TenantBySlug(sys, slug)
			if err != nil {
				return err
			}
			return show(t.Settings)
		},
	}
	set := &cobra.Command{
		Use:   "set",
		Short: "Replace the workspace's scope catalog",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			catalog := make([]settings.Scope, 0, len(entries))
			for _, e := range entries {
				name, desc, ok := strings.Cut(e, "=")
				if !ok {
					return fmt.Errorf("--scope %q: write name=description", e)
				}
				catalog = append(catalog, settings.Scope{Name: strings.TrimSpace(name), Description: strings.TrimSpace(desc)})
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "scopes set")
			if err != nil {
				return err
			}
			t, err := a.tenants.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &catalog, KeepScopeRules: true})
			if err != nil {
				return err
			}
			return show(t.Settings)
		},
	}
	for _, c := range []*cobra.Command{list, set} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		_ = c.MarkFlagRequired("tenant")
	}
	set.Flags().StringArrayVar(&entries, "scope", nil, "a scope as name=description (repeatable; none empties the catalog)")
	cmd.AddCommand(list, set)
	return cmd
}

func (a *app) agentCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "agent", Short: "Manage a workspace's agents"}
	var (
		slug, name, role, sponsor, jwksFile, keyDir, cibaNotify string
		scopes, tools, redirects                                []string
	)
	create := &cobra.Command{
		Use:   "create",
		Short: "Register a top-level agent that authenticates with its keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (jwksFile == "") == (keyDir == "") {
				return errors.New("give exactly one of --jwks-file and --generate-key")
			}
			in := registry.NewAgent{Name: name, Role: role, SponsorEmail: sponsor, Ceiling: scopes, Tools: tools, RedirectURIs: redirects,
				CIBANotify: cibaNotify}
			var priv *jose.JSONWebKey
			if jwksFile != "" {
				b, err := os.ReadFile(jwksFile)
				if err != nil {
					return fmt.Errorf("--jwks-file: %w", err)
				}
				in.JWKS = b
			} else {
				k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					return err
				}
				kid := make([]byte, 9)
				if _, err := rand.Read(kid); err != nil {
					return err
				}
				priv = &jose.JSONWebKey{Key: k, KeyID: base64.RawURLEncoding.EncodeToString(kid), Algorithm: "ES256", Use: "sig"}
				pub, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{priv.Public()}})
				if err != nil {
					return err
				}
				in.JWKS = pub
			}
			sys, err := a.openAsOperator(cmd.Context(), slug, "agent create")
			if err != nil {
				return err
			}
			cs := clients.NewService(a.db.Client, audit.NewRecorder())
			made, err := registry.NewService(a.db.Client, audit.NewRecorder(), cs).Create(sys, in)
			if err != nil {
				return err
			}
			out := map[string]any{"id": made.Agent.ID, "client_id": made.Client.ClientID, "name": made.Agent.Name, "tenant": slug,
				"sponsor": strings.ToLower(strings.TrimSpace(sponsor)), "scopes": made.Agent.ScopeCeiling, "tools": made.Agent.Tools,
				"token_endpoint_auth_method": made.Client.TokenEndpointAuthMethod}
			if priv != nil {
				if err := os.MkdirAll(keyDir, 0o700); err != nil {
					return err
				}
				b, err := json.MarshalIndent(priv, "", "  ")
				if err != nil {
					return err
				}
				path := filepath.Join(keyDir, made.Client.ClientID+".jwk.json")
				if err := os.WriteFile(path, b, 0o600); err != nil {
					return err
				}
				out["private_key_file"] = path
				out["kid"] = priv.KeyID
			}
			return a.emit(out, "agent %d client_id %s", made.Agent.ID, made.Client.ClientID)
		},
	}
	fl := create.Flags()
	fl.StringVar(&slug, "tenant", "", "the workspace's slug (required)")
	fl.StringVar(&name, "name", "", "the agent's name (required)")
	fl.StringVar(&role, "role", "", "what the agent is for")
	fl.StringVar(&sponsor, "sponsor", "", "the email of the member accountable for the agent (required)")
	fl.StringSliceVar(&scopes, "scopes", nil, "the agent's scope ceiling, comma-separated (required)")
	fl.StringSliceVar(&tools, "tools", nil, "the tools the agent may use, comma-separated")
	fl.StringArrayVar(&redirects, "redirect-uri", nil, "a redirect URI for delegation in the browser (repeatable)")
	fl.StringVar(&jwksFile, "jwks-file", "", "the agent's public JWK set")
	fl.StringVar(&keyDir, "generate-key", "", "generate an ES256 key and write its private JWK into this directory (0600)")
	fl.StringVar(&cibaNotify, "ciba-notification-endpoint", "", "make the agent a CIBA ping client notified at this URL (default: it polls)")
	for _, f := range []string{"tenant", "name", "sponsor", "scopes"} {
		_ = create.MarkFlagRequired(f)
	}
	cmd.AddCommand(create)
	return cmd
}
