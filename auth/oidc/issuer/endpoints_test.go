package issuer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// RFC 7662: a client sees its own tokens, with their details; anything
// else (another client's token, a revoked one, garbage) is just inactive.
func TestIntrospection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		cc := []string{clients.GrantClientCredentials}
		for _, format := range []string{"jwt", "opaque"} {
			t.Run(format, func(t *testing.T) {
				id, secret := w.register(t, "acme", clients.NewClient{Name: "Batch " + format, GrantTypes: cc, TokenFormat: format,
					Scopes: []string{"reports:read"}, Audience: []string{apiResource}})
				otherID, otherSecret := w.register(t, "acme", clients.NewClient{Name: "Other " + format, GrantTypes: cc, TokenFormat: format})
				tok := clientToken(t, w, "acme", id, secret, url.Values{"scope": {"reports:read"}})
				before := time.Now().Add(-time.Second)

				got := introspect(t, w, "acme", tok.AccessToken, "", id, secret)
				if got["active"] != true || got["client_id"] != id || got["sub"] != id || got["scope"] != "reports:read" ||
					got["token_type"] != "Bearer" || got["iss"] != w.issuerURL("acme") || got["jti"] == nil {
					t.Fatalf("own token: %v", got)
				}
				if aud := stringsOf(got["aud"]); !slices.Equal(aud, []string{id}) {
					t.Fatalf("aud %v", got["aud"])
				}
				exp, _ := got["exp"].(float64)
				iat, _ := got["iat"].(float64)
				if d := time.Unix(int64(exp), 0).Sub(tok.Expiry); d < -2*time.Second || d > 2*time.Second || time.Unix(int64(iat), 0).Before(before.Truncate(time.Second)) {
					t.Fatalf("exp %v iat %v, token expiry %s", exp, iat, tok.Expiry)
				}
				if format == "jwt" {
					_, claims := verifyJWT(t, fetchJWKS(t, w, "acme"), tok.AccessToken)
					if claims["jti"] != got["jti"] {
						t.Fatalf("introspection jti %v, token jti %v", got["jti"], claims["jti"])
					}
				}

				// Another client learns nothing about it, not even with the
				// resource the token is for.
				if got := introspect(t, w, "acme", tok.AccessToken, "", otherID, otherSecret); !inactiveOnly(got) {
					t.Fatalf("another client's view: %v", got)
				}
				withRes := clientToken(t, w, "acme", id, secret, url.Values{"resource": {apiResource}})
				if got := introspect(t, w, "acme", withRes.AccessToken, "", otherID, otherSecret); !inactiveOnly(got) {
					t.Fatalf("another client's view of a resource token: %v", got)
				}
				if got := introspect(t, w, "acme", withRes.AccessToken, "", id, secret); got["active"] != true ||
					!slices.Equal(stringsOf(got["aud"]), []string{apiResource}) {
					t.Fatalf("resource token: %v", got)
				}
				for _, junk := range []string{"mnd_at_nothing.nothing", "a.b.c", "x"} {
					if got := introspect(t, w, "acme", junk, "", id, secret); !inactiveOnly(got) {
						t.Fatalf("%q: %v", junk, got)
					}
				}

				// Revoked: inactive.
				if status := revoke(t, w, "acme", tok.AccessToken, "access_token", id, secret); status != http.StatusOK {
					t.Fatalf("revoke: %d", status)
				}
				if got := introspect(t, w, "acme", tok.AccessToken, "", id, secret); !inactiveOnly(got) {
					t.Fatalf("revoked: %v", got)
				}
			})
		}

		t.Run("refresh tokens, with token_type_hint", func(t *testing.T) {
			id, secret := w.register(t, "acme", clients.NewClient{Name: "Web", RedirectURIs: []string{callback}, RefreshTokenTTL: 2 * time.Hour})
			b := w.browser(t)
			b.signIn("acme", "ann@acme.test")
			tok := codeFlow(t, w, b, id, secret, "openid", "email")
			got := introspect(t, w, "acme", tok.RefreshToken, "refresh_token", id, secret)
			if got["active"] != true || got["token_type"] != "refresh_token" || got["client_id"] != id || got["scope"] != "openid email" ||
				got["sub"] == id || got["sub"] == nil || got["auth_time"] == nil {
				t.Fatalf("refresh token: %v", got)
			}
			// Both tokens of the code flow carry the client's lifetimes.
			if exp, _ := got["exp"].(float64); !near(time.Unix(int64(exp), 0), time.Now().Add(2*time.Hour)) {
				t.Fatalf("refresh token exp %v, want about two hours from now", got["exp"])
			}
			at := introspect(t, w, "acme", tok.AccessToken, "access_token", id, secret)
			if at["active"] != true || at["sub"] != got["sub"] || at["token_type"] != "Bearer" {
				t.Fatalf("access token: %v", at)
			}
			if exp, _ := at["exp"].(float64); !near(time.Unix(int64(exp), 0), tok.Expiry) {
				t.Fatalf("access token exp %v, the token response said %s", at["exp"], tok.Expiry)
			}
			// Once rotated, the old refresh token is inactive.
			conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: oauth2.Endpoint{TokenURL: w.issuerURL("acme") + "/oauth2/token",
				AuthStyle: oauth2.AuthStyleInHeader}}
			if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
				t.Fatal(err)
			}
			if got := introspect(t, w, "acme", tok.RefreshToken, "refresh_token", id, secret); !inactiveOnly(got) {
				t.Fatalf("rotated refresh token: %v", got)
			}
		})

		t.Run("the caller must authenticate", func(t *testing.T) {
			id, secret := w.register(t, "acme", clients.NewClient{Name: "Caller", GrantTypes: cc})
			tok := clientToken(t, w, "acme", id, secret, nil)
			status, body, hdr := postForm(t, w.issuerURL("acme")+"/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, id, "wrong")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" || hdr.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %v", status, body)
			}
			status, body, _ = postForm(t, w.issuerURL("acme")+"/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, "", "")
			if status != http.StatusUnauthorized && status != http.StatusBadRequest || body["active"] != nil {
				t.Fatalf("no credentials: %d %v", status, body)
			}
			status, body, _ = postForm(t, w.issuerURL("acme")+"/oauth2/introspect", url.Values{"token_type_hint": {"access_token"}}, id, secret)
			if status != http.StatusBadRequest || body["error"] != "invalid_request" {
				t.Fatalf("no token: %d %v", status, body)
			}
		})
	})
}

// RFC 7009: revoking ends the token at once, everywhere it is checked, and
// is audited; a refresh token takes its whole family with it.
func TestRevocation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		for _, format := range []string{"jwt", "opaque"} {
			t.Run(format, func(t *testing.T) {
				id, secret := w.register(t, "acme", clients.NewClient{Name: "Web " + format, RedirectURIs: []string{callback}, TokenFormat: format})
				b := w.browser(t)
				b.signIn("acme", "ann@acme.test")
				conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: oauth2.Endpoint{TokenURL: w.issuerURL("acme") + "/oauth2/token",
					AuthStyle: oauth2.AuthStyleInHeader}}

				t.Run("an access token", func(t *testing.T) {
					tok := codeFlow(t, w, b, id, secret, "openid", "email")
					if status := userinfo(t, w, "acme", tok.AccessToken); status != http.StatusOK {
						t.Fatalf("userinfo before: %d", status)
					}
					n := countAudit(t, w, "acme", "token.revoked")
					if status := revoke(t, w, "acme", tok.AccessToken, "access_token", id, secret); status != http.StatusOK {
						t.Fatalf("revoke: %d", status)
					}
					if got := introspect(t, w, "acme", tok.AccessToken, "", id, secret); !inactiveOnly(got) {
						t.Fatalf("introspection after revocation: %v", got)
					}
					if status := userinfo(t, w, "acme", tok.AccessToken); status != http.StatusUnauthorized {
						t.Fatalf("userinfo after revocation: %d", status)
					}
					if got := countAudit(t, w, "acme", "token.revoked"); got != n+1 {
						t.Fatalf("token.revoked events: %d, want %d", got, n+1)
					}
				})
				t.Run("a refresh token ends the family", func(t *testing.T) {
					tok := codeFlow(t, w, b, id, secret, "openid", "email")
					rotated, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
					if err != nil {
						t.Fatal(err)
					}
					n := countAudit(t, w, "acme", "token.revoked")
					if status := revoke(t, w, "acme", rotated.RefreshToken, "refresh_token", id, secret); status != http.StatusOK {
						t.Fatalf("revoke: %d", status)
					}
					if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rotated.RefreshToken}).Token(); oauthErr(err) != "invalid_grant" {
						t.Fatalf("refresh after revocation: %v", err)
					}
					for _, at := range []string{tok.AccessToken, rotated.AccessToken} {
						if got := introspect(t, w, "acme", at, "", id, secret); !inactiveOnly(got) {
							t.Fatalf("the family's access token: %v", got)
						}
						if status := userinfo(t, w, "acme", at); status != http.StatusUnauthorized {
							t.Fatalf("userinfo with the family's access token: %d", status)
						}
					}
					if got := introspect(t, w, "acme", rotated.RefreshToken, "refresh_token", id, secret); !inactiveOnly(got) {
						t.Fatalf("revoked refresh token: %v", got)
					}
					if got := countAudit(t, w, "acme", "token.revoked"); got != n+1 {
						t.Fatalf("token.revoked events: %d, want %d", got, n+1)
					}
				})
				t.Run("another client cannot revoke it", func(t *testing.T) {
					tok := codeFlow(t, w, b, id, secret, "openid")
					otherID, otherSecret := w.register(t, "acme", clients.NewClient{Name: "Other " + format, GrantTypes: []string{clients.GrantClientCredentials}})
					_ = revoke(t, w, "acme", tok.AccessToken, "access_token", otherID, otherSecret)
					if got := introspect(t, w, "acme", tok.AccessToken, "", id, secret); got["active"] != true {
						t.Fatalf("another client revoked it: %v", got)
					}
				})
				t.Run("without client authentication", func(t *testing.T) {
					tok := codeFlow(t, w, b, id, secret, "openid")
					if status := revoke(t, w, "acme", tok.AccessToken, "", id, "wrong"); status != http.StatusUnauthorized {
						t.Fatalf("wrong secret: %d", status)
					}
					if got := introspect(t, w, "acme", tok.AccessToken, "", id, secret); got["active"] != true {
						t.Fatalf("revoked without authentication: %v", got)
					}
				})
			})
		}
	})
}

// What one workspace issues is unknown to another's endpoints, and its
// clients cannot authenticate there.
func TestWorkspaceIsolationOfTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		otherID, otherSecret := w.register(t, "other", clients.NewClient{Name: "Other's batch", GrantTypes: []string{clients.GrantClientCredentials}})
		for _, format := range []string{"jwt", "opaque"} {
			t.Run(format, func(t *testing.T) {
				id, secret := w.register(t, "acme", clients.NewClient{Name: "Web " + format, RedirectURIs: []string{callback}, TokenFormat: format,
					GrantTypes: []string{clients.GrantAuthorizationCode, clients.GrantRefreshToken, clients.GrantClientCredentials}})
				b := w.browser(t)
				b.signIn("acme", "ann@acme.test")
				user := codeFlow(t, w, b, id, secret, "openid", "email")
				self := clientToken(t, w, "acme", id, secret, nil)

				for name, tok := range map[string]string{"user access token": user.AccessToken, "client access token": self.AccessToken,
					"refresh token": user.RefreshToken} {
					// acme's client does not exist at other.
					status, body, _ := postForm(t, w.issuerURL("other")+"/oauth2/introspect", url.Values{"token": {tok}}, id, secret)
					if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
						t.Fatalf("%s, acme's client at other: %d %v", name, status, body)
					}
					// other's client sees nothing.
					if got := introspect(t, w, "other", tok, "", otherID, otherSecret); !inactiveOnly(got) {
						t.Fatalf("%s at other: %v", name, got)
					}
					// Nor can other's client revoke it.
					_ = revoke(t, w, "other", tok, "", otherID, otherSecret)
				}
				if status := userinfo(t, w, "other", user.AccessToken); status != http.StatusUnauthorized {
					t.Fatalf("userinfo at other: %d", status)
				}
				for _, tok := range []string{user.AccessToken, self.AccessToken} {
					if got := introspect(t, w, "acme", tok, "", id, secret); got["active"] != true {
						t.Fatalf("other's endpoints touched acme's token: %v", got)
					}
				}
				if got := introspect(t, w, "acme", user.RefreshToken, "refresh_token", id, secret); got["active"] != true {
					t.Fatalf("other's endpoints touched acme's refresh token: %v", got)
				}

				// acme's client cannot get tokens at other, by any grant.
				cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: w.issuerURL("other") + "/oauth2/token",
					AuthStyle: oauth2.AuthStyleInHeader}
				if _, err := cc.Token(ctx); oauthErr(err) != "invalid_client" {
					t.Fatalf("client credentials at other: %v", err)
				}
				conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: oauth2.Endpoint{TokenURL: w.issuerURL("other") + "/oauth2/token",
					AuthStyle: oauth2.AuthStyleInHeader}}
				if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: user.RefreshToken}).Token(); oauthErr(err) != "invalid_client" {
					t.Fatalf("refresh at other: %v", err)
				}
			})
		}
		t.Run("a JWT signed by acme does not verify with other's keys", func(t *testing.T) {
			id, secret := w.register(t, "acme", clients.NewClient{Name: "Signed", GrantTypes: []string{clients.GrantClientCredentials}})
			tok := clientToken(t, w, "acme", id, secret, nil)
			_ = clientToken(t, w, "other", otherID, otherSecret, nil) // other has keys
			for _, k := range fetchJWKS(t, w, "other").Keys {
				obj, err := jose.ParseSigned(tok.AccessToken, workspaceAlgs)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := obj.Verify(k); err == nil || obj.Signatures[0].Header.KeyID == k.KeyID {
					t.Fatalf("acme's token verifies with other's key %s", k.KeyID)
				}
			}
		})
	})
}

// Expired access tokens are inactive and refused by userinfo, in both
// formats.
func TestExpiredAccessTokens(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		type issued struct{ id, secret, token string }
		var all []issued
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		for _, format := range []string{"jwt", "opaque"} {
			id, secret := w.register(t, "acme", clients.NewClient{Name: "Short " + format, RedirectURIs: []string{callback}, TokenFormat: format,
				AccessTokenTTL: time.Second})
			tok := codeFlow(t, w, b, id, secret, "openid", "email")
			if status := userinfo(t, w, "acme", tok.AccessToken); status != http.StatusOK {
				t.Fatalf("%s: userinfo before expiry: %d", format, status)
			}
			if tok.Expiry.After(time.Now().Add(2 * time.Second)) {
				t.Fatalf("%s: expires_in ignores the client's lifetime: %s", format, time.Until(tok.Expiry))
			}
			all = append(all, issued{id, secret, tok.AccessToken})
		}
		id, secret := w.register(t, "acme", clients.NewClient{Name: "Short batch", GrantTypes: []string{clients.GrantClientCredentials},
			AccessTokenTTL: time.Second})
		all = append(all, issued{id, secret, clientToken(t, w, "acme", id, secret, nil).AccessToken})
		// Wait just past the latest exp (a second away, rounded to the
		// second).
		var last time.Time
		for _, tok := range all {
			got := introspect(t, w, "acme", tok.token, "", tok.id, tok.secret)
			exp, _ := got["exp"].(float64)
			if got["active"] != true || !near(time.Unix(int64(exp), 0), time.Now().Add(time.Second)) {
				t.Fatalf("before expiry: %v", got)
			}
			if e := time.Unix(int64(exp), 0); e.After(last) {
				last = e
			}
		}
		time.Sleep(time.Until(last.Add(100 * time.Millisecond)))
		for _, tok := range all {
			if got := introspect(t, w, "acme", tok.token, "", tok.id, tok.secret); !inactiveOnly(got) {
				t.Fatalf("introspection of an expired token: %v", got)
			}
			if status := userinfo(t, w, "acme", tok.token); status != http.StatusUnauthorized {
				t.Fatalf("userinfo with an expired token: %d", status)
			}
		}
	})
}

// RFC 9126: a pushed request is used by reference, once; a client that
// must push cannot authorize without it.
func TestPushedAuthorizationRequests(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		parURL := w.issuerURL("acme") + "/oauth2/par"
		id, secret := w.register(t, "acme", clients.NewClient{Name: "Pusher", RedirectURIs: []string{callback}})
		strict, strictSecret := w.register(t, "acme", clients.NewClient{Name: "Strict", RedirectURIs: []string{callback}, RequirePAR: true})
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		push := func(t *testing.T, id, secret, verifier string) string {
			t.Helper()
			form := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {callback}, "scope": {"openid email"},
				"state": {"state-par-0001"}, "nonce": {"nonce-par-0001"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
				"code_challenge_method": {"S256"}}
			status, body, _ := postForm(t, parURL, form, id, secret)
			uri, _ := body["request_uri"].(string)
			if status != http.StatusCreated || !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") || body["expires_in"] == nil {
				t.Fatalf("push: %d %v", status, body)
			}
			return uri
		}
		byReference := func(id, uri string) string {
			return w.issuerURL("acme") + "/oauth2/authorize?" + url.Values{"client_id": {id}, "request_uri": {uri}}.Encode()
		}
		conf := func(id, secret string) oauth2.Config {
			return oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Endpoint: oauth2.Endpoint{
				AuthURL: w.issuerURL("acme") + "/oauth2/authorize", TokenURL: w.issuerURL("acme") + "/oauth2/token",
				AuthStyle: oauth2.AuthStyleInHeader}}
		}

		t.Run("push, then authorize by reference", func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			uri := push(t, id, secret, verifier)
			q := b.authorize(byReference(id, uri))
			if q.Get("code") == "" || q.Get("state") != "state-par-0001" || q.Get("iss") != w.issuerURL("acme") {
				t.Fatalf("callback: %v", q)
			}
			c := conf(id, secret)
			tok, err := c.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			provider, err := oidc.NewProvider(ctx, w.issuerURL("acme"))
			if err != nil {
				t.Fatal(err)
			}
			idt, err := provider.Verifier(&oidc.Config{ClientID: id}).Verify(ctx, tok.Extra("id_token").(string))
			if err != nil || idt.Nonce != "nonce-par-0001" {
				t.Fatalf("ID token: %v, nonce %q", err, idt.Nonce)
			}

			// The request_uri was spent.
			p := b.get(byReference(id, uri))
			if strings.Contains(p.location, "code=") || p.status == http.StatusOK {
				t.Fatalf("a request_uri worked twice: %d %q", p.status, p.location)
			}
		})
		t.Run("a request_uri belongs to the client that pushed it", func(t *testing.T) {
			uri := push(t, id, secret, oauth2.GenerateVerifier())
			p := b.get(byReference(strict, uri))
			if strings.Contains(p.location, "code=") || p.status == http.StatusOK {
				t.Fatalf("another client used the request_uri: %d %q", p.status, p.location)
			}
		})
		t.Run("RequirePAR refuses a plain request", func(t *testing.T) {
			c := conf(strict, strictSecret)
			c.Scopes = []string{"openid"}
			q := b.authorize(c.AuthCodeURL("state-strict-0001", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if q.Get("error") != "invalid_request" || q.Get("code") != "" || q.Get("state") != "state-strict-0001" {
				t.Fatalf("%v", q)
			}
		})
		t.Run("RequirePAR accepts a pushed request", func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			q := b.authorize(byReference(strict, push(t, strict, strictSecret, verifier)))
			c := conf(strict, strictSecret)
			if _, err := c.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
				t.Fatalf("%v (callback %v)", err, q)
			}
		})
		t.Run("pushing needs client authentication", func(t *testing.T) {
			form := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {callback}, "scope": {"openid"}, "state": {"state-par-0002"}}
			status, body, _ := postForm(t, parURL, form, id, "wrong")
			if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("%d %v", status, body)
			}
		})
		t.Run("a pushed request is validated", func(t *testing.T) {
			form := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {"http://127.0.0.1:9/evil"}, "scope": {"openid"},
				"state": {"state-par-0003"}}
			if status, body, _ := postForm(t, parURL, form, id, secret); status != http.StatusBadRequest || body["request_uri"] != nil {
				t.Fatalf("unregistered redirect_uri: %d %v", status, body)
			}
			form.Set("redirect_uri", callback)
			form.Set("scope", "openid admin")
			if status, body, _ := postForm(t, parURL, form, id, secret); status != http.StatusBadRequest || body["error"] != "invalid_scope" {
				t.Fatalf("unregistered scope: %d %v", status, body)
			}
		})
	})
}

// RP-initiated logout with an id_token_hint signs out at once, tells the
// client on its back channel, and ends the tokens issued in the session;
// without a hint the user confirms first.
func TestEndSessionAndBackchannelLogout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		rp := newBackchannel(t)
		const loggedOut = "http://127.0.0.1:9/logged-out"
		id, secret := w.register(t, "acme", clients.NewClient{Name: "Portal", RedirectURIs: []string{callback},
			PostLogoutRedirectURIs: []string{loggedOut}, BackchannelLogoutURI: rp.srv.URL + "/backchannel"})
		provider, err := oidc.NewProvider(ctx, w.issuerURL("acme"))
		if err != nil {
			t.Fatal(err)
		}
		verifier := provider.Verifier(&oidc.Config{ClientID: id})
		logoutURL := w.issuerURL("acme") + "/oauth2/logout"

		t.Run("with id_token_hint", func(t *testing.T) {
			b := w.browser(t)
			b.signIn("acme", "ann@acme.test")
			tok := codeFlow(t, w, b, id, secret, "openid", "email")
			rawID := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(ctx, rawID)
			if err != nil {
				t.Fatal(err)
			}
			var idClaims struct {
				SID string `json:"sid"`
			}
			if err := idt.Claims(&idClaims); err != nil || idClaims.SID == "" {
				t.Fatalf("ID token sid: %v %q", err, idClaims.SID)
			}
			n := countAudit(t, w, "acme", "oauth.logout")

			p := b.get(logoutURL + "?" + url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {loggedOut},
				"state": {"bye-0001"}}.Encode())
			if p.location != loggedOut+"?state=bye-0001" {
				t.Fatalf("logout ended on %d %q: %s", p.status, p.location, p.body)
			}

			posts := rp.take()
			if len(posts) != 1 {
				t.Fatalf("back-channel posts: %d", len(posts))
			}
			lt := posts[0]
			hdr, claims := verifyJWT(t, fetchJWKS(t, w, "acme"), lt)
			if hdr.ExtraHeaders["typ"] != "logout+jwt" {
				t.Fatalf("logout token typ %v", hdr.ExtraHeaders["typ"])
			}
			if _, err := verifier.Verify(ctx, lt); err != nil {
				t.Fatalf("go-oidc on the logout token: %v", err)
			}
			events, _ := claims["events"].(map[string]any)
			if _, ok := events["http://schemas.openid.net/event/backchannel-logout"]; !ok || claims["sid"] != idClaims.SID ||
				claims["sub"] != idt.Subject || claims["iss"] != w.issuerURL("acme") || claims["jti"] == nil || claims["nonce"] != nil ||
				!slices.Equal(stringsOf(claims["aud"]), []string{id}) {
				t.Fatalf("logout token claims: %v", claims)
			}

			if status := b.sessionStatus("acme"); status != http.StatusUnauthorized {
				t.Fatalf("session after logout: %d", status)
			}
			if got := introspect(t, w, "acme", tok.AccessToken, "", id, secret); !inactiveOnly(got) {
				t.Fatalf("access token after logout: %v", got)
			}
			if got := introspect(t, w, "acme", tok.RefreshToken, "refresh_token", id, secret); !inactiveOnly(got) {
				t.Fatalf("refresh token after logout: %v", got)
			}
			if status := userinfo(t, w, "acme", tok.AccessToken); status != http.StatusUnauthorized {
				t.Fatalf("userinfo after logout: %d", status)
			}
			if got := countAudit(t, w, "acme", "oauth.logout"); got != n+1 {
				t.Fatalf("oauth.logout events: %d, want %d", got, n+1)
			}
		})

		t.Run("an unregistered post_logout_redirect_uri", func(t *testing.T) {
			b := w.browser(t)
			b.signIn("acme", "ann@acme.test")
			tok := codeFlow(t, w, b, id, secret, "openid")
			p := b.get(logoutURL + "?" + url.Values{"id_token_hint": {tok.Extra("id_token").(string)},
				"post_logout_redirect_uri": {"http://127.0.0.1:9/evil"}, "state": {"bye-0002"}}.Encode())
			if p.status != http.StatusBadRequest || p.location != "" {
				t.Fatalf("%d %q", p.status, p.location)
			}
			if status := b.sessionStatus("acme"); status != http.StatusOK {
				t.Fatalf("session after a refused logout: %d", status)
			}
			if posts := rp.take(); len(posts) != 0 {
				t.Fatalf("back-channel posts after a refused logout: %d", len(posts))
			}
		})

		t.Run("without id_token_hint the user confirms", func(t *testing.T) {
			b := w.browser(t)
			b.signIn("acme", "ann@acme.test")
			tok := codeFlow(t, w, b, id, secret, "openid")
			p := b.get(logoutURL + "?" + url.Values{"client_id": {id}, "post_logout_redirect_uri": {loggedOut}, "state": {"bye-0003"}}.Encode())
			if p.status != http.StatusOK || p.location != "" || !strings.Contains(p.body, `name="csrf"`) || !strings.Contains(p.body, "<form") {
				t.Fatalf("confirmation page: %d %q %s", p.status, p.location, p.body)
			}
			if status := b.sessionStatus("acme"); status != http.StatusOK {
				t.Fatalf("a GET signed out: %d", status)
			}
			if got := introspect(t, w, "acme", tok.AccessToken, "", id, secret); got["active"] != true {
				t.Fatalf("a GET ended the tokens: %v", got)
			}
			if posts := rp.take(); len(posts) != 0 {
				t.Fatalf("a GET posted to the back channel: %d", len(posts))
			}

			// A post without the page's CSRF token signs nobody out.
			forged := b.submit(p, "/t/acme/oauth2/logout", url.Values{"csrf": {"forged"}})
			if forged.location != "" || b.sessionStatus("acme") != http.StatusOK {
				t.Fatalf("forged confirmation: %d %q", forged.status, forged.location)
			}

			done := b.submit(p, "/t/acme/oauth2/logout", nil)
			if done.location != loggedOut+"?state=bye-0003" {
				t.Fatalf("confirmed logout: %d %q", done.status, done.location)
			}
			if status := b.sessionStatus("acme"); status != http.StatusUnauthorized {
				t.Fatalf("session after the confirmed logout: %d", status)
			}
			if got := introspect(t, w, "acme", tok.AccessToken, "", id, secret); !inactiveOnly(got) {
				t.Fatalf("access token after the confirmed logout: %v", got)
			}
			if posts := rp.take(); len(posts) != 1 {
				t.Fatalf("back-channel posts: %d", len(posts))
			}
		})
	})
}

// Discovery: the OpenID and RFC 8414 documents are the same, name the
// workspace's issuer, and every endpoint they advertise is served.
func TestDiscoveryAdvertisesServedEndpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		oidcDoc := getJSON(t, w.issuerURL("acme")+"/.well-known/openid-configuration")
		asDoc := getJSON(t, w.srv.URL+"/.well-known/oauth-authorization-server/t/acme")
		if oidcDoc["issuer"] != w.issuerURL("acme") || !reflect.DeepEqual(oidcDoc, asDoc) {
			t.Fatalf("issuer %v; documents differ:\n%v\n%v", oidcDoc["issuer"], oidcDoc, asDoc)
		}
		if other := getJSON(t, w.issuerURL("other")+"/.well-known/openid-configuration"); other["issuer"] != w.issuerURL("other") {
			t.Fatalf("other's issuer %v", other["issuer"])
		}
		if _, err := oidc.NewProvider(context.Background(), w.issuerURL("acme")); err != nil {
			t.Fatal(err)
		}
		var advertised []string
		for key, v := range oidcDoc {
			if !strings.HasSuffix(key, "_endpoint") && key != "jwks_uri" {
				continue
			}
			advertised = append(advertised, key)
			u, _ := v.(string)
			if !strings.HasPrefix(u, w.issuerURL("acme")+"/") {
				t.Fatalf("%s = %q is not under the issuer", key, u)
			}
			// Each answers its method: GET, else POST.
			resp, err := http.Get(u)
			if err == nil && resp.StatusCode == http.StatusMethodNotAllowed {
				resp.Body.Close()
				resp, err = http.PostForm(u, url.Values{})
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode >= 500 {
				t.Fatalf("%s (%s): %d", key, u, resp.StatusCode)
			}
		}
		for _, key := range []string{"authorization_endpoint", "device_authorization_endpoint", "end_session_endpoint", "introspection_endpoint",
			"jwks_uri", "pushed_authorization_request_endpoint", "revocation_endpoint", "token_endpoint", "userinfo_endpoint"} {
			if !slices.Contains(advertised, key) {
				t.Fatalf("%s is not advertised (advertised: %v)", key, advertised)
			}
		}
		resp, err := http.Get(w.srv.URL + "/t/nobody/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown workspace: %d", resp.StatusCode)
		}
	})
}

// near is within the rounding and latency of a token's times.
func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -3*time.Second && d < 3*time.Second
}

// clientToken gets a client credentials token with extra form values.
func clientToken(t *testing.T, w *world, slug, id, secret string, extra url.Values) *oauth2.Token {
	t.Helper()
	c := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: w.issuerURL(slug) + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader, EndpointParams: extra}
	if sc := extra.Get("scope"); sc != "" {
		c.Scopes = strings.Fields(sc)
		c.EndpointParams = url.Values{}
		for k, v := range extra {
			if k != "scope" {
				c.EndpointParams[k] = v
			}
		}
	}
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// codeFlow runs the authorization code flow with PKCE in a signed-in
// browser and returns the tokens.
func codeFlow(t *testing.T, w *world, b *browser, id, secret string, scopes ...string) *oauth2.Token {
	t.Helper()
	conf := oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: scopes, Endpoint: oauth2.Endpoint{
		AuthURL: w.issuerURL("acme") + "/oauth2/authorize", TokenURL: w.issuerURL("acme") + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(conf.AuthCodeURL("state-"+randomJTI(), oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v (callback %v)", err, q)
	}
	return tok
}

func introspect(t *testing.T, w *world, slug, token, hint, id, secret string) map[string]any {
	t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	status, body, hdr := postForm(t, w.issuerURL(slug)+"/oauth2/introspect", form, id, secret)
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("introspect: %d %v", status, body)
	}
	return body
}

// inactiveOnly is RFC 7662's answer for a token the caller may not know
// about: active false, and nothing else.
func inactiveOnly(got map[string]any) bool {
	return len(got) == 1 && got["active"] == false
}

func revoke(t *testing.T, w *world, slug, token, hint, id, secret string) int {
	t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	status, _, _ := postForm(t, w.issuerURL(slug)+"/oauth2/revoke", form, id, secret)
	return status
}

func userinfo(t *testing.T, w *world, slug, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.issuerURL(slug)+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
		t.Fatalf("userinfo 401 without a Bearer challenge: %q", resp.Header.Get("WWW-Authenticate"))
	}
	return resp.StatusCode
}

// sessionStatus is the status of the browser's GET /t/{slug}/auth/session.
func (b *browser) sessionStatus(slug string) int {
	b.t.Helper()
	return b.get(b.w.srv.URL + "/t/" + slug + "/auth/session").status
}

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return out
}

// backchannel is a relying party's back-channel logout endpoint: it
// records each logout_token posted to it.
type backchannel struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts []string
}

func newBackchannel(t *testing.T) *backchannel {
	rp := &backchannel{}
	rp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if r.Method != http.MethodPost || err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || form.Get("logout_token") == "" {
			http.Error(w, "bad logout request", http.StatusBadRequest)
			return
		}
		rp.mu.Lock()
		rp.posts = append(rp.posts, form.Get("logout_token"))
		rp.mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
	}))
	t.Cleanup(rp.srv.Close)
	return rp
}

// take returns the logout tokens received since the last take.
func (rp *backchannel) take() []string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	out := rp.posts
	rp.posts = nil
	return out
}
