// Package issuer is each workspace's OAuth 2.x / OpenID Connect issuer, at
// {base}/t/{slug}, built on fosite: one fosite provider per workspace,
// composed from fosite's handlers with our storage (ent), our token
// strategy (opaque or RFC 9068 JWT access tokens, per client) and the
// workspace's own signing keys.
package issuer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/mandatehq/mandate/internal/netguard"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"golang.org/x/crypto/hkdf"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Lifetimes that are not workspace settings.
const (
	authorizeCodeLifetime = 5 * time.Minute
	parLifetime           = 90 * time.Second
	// interactionLifetime bounds a sign-in or consent in the middle of an
	// authorization.
	interactionLifetime = 30 * time.Minute
	parPrefix           = "urn:ietf:params:oauth:request_uri:"
	providerTTL         = 30 * time.Second
)

// Config wires an Issuer.
type Config struct {
	Client       *ent.Client
	Tenants      *tenants.Service
	Keys         *keys.Manager
	Flows        *signin.Flows
	Audit        *audit.Recorder
	BaseURL      string
	MasterSecret []byte
	// PreviousSecrets are earlier master secrets (a rotation): opaque
	// access and refresh tokens whose HMAC was keyed from one of them
	// stay valid (fosite's rotated global secrets) while it is listed.
	// Other values the issuer MACs itself (interaction state, device and
	// user codes' hashes, auth_req_ids) use the current master only: a
	// rotation restarts them, so sign-ins, device flows and CIBA requests
	// in flight at the restart fail and are started again.
	PreviousSecrets [][]byte
	Log             *slog.Logger
	Now             func() time.Time
	// HTTPClient posts back-channel logout tokens.
	HTTPClient *http.Client
	// Authority answers for agents (nil: no agents, no token exchange).
	Authority Authority
	// Approvals is told of CIBA requests (nil: no notifications, no ping).
	Approvals ApprovalHooks
}

// Issuer serves every workspace's issuer.
type Issuer struct {
	cfg       Config
	store     *Store
	signer    *jwtSigner
	clients   *clients.Service // dynamic registration's
	providers sync.Map         // tenant id → *provider
	// keySets fetches clients' jwks_uri: public addresses only, since an
	// agent chooses the URL (a subagent registers its own).
	keySets fosite.JWKSFetcherStrategy
}

// provider is one workspace's composed fosite provider.
type provider struct {
	tenantID int
	slug     string
	issuer   string
	settings settings.Tenant
	config   *fosite.Config
	oauth    *fosite.Fosite
	key      []byte // HMAC key for values the issuer signs itself
	builtAt  time.Time
}

// New returns the issuer.
func New(cfg Config) *Issuer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.NewRecorder()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	cc := &clientCache{client: cfg.Client, now: cfg.Now}
	i := &Issuer{
		cfg:    cfg,
		store:  &Store{client: cfg.Client, clients: cc, audit: cfg.Audit, now: cfg.Now},
		signer: &jwtSigner{keys: cfg.Keys},
	}
	i.store.valid = i.stillValid
	i.keySets = fosite.NewDefaultJWKSFetcherStrategy(fosite.JWKSFetcherWithHTTPClient(publicFetcher()))
	i.clients = clients.NewService(cfg.Client, cfg.Audit)
	i.clients.OnChange = i.ForgetClient
	return i
}

// ForgetClient drops a client from the cache after it changed.
func (i *Issuer) ForgetClient(tenantID int, clientID string) {
	i.store.clients.Forget(tenantID, clientID)
}

// ForgetWorkspace drops a workspace's provider after its settings changed.
func (i *Issuer) ForgetWorkspace(tenantID int) { i.providers.Delete(tenantID) }

// IssuerURL is the workspace's issuer identifier.
func (i *Issuer) IssuerURL(slug string) string { return i.cfg.BaseURL + "/t/" + url.PathEscape(slug) }

func (i *Issuer) derive(purpose string, tenantID int) []byte {
	return deriveFrom(i.cfg.MasterSecret, purpose, tenantID)
}

// rotatedHMACKeys are the token HMAC keys of the previous master secrets.
func (i *Issuer) rotatedHMACKeys(tenantID int) [][]byte {
	var out [][]byte
	for _, m := range i.cfg.PreviousSecrets {
		if len(m) > 0 {
			out = append(out, deriveFrom(m, "hmac", tenantID))
		}
	}
	return out
}

func deriveFrom(master []byte, purpose string, tenantID int) []byte {
	out := make([]byte, 32)
	r := hkdf.New(sha256.New, master, []byte("tenant:"+strconv.Itoa(tenantID)), []byte("mandate issuer "+purpose))
	_, _ = io.ReadFull(r, out)
	return out
}

// provider returns the workspace's provider, rebuilt every providerTTL so
// settings changes apply.
func (i *Issuer) provider(ctx context.Context, slug string) (*provider, error) {
	tid, err := i.cfg.Tenants.TenantIDBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	if p, ok := i.providers.Load(tid); ok && i.cfg.Now().Sub(p.(*provider).builtAt) < providerTTL {
		return p.(*provider), nil
	}
	t, err := i.cfg.Tenants.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	// Keys for every algorithm the workspace's clients use, before any
	// request needs one (key creation opens its own transaction).
	tctx := viewer.ForTenant(ctx, t.ID)
	algs, err := i.cfg.Client.OAuthClient.Query().Unique(true).Select(oauthclient.FieldSigningAlg).
		Strings(viewer.AsSystem(tctx, "signing algorithms in use"))
	if err != nil {
		return nil, err
	}
	for _, alg := range append(algs, keys.ES256) {
		if err := i.signer.ensure(tctx, alg); err != nil {
			return nil, err
		}
	}
	iss := i.IssuerURL(slug)
	st := t.Settings
	fc := &fosite.Config{
		AccessTokenLifespan:             st.AccessTokenLifetime(),
		RefreshTokenLifespan:            st.RefreshTokenLifetime(),
		AuthorizeCodeLifespan:           authorizeCodeLifetime,
		IDTokenLifespan:                 st.IDTokenLifetime(),
		IDTokenIssuer:                   iss,
		AccessTokenIssuer:               iss,
		TokenURL:                        iss + "/oauth2/token",
		EnforcePKCEForPublicClients:     true,
		EnablePKCEPlainChallengeMethod:  false,
		ScopeStrategy:                   fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:        fosite.ExactAudienceMatchingStrategy,
		AllowedPromptValues:             []string{"login", "none", "consent"},
		MinParameterEntropy:             fosite.MinParameterEntropy,
		RefreshTokenScopes:              []string{},
		TokenEntropy:                    32,
		GlobalSecret:                    i.derive("hmac", t.ID),
		RotatedGlobalSecrets:            i.rotatedHMACKeys(t.ID),
		ClientSecretsHasher:             secretHasher{},
		PushedAuthorizeRequestURIPrefix: parPrefix,
		PushedAuthorizeContextLifespan:  parLifetime,
		JWKSFetcherStrategy:             i.keySets,
		RedirectSecureChecker:           fosite.IsRedirectURISecureStrict,
		SanitationWhiteList:             []string{},
		OmitRedirectScopeParam:          true,
	}
	// A client assertion's aud may be the issuer, the token endpoint or the
	// PAR endpoint (RFC 9126 section 2, RFC 7523bis): every endpoint that
	// authenticates clients accepts all three.
	cfg := &tenantConfig{Config: fc, tokenURLs: []string{fc.TokenURL, iss, iss + "/oauth2/par", iss + "/oauth2/bc-authorize"}}
	hm := compose.NewOAuth2HMACStrategy(fc)
	strategy := &compose.CommonStrategy{
		CoreStrategy: &tokenStrategy{hmac: hm.HMACSHAStrategyUnPrefixed, jwt: i.signer,
			issuer: func(context.Context) string { return iss }, now: i.cfg.Now},
		OpenIDConnectTokenStrategy: &openid.DefaultStrategy{Signer: idTokenSigner{i.signer}, Config: cfg},
		Signer:                     idTokenSigner{i.signer},
	}
	f := fosite.NewOAuth2Provider(i.store, cfg)
	// First: a run the request names is checked before any grant spends its code.
	fc.TokenEndpointHandlers.Append(&runHandler{i: i})
	for _, factory := range []compose.Factory{
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2PKCEFactory,
		compose.PushedAuthorizeHandlerFactory,
	} {
		res := factory(cfg, i.store, strategy)
		if h, ok := res.(fosite.AuthorizeEndpointHandler); ok {
			fc.AuthorizeEndpointHandlers.Append(h)
		}
		if h, ok := res.(fosite.TokenEndpointHandler); ok {
			fc.TokenEndpointHandlers.Append(h)
		}
		if h, ok := res.(fosite.TokenIntrospector); ok {
			fc.TokenIntrospectionHandlers.Append(h)
		}
		if h, ok := res.(fosite.RevocationHandler); ok {
			fc.RevocationHandlers.Append(h)
		}
		if h, ok := res.(fosite.PushedAuthorizeEndpointHandler); ok {
			fc.PushedAuthorizeEndpointHandlers.Append(h)
		}
	}
	p := &provider{tenantID: t.ID, slug: slug, issuer: iss, settings: st, config: fc, oauth: f,
		key: i.derive("interaction", t.ID), builtAt: i.cfg.Now()}
	fc.TokenEndpointHandlers.Append(&exchangeGrant{i: i, p: p, strategy: strategy.CoreStrategy})
	fc.TokenEndpointHandlers.Append(&deviceGrant{i: i, p: p, strategy: strategy.CoreStrategy,
		idTokens: &openid.IDTokenHandleHelper{IDTokenStrategy: strategy.OpenIDConnectTokenStrategy}})
	fc.TokenEndpointHandlers.Append(&cibaGrant{i: i, p: p, strategy: strategy.CoreStrategy,
		idTokens: &openid.IDTokenHandleHelper{IDTokenStrategy: strategy.OpenIDConnectTokenStrategy}})
	// Last: what every other grant granted is checked against approvals.
	fc.TokenEndpointHandlers.Append(&approvalGate{p: p})
	i.providers.Store(t.ID, p)
	return p, nil
}

// tenantConfig is fosite's configuration with the audiences a client
// assertion may name.
type tenantConfig struct {
	*fosite.Config
	tokenURLs []string
}

// GetTokenURLs implements fosite.TokenURLProvider.
func (c *tenantConfig) GetTokenURLs(context.Context) []string { return c.tokenURLs }

// mac signs a value the issuer hands out and must recognise later.
func (p *provider) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, p.key)
	for _, s := range parts {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// publicFetcher is the HTTP client that fetches clients' key sets: public
// addresses only (checked at every dial, after name resolution), no proxy,
// no redirects, short timeouts, one retry.
func publicFetcher() *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.RetryMax = 1
	rc.RetryWaitMin, rc.RetryWaitMax = 100*time.Millisecond, time.Second
	rc.Logger = nil
	rc.HTTPClient = netguard.Client(10 * time.Second)
	return rc
}
