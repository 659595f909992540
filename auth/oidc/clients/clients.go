// Package clients registers the applications of a workspace's issuer:
// validating what they may do (grants, redirect URIs, how they
// authenticate), generating their id and secret (only the secret's hash is
// kept; it is shown once), and recording the registration in the audit log.
// It does not run the OAuth endpoints; the issuer does.
package clients

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/ent/predicate"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Grant types a client may be registered for.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
	// GrantCIBA is OpenID CIBA's grant: an agent asks a person to approve.
	GrantCIBA = "urn:openid:params:grant-type:ciba"
)

var knownGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode, GrantTokenExchange, GrantCIBA}

// Client authentication methods.
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// NewClient describes an application to register.
type NewClient struct {
	Name                   string
	RedirectURIs           []string
	GrantTypes             []string
	Public                 bool
	JWKS                   []byte // an inline JWK set: the client authenticates with private_key_jwt
	JWKSURI                string
	TokenFormat            string // jwt (default) or opaque
	Scopes                 []string
	RequirePAR             bool
	PostLogoutRedirectURIs []string
	BackchannelLogoutURI   string
	// AuthMethod is client_secret_basic (the default) or client_secret_post
	// for a client with a secret; keys and public clients imply theirs.
	AuthMethod string
	// SigningAlg signs the client's ID tokens and JWT access tokens:
	// ES256 (the default), RS256 or EdDSA.
	SigningAlg string
	// Audience lists the resources (RFC 8707) the client may ask tokens for.
	Audience []string
	// Lifetimes overriding the workspace's; zero keeps them.
	AccessTokenTTL, RefreshTokenTTL time.Duration
	// RegistrationTokenHash is set for a client registered through RFC 7591.
	RegistrationTokenHash string
	// Agent makes the client an agent's credentials (set by the agent
	// registry only).
	Agent bool
	// CIBAMode is how a CIBA client learns of the decision: poll (the
	// default with the CIBA grant) or ping, to CIBANotify with the
	// client_notification_token it sent.
	CIBAMode, CIBANotify string
}

// DefaultScopes are what a client may request when registered with none.
var DefaultScopes = []string{"openid", "profile", "email", "offline_access"}

// Service registers clients.
type Service struct {
	client *ent.Client
	audit  *audit.Recorder
	// OnChange is told of every change to a client (the issuer drops it
	// from its cache).
	OnChange func(tenantID int, clientID string)
}

// NewService returns the registration service.
func NewService(client *ent.Client, rec *audit.Recorder) *Service {
	return &Service{client: client, audit: rec}
}

// ValidateRedirectURI enforces RFC 6749 §3.1.2 and RFC 8252: an absolute
// URI with no fragment; https, or http only to a loopback address, or (for
// public native apps) a private-use scheme in reverse-domain form.
func ValidateRedirectURI(raw string, public bool) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return apperr.InvalidField("redirect_uri", "redirect URI %q must be absolute", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return apperr.InvalidField("redirect_uri", "redirect URI %q must not have a fragment", raw)
	}
	if strings.ContainsAny(raw, "*\x00 \t\r\n") {
		return apperr.InvalidField("redirect_uri", "redirect URI %q must not contain wildcards or spaces", raw)
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return apperr.InvalidField("redirect_uri", "redirect URI %q has no host", raw)
		}
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
		return apperr.InvalidField("redirect_uri", "redirect URI %q: plain http only to a loopback address", raw)
	case "javascript", "data", "file", "vbscript":
		return apperr.InvalidField("redirect_uri", "redirect URI %q has a forbidden scheme", raw)
	default:
		if public && strings.Contains(u.Scheme, ".") {
			return nil // RFC 8252 §7.1: com.example.app:/callback
		}
		return apperr.InvalidField("redirect_uri", "redirect URI %q: use https, loopback http, or (public apps) a reverse-domain scheme", raw)
	}
}

// ValidateKeys checks a client's keys as registration does: an inline JWK
// set of public signing keys, or an https jwks_uri; exactly one.
func ValidateKeys(jwks []byte, jwksURI string) error {
	if (len(jwks) > 0) == (jwksURI != "") {
		return apperr.InvalidField("jwks", "give jwks or jwks_uri, exactly one")
	}
	if len(jwks) > 0 {
		return parseJWKS(jwks)
	}
	if u, err := url.Parse(jwksURI); err != nil || u.Scheme != "https" || u.Host == "" {
		return apperr.InvalidField("jwks_uri", "jwks_uri must be an https URL")
	}
	return nil
}

// parseJWKS accepts a set of public, asymmetric signing keys.
func parseJWKS(raw []byte) error {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil || len(set.Keys) == 0 {
		return apperr.InvalidField("jwks", "jwks must be a JSON Web Key Set with at least one key")
	}
	for _, k := range set.Keys {
		if !k.Valid() || !k.IsPublic() {
			return apperr.InvalidField("jwks", "jwks must hold only public keys")
		}
		switch k.Key.(type) {
		case []byte:
			return apperr.InvalidField("jwks", "jwks must hold asymmetric keys (RSA or EC)")
		}
		if k.Algorithm != "" && !strings.HasPrefix(k.Algorithm, "RS") && !strings.HasPrefix(k.Algorithm, "ES") && !strings.HasPrefix(k.Algorithm, "PS") {
			return apperr.InvalidField("jwks", "private_key_jwt accepts RS*, PS* and ES* keys, not %s", k.Algorithm)
		}
	}
	return nil
}

// HashSecret is the stored form of a client secret: server-generated, 256
// bits, so a fast hash is safe.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a presented secret with a stored hash in constant
// time.
func SecretMatches(stored, presented string) bool {
	return stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(HashSecret(presented))) == 1
}

func random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Create registers a client in the viewer's workspace and returns it with
// its secret (empty for public and key-authenticated clients), shown once.
// Admins only.
func (s *Service) Create(ctx context.Context, in NewClient) (*ent.OAuthClient, string, error) {
	return s.CreateIn(ctx, nil, in)
}

// CreateIn is Create inside tx (the agent registry creates an agent and
// its client together); with a nil tx it opens its own.
func (s *Service) CreateIn(ctx context.Context, outer *ent.Tx, in NewClient) (*ent.OAuthClient, string, error) {
	v := viewer.FromContext(ctx)
	if !(v.IsSystem() && v.HasTenant()) && !v.Role.AtLeast(viewer.RoleAdmin) {
		return nil, "", apperr.New(apperr.Forbidden, "only an admin can register applications")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, "", apperr.InvalidField("name", "name must be 1-200 characters")
	}
	grants := in.GrantTypes
	if len(grants) == 0 {
		grants = []string{GrantAuthorizationCode, GrantRefreshToken}
	}
	for _, g := range grants {
		if !slices.Contains(knownGrants, g) {
			return nil, "", apperr.InvalidField("grant", "unknown grant %q (use %s)", g, strings.Join(knownGrants, ", "))
		}
	}
	slices.Sort(grants)
	grants = slices.Compact(grants)
	if in.Public && slices.Contains(grants, GrantClientCredentials) {
		return nil, "", apperr.InvalidField("grant", "a public client cannot use client_credentials: it has no credentials")
	}
	if slices.Contains(grants, GrantAuthorizationCode) && len(in.RedirectURIs) == 0 {
		return nil, "", apperr.InvalidField("redirect_uri", "the authorization_code grant needs at least one redirect URI")
	}
	for _, u := range append(slices.Clone(in.RedirectURIs), in.PostLogoutRedirectURIs...) {
		if err := ValidateRedirectURI(u, in.Public); err != nil {
			return nil, "", err
		}
	}
	if err := validBackchannel(in.BackchannelLogoutURI); err != nil {
		return nil, "", err
	}
	mode, notify := in.CIBAMode, in.CIBANotify
	switch {
	case !slices.Contains(grants, GrantCIBA):
		if mode != "" || notify != "" {
			return nil, "", apperr.InvalidField("backchannel_token_delivery_mode", "a CIBA delivery mode needs the CIBA grant")
		}
	case mode == "" || mode == "poll":
		mode = "poll"
		if notify != "" {
			return nil, "", apperr.InvalidField("backchannel_client_notification_endpoint", "only ping mode has a notification endpoint")
		}
	case mode == "ping":
		if notify == "" {
			return nil, "", apperr.InvalidField("backchannel_client_notification_endpoint", "ping mode needs a notification endpoint")
		}
		if err := validBackchannel(notify); err != nil {
			return nil, "", apperr.InvalidField("backchannel_client_notification_endpoint", "the notification endpoint must be an https URL")
		}
	default:
		return nil, "", apperr.InvalidField("backchannel_token_delivery_mode", "the CIBA delivery mode is poll or ping (push is not supported)")
	}
	alg := in.SigningAlg
	if alg == "" {
		alg = "ES256"
	}
	if err := validAlg(alg); err != nil {
		return nil, "", err
	}
	if err := validAudience(in.Audience); err != nil {
		return nil, "", err
	}
	if err := validScopes(in.Scopes); err != nil {
		return nil, "", err
	}
	if in.AccessTokenTTL < 0 || in.RefreshTokenTTL < 0 || in.AccessTokenTTL > 24*time.Hour {
		return nil, "", apperr.InvalidField("ttl", "token lifetimes must be positive, and access tokens at most 24 hours")
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	format := in.TokenFormat
	if format == "" {
		format = "jwt"
	}
	if format != "jwt" && format != "opaque" {
		return nil, "", apperr.InvalidField("token_format", "token format must be jwt or opaque")
	}
	method, secret := AuthSecretBasic, ""
	switch {
	case in.Public:
		if len(in.JWKS) > 0 || in.JWKSURI != "" {
			return nil, "", apperr.InvalidField("jwks", "a public client has no keys")
		}
		method = AuthNone
	case len(in.JWKS) > 0 || in.JWKSURI != "":
		if len(in.JWKS) > 0 && in.JWKSURI != "" {
			return nil, "", apperr.InvalidField("jwks", "give jwks or jwks_uri, not both")
		}
		if len(in.JWKS) > 0 {
			if err := parseJWKS(in.JWKS); err != nil {
				return nil, "", err
			}
		} else if u, err := url.Parse(in.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, "", apperr.InvalidField("jwks_uri", "jwks_uri must be an https URL")
		}
		method = AuthPrivateKeyJWT
	default:
		switch in.AuthMethod {
		case "", AuthSecretBasic:
		case AuthSecretPost:
			method = AuthSecretPost
		default:
			return nil, "", apperr.InvalidField("auth_method", "a client with a secret authenticates with client_secret_basic or client_secret_post")
		}
		var err error
		if secret, err = random(32); err != nil {
			return nil, "", apperr.Wrap(err, "secret")
		}
	}
	id, err := random(18)
	if err != nil {
		return nil, "", apperr.Wrap(err, "client id")
	}
	tx := outer
	if tx == nil {
		if tx, err = s.client.Tx(ctx); err != nil {
			return nil, "", apperr.Wrap(err, "transaction")
		}
		defer func() { _ = tx.Rollback() }()
	}
	c := tx.OAuthClient.Create().
		SetClientID(id).SetName(name).SetPublic(in.Public).SetTokenEndpointAuthMethod(method).
		SetRedirectUris(in.RedirectURIs).SetGrantTypes(grants).SetScopes(scopes).
		SetJwks(string(in.JWKS)).SetJwksURI(in.JWKSURI).SetTokenFormat(oauthclient.TokenFormat(format)).
		SetRequirePar(in.RequirePAR).SetPostLogoutRedirectUris(in.PostLogoutRedirectURIs).
		SetBackchannelLogoutURI(in.BackchannelLogoutURI).SetSigningAlg(oauthclient.SigningAlg(alg)).
		SetAudience(in.Audience).SetAccessTokenTTL(int(in.AccessTokenTTL.Seconds())).
		SetRefreshTokenTTL(int(in.RefreshTokenTTL.Seconds())).SetRegistrationTokenHash(in.RegistrationTokenHash).
		SetBackchannelTokenDeliveryMode(mode).SetBackchannelClientNotificationEndpoint(notify)
	if in.Agent {
		c.SetKind(oauthclient.KindAgent)
	}
	if slices.Contains(grants, GrantAuthorizationCode) {
		c.SetResponseTypes([]string{"code"})
	}
	if secret != "" {
		c.SetSecretHash(HashSecret(secret))
	}
	out, err := c.Save(ctx)
	if err != nil {
		return nil, "", apperr.Wrap(err, "client")
	}
	if _, err := s.audit.Record(ctx, tx, audit.Event{Action: "oauth_client.created", TargetType: "oauth_client", TargetID: id,
		ClientID: id, Details: map[string]string{"name": name, "grants": strings.Join(grants, " "), "auth_method": method, "token_format": format}}); err != nil {
		return nil, "", apperr.Wrap(err, "audit event")
	}
	if outer == nil {
		if err := tx.Commit(); err != nil {
			return nil, "", apperr.Wrap(fmt.Errorf("commit: %w", err), "client")
		}
	}
	return out, secret, nil
}

// Change is a partial update of a registered client: nil keeps a field.
type Change struct {
	Name                   *string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	Scopes                 []string
	Audience               []string
	TokenFormat            *string
	SigningAlg             *string
	RequirePAR             *bool
	BackchannelLogoutURI   *string
	AccessTokenTTL         *time.Duration
	RefreshTokenTTL        *time.Duration
	// SetRedirectURIs and the like say that an empty list is meant.
	SetRedirectURIs, SetPostLogoutRedirectURIs, SetScopes, SetAudience bool
}

func requireAdmin(ctx context.Context) error {
	v := viewer.FromContext(ctx)
	if !(v.IsSystem() && v.HasTenant()) && !v.Role.AtLeast(viewer.RoleAdmin) {
		return apperr.New(apperr.Forbidden, "only an admin can manage applications")
	}
	return nil
}

// List returns the workspace's clients, newest first. Admins only.
func (s *Service) List(ctx context.Context) ([]*ent.OAuthClient, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	cs, err := s.client.OAuthClient.Query().Order(ent.Desc(oauthclient.FieldID)).All(ctx)
	return cs, apperr.Wrap(err, "clients")
}

// Get returns one client by its client_id. Admins only.
func (s *Service) Get(ctx context.Context, clientID string) (*ent.OAuthClient, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	c, err := s.client.OAuthClient.Query().Where(oauthclient.ClientID(clientID)).Only(ctx)
	return c, apperr.Wrap(err, "client")
}

// Update changes a client, validated as at registration, and audits it.
func (s *Service) Update(ctx context.Context, clientID string, ch Change) (*ent.OAuthClient, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var out *ent.OAuthClient
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		c, err := managed(ctx, tx, clientID)
		if err != nil {
			return err
		}
		u := tx.OAuthClient.UpdateOne(c)
		changed := []string{}
		if ch.Name != nil {
			name := strings.TrimSpace(*ch.Name)
			if name == "" || len(name) > 200 {
				return apperr.InvalidField("name", "name must be 1-200 characters")
			}
			u.SetName(name)
			changed = append(changed, "name")
		}
		if ch.RedirectURIs != nil || ch.SetRedirectURIs {
			for _, r := range ch.RedirectURIs {
				if err := ValidateRedirectURI(r, c.Public); err != nil {
					return err
				}
			}
			if len(ch.RedirectURIs) == 0 && slices.Contains(c.GrantTypes, GrantAuthorizationCode) {
				return apperr.InvalidField("redirect_uri", "the authorization_code grant needs at least one redirect URI")
			}
			u.SetRedirectUris(ch.RedirectURIs)
			changed = append(changed, "redirect_uris")
		}
		if ch.PostLogoutRedirectURIs != nil || ch.SetPostLogoutRedirectURIs {
			for _, r := range ch.PostLogoutRedirectURIs {
				if err := ValidateRedirectURI(r, c.Public); err != nil {
					return err
				}
			}
			u.SetPostLogoutRedirectUris(ch.PostLogoutRedirectURIs)
			changed = append(changed, "post_logout_redirect_uris")
		}
		if ch.Scopes != nil || ch.SetScopes {
			if err := validScopes(ch.Scopes); err != nil {
				return err
			}
			u.SetScopes(ch.Scopes)
			changed = append(changed, "scopes")
		}
		if ch.Audience != nil || ch.SetAudience {
			if err := validAudience(ch.Audience); err != nil {
				return err
			}
			u.SetAudience(ch.Audience)
			changed = append(changed, "audience")
		}
		if ch.TokenFormat != nil {
			if *ch.TokenFormat != "jwt" && *ch.TokenFormat != "opaque" {
				return apperr.InvalidField("token_format", "token format must be jwt or opaque")
			}
			u.SetTokenFormat(oauthclient.TokenFormat(*ch.TokenFormat))
			changed = append(changed, "token_format")
		}
		if ch.SigningAlg != nil {
			if err := validAlg(*ch.SigningAlg); err != nil {
				return err
			}
			u.SetSigningAlg(oauthclient.SigningAlg(*ch.SigningAlg))
			changed = append(changed, "signing_alg")
		}
		if ch.RequirePAR != nil {
			u.SetRequirePar(*ch.RequirePAR)
			changed = append(changed, "require_par")
		}
		if ch.BackchannelLogoutURI != nil {
			if err := validBackchannel(*ch.BackchannelLogoutURI); err != nil {
				return err
			}
			u.SetBackchannelLogoutURI(*ch.BackchannelLogoutURI)
			changed = append(changed, "backchannel_logout_uri")
		}
		if ch.AccessTokenTTL != nil {
			if *ch.AccessTokenTTL < 0 || *ch.AccessTokenTTL > 24*time.Hour {
				return apperr.InvalidField("ttl", "access token lifetime must be between 0 and 24 hours")
			}
			u.SetAccessTokenTTL(int(ch.AccessTokenTTL.Seconds()))
			changed = append(changed, "access_token_ttl")
		}
		if ch.RefreshTokenTTL != nil {
			if *ch.RefreshTokenTTL < 0 {
				return apperr.InvalidField("ttl", "refresh token lifetime must not be negative")
			}
			u.SetRefreshTokenTTL(int(ch.RefreshTokenTTL.Seconds()))
			changed = append(changed, "refresh_token_ttl")
		}
		if len(changed) == 0 {
			out = c
			return nil
		}
		if out, err = u.Save(ctx); err != nil {
			return apperr.Wrap(err, "client")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "oauth_client.changed", TargetType: "oauth_client", TargetID: clientID,
			ClientID: clientID, Details: map[string]string{"fields": strings.Join(changed, " ")}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx, clientID)
	return out, nil
}

// RotateSecret replaces a confidential client's secret and returns the
// new one, shown once. The old one stops working at once.
func (s *Service) RotateSecret(ctx context.Context, clientID string) (*ent.OAuthClient, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	secret, err := random(32)
	if err != nil {
		return nil, "", apperr.Wrap(err, "secret")
	}
	var out *ent.OAuthClient
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		c, err := managed(ctx, tx, clientID)
		if err != nil {
			return err
		}
		if c.SecretHash == "" {
			return apperr.InvalidField("client", "this client has no secret: it authenticates with %s", c.TokenEndpointAuthMethod)
		}
		if out, err = tx.OAuthClient.UpdateOne(c).SetSecretHash(HashSecret(secret)).Save(ctx); err != nil {
			return apperr.Wrap(err, "client")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "oauth_client.secret_rotated", TargetType: "oauth_client",
			TargetID: clientID, ClientID: clientID})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, "", err
	}
	s.changed(ctx, clientID)
	return out, secret, nil
}

// SetDisabled disables a client (its tokens stop working at once) or
// enables it again.
func (s *Service) SetDisabled(ctx context.Context, clientID string, disabled bool) (*ent.OAuthClient, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var out *ent.OAuthClient
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		c, err := managed(ctx, tx, clientID)
		if err != nil {
			return err
		}
		u := tx.OAuthClient.UpdateOne(c)
		action := "oauth_client.enabled"
		if disabled {
			u.SetDisabledAt(time.Now().UTC())
			action = "oauth_client.disabled"
			if _, err := EndTokens(ctx, tx, oauthtoken.ClientID(clientID)); err != nil {
				return err
			}
		} else {
			u.ClearDisabledAt()
		}
		if out, err = u.Save(ctx); err != nil {
			return apperr.Wrap(err, "client")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "oauth_client", TargetID: clientID, ClientID: clientID})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx, clientID)
	return out, nil
}

// Forget tells OnChange a client changed outside this service.
func (s *Service) Forget(ctx context.Context, clientID string) { s.changed(ctx, clientID) }

func (s *Service) changed(ctx context.Context, clientID string) {
	if s.OnChange != nil {
		s.OnChange(viewer.FromContext(ctx).TenantID, clientID)
	}
}

func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return entx.InTx(ctx, s.client, fn)
}

// managed loads an application for a change, inside tx. An agent's
// credentials are refused: the agent registry owns them (ceiling, status,
// subtree).
func managed(ctx context.Context, tx *ent.Tx, clientID string) (*ent.OAuthClient, error) {
	c, err := tx.OAuthClient.Query().Where(oauthclient.ClientID(clientID)).Only(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "client")
	}
	if c.Kind == oauthclient.KindAgent {
		return nil, apperr.New(apperr.Forbidden, "this client is an agent's: manage it through the agent (suspend, resume, revoke)")
	}
	return c, nil
}

// scopeName is what a scope may be called.
var scopeName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.:/-]{0,99}$`)

func validScopes(scopes []string) error {
	for _, sc := range scopes {
		if !scopeName.MatchString(sc) {
			return apperr.InvalidField("scopes", "scope %q must be a letter then letters, digits or _.:/- (at most 100)", sc)
		}
	}
	return nil
}

func validAudience(aud []string) error {
	for _, a := range aud {
		if u, err := url.Parse(a); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
			return apperr.InvalidField("audience", "audience %q must be an absolute URI without a fragment", a)
		}
	}
	return nil
}

func validAlg(alg string) error {
	if alg != "ES256" && alg != "RS256" && alg != "EdDSA" {
		return apperr.InvalidField("signing_alg", "signing algorithm must be ES256, RS256 or EdDSA")
	}
	return nil
}

func validBackchannel(raw string) error {
	if raw == "" {
		return nil
	}
	if u, err := url.Parse(raw); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()).IsLoopback())) {
		return apperr.InvalidField("backchannel_logout_uri", "backchannel_logout_uri must be an https URL")
	}
	return nil
}

// EndTokens ends, inside tx, every token that where selects: codes,
// access tokens and pushed requests are deleted (introspection finds
// nothing), refresh tokens are kept inactive (a later use is seen as
// reuse). It returns how many live refresh tokens it ended. Disabling a
// client, suspending an agent, revoking a grant or a connected app, and
// logging out all end tokens this way.
func EndTokens(ctx context.Context, tx *ent.Tx, where ...predicate.OAuthToken) (int, error) {
	if _, err := tx.OAuthToken.Delete().Where(append(slices.Clone(where),
		oauthtoken.KindIn(oauthtoken.KindAccess, oauthtoken.KindCode, oauthtoken.KindPar))...).Exec(ctx); err != nil {
		return 0, apperr.Wrap(err, "tokens")
	}
	n, err := tx.OAuthToken.Update().Where(append(slices.Clone(where),
		oauthtoken.KindEQ(oauthtoken.KindRefresh), oauthtoken.Active(true))...).SetActive(false).Save(ctx)
	return n, apperr.Wrap(err, "tokens")
}
