package social_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// fakeOP is an OpenID Connect provider on httptest whose ID tokens a test
// can spoil: another issuer, a key not in its JWKS, another audience, an
// expired token, another nonce. It enforces PKCE (S256) and its client's
// secret, so a login that works through it did both right.
type fakeOP struct {
	t        *testing.T
	srv      *httptest.Server
	key      *ecdsa.PrivateKey // published in the JWKS
	foreign  *ecdsa.PrivateKey // not published
	clientID string
	secret   string
	subject  string
	email    string

	mu sync.Mutex
	// discoveryIssuer, when set, is the issuer the discovery document
	// claims (instead of the server's own URL).
	discoveryIssuer string
	// spoil changes the ID token's claims; signForeign signs it with the
	// unpublished key.
	spoil       func(claims map[string]any)
	signForeign bool
	requests    map[string]fakeRequest // by code
}

type fakeRequest struct{ nonce, challenge, redirect string }

func newFakeOP(t *testing.T, clientID, secret string) *fakeOP {
	t.Helper()
	f := &fakeOP{t: t, clientID: clientID, secret: secret, subject: "fake-subject-1", email: "fay@fake.test", requests: map[string]fakeRequest{}}
	var err error
	if f.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if f.foreign, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /jwks", f.jwks)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOP) set(fn func(f *fakeOP)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeOP) discovery(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	iss := f.discoveryIssuer
	f.mu.Unlock()
	if iss == "" {
		iss = f.srv.URL
	}
	writeJSON(w, map[string]any{"issuer": iss, "authorization_endpoint": f.srv.URL + "/authorize", "token_endpoint": f.srv.URL + "/token",
		"jwks_uri": f.srv.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"}})
}

func (f *fakeOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != f.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := base64.RawURLEncoding.EncodeToString([]byte(time.Now().String()))
	f.mu.Lock()
	f.requests[code] = fakeRequest{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	f.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (f *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.clientID || secret != f.secret {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"error": "invalid_client"})
		return
	}
	f.mu.Lock()
	req, ok := f.requests[r.PostForm.Get("code")]
	delete(f.requests, r.PostForm.Get("code"))
	spoil, foreign := f.spoil, f.signForeign
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != req.challenge || r.PostForm.Get("redirect_uri") != req.redirect {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	now := time.Now()
	claims := map[string]any{"iss": f.srv.URL, "sub": f.subject, "aud": f.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": req.nonce, "email": f.email, "email_verified": true, "name": "Fay Fake"}
	if spoil != nil {
		spoil(claims)
	}
	key := f.key
	if foreign {
		key = f.foreign
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		f.t.Error(err)
		return
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		f.t.Error(err)
		return
	}
	raw, _ := jws.CompactSerialize()
	writeJSON(w, map[string]any{"access_token": "fake-access-token", "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

func (f *fakeOP) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// An ID token is accepted only when go-oidc verifies it (signature by the
// provider's JWKS, issuer, audience, expiry) and its nonce is this
// login's. Each case spoils one of them; the control case proves the
// provider otherwise works.
func TestIDTokensThatDoNotVerifyAreRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		op := newFakeOP(t, "acme-at-fake", "fake-secret")
		fake, err := w.social.CreateProvider(w.sys("acme"), social.NewProvider{Slug: "fake", Kind: social.KindOIDC, DisplayName: "Fake",
			ClientID: op.clientID, ClientSecret: op.secret, Issuer: op.srv.URL, AllowSignUp: true})
		if err != nil {
			t.Fatal(err)
		}
		start := "/t/acme/auth/social/fake/start"
		cases := []struct {
			name   string
			spoil  func(map[string]any)
			signed bool // with the unpublished key
		}{
			{name: "issued by another provider (the upstream workspace)", spoil: func(c map[string]any) { c["iss"] = w.srv.URL + "/t/upstream" }},
			{name: "signed by a key not in the provider's JWKS", signed: true},
			{name: "for another client", spoil: func(c map[string]any) { c["aud"] = "someone-else" }},
			{name: "expired", spoil: func(c map[string]any) {
				c["iat"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-30*time.Minute).Unix()
			}},
			{name: "with another login's nonce", spoil: func(c map[string]any) { c["nonce"] = "nonce-of-another-login" }},
			{name: "without a nonce", spoil: func(c map[string]any) { delete(c, "nonce") }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				op.set(func(f *fakeOP) { f.spoil, f.signForeign = tc.spoil, tc.signed })
				b := w.browser(t)
				wantLanded(t, b.through(start), "/t/acme/signin", social.CodeInvalidToken)
				if s := b.session("acme"); s != nil {
					t.Fatalf("signed in: %+v", s)
				}
				if links := w.links(t, "acme", federatedidentity.ProviderID(fake.ID)); len(links) != 0 {
					t.Fatalf("linked: %+v", links)
				}
			})
		}
		// Refusals are audited, with the reason.
		denied := 0
		for _, ev := range w.audits(t, "acme", "signin.federated") {
			if ev.Outcome == "denied" && ev.Details["reason"] == social.CodeInvalidToken && ev.Details["provider"] == "fake" {
				denied++
			}
		}
		if denied != len(cases) {
			t.Errorf("%d refusals audited; want %d", denied, len(cases))
		}

		t.Run("control: a token that verifies signs in", func(t *testing.T) {
			op.set(func(f *fakeOP) { f.spoil, f.signForeign = nil, false })
			b := w.browser(t)
			wantLanded(t, b.through(start), "/t/acme/account", "")
			s := b.session("acme")
			if s == nil || s.User.Email != "fay@fake.test" {
				t.Fatalf("session: %+v", s)
			}
			if links := w.links(t, "acme", federatedidentity.ProviderID(fake.ID)); len(links) != 1 || links[0].Subject != "fake-subject-1" {
				t.Fatalf("links: %+v", links)
			}
		})

		t.Run("a discovery document naming another issuer is refused", func(t *testing.T) {
			liar := newFakeOP(t, "acme-at-liar", "liar-secret")
			liar.set(func(f *fakeOP) { f.discoveryIssuer = w.srv.URL + "/t/upstream" })
			if _, err := w.social.CreateProvider(w.sys("acme"), social.NewProvider{Slug: "liar", Kind: social.KindOIDC, DisplayName: "Liar",
				ClientID: liar.clientID, ClientSecret: liar.secret, Issuer: liar.srv.URL, AllowSignUp: true}); err != nil {
				t.Fatal(err)
			}
			wantLanded(t, w.browser(t).get("/t/acme/auth/social/liar/start"), "/t/acme/signin", social.CodeProviderUnavailable)
		})

		t.Run("a changed provider is rebuilt", func(t *testing.T) {
			// Point "fake" at another provider: the cached discovery of the
			// old one must not be used.
			other := newFakeOP(t, "acme-at-other", "other-secret")
			other.subject = "other-subject"
			other.email = "olga@other.test"
			if _, err := w.social.UpdateProvider(w.sys("acme"), fake.ID, social.ProviderUpdate{Issuer: ptr(other.srv.URL),
				ClientID: ptr(other.clientID), ClientSecret: ptr(other.secret)}); err != nil {
				t.Fatal(err)
			}
			b := w.browser(t)
			wantLanded(t, b.through(start), "/t/acme/account", "")
			if s := b.session("acme"); s == nil || s.User.Email != "olga@other.test" {
				t.Fatalf("session: %+v", s)
			}
		})
	})
}
