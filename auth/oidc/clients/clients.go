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
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Grant types a client may be registered for.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

var knownGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode}

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
}

// DefaultScopes are what a client may request when registered with none.
var DefaultScopes = []string{"openid", "profile", "email", "offline_access"}

// Service registers clients.
type Service struct {
	client *ent.Client
	audit  *audit.Recorder
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
	if in.BackchannelLogoutURI != "" {
		if u, err := url.Parse(in.BackchannelLogoutURI); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()).IsLoopback())) {
			return nil, "", apperr.InvalidField("backchannel_logout_uri", "backchannel_logout_uri must be an https URL")
		}
	}
	alg := in.SigningAlg
	if alg == "" {
		alg = "ES256"
	}
	if alg != "ES256" && alg != "RS256" && alg != "EdDSA" {
		return nil, "", apperr.InvalidField("signing_alg", "signing algorithm must be ES256, RS256 or EdDSA")
	}
	for _, a := range in.Audience {
		if u, err := url.Parse(a); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
			return nil, "", apperr.InvalidField("audience", "audience %q must be an absolute URI without a fragment", a)
		}
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
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return nil, "", apperr.Wrap(err, "transaction")
	}
	defer func() { _ = tx.Rollback() }()
	c := tx.OAuthClient.Create().
		SetClientID(id).SetName(name).SetPublic(in.Public).SetTokenEndpointAuthMethod(method).
		SetRedirectUris(in.RedirectURIs).SetGrantTypes(grants).SetScopes(scopes).
		SetJwks(string(in.JWKS)).SetJwksURI(in.JWKSURI).SetTokenFormat(oauthclient.TokenFormat(format)).
		SetRequirePar(in.RequirePAR).SetPostLogoutRedirectUris(in.PostLogoutRedirectURIs).
		SetBackchannelLogoutURI(in.BackchannelLogoutURI).SetSigningAlg(oauthclient.SigningAlg(alg)).
		SetAudience(in.Audience).SetAccessTokenTTL(int(in.AccessTokenTTL.Seconds())).
		SetRefreshTokenTTL(int(in.RefreshTokenTTL.Seconds()))
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
	if err := tx.Commit(); err != nil {
		return nil, "", apperr.Wrap(fmt.Errorf("commit: %w", err), "client")
	}
	return out, secret, nil
}
