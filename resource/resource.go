// Package resource lets a resource server (an API that agents and apps
// call) trust Mandate's JWT access tokens (RFC 9068) in a few lines:
//
//	v := resource.New("https://id.example.com/t/acme", "https://api.example.com/invoices")
//	mux.Handle("GET /invoices", v.Require("invoices:read", invoicesHandler))
//	// in the handler: tok := resource.TokenFrom(r.Context()); tok.Subject, tok.Chain(), …
//
// It checks the signature against the workspace's published keys (fetched
// from discovery, cached, refetched when a token names a key it has not
// seen, at most every MinRefetch), the header type at+jwt, the issuer, the
// audience, expiry and not-before, and exposes the subject, the acting
// agents (the RFC 8693 act chain), the scope, the grant and the run.
// Self-contained tokens stay valid until they expire; to learn of a
// revocation at once, introspect instead (RFC 7662).
package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Token is a verified access token.
type Token struct {
	Subject  string
	ClientID string
	Scopes   []string
	Audience []string
	GrantID  string
	Run      string
	Expiry   time.Time
	// Act is the RFC 8693 act claim: the agent acting, and its parents.
	Act *Actor
	// Claims are all the token's claims.
	Claims map[string]any
}

// Actor is one link of an act chain.
type Actor struct {
	Subject string `json:"sub"`
	Act     *Actor `json:"act,omitempty"`
}

// HasScope reports whether the token carries scope.
func (t *Token) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// Chain names the acting agents, the current actor first; empty when the
// token's subject acts for itself.
func (t *Token) Chain() []string {
	var out []string
	for a := t.Act; a != nil; a = a.Act {
		out = append(out, a.Subject)
	}
	return out
}

// Verifier verifies one workspace's tokens meant for one audience.
type Verifier struct {
	Issuer   string
	Audience string
	// HTTPClient fetches discovery and keys (default: 10 s timeout).
	HTTPClient *http.Client
	// Leeway tolerates clock skew (default 30 s).
	Leeway time.Duration
	// MinRefetch spaces key fetches caused by unknown key ids (default
	// 10 s), so forged tokens cannot make the verifier hammer the issuer.
	MinRefetch time.Duration
	now        func() time.Time

	mu        sync.Mutex
	keys      jose.JSONWebKeySet
	fetchedAt time.Time
}

// New returns a verifier for tokens of issuer whose aud includes audience.
func New(issuer, audience string) *Verifier {
	return &Verifier{Issuer: strings.TrimSuffix(issuer, "/"), Audience: audience,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Leeway: 30 * time.Second, MinRefetch: 10 * time.Second, now: time.Now}
}

// Errors of Verify.
var (
	ErrNoToken     = errors.New("resource: no bearer token")
	ErrInvalid     = errors.New("resource: the token is invalid")
	ErrExpired     = errors.New("resource: the token expired")
	ErrWrongTarget = errors.New("resource: the token is not meant for this API")
)

func (v *Verifier) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ks := v.keys.Key(kid); len(ks) > 0 {
		return &ks[0], nil
	}
	if !v.fetchedAt.IsZero() && v.now().Sub(v.fetchedAt) < v.MinRefetch {
		return nil, fmt.Errorf("%w: unknown key %q", ErrInvalid, kid)
	}
	set, err := v.fetch(ctx)
	v.fetchedAt = v.now()
	if err != nil {
		return nil, err
	}
	v.keys = set
	if ks := v.keys.Key(kid); len(ks) > 0 {
		return &ks[0], nil
	}
	return nil, fmt.Errorf("%w: unknown key %q", ErrInvalid, kid)
}

func (v *Verifier) getJSON(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("resource: %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("resource: %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

func (v *Verifier) fetch(ctx context.Context) (jose.JSONWebKeySet, error) {
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	var set jose.JSONWebKeySet
	if err := v.getJSON(ctx, v.Issuer+"/.well-known/openid-configuration", &meta); err != nil {
		return set, err
	}
	if meta.Issuer != v.Issuer || meta.JWKSURI == "" {
		return set, fmt.Errorf("resource: discovery names issuer %q, want %q", meta.Issuer, v.Issuer)
	}
	err := v.getJSON(ctx, meta.JWKSURI, &set)
	return set, err
}

// Verify checks a raw access token and returns it.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Token, error) {
	if raw == "" {
		return nil, ErrNoToken
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrInvalid
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return nil, fmt.Errorf("%w: not an access token (typ %q)", ErrInvalid, typ)
	}
	k, err := v.key(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	var std jwt.Claims
	var all map[string]any
	var extra struct {
		ClientID string `json:"client_id"`
		Scope    string `json:"scope"`
		GrantID  string `json:"grant_id"`
		Run      string `json:"run"`
		Act      *Actor `json:"act"`
	}
	if err := tok.Claims(k.Key, &std, &all, &extra); err != nil {
		return nil, ErrInvalid
	}
	if std.Issuer != v.Issuer {
		return nil, fmt.Errorf("%w: issuer %q", ErrInvalid, std.Issuer)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: v.now()}, v.Leeway); err != nil {
		if errors.Is(err, jwt.ErrExpired) {
			return nil, ErrExpired
		}
		return nil, ErrInvalid
	}
	if std.Expiry == nil {
		return nil, fmt.Errorf("%w: no expiry", ErrInvalid)
	}
	if v.Audience != "" && !std.Audience.Contains(v.Audience) {
		return nil, ErrWrongTarget
	}
	return &Token{Subject: std.Subject, ClientID: extra.ClientID, Scopes: strings.Fields(extra.Scope), Audience: std.Audience,
		GrantID: extra.GrantID, Run: extra.Run, Expiry: std.Expiry.Time(), Act: extra.Act, Claims: all}, nil
}

type tokenKey struct{}

// TokenFrom returns the token Require verified for this request.
func TokenFrom(ctx context.Context) *Token {
	t, _ := ctx.Value(tokenKey{}).(*Token)
	return t
}

// Require admits requests whose bearer token verifies and carries scope
// (none: any valid token), answering 401 or 403 with RFC 6750's
// WWW-Authenticate otherwise.
func (v *Verifier) Require(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := ""
		if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			raw = strings.TrimSpace(h[7:])
		}
		tok, err := v.Verify(r.Context(), raw)
		switch {
		case errors.Is(err, ErrNoToken):
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		case err != nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		case scope != "" && !tok.HasScope(scope):
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="insufficient_scope", scope="`+scope+`"`)
			http.Error(w, "insufficient scope", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	})
}
