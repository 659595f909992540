package issuer_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

const callback = "http://127.0.0.1:9/callback"

// The authorization code flow with PKCE, driven by golang.org/x/oauth2 and
// verified by coreos/go-oidc from nothing but the issuer URL: sign-in,
// consent, ID token claims, userinfo, refresh rotation, and reuse
// detection revoking the whole family.
func TestCodeFlowWithPKCEThroughClientsWeDidNotWrite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		for _, format := range []string{"jwt", "opaque"} {
			t.Run(format, func(t *testing.T) {
				id, secret := w.register(t, "acme", clients.NewClient{Name: "Billing app " + format, RedirectURIs: []string{callback},
					TokenFormat: format})
				provider, err := oidc.NewProvider(ctx, w.issuerURL("acme"))
				if err != nil {
					t.Fatal(err)
				}
				conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: callback,
					Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
				conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
				b := w.browser(t)
				b.signIn("acme", "ann@acme.test")
				verifier := oauth2.GenerateVerifier()
				q := b.authorize(conf.AuthCodeURL("state-0001", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-0001")))
				if q.Get("state") != "state-0001" || q.Get("iss") != w.issuerURL("acme") || q.Get("code") == "" {
					t.Fatalf("callback query: %v", q)
				}
				tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := tok.Extra("id_token").(string)
				idt, err := provider.Verifier(&oidc.Config{ClientID: id}).Verify(ctx, raw)
				if err != nil {
					t.Fatal(err)
				}
				var claims struct {
					Nonce    string   `json:"nonce"`
					Email    string   `json:"email"`
					Verified bool     `json:"email_verified"`
					Name     string   `json:"name"`
					SID      string   `json:"sid"`
					AMR      []string `json:"amr"`
					ACR      string   `json:"acr"`
					AuthTime int64    `json:"auth_time"`
					AtHash   string   `json:"at_hash"`
				}
				if err := idt.Claims(&claims); err != nil {
					t.Fatal(err)
				}
				if claims.Nonce != "nonce-0001" || claims.Email != "ann@acme.test" || !claims.Verified || claims.Name != "Ann acme" ||
					claims.SID == "" || len(claims.AMR) == 0 || claims.ACR == "" || claims.AuthTime == 0 || claims.AtHash == "" {
					t.Fatalf("ID token claims: %+v", claims)
				}
				if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
					t.Fatalf("at_hash: %v", err)
				}
				if format == "jwt" && strings.Count(tok.AccessToken, ".") != 2 || format == "opaque" && !strings.HasPrefix(tok.AccessToken, "mnd_at_") {
					t.Fatalf("access token format %s: %s", format, tok.AccessToken[:12])
				}
				ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
				if err != nil {
					t.Fatal(err)
				}
				if ui.Subject != idt.Subject || ui.Email != "ann@acme.test" {
					t.Fatalf("userinfo: %+v", ui)
				}

				// Refresh rotates: the new refresh token differs, the old one
				// is spent, and using it again revokes the whole family.
				old := tok.RefreshToken
				if old == "" {
					t.Fatal("no refresh token")
				}
				expired := &oauth2.Token{RefreshToken: old}
				fresh, err := conf.TokenSource(ctx, expired).Token()
				if err != nil {
					t.Fatal(err)
				}
				if fresh.RefreshToken == "" || fresh.RefreshToken == old || fresh.AccessToken == tok.AccessToken {
					t.Fatal("refresh did not rotate")
				}
				if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token(); oauthErr(err) != "invalid_grant" {
					t.Fatalf("reused refresh token: %v", err)
				}
				if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token(); oauthErr(err) != "invalid_grant" {
					t.Fatalf("the family's newest refresh token survived reuse: %v", err)
				}
				if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh)); err == nil {
					t.Fatal("the family's access token survived reuse")
				}
				if n := countAudit(t, w, "acme", "token.refresh_reuse"); n == 0 {
					t.Fatal("reuse not audited")
				}

				// The code is single-use.
				if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); oauthErr(err) != "invalid_grant" {
					t.Fatalf("code reuse: %v", err)
				}
			})
		}
		if n := countAudit(t, w, "acme", "token.issued"); n < 4 {
			t.Fatalf("token.issued events: %d", n)
		}
		if n := countAudit(t, w, "acme", "consent.given"); n != 2 {
			t.Fatalf("consent.given events: %d", n)
		}
	})
}

// The negative cases of the code flow each get the protocol's error.
func TestCodeFlowRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		id, secret := w.register(t, "acme", clients.NewClient{Name: "App", RedirectURIs: []string{callback}})
		pub, _ := w.register(t, "acme", clients.NewClient{Name: "SPA", RedirectURIs: []string{callback}, Public: true})
		provider, err := oidc.NewProvider(ctx, w.issuerURL("acme"))
		if err != nil {
			t.Fatal(err)
		}
		conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: callback,
			Scopes: []string{oidc.ScopeOpenID}}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")

		t.Run("wrong redirect_uri is never redirected to", func(t *testing.T) {
			c := conf
			c.RedirectURL = "http://127.0.0.1:9/evil"
			p := b.get(c.AuthCodeURL("state-123"))
			if p.location != "" || p.status != http.StatusBadRequest {
				t.Fatalf("%d %q", p.status, p.location)
			}
		})
		t.Run("unknown client is never redirected to", func(t *testing.T) {
			c := conf
			c.ClientID = "nobody"
			p := b.get(c.AuthCodeURL("state-123"))
			if p.location != "" || p.status < 400 {
				t.Fatalf("%d %q", p.status, p.location)
			}
		})
		t.Run("PKCE mismatch", func(t *testing.T) {
			q := b.authorize(conf.AuthCodeURL("state-123", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); oauthErr(err) != "invalid_grant" {
				t.Fatalf("%v", err)
			}
		})
		t.Run("PKCE downgrade: verifier without a challenge", func(t *testing.T) {
			q := b.authorize(conf.AuthCodeURL("state-123"))
			if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
				t.Fatal("accepted a verifier for a code issued without a challenge")
			}
		})
		t.Run("public client without PKCE", func(t *testing.T) {
			c := oauth2.Config{ClientID: pub, Endpoint: provider.Endpoint(), RedirectURL: callback, Scopes: []string{"openid"}}
			q := b.authorize(c.AuthCodeURL("state-123"))
			if q.Get("error") != "invalid_request" || q.Get("iss") != w.issuerURL("acme") {
				t.Fatalf("%v", q)
			}
		})
		t.Run("plain PKCE is refused", func(t *testing.T) {
			c := oauth2.Config{ClientID: pub, Endpoint: provider.Endpoint(), RedirectURL: callback, Scopes: []string{"openid"}}
			q := b.authorize(c.AuthCodeURL("state-123", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
				oauth2.SetAuthURLParam("code_challenge_method", "plain")))
			if q.Get("error") == "" {
				t.Fatalf("%v", q)
			}
		})
		t.Run("bad client secret", func(t *testing.T) {
			q := b.authorize(conf.AuthCodeURL("state-123"))
			c := conf
			c.ClientSecret = "wrong"
			_, err := c.Exchange(ctx, q.Get("code"))
			re, ok := err.(*oauth2.RetrieveError)
			if !ok || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%v", err)
			}
		})
		t.Run("scope the client may not have", func(t *testing.T) {
			c := conf
			c.Scopes = []string{"openid", "admin"}
			q := b.authorize(c.AuthCodeURL("state-123"))
			if q.Get("error") != "invalid_scope" {
				t.Fatalf("%v", q)
			}
		})
		t.Run("prompt=none without consent", func(t *testing.T) {
			other, _ := w.register(t, "acme", clients.NewClient{Name: "Fresh", RedirectURIs: []string{callback}})
			c := conf
			c.ClientID = other
			q := b.authorize(c.AuthCodeURL("state-123", oauth2.SetAuthURLParam("prompt", "none")))
			if q.Get("error") != "consent_required" {
				t.Fatalf("%v", q)
			}
		})
		t.Run("prompt=none signed out", func(t *testing.T) {
			q := w.browser(t).authorize(conf.AuthCodeURL("state-123", oauth2.SetAuthURLParam("prompt", "none")))
			if q.Get("error") != "login_required" {
				t.Fatalf("%v", q)
			}
		})
		t.Run("signed out goes to the hosted sign-in and back", func(t *testing.T) {
			nb := w.browser(t)
			p := nb.get(conf.AuthCodeURL("state-123"))
			if !strings.Contains(p.url, "/t/acme/signin?") {
				t.Fatalf("ended on %s", p.url)
			}
			u, _ := url.Parse(p.url)
			back := u.Query().Get("return_to")
			if !strings.HasPrefix(back, "/t/acme/oauth2/authorize?") {
				t.Fatalf("return_to %q", back)
			}
			nb.signIn("acme", "ann@acme.test")
			q := nb.authorize(w.srv.URL + back)
			if q.Get("code") == "" {
				t.Fatalf("%v", q)
			}
		})
		t.Run("prompt=login asks again and then succeeds", func(t *testing.T) {
			p := b.get(conf.AuthCodeURL("state-123", oauth2.SetAuthURLParam("prompt", "login")))
			if !strings.Contains(p.url, "/t/acme/signin?") {
				t.Fatalf("ended on %s", p.url)
			}
			u, _ := url.Parse(p.url)
			b.signIn("acme", "ann@acme.test")
			q := b.authorize(w.srv.URL + u.Query().Get("return_to"))
			if _, err := conf.Exchange(ctx, q.Get("code")); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("the issuer's own parameters cannot be forged", func(t *testing.T) {
			p := b.get(conf.AuthCodeURL("state-123", oauth2.SetAuthURLParam("mandate_auth_after", "1")))
			if p.status != http.StatusBadRequest && !strings.Contains(p.location, "error=") {
				t.Fatalf("%d %q", p.status, p.location)
			}
		})
		t.Run("a denied consent", func(t *testing.T) {
			other, _ := w.register(t, "acme", clients.NewClient{Name: "Denied", RedirectURIs: []string{callback}})
			c := conf
			c.ClientID = other
			p := b.get(c.AuthCodeURL("state-123"))
			p = b.submit(p, "/t/acme/oauth2/authorize", url.Values{"consent": {"deny"}})
			u, _ := url.Parse(p.location)
			if u.Query().Get("error") != "access_denied" {
				t.Fatalf("%q", p.location)
			}
		})
		t.Run("consent without the page's CSRF token", func(t *testing.T) {
			other, _ := w.register(t, "acme", clients.NewClient{Name: "Forged", RedirectURIs: []string{callback}})
			c := conf
			c.ClientID = other
			p := b.get(c.AuthCodeURL("state-123"))
			p = b.submit(p, "/t/acme/oauth2/authorize", url.Values{"consent": {"approve"}, "csrf": {"forged"}})
			if strings.Contains(p.location, "code=") {
				t.Fatalf("%q", p.location)
			}
		})
	})
}
