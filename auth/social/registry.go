package social

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/gitlab"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/ent"
)

// Well-known endpoints of the hosted providers.
const (
	googleIssuer          = "https://accounts.google.com"
	microsoftCommonIssuer = "https://login.microsoftonline.com/common/v2.0"
	// microsoftIssuerTemplate is what a Microsoft ID token's iss is for the
	// Entra tenant in its tid claim.
	microsoftIssuerTemplate = "https://login.microsoftonline.com/{tenantid}/v2.0"
	gitlabBase              = "https://gitlab.com"
)

// Identity is who the provider says signed in.
type Identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// token is what the code was exchanged for: kept for a connected
	// account (connect mode), dropped otherwise.
	token *oauth2.Token
}

// provider is one built provider: where to send the browser, and how to
// turn the code it comes back with into a verified identity.
type provider interface {
	// authURL is the provider's authorization URL for one login.
	authURL(state, challenge, nonce string) (string, error)
	// identity exchanges code (with the PKCE verifier) and returns the
	// verified identity; for OpenID Connect kinds, the ID token's nonce
	// must equal nonce.
	identity(ctx context.Context, code, verifier, nonce string) (Identity, error)
}

// builtProvider is a cache entry: valid while the row it was built from is
// unchanged and its discovery document is fresh.
type builtProvider struct {
	fingerprint string
	at          time.Time
	p           provider
}

func cacheKey(tenantID int, slug string) string { return strconv.Itoa(tenantID) + "/" + slug }

// fingerprint changes whenever anything a built provider depends on does.
func fingerprint(p *ent.IdentityProvider, callback string) string {
	h := sha256.New()
	for _, part := range []string{string(p.Kind), p.ClientID, hex.EncodeToString(p.ClientSecretSealed), p.Issuer,
		strings.Join(p.Scopes, " "), callback, p.UpdatedAt.UTC().Format(time.RFC3339Nano), strconv.Itoa(p.ID)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// forget drops a provider from the cache (it changed or was deleted).
func (s *Service) forget(tenantID int, slug string) {
	s.mu.Lock()
	delete(s.built, cacheKey(tenantID, slug))
	s.mu.Unlock()
}

// provider returns the built provider for row p, building it when the
// cache has none, an older version of the row, or a stale discovery
// document. Rows are read on every login, so a change made through
// another replica is picked up too.
func (s *Service) provider(ctx context.Context, tenantSlug string, p *ent.IdentityProvider) (provider, error) {
	callback := s.callbackURL(tenantSlug, p.Slug)
	fp := fingerprint(p, callback)
	key := cacheKey(p.TenantID, p.Slug)
	s.mu.Lock()
	b, ok := s.built[key]
	s.mu.Unlock()
	if ok && b.fingerprint == fp && s.now().Sub(b.at) < discoveryTTL {
		return b.p, nil
	}
	built, err := s.build(ctx, p, callback)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.built[key] = builtProvider{fingerprint: fp, at: s.now(), p: built}
	s.mu.Unlock()
	return built, nil
}

// errProvider is a provider that could not be reached or is misconfigured.
type errProvider struct{ msg string }

func (e *errProvider) Error() string { return e.msg }

func (s *Service) build(ctx context.Context, p *ent.IdentityProvider, callback string) (provider, error) {
	secret, err := s.openSecret(p)
	if err != nil {
		return nil, err
	}
	conf := oauth2.Config{ClientID: p.ClientID, ClientSecret: secret, RedirectURL: callback, Scopes: p.Scopes}
	kind := string(p.Kind)
	switch kind {
	case KindGoogle, KindMicrosoft, KindOIDC:
		issuer := p.Issuer
		anyMicrosoftTenant := false
		switch {
		case kind == KindGoogle:
			issuer = googleIssuer
		case kind == KindMicrosoft && issuer == "":
			issuer, anyMicrosoftTenant = microsoftCommonIssuer, true
		}
		dctx, cancel := context.WithTimeout(oidc.ClientContext(context.WithoutCancel(ctx), s.http), httpTimeout)
		defer cancel()
		if anyMicrosoftTenant {
			// The common endpoint's document names a template, not an
			// issuer: each token's iss is checked against its tid instead.
			dctx = oidc.InsecureIssuerURLContext(dctx, microsoftIssuerTemplate)
		}
		op, err := oidc.NewProvider(dctx, issuer)
		if err != nil {
			return nil, &errProvider{fmt.Sprintf("discovery of %s failed: %v", issuer, err)}
		}
		conf.Endpoint = op.Endpoint()
		return &oidcProvider{
			conf: conf, http: s.http, op: op, kind: kind, anyMicrosoftTenant: anyMicrosoftTenant,
			verifier: op.Verifier(&oidc.Config{ClientID: p.ClientID, SkipIssuerCheck: anyMicrosoftTenant, Now: s.now}),
		}, nil
	case KindGitHub:
		authURL, tokenURL, profileURL, emailURL := github.AuthURL, github.TokenURL, github.ProfileURL, github.EmailURL
		if p.Issuer != "" {
			// GitHub Enterprise Server: the web flow at the base URL, the
			// API under /api/v3.
			authURL, tokenURL = p.Issuer+"/login/oauth/authorize", p.Issuer+"/login/oauth/access_token"
			profileURL, emailURL = p.Issuer+"/api/v3/user", p.Issuer+"/api/v3/user/emails"
		}
		gp := github.NewCustomisedURL(p.ClientID, secret, callback, authURL, tokenURL, profileURL, emailURL, p.Scopes...)
		gp.HTTPClient = s.http
		conf.Endpoint = oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL}
		return &githubProvider{conf: conf, http: s.http, goth: gp, emailURL: emailURL}, nil
	case KindGitLab:
		base := gitlabBase
		if p.Issuer != "" {
			base = p.Issuer
		}
		authURL, tokenURL, profileURL := base+"/oauth/authorize", base+"/oauth/token", base+"/api/v4/user"
		gp := gitlab.NewCustomisedURL(p.ClientID, secret, callback, authURL, tokenURL, profileURL, p.Scopes...)
		gp.HTTPClient = s.http
		conf.Endpoint = oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL}
		return &gitlabProvider{conf: conf, http: s.http, goth: gp}, nil
	}
	return nil, &errProvider{"unknown provider kind " + kind}
}
