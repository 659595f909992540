package issuer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

var userCodeFormat = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// RFC 8628 with golang.org/x/oauth2's device flow as the device: the
// device asks for codes and polls, the user approves in a signed-in
// browser, and the device gets tokens once; denied and expired codes end
// with the RFC's errors.
func TestDeviceAuthorizationGrant(t *testing.T) {
	t.Parallel() // the approved poll waits the 5 s interval
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		id, _ := w.register(t, "acme", clients.NewClient{Name: "Living room TV", Public: true,
			GrantTypes: []string{clients.GrantDeviceCode, clients.GrantRefreshToken}})
		provider, err := oidc.NewProvider(ctx, w.issuerURL("acme"))
		if err != nil {
			t.Fatal(err)
		}
		conf := oauth2.Config{ClientID: id, Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email"}}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		if conf.Endpoint.DeviceAuthURL != w.issuerURL("acme")+"/oauth2/device_authorization" {
			t.Fatalf("discovered device endpoint %q", conf.Endpoint.DeviceAuthURL)
		}
		b := w.browser(t)
		b.signIn("acme", "ann@acme.test")
		poll := func(t *testing.T, clientID, deviceCode string) (int, map[string]any) {
			t.Helper()
			status, body, _ := postForm(t, conf.Endpoint.TokenURL, url.Values{"grant_type": {deviceGrant}, "client_id": {clientID},
				"device_code": {deviceCode}}, "", "")
			return status, body
		}
		start := func(t *testing.T) *oauth2.DeviceAuthResponse {
			t.Helper()
			da, err := conf.DeviceAuth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return da
		}

		t.Run("approved", func(t *testing.T) {
			da := start(t)
			if da.DeviceCode == "" || !userCodeFormat.MatchString(da.UserCode) || da.VerificationURI != w.issuerURL("acme")+"/device" ||
				da.VerificationURIComplete != da.VerificationURI+"?user_code="+da.UserCode || da.Interval != 5 ||
				time.Until(da.Expiry) < 9*time.Minute || time.Until(da.Expiry) > 10*time.Minute {
				t.Fatalf("device authorization response: %+v", da)
			}

			p := b.get(da.VerificationURIComplete)
			form := hiddenFields(p.body)
			if p.status != http.StatusOK || form.Get("user_code") != da.UserCode || form.Get("csrf") == "" || !strings.Contains(p.body, "Living room TV") {
				t.Fatalf("confirmation page: %d %v\n%s", p.status, form, p.body)
			}
			if done := b.submit(p, "/t/acme/device", url.Values{"decision": {"approve"}}); done.status != http.StatusOK || !strings.Contains(done.body, "is connected") {
				t.Fatalf("approval: %d %s", done.status, done.body)
			}

			// The device polls as the library does, after the interval.
			pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			tok, err := conf.DeviceAccessToken(pctx, da)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := provider.Verifier(&oidc.Config{ClientID: id}).Verify(ctx, raw)
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if tok.RefreshToken == "" || tok.Extra("scope") != "openid email" {
				t.Fatalf("token response: refresh %t, scope %v", tok.RefreshToken != "", tok.Extra("scope"))
			}
			ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || ui.Subject != idt.Subject || ui.Email != "ann@acme.test" {
				t.Fatalf("userinfo: %v %+v", err, ui)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Fatalf("at_hash: %v", err)
			}

			// The code is spent.
			if status, body := poll(t, id, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Fatalf("second poll: %d %v", status, body)
			}
			// The refresh token works like any other.
			if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if n := countAudit(t, w, "acme", "device.approved"); n != 1 {
				t.Fatalf("device.approved events: %d", n)
			}
			// A used user code is not offered again.
			if p := b.get(da.VerificationURIComplete); p.status != http.StatusBadRequest || strings.Contains(p.body, `name="decision"`) {
				t.Fatalf("used user code: %d", p.status)
			}
		})

		t.Run("pending, then slow_down when polled too fast", func(t *testing.T) {
			da := start(t)
			if status, body := poll(t, id, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "authorization_pending" {
				t.Fatalf("first poll: %d %v", status, body)
			}
			if status, body := poll(t, id, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "slow_down" {
				t.Fatalf("immediate second poll: %d %v", status, body)
			}
		})

		t.Run("denied", func(t *testing.T) {
			da := start(t)
			p := b.get(da.VerificationURIComplete)
			if done := b.submit(p, "/t/acme/device", url.Values{"decision": {"deny"}}); done.status != http.StatusOK || !strings.Contains(done.body, "Denied") {
				t.Fatalf("denial: %d %s", done.status, done.body)
			}
			if status, body := poll(t, id, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "access_denied" {
				t.Fatalf("poll: %d %v", status, body)
			}
			if n := countAudit(t, w, "acme", "device.denied"); n != 1 {
				t.Fatalf("device.denied events: %d", n)
			}
		})

		t.Run("expired", func(t *testing.T) {
			da := start(t)
			// Ten minutes on: the device polls a replica of the issuer (same
			// database, same secret) whose clock reads eleven minutes later.
			later := issuer.New(issuer.Config{Client: db.Client, Tenants: w.ts, Keys: w.keys, BaseURL: w.srv.URL,
				MasterSecret: []byte(strings.Repeat("m", 32)), Now: func() time.Time { return time.Now().Add(11 * time.Minute) }})
			mux := http.NewServeMux()
			later.Mount(mux)
			form := url.Values{"grant_type": {deviceGrant}, "client_id": {id}, "device_code": {da.DeviceCode}}
			req := httptest.NewRequest(http.MethodPost, "/t/acme/oauth2/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"error":"expired_token"`) {
				t.Fatalf("poll after expiry: %d %s", rec.Code, rec.Body)
			}
			// Now, on the live issuer, the code is still pending.
			if status, body := poll(t, id, da.DeviceCode); body["error"] != "authorization_pending" {
				t.Fatalf("poll before expiry: %d %v", status, body)
			}
		})

		t.Run("the user types the code loosely; a forged approval is refused", func(t *testing.T) {
			da := start(t)
			typed := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", " "))
			p := b.get(w.issuerURL("acme") + "/device?" + url.Values{"user_code": {typed}}.Encode())
			if p.status != http.StatusOK || hiddenFields(p.body).Get("user_code") != da.UserCode {
				t.Fatalf("typed code %q: %d", typed, p.status)
			}
			if forged := b.submit(p, "/t/acme/device", url.Values{"decision": {"approve"}, "csrf": {"forged"}}); forged.status != http.StatusForbidden {
				t.Fatalf("forged approval: %d", forged.status)
			}
			// A post from another site, with the right token, is refused too.
			form := hiddenFields(p.body)
			form.Set("decision", "approve")
			req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/t/acme/device", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://evil.example")
			if resp := b.read(mustDo(t, b.http, req)); resp.status != http.StatusForbidden {
				t.Fatalf("cross-site approval: %d", resp.status)
			}
			if status, body := poll(t, id, da.DeviceCode); body["error"] != "authorization_pending" {
				t.Fatalf("after forged approvals: %d %v", status, body)
			}
		})

		t.Run("the device code belongs to its client", func(t *testing.T) {
			da := start(t)
			other, _ := w.register(t, "acme", clients.NewClient{Name: "Other TV", Public: true, GrantTypes: []string{clients.GrantDeviceCode}})
			if status, body := poll(t, other, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Fatalf("%d %v", status, body)
			}
			if status, body := poll(t, id, "not-a-device-code"); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Fatalf("unknown device code: %d %v", status, body)
			}
		})

		t.Run("a scope the client may not have", func(t *testing.T) {
			c := conf
			c.Scopes = []string{"openid", "admin"}
			if _, err := c.DeviceAuth(ctx); oauthErr(err) != "invalid_scope" {
				t.Fatalf("%v", err)
			}
		})

		t.Run("a client without the device grant", func(t *testing.T) {
			cc, secret := w.register(t, "acme", clients.NewClient{Name: "Batch", GrantTypes: []string{clients.GrantClientCredentials}})
			status, body, _ := postForm(t, conf.Endpoint.DeviceAuthURL, url.Values{"scope": {"openid"}}, cc, secret)
			if status != http.StatusBadRequest || body["error"] != "unauthorized_client" {
				t.Fatalf("device authorization: %d %v", status, body)
			}
			da := start(t)
			status, body, _ = postForm(t, conf.Endpoint.TokenURL, url.Values{"grant_type": {deviceGrant}, "device_code": {da.DeviceCode}}, cc, secret)
			if status != http.StatusBadRequest || body["error"] != "unauthorized_client" {
				t.Fatalf("token: %d %v", status, body)
			}
		})
	})
}

// hiddenFields are a page's hidden form inputs.
func hiddenFields(body string) url.Values {
	form := url.Values{}
	for _, m := range hidden.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	return form
}

func mustDo(t *testing.T, c *http.Client, req *http.Request) *http.Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
