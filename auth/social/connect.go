package social

// Connected accounts: a signed-in person connects an account they hold at
// one of the workspace's providers, so agents acting for them can call
// that provider's API through the tool gateway. The dance is the login
// dance in "connect" mode (state, PKCE, nonce, single use, bound to the
// browser and to the session that started it); the tokens it ends with go
// straight to a TokenStore (the vault, wired by cmd/mandate: auth/ does not
// import agents/) and never reach the browser. The same providers renew
// those tokens server-side (RefreshToken).

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// TokenStore keeps a connected account's tokens: a new connection, or the
// rotation of the person's earlier one at the same provider. It audits
// account.connected.
type TokenStore interface {
	StoreConnection(ctx context.Context, userID int, provider string, tok *oauth2.Token, scopes []string) error
}

// maxConnectScopes bounds what a connect dance may ask for.
const maxConnectScopes = 30

// parseScopes reads ?scopes= (space- or comma-separated scope tokens).
func parseScopes(raw string) ([]string, bool) {
	var out []string
	for _, sc := range strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == ',' }) {
		if !scopeToken.MatchString(sc) {
			return nil, false
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, len(out) <= maxConnectScopes
}

// connectScopes is what a connect dance asks for: the provider's own
// scopes, then the requested ones.
func connectScopes(provider, requested []string) []string {
	out := slices.Clone(provider)
	for _, sc := range requested {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// connectURL asks the provider, on its authorization URL, for scopes and,
// from Google, for a refresh token.
func connectURL(raw, kind string, scopes []string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if len(scopes) > 0 {
		q.Set("scope", strings.Join(scopes, " "))
	}
	if kind == KindGoogle {
		q.Set("access_type", "offline")
		q.Set("prompt", "consent")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// grantedScopes are the scopes the provider says it granted (RFC 6749
// §5.1: space-separated; GitHub separates them with commas), or, when it
// says nothing, those asked for.
func grantedScopes(tok *oauth2.Token, asked []string) []string {
	raw, _ := tok.Extra("scope").(string)
	if raw == "" {
		return slices.Clone(asked)
	}
	out, _ := parseScopes(raw)
	if len(out) > maxConnectScopes {
		out = out[:maxConnectScopes]
	}
	return out
}

// connect answers GET or POST /auth/social/{provider}/connect?scopes=…&return_to=…:
// a signed-in person goes to the provider to connect their account there.
// The same rules as linking hold against cross-site requests.
func (h *Handler) connect(w http.ResponseWriter, r *http.Request) {
	r, _, ok := h.bind(w, r)
	if !ok {
		return
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" || r.Method == http.MethodPost && !httpx.SameOrigin(r, h.origin()) {
		httpx.WriteCodedProblem(w, r, http.StatusForbidden, "csrf", "cross-site request refused")
		return
	}
	slug := r.PathValue("slug")
	ctx := r.Context()
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
	}
	scopes, ok := parseScopes(r.FormValue("scopes"))
	if !ok {
		httpx.WriteCodedProblem(w, r, http.StatusBadRequest, "invalid_scope", "scopes must be at most 30 valid scope tokens")
		return
	}
	s, v, ok := h.signedIn(w, r, slug, "security")
	if !ok {
		return
	}
	if v.Kind != viewer.Human {
		httpx.WriteCodedProblem(w, r, http.StatusForbidden, "forbidden", "only a person connects an account")
		return
	}
	if h.svc.tokens == nil {
		h.fail(w, r, "security", errUnknownProvider)
		return
	}
	ctx = viewer.NewContext(ctx, v)
	st, err := h.svc.begin(ctx, slug, r.PathValue("provider"), modeConnect, safeReturn(r.FormValue("return_to")), v.ID, s.ID, scopes)
	if err != nil {
		h.fail(w, r, "security", err)
		return
	}
	h.setBinding(w, slug, st.Binding)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.RedirectURL, http.StatusSeeOther)
}

// origin is scheme://host of the server's base URL.
func (h *Handler) origin() string {
	u, err := url.Parse(h.svc.baseURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// finishConnect hands the tokens to the store for the person whose
// session started the dance, if that session is still this browser's.
// The browser sees none of them.
func (h *Handler) finishConnect(w http.ResponseWriter, r *http.Request, cb *callback) {
	slug := r.PathValue("slug")
	s, v, _, err := h.svc.flows.SessionFromRequest(r.Context(), r, slug)
	if err != nil || s.ID != cb.challenge.SessionID || v.ID != cb.challenge.UserID || h.svc.tokens == nil {
		h.fail(w, r, "security", errInvalidState)
		return
	}
	tok := cb.identity.token
	if tok == nil || tok.AccessToken == "" {
		h.fail(w, r, "security", &loginError{code: CodeProviderError, msg: cb.provider.DisplayName + " sent no access token", cause: errors.New("no access token")})
		return
	}
	ctx := viewer.NewContext(r.Context(), v)
	if err := h.svc.tokens.StoreConnection(ctx, v.ID, cb.provider.Slug, tok, grantedScopes(tok, cb.data.Scopes)); err != nil {
		h.fail(w, r, "security", err)
		return
	}
	dest := cb.data.ReturnTo
	if dest == "" {
		dest = pagePath(slug, "security") + "?" + url.Values{"connected": {cb.provider.Slug}}.Encode()
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// RefreshToken renews a connected account's access token at provider (a
// slug of the workspace ctx is bound to) with its refresh token, through
// the provider's token endpoint and the workspace's client credentials.
// The answer keeps refreshToken when the provider does not rotate it.
func (s *Service) RefreshToken(ctx context.Context, provider, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, apperr.New(apperr.Invalid, "no refresh token")
	}
	v := viewer.FromContext(ctx)
	if !v.HasTenant() {
		return nil, apperr.New(apperr.Unauthenticated, "no workspace")
	}
	sys := viewer.AsSystem(ctx, "connected account refresh")
	p, err := s.client.IdentityProvider.Query().Where(identityprovider.Slug(provider), identityprovider.Enabled(true)).Only(sys)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "the provider is not available")
		}
		return nil, apperr.Wrap(err, "identity provider")
	}
	t, err := s.client.Tenant.Get(sys, v.TenantID)
	if err != nil {
		return nil, apperr.Wrap(err, "workspace")
	}
	prov, err := s.provider(ctx, t.Slug, p)
	if err != nil {
		return nil, err
	}
	conf := oauthConfig(prov)
	if conf == nil {
		return nil, apperr.New(apperr.Internal, "the provider cannot refresh tokens")
	}
	hctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, s.http)
	tok, err := conf.TokenSource(hctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		// The provider's answer may quote what it was sent: keep only
		// its error code.
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return nil, errors.New("the provider refused the refresh: " + truncate(re.ErrorCode, 60))
		}
		return nil, errors.New("the provider's token endpoint could not be reached")
	}
	if tok.AccessToken == "" {
		return nil, errors.New("the provider sent no access token")
	}
	return tok, nil
}

// oauthConfig is a built provider's client configuration.
func oauthConfig(p provider) *oauth2.Config {
	switch x := p.(type) {
	case *oidcProvider:
		return &x.conf
	case *githubProvider:
		return &x.conf
	case *gitlabProvider:
		return &x.conf
	}
	return nil
}
