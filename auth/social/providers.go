package social

import (
	"context"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The provider kinds.
const (
	KindGitHub    = "github"
	KindGoogle    = "google"
	KindMicrosoft = "microsoft"
	KindGitLab    = "gitlab"
	KindOIDC      = "oidc"
)

// Kinds lists the provider kinds, for help texts.
var Kinds = []string{KindGitHub, KindGoogle, KindMicrosoft, KindGitLab, KindOIDC}

// isOIDC says whether a kind signs in with an ID token (verified with
// go-oidc) rather than a user API (fetched with goth).
func isOIDC(kind string) bool {
	return kind == KindGoogle || kind == KindMicrosoft || kind == KindOIDC
}

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	scopeToken  = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,200}$`)
)

// defaultNames and defaultScopes fill what an admin leaves out.
var (
	defaultNames  = map[string]string{KindGitHub: "GitHub", KindGoogle: "Google", KindMicrosoft: "Microsoft", KindGitLab: "GitLab"}
	defaultScopes = map[string][]string{
		KindGitHub:    {"read:user", "user:email"},
		KindGitLab:    {"read_user"},
		KindGoogle:    {"openid", "email", "profile"},
		KindMicrosoft: {"openid", "email", "profile"},
		KindOIDC:      {"openid", "email", "profile"},
	}
)

// NewProvider describes a provider to configure.
type NewProvider struct {
	// Slug names the provider in URLs: /t/{slug}/auth/social/{Slug}/….
	Slug string
	Kind string
	// DisplayName is shown on the sign-in button (default: the kind's name;
	// required for oidc).
	DisplayName  string
	ClientID     string
	ClientSecret string
	// Issuer is the OpenID Connect issuer (oidc: required; microsoft: a
	// tenant's issuer, default every Microsoft tenant) or the base URL of
	// GitHub Enterprise Server or a self-managed GitLab.
	Issuer            string
	Scopes            []string
	Enabled           *bool
	LinkVerifiedEmail bool
	AllowSignUp       bool
}

// ProviderUpdate changes a provider; nil fields keep their value, and so
// does an empty ClientSecret (the secret is write-only: set or keep).
type ProviderUpdate struct {
	DisplayName       *string
	ClientID          *string
	ClientSecret      *string
	Issuer            *string
	Scopes            *[]string
	Enabled           *bool
	LinkVerifiedEmail *bool
	AllowSignUp       *bool
}

func requireAdmin(ctx context.Context) error {
	v := viewer.FromContext(ctx)
	if !(v.IsSystem() && v.HasTenant()) && !v.Role.AtLeast(viewer.RoleAdmin) {
		return apperr.New(apperr.Forbidden, "only admins configure identity providers")
	}
	return nil
}

// validIssuer checks an issuer or base URL: absolute https (plain http
// only to a loopback address, for development and tests), no query or
// fragment.
func validIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return apperr.InvalidField("issuer", "issuer %q must be an absolute URL with no query, fragment or credentials", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
	}
	return apperr.InvalidField("issuer", "issuer %q must use https (plain http only to a loopback address)", raw)
}

// checkIssuer applies the kind's rule for the issuer field.
func checkIssuer(kind, issuer string) error {
	switch {
	case kind == KindOIDC && issuer == "":
		return apperr.InvalidField("issuer", "an OpenID Connect provider needs its issuer URL")
	case kind == KindGoogle && issuer != "":
		return apperr.InvalidField("issuer", "Google has one issuer: leave issuer empty")
	case issuer == "":
		return nil
	}
	return validIssuer(issuer)
}

func checkScopes(kind string, scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return slices.Clone(defaultScopes[kind]), nil
	}
	if len(scopes) > 30 {
		return nil, apperr.InvalidField("scopes", "at most 30 scopes")
	}
	out := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		if !scopeToken.MatchString(sc) {
			return nil, apperr.InvalidField("scopes", "scope %q is not a valid scope token", sc)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if isOIDC(kind) && !slices.Contains(out, "openid") {
		out = append([]string{"openid"}, out...)
	}
	return out, nil
}

func checkText(field, v string, max int) error {
	if strings.TrimSpace(v) == "" {
		return apperr.InvalidField(field, "%s must not be empty", field)
	}
	if len(v) > max || strings.ContainsAny(v, "\x00\r\n") {
		return apperr.InvalidField(field, "%s must be one line of at most %d characters", field, max)
	}
	return nil
}

// secretRequired says whether a kind cannot work without a client secret
// (GitLab and generic providers may register public clients using PKCE).
func secretRequired(kind string) bool {
	return kind == KindGitHub || kind == KindGoogle || kind == KindMicrosoft
}

func (s *Service) sealSecret(tenantID int, slug, secret string) ([]byte, error) {
	if secret == "" {
		return nil, nil
	}
	if len(secret) > 1000 {
		return nil, apperr.InvalidField("clientSecret", "the client secret is longer than 1000 characters")
	}
	out, err := s.sealer.Seal([]byte(secret), seal.Binding(tenantID, "idp", slug))
	return out, apperr.Wrap(err, "client secret")
}

func (s *Service) openSecret(p *ent.IdentityProvider) (string, error) {
	if len(p.ClientSecretSealed) == 0 {
		return "", nil
	}
	out, err := s.sealer.Open(p.ClientSecretSealed, seal.Binding(p.TenantID, "idp", p.Slug))
	if err != nil {
		return "", apperr.Wrap(err, "client secret")
	}
	return string(out), nil
}

// CreateProvider configures a provider in the viewer's workspace. Admins
// only.
func (s *Service) CreateProvider(ctx context.Context, in NewProvider) (*ent.IdentityProvider, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	in.Slug = strings.TrimSpace(in.Slug)
	if !slugPattern.MatchString(in.Slug) {
		return nil, apperr.InvalidField("slug", "slug must be lower-case letters, digits and dashes (at most 40), starting with a letter or digit")
	}
	if !slices.Contains(Kinds, in.Kind) {
		return nil, apperr.InvalidField("kind", "kind must be one of %s", strings.Join(Kinds, ", "))
	}
	if in.DisplayName == "" {
		in.DisplayName = defaultNames[in.Kind]
	}
	if err := checkText("displayName", in.DisplayName, 100); err != nil {
		return nil, err
	}
	if err := checkText("clientID", in.ClientID, 500); err != nil {
		return nil, err
	}
	if in.ClientSecret == "" && secretRequired(in.Kind) {
		return nil, apperr.InvalidField("clientSecret", "a %s provider needs its client secret", in.Kind)
	}
	in.Issuer = strings.TrimSpace(in.Issuer)
	if err := checkIssuer(in.Kind, in.Issuer); err != nil {
		return nil, err
	}
	scopes, err := checkScopes(in.Kind, in.Scopes)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealSecret(v.TenantID, in.Slug, in.ClientSecret)
	if err != nil {
		return nil, err
	}
	enabled := in.Enabled == nil || *in.Enabled
	var out *ent.IdentityProvider
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		c := tx.IdentityProvider.Create().SetSlug(in.Slug).SetKind(identityprovider.Kind(in.Kind)).SetDisplayName(strings.TrimSpace(in.DisplayName)).
			SetClientID(strings.TrimSpace(in.ClientID)).SetIssuer(strings.TrimSuffix(in.Issuer, "/")).SetScopes(scopes).SetEnabled(enabled).
			SetLinkVerifiedEmail(in.LinkVerifiedEmail).SetAllowSignUp(in.AllowSignUp)
		if sealed != nil {
			c.SetClientSecretSealed(sealed)
		}
		p, err := c.Save(ctx)
		if err != nil {
			if ent.IsConstraintError(err) {
				return apperr.New(apperr.Conflict, "a provider named %q already exists", in.Slug)
			}
			return apperr.Wrap(err, "identity provider")
		}
		out = p
		return s.recordConfigured(ctx, tx, p, "created", sealed != nil)
	})
	if err != nil {
		return nil, err
	}
	s.forget(out.TenantID, out.Slug)
	return out, nil
}

func (s *Service) recordConfigured(ctx context.Context, tx *ent.Tx, p *ent.IdentityProvider, change string, secretSet bool) error {
	secret := "kept"
	if secretSet {
		secret = "set"
	}
	_, err := s.audit.Record(ctx, tx, audit.Event{Action: "idp.configured", TargetType: "identity_provider", TargetID: strconv.Itoa(p.ID),
		Details: map[string]string{
			"slug": p.Slug, "kind": string(p.Kind), "change": change, "enabled": strconv.FormatBool(p.Enabled),
			"issuer": p.Issuer, "client_id": p.ClientID, "client_secret": secret, "scopes": strings.Join(p.Scopes, " "),
			"link_verified_email": strconv.FormatBool(p.LinkVerifiedEmail), "allow_sign_up": strconv.FormatBool(p.AllowSignUp),
		}})
	return apperr.Wrap(err, "audit event")
}

// UpdateProvider changes a provider of the viewer's workspace. Admins only.
func (s *Service) UpdateProvider(ctx context.Context, id int, in ProviderUpdate) (*ent.IdentityProvider, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var out *ent.IdentityProvider
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		p, err := tx.IdentityProvider.Get(ctx, id)
		if err != nil {
			return apperr.Wrap(err, "identity provider")
		}
		kind := string(p.Kind)
		u := tx.IdentityProvider.UpdateOne(p)
		if in.DisplayName != nil {
			if err := checkText("displayName", *in.DisplayName, 100); err != nil {
				return err
			}
			u.SetDisplayName(strings.TrimSpace(*in.DisplayName))
		}
		if in.ClientID != nil {
			if err := checkText("clientID", *in.ClientID, 500); err != nil {
				return err
			}
			u.SetClientID(strings.TrimSpace(*in.ClientID))
		}
		secretSet := false
		if in.ClientSecret != nil && *in.ClientSecret != "" {
			sealed, err := s.sealSecret(p.TenantID, p.Slug, *in.ClientSecret)
			if err != nil {
				return err
			}
			u.SetClientSecretSealed(sealed)
			secretSet = true
		}
		if in.Issuer != nil {
			iss := strings.TrimSpace(*in.Issuer)
			if err := checkIssuer(kind, iss); err != nil {
				return err
			}
			u.SetIssuer(strings.TrimSuffix(iss, "/"))
		}
		if in.Scopes != nil {
			scopes, err := checkScopes(kind, *in.Scopes)
			if err != nil {
				return err
			}
			u.SetScopes(scopes)
		}
		if in.Enabled != nil {
			u.SetEnabled(*in.Enabled)
		}
		if in.LinkVerifiedEmail != nil {
			u.SetLinkVerifiedEmail(*in.LinkVerifiedEmail)
		}
		if in.AllowSignUp != nil {
			u.SetAllowSignUp(*in.AllowSignUp)
		}
		if out, err = u.Save(ctx); err != nil {
			return apperr.Wrap(err, "identity provider")
		}
		return s.recordConfigured(ctx, tx, out, "updated", secretSet)
	})
	if err != nil {
		return nil, err
	}
	s.forget(out.TenantID, out.Slug)
	return out, nil
}

// DeleteProvider removes a provider and every account's link to it. An
// account that signed in only through it can still reset a password by
// email. Admins only.
func (s *Service) DeleteProvider(ctx context.Context, id int) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	var p *ent.IdentityProvider
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		if p, err = tx.IdentityProvider.Get(ctx, id); err != nil {
			return apperr.Wrap(err, "identity provider")
		}
		n, err := tx.FederatedIdentity.Delete().Where(federatedidentity.ProviderID(p.ID)).Exec(ctx)
		if err != nil {
			return apperr.Wrap(err, "linked accounts")
		}
		if err := tx.IdentityProvider.DeleteOne(p).Exec(ctx); err != nil {
			return apperr.Wrap(err, "identity provider")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "idp.deleted", TargetType: "identity_provider", TargetID: strconv.Itoa(p.ID),
			Details: map[string]string{"slug": p.Slug, "kind": string(p.Kind), "links_removed": strconv.Itoa(n)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return err
	}
	s.forget(p.TenantID, p.Slug)
	return nil
}

// Providers lists the viewer's workspace's providers, by slug. Admins only.
func (s *Service) Providers(ctx context.Context) ([]*ent.IdentityProvider, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	ps, err := s.client.IdentityProvider.Query().Order(ent.Asc(identityprovider.FieldSlug)).All(ctx)
	return ps, apperr.Wrap(err, "identity providers")
}

// PublicProvider is what the sign-in page shows of a provider.
type PublicProvider struct {
	Slug        string `json:"slug"`
	DisplayName string `json:"displayName"`
	Kind        string `json:"kind"`
}

// EnabledProviders lists the enabled providers of the workspace ctx is
// bound to, for the sign-in page (no session needed; nothing secret).
func (s *Service) EnabledProviders(ctx context.Context) ([]PublicProvider, error) {
	ps, err := s.client.IdentityProvider.Query().Where(identityprovider.Enabled(true)).
		Order(ent.Asc(identityprovider.FieldSlug)).All(viewer.AsSystem(ctx, "list sign-in providers"))
	if err != nil {
		return nil, apperr.Wrap(err, "identity providers")
	}
	out := make([]PublicProvider, 0, len(ps))
	for _, p := range ps {
		out = append(out, PublicProvider{Slug: p.Slug, DisplayName: p.DisplayName, Kind: string(p.Kind)})
	}
	return out, nil
}

// CallbackURL is the redirect URI to register at provider p.
func (s *Service) CallbackURL(ctx context.Context, p *ent.IdentityProvider) (string, error) {
	t, err := s.client.Tenant.Get(ctx, p.TenantID)
	if err != nil {
		return "", apperr.Wrap(err, "workspace")
	}
	return s.callbackURL(t.Slug, p.Slug), nil
}

// HasClientSecret says whether p has a client secret (which is never
// shown).
func HasClientSecret(p *ent.IdentityProvider) bool { return len(p.ClientSecretSealed) > 0 }
