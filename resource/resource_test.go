package resource_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/resource"
)

// issuer is a stand-in for a workspace's discovery and JWKS, whose keys
// can rotate.
type issuer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys []jose.JSONWebKey // private
	hits int
	iss  string
}

func newIssuer(t *testing.T) *issuer {
	is := &issuer{}
	mux := http.NewServeMux()
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	is.iss = is.srv.URL + "/t/acme"
	mux.HandleFunc("GET /t/acme/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.iss, "jwks_uri": is.iss + "/jwks.json"})
	})
	mux.HandleFunc("GET /t/acme/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		is.mu.Lock()
		defer is.mu.Unlock()
		is.hits++
		set := jose.JSONWebKeySet{}
		for _, k := range is.keys {
			set.Keys = append(set.Keys, k.Public())
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	is.rotate(t)
	return is
}

func (is *issuer) rotate(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = append(is.keys, jose.JSONWebKey{Key: k, KeyID: "k" + string(rune('0'+len(is.keys))), Algorithm: "ES256", Use: "sig"})
}

func (is *issuer) sign(t *testing.T, typ string, claims map[string]any) string {
	is.mu.Lock()
	k := is.keys[len(is.keys)-1]
	is.mu.Unlock()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

const api = "https://api.example/invoices"

func (is *issuer) claims(mod func(map[string]any)) map[string]any {
	c := map[string]any{"iss": is.iss, "sub": "17", "aud": []string{api}, "client_id": "billing",
		"scope": "invoices:read refunds:preview", "exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix(),
		"grant_id": "9", "run": "run-1",
		"act": map[string]any{"sub": "billing", "act": map[string]any{"sub": "support", "act": map[string]any{"sub": "planner"}}}}
	if mod != nil {
		mod(c)
	}
	return c
}

func TestVerify(t *testing.T) {
	is := newIssuer(t)
	v := resource.New(is.iss, api)
	ctx := context.Background()
	tok, err := v.Verify(ctx, is.sign(t, "at+jwt", is.claims(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Subject != "17" || tok.ClientID != "billing" || !tok.HasScope("refunds:preview") || tok.HasScope("refunds:execute") ||
		tok.GrantID != "9" || tok.Run != "run-1" || strings.Join(tok.Chain(), ">") != "billing>support>planner" {
		t.Fatalf("token %+v, chain %v", tok, tok.Chain())
	}
	for name, c := range map[string]struct {
		raw  string
		want error
	}{
		"ID token type":  {is.sign(t, "JWT", is.claims(nil)), resource.ErrInvalid},
		"another API":    {is.sign(t, "at+jwt", is.claims(func(c map[string]any) { c["aud"] = []string{"https://other.example"} })), resource.ErrWrongTarget},
		"expired":        {is.sign(t, "at+jwt", is.claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })), resource.ErrExpired},
		"another issuer": {is.sign(t, "at+jwt", is.claims(func(c map[string]any) { c["iss"] = "https://evil.example" })), resource.ErrInvalid},
		"no expiry":      {is.sign(t, "at+jwt", is.claims(func(c map[string]any) { delete(c, "exp") })), resource.ErrInvalid},
		"not a JWT":      {"mnd_at_opaque.value", resource.ErrInvalid},
		"empty":          {"", resource.ErrNoToken},
		"forged signature": {func() string {
			raw := is.sign(t, "at+jwt", is.claims(nil))
			return raw[:len(raw)-4] + "AAAA"
		}(), resource.ErrInvalid},
	} {
		if _, err := v.Verify(ctx, c.raw); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// A rotated key is fetched once when a token names it.
	v.MinRefetch = 0
	before := is.hits
	is.rotate(t)
	fresh := is.sign(t, "at+jwt", is.claims(nil))
	for range 3 {
		if _, err := v.Verify(ctx, fresh); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	if is.hits != before+1 {
		t.Fatalf("JWKS fetched %d times for one new key", is.hits-before)
	}
	// Tokens naming keys nobody published do not make it hammer the
	// issuer: one fetch per MinRefetch.
	v.MinRefetch = time.Hour
	stranger := newIssuer(t)
	stranger.iss = is.iss
	stranger.keys[0].KeyID = "unpublished"
	for range 5 {
		forged := stranger.sign(t, "at+jwt", is.claims(nil))
		if _, err := v.Verify(ctx, forged); !errors.Is(err, resource.ErrInvalid) {
			t.Fatalf("a token from unpublished keys: %v", err)
		}
	}
	if is.hits != before+1 {
		t.Fatalf("JWKS fetched %d times for forged key ids", is.hits-before)
	}
}

func TestRequire(t *testing.T) {
	is := newIssuer(t)
	v := resource.New(is.iss, api)
	h := v.Require("invoices:read", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(resource.TokenFrom(r.Context()).Subject))
	}))
	call := func(auth string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/invoices", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := call("Bearer " + is.sign(t, "at+jwt", is.claims(nil))); rec.Code != 200 || rec.Body.String() != "17" {
		t.Fatalf("valid: %d %s", rec.Code, rec.Body)
	}
	if rec := call(""); rec.Code != 401 || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no token: %d %v", rec.Code, rec.Header())
	}
	if rec := call("Bearer junk"); rec.Code != 401 || !strings.Contains(rec.Header().Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("junk: %d", rec.Code)
	}
	narrow := is.sign(t, "at+jwt", is.claims(func(c map[string]any) { c["scope"] = "refunds:preview" }))
	if rec := call("Bearer " + narrow); rec.Code != 403 || !strings.Contains(rec.Header().Get("WWW-Authenticate"), "insufficient_scope") {
		t.Fatalf("missing scope: %d", rec.Code)
	}
}
