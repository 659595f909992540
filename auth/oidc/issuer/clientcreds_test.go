package issuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

const (
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	apiResource   = "https://api.example"
)

// The client credentials grant with each way a confidential client
// authenticates, driven by golang.org/x/oauth2/clientcredentials; the JWT
// access tokens are RFC 9068's and verify against the workspace's JWKS.
func TestClientCredentialsWithEachClientAuthentication(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		tokenURL := w.issuerURL("acme") + "/oauth2/token"
		cc := []string{clients.GrantClientCredentials}
		scopes := []string{"reports:read", "reports:write"}

		basicID, basicSecret := w.register(t, "acme", clients.NewClient{Name: "Basic", GrantTypes: cc, Scopes: scopes})
		postID, postSecret := w.register(t, "acme", clients.NewClient{Name: "Post", GrantTypes: cc, Scopes: scopes,
			AuthMethod: clients.AuthSecretPost})
		key := newClientKey(t)
		jwtID, _ := w.register(t, "acme", clients.NewClient{Name: "Keyed", GrantTypes: cc, Scopes: scopes, JWKS: key.publicJWKS(t)})
		// A JWK's alg and use are optional: a bare key is as good.
		bare := newClientKey(t)
		bareJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &bare.priv.PublicKey, KeyID: bare.kid}}})
		bareID, _ := w.register(t, "acme", clients.NewClient{Name: "Bare key", GrantTypes: cc, Scopes: scopes, JWKS: bareJWKS})

		cases := []struct {
			name string
			conf clientcredentials.Config
		}{
			{"client_secret_basic", clientcredentials.Config{ClientID: basicID, ClientSecret: basicSecret, TokenURL: tokenURL,
				AuthStyle: oauth2.AuthStyleInHeader, Scopes: []string{"reports:read"}}},
			{"client_secret_post", clientcredentials.Config{ClientID: postID, ClientSecret: postSecret, TokenURL: tokenURL,
				AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"reports:read"}}},
			{"private_key_jwt", clientcredentials.Config{ClientID: jwtID, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams,
				Scopes: []string{"reports:read"}, EndpointParams: url.Values{
					"client_assertion_type": {assertionType},
					"client_assertion":      {key.assertion(t, jwtID, tokenURL, randomJTI(), time.Now().Add(time.Minute))},
				}}},
			{"private_key_jwt with a bare key", clientcredentials.Config{ClientID: bareID, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams,
				Scopes: []string{"reports:read"}, EndpointParams: url.Values{
					"client_assertion_type": {assertionType},
					"client_assertion":      {bare.assertion(t, bareID, tokenURL, randomJTI(), time.Now().Add(time.Minute))},
				}}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tok, err := tc.conf.Token(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// The workspace's keys exist once its issuer has served a request.
				jwks := fetchJWKS(t, w, "acme")
				if tok.TokenType != "bearer" && tok.TokenType != "Bearer" || tok.RefreshToken != "" || tok.Extra("id_token") != nil {
					t.Fatalf("token response: type %q, refresh %t, id_token %v", tok.TokenType, tok.RefreshToken != "", tok.Extra("id_token"))
				}
				if got := tok.Extra("scope"); got != "reports:read" {
					t.Fatalf("granted scope %v", got)
				}
				hdr, claims := verifyJWT(t, jwks, tok.AccessToken)
				if hdr.ExtraHeaders["typ"] != "at+jwt" || hdr.KeyID == "" || hdr.Algorithm != "ES256" {
					t.Fatalf("access token header: typ %v kid %q alg %q", hdr.ExtraHeaders["typ"], hdr.KeyID, hdr.Algorithm)
				}
				id := tc.conf.ClientID
				if claims["iss"] != w.issuerURL("acme") || claims["sub"] != id || claims["client_id"] != id ||
					claims["scope"] != "reports:read" || claims["jti"] == "" || claims["jti"] == nil {
					t.Fatalf("access token claims: %v", claims)
				}
				if aud := stringsOf(claims["aud"]); !slices.Equal(aud, []string{id}) {
					t.Fatalf("aud %v: without a resource it is the client itself", claims["aud"])
				}
				// exp is the workspace's lifetime away, as expires_in says.
				exp, _ := claims["exp"].(float64)
				iat, _ := claims["iat"].(float64)
				if d := time.Unix(int64(exp), 0).Sub(tok.Expiry); exp <= iat || d < -2*time.Second || d > 2*time.Second {
					t.Fatalf("exp %v, iat %v, expires_in says %s", exp, iat, tok.Expiry)
				}
			})
		}
		if n := countAudit(t, w, "acme", "token.issued"); n != len(cases) {
			t.Fatalf("token.issued events: %d, want %d", n, len(cases))
		}

		t.Run("a scope the client was not registered for", func(t *testing.T) {
			c := cases[0].conf
			c.Scopes = []string{"admin"}
			if _, err := c.Token(ctx); oauthErr(err) != "invalid_scope" {
				t.Fatalf("%v", err)
			}
		})
		t.Run("a client without the grant", func(t *testing.T) {
			id, secret := w.register(t, "acme", clients.NewClient{Name: "Web", RedirectURIs: []string{callback}})
			c := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}
			if _, err := c.Token(ctx); oauthErr(err) != "unauthorized_client" {
				t.Fatalf("%v", err)
			}
		})
		t.Run("an unsupported grant type", func(t *testing.T) {
			status, body, _ := postForm(t, tokenURL, url.Values{"grant_type": {"password"}, "username": {"ann@acme.test"}, "password": {pw}},
				basicID, basicSecret)
			if status != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
				t.Fatalf("%d %v", status, body)
			}
		})
		t.Run("secret_post client presenting its secret with basic", func(t *testing.T) {
			c := cases[1].conf
			c.AuthStyle = oauth2.AuthStyleInHeader
			if _, err := c.Token(ctx); oauthErr(err) != "invalid_client" {
				t.Fatalf("%v", err)
			}
		})
	})
}

// Client authentication failures: 401 invalid_client with a
// WWW-Authenticate challenge, replayed and unsigned assertions refused.
func TestClientAuthenticationRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		tokenURL := w.issuerURL("acme") + "/oauth2/token"
		cc := []string{clients.GrantClientCredentials}
		id, secret := w.register(t, "acme", clients.NewClient{Name: "Basic", GrantTypes: cc})
		key := newClientKey(t)
		keyed, _ := w.register(t, "acme", clients.NewClient{Name: "Keyed", GrantTypes: cc, JWKS: key.publicJWKS(t)})
		grant := url.Values{"grant_type": {"client_credentials"}}

		t.Run("wrong secret", func(t *testing.T) {
			status, body, hdr := postForm(t, tokenURL, grant, id, secret+"x")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" || hdr.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %v WWW-Authenticate=%q", status, body, hdr.Get("WWW-Authenticate"))
			}
			if status, _, _ := postForm(t, tokenURL, grant, id, secret); status != http.StatusOK {
				t.Fatalf("the right secret: %d", status)
			}
		})
		t.Run("unknown client", func(t *testing.T) {
			status, body, hdr := postForm(t, tokenURL, grant, "nobody", secret)
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" || hdr.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %v", status, body)
			}
		})
		assertionForm := func(assertion string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {keyed},
				"client_assertion_type": {assertionType}, "client_assertion": {assertion}}
		}
		t.Run("a replayed assertion", func(t *testing.T) {
			a := key.assertion(t, keyed, tokenURL, randomJTI(), time.Now().Add(time.Minute))
			if status, body, _ := postForm(t, tokenURL, assertionForm(a), "", ""); status != http.StatusOK {
				t.Fatalf("first use: %d %v", status, body)
			}
			status, body, _ := postForm(t, tokenURL, assertionForm(a), "", "")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("replay: %d %v", status, body)
			}
		})
		t.Run("an assertion with alg none", func(t *testing.T) {
			claims, _ := json.Marshal(map[string]any{"iss": keyed, "sub": keyed, "aud": tokenURL, "jti": randomJTI(),
				"exp": time.Now().Add(time.Minute).Unix()})
			enc := base64.RawURLEncoding.EncodeToString
			unsigned := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(claims) + "."
			status, body, _ := postForm(t, tokenURL, assertionForm(unsigned), "", "")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("%d %v", status, body)
			}
		})
		t.Run("an assertion signed by another key with the same kid", func(t *testing.T) {
			forger := newClientKey(t)
			forger.kid = key.kid
			a := forger.assertion(t, keyed, tokenURL, randomJTI(), time.Now().Add(time.Minute))
			status, body, _ := postForm(t, tokenURL, assertionForm(a), "", "")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("%d %v", status, body)
			}
		})
		t.Run("an assertion for another workspace's token endpoint", func(t *testing.T) {
			a := key.assertion(t, keyed, w.issuerURL("other")+"/oauth2/token", randomJTI(), time.Now().Add(time.Minute))
			status, body, _ := postForm(t, tokenURL, assertionForm(a), "", "")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("%d %v", status, body)
			}
		})
		t.Run("an expired assertion", func(t *testing.T) {
			a := key.assertion(t, keyed, tokenURL, randomJTI(), time.Now().Add(-time.Minute))
			status, body, _ := postForm(t, tokenURL, assertionForm(a), "", "")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("%d %v", status, body)
			}
		})
		t.Run("a keyed client presenting no assertion", func(t *testing.T) {
			status, body, _ := postForm(t, tokenURL, grant, keyed, "")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("%d %v", status, body)
			}
		})
	})
}

// A client's SigningAlg signs its ID tokens and JWT access tokens, and
// go-oidc verifies them from discovery alone.
func TestSigningAlgorithmPerClient(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		// RS256's client exists before the workspace's issuer first serves;
		// EdDSA's is registered after, so its key is made on first use.
		for _, alg := range []string{"RS256", "EdDSA", "ES256"} {
			t.Run(alg, func(t *testing.T) {
				id, secret := w.register(t, "acme", clients.NewClient{Name: "App " + alg, RedirectURIs: []string{callback}, SigningAlg: alg,
					GrantTypes: []string{clients.GrantAuthorizationCode, clients.GrantClientCredentials}, Scopes: []string{"openid", "reports:read"}})
				provider, err := oidc.NewProvider(ctx, w.issuerURL("acme"))
				if err != nil {
					t.Fatal(err)
				}
				verifier := provider.Verifier(&oidc.Config{ClientID: id, SupportedSigningAlgs: []string{alg}})

				conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: callback,
					Scopes: []string{oidc.ScopeOpenID}}
				conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
				b := w.browser(t)
				b.signIn("acme", "ann@acme.test")
				pkce := oauth2.GenerateVerifier()
				q := b.authorize(conf.AuthCodeURL("state-"+alg+"-0001", oauth2.S256ChallengeOption(pkce)))
				tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := tok.Extra("id_token").(string)
				if got := headerAlg(t, raw); got != alg {
					t.Fatalf("ID token alg %q", got)
				}
				idt, err := verifier.Verify(ctx, raw)
				if err != nil {
					t.Fatalf("ID token: %v", err)
				}
				if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
					t.Errorf("at_hash: %v", err)
				}
				if got := headerAlg(t, tok.AccessToken); got != alg {
					t.Fatalf("access token alg %q", got)
				}

				cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: provider.Endpoint().TokenURL,
					AuthStyle: oauth2.AuthStyleInHeader, Scopes: []string{"reports:read"}}
				at, err := cc.Token(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := headerAlg(t, at.AccessToken); got != alg {
					t.Fatalf("client credentials access token alg %q", got)
				}
				// aud is the client itself, so go-oidc's verifier checks the
				// signature, issuer, audience and expiry of the access token too.
				if _, err := verifier.Verify(ctx, at.AccessToken); err != nil {
					t.Fatalf("access token: %v", err)
				}
				verifyJWT(t, fetchJWKS(t, w, "acme"), at.AccessToken)
			})
		}
	})
}

// RFC 8707: a resource becomes the token's audience, and only a resource
// the client is registered for.
func TestResourceIndicators(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		tokenURL := w.issuerURL("acme") + "/oauth2/token"
		id, secret := w.register(t, "acme", clients.NewClient{Name: "Batch", GrantTypes: []string{clients.GrantClientCredentials},
			Scopes: []string{"reports:read"}, Audience: []string{apiResource, "https://other.example/api"}})
		conf := func(resources ...string) clientcredentials.Config {
			return clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader,
				EndpointParams: url.Values{"resource": resources}}
		}

		t.Run("a registered resource is the audience", func(t *testing.T) {
			c := conf(apiResource)
			tok, err := c.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, claims := verifyJWT(t, fetchJWKS(t, w, "acme"), tok.AccessToken)
			if aud := stringsOf(claims["aud"]); !slices.Equal(aud, []string{apiResource}) {
				t.Fatalf("aud %v", claims["aud"])
			}
		})
		t.Run("two registered resources", func(t *testing.T) {
			c := conf(apiResource, "https://other.example/api")
			tok, err := c.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, claims := verifyJWT(t, fetchJWKS(t, w, "acme"), tok.AccessToken)
			if aud := stringsOf(claims["aud"]); !slices.Equal(aud, []string{apiResource, "https://other.example/api"}) {
				t.Fatalf("aud %v", claims["aud"])
			}
		})
		for name, res := range map[string]string{
			"a resource not registered":  "https://evil.example",
			"a resource with a fragment": apiResource + "#frag",
			"a relative resource":        "/api",
			"a resource without a host":  "urn:example:api",
		} {
			t.Run(name, func(t *testing.T) {
				c := conf(res)
				_, err := c.Token(ctx)
				re, ok := err.(*oauth2.RetrieveError)
				if !ok || re.ErrorCode != "invalid_target" || re.Response.StatusCode != http.StatusBadRequest {
					t.Fatalf("%v", err)
				}
			})
		}
	})
}

// clientKey is a private_key_jwt client's ES256 key.
type clientKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newClientKey(t testing.TB) *clientKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &clientKey{priv: priv, kid: randomJTI()}
}

// publicJWKS is the set a client registers: one public key, as a client
// would publish it (kid, alg and use set).
func (k *clientKey) publicJWKS(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertion is an RFC 7523 client assertion: iss = sub = the client, aud =
// the token endpoint.
func (k *clientKey) assertion(t testing.TB, clientID, aud, jti string, exp time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := josejwt.Signed(signer).Claims(josejwt.Claims{Issuer: clientID, Subject: clientID, Audience: josejwt.Audience{aud},
		ID: jti, IssuedAt: josejwt.NewNumericDate(time.Now()), Expiry: josejwt.NewNumericDate(exp)}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func randomJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fetchJWKS reads a workspace's published keys over HTTP.
func fetchJWKS(t *testing.T, w *world, slug string) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(w.issuerURL(slug) + "/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK || len(set.Keys) == 0 {
		t.Fatalf("jwks: %d %v", resp.StatusCode, err)
	}
	return set
}

var workspaceAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA}

// verifyJWT checks a JWT's signature with the key its kid names in set and
// returns its header and claims.
func verifyJWT(t *testing.T, set jose.JSONWebKeySet, raw string) (jose.Header, map[string]any) {
	t.Helper()
	obj, err := jose.ParseSigned(raw, workspaceAlgs)
	if err != nil {
		t.Fatalf("parse JWT: %v", err)
	}
	hdr := obj.Signatures[0].Header
	keys := set.Key(hdr.KeyID)
	if hdr.KeyID == "" || len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", hdr.KeyID)
	}
	payload, err := obj.Verify(keys[0])
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return hdr, claims
}

func headerAlg(t *testing.T, raw string) string {
	t.Helper()
	h, _, ok := strings.Cut(raw, ".")
	if !ok {
		t.Fatalf("not a JWT: %.12s…", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	_ = json.Unmarshal(b, &hdr)
	return hdr.Alg
}

// stringsOf reads a JSON string-or-array claim.
func stringsOf(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
