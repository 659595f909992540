package issuer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// An RP that asks for acr_values=2 gets a step-up when the session has no
// second factor and the person has one, and an ID token that says truthfully
// how the person authenticated, before and after.
func TestACRValuesAskForAStepUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		factors, err := mfa.New(mfa.Config{Client: db.Client, Flows: w.flows, Audit: audit.NewRecorder(),
			MasterSecret: []byte(strings.Repeat("s", 32))})
		if err != nil {
			t.Fatal(err)
		}
		w.flows.SetFactors(signin.FactorList{factors})
		mfa.NewHandler(factors, signin.NewHandler(w.flows, w.ts)).Mount(w.mux)

		id, secret := w.register(t, "acme", clients.NewClient{Name: "Payroll", RedirectURIs: []string{callback}})
		provider, err := oidc.NewProvider(ctx, w.issuerURL("acme"))
		if err != nil {
			t.Fatal(err)
		}
		conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: callback,
			Scopes: []string{oidc.ScopeOpenID}}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		verifier := provider.Verifier(&oidc.Config{ClientID: id})
		idToken := func(t *testing.T, q url.Values) (acr string, amr []string) {
			t.Helper()
			tok, err := conf.Exchange(ctx, q.Get("code"))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				ACR string   `json:"acr"`
				AMR []string `json:"amr"`
			}
			if err := idt.Claims(&c); err != nil {
				t.Fatal(err)
			}
			return c.ACR, c.AMR
		}

		// Ann signs in with her password before she has a second factor.
		b := w.browser(t)
		csrf, sessionID := signInForCSRF(t, w, b, "acme", "ann@acme.test")

		t.Run("without a second factor the request goes on at acr 1", func(t *testing.T) {
			q := b.authorize(conf.AuthCodeURL("state-0001", oauth2.SetAuthURLParam("acr_values", "2")))
			if acr, amr := idToken(t, q); acr != "1" || !slices.Equal(amr, []string{"pwd"}) {
				t.Fatalf("acr %q amr %v; want 1 [pwd]", acr, amr)
			}
		})

		// She adds an authenticator app; her session still says pwd.
		sys := viewer.AsSystem(viewer.ForTenant(ctx, w.tenants["acme"]), "test")
		ann, err := db.Client.User.Query().Where(user.Email("ann@acme.test")).Only(sys)
		if err != nil {
			t.Fatal(err)
		}
		annCtx := viewer.NewContext(sys, viewer.Viewer{TenantID: w.tenants["acme"], Kind: viewer.Human, ID: ann.ID,
			Label: ann.Email, Role: viewer.RoleAdmin, SessionID: sessionID})
		en, err := factors.BeginTOTP(annCtx)
		if err != nil {
			t.Fatal(err)
		}
		code := func(at time.Time) string {
			c, err := totp.GenerateCode(en.Secret, at)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := factors.ConfirmTOTP(annCtx, code(time.Now())); err != nil {
			t.Fatal(err)
		}

		authURL := conf.AuthCodeURL("state-0002", oauth2.SetAuthURLParam("acr_values", "2"))
		t.Run("prompt=none cannot step up", func(t *testing.T) {
			p := b.get(authURL + "&prompt=none")
			u, _ := url.Parse(p.location)
			if u == nil || u.Query().Get("error") != "interaction_required" {
				t.Fatalf("prompt=none with acr_values=2 ended at %q (%d)", p.location, p.status)
			}
		})

		t.Run("a session without a second factor is sent to step up", func(t *testing.T) {
			p := b.get(authURL)
			u, _ := url.Parse(p.url)
			if u.Path != "/t/acme/signin" || u.Query().Get("step_up") != "mfa" || u.Query().Get("methods") != "totp recovery" {
				t.Fatalf("sent to %s; want the sign-in page asking for a second factor", p.url)
			}
			back := u.Query().Get("return_to")
			if !strings.HasPrefix(back, "/t/acme/oauth2/authorize?") || !strings.Contains(back, "request_uri=") {
				t.Fatalf("return_to %q", back)
			}
			// Going back without stepping up asks again (with a new copy
			// of the request: each is spent when read).
			again := b.get(w.srv.URL + back)
			au, _ := url.Parse(again.url)
			if au.Path != "/t/acme/signin" || au.Query().Get("step_up") != "mfa" {
				t.Fatalf("without a step-up the request went on: %s", again.url)
			}
			back = au.Query().Get("return_to")
			// The page steps up with a code; the session is replaced.
			csrf = stepUp(t, w, b, "acme", csrf, code(time.Now().Add(30*time.Second)))
			q := b.authorize(w.srv.URL + back)
			if q.Get("state") != "state-0002" {
				t.Fatalf("callback %v", q)
			}
			acr, amr := idToken(t, q)
			if acr != "2" || !slices.Contains(amr, "otp") || !slices.Contains(amr, "mfa") || !slices.Contains(amr, "pwd") {
				t.Fatalf("after the step-up: acr %q amr %v; want 2 with pwd, otp, mfa", acr, amr)
			}
		})

		t.Run("a multi-factor session is not asked again", func(t *testing.T) {
			q := b.authorize(conf.AuthCodeURL("state-0003", oauth2.SetAuthURLParam("acr_values", "1 2")))
			if acr, _ := idToken(t, q); acr != "2" {
				t.Fatalf("acr %q", acr)
			}
		})
	})
}

// signInForCSRF signs in through the JSON endpoint and returns the
// session's CSRF token and id.
func signInForCSRF(t *testing.T, w *world, b *browser, slug, email string) (string, int) {
	t.Helper()
	resp, err := b.http.Post(w.srv.URL+"/t/"+slug+"/auth/signin", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF    string `json:"csrfToken"`
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.CSRF == "" {
		t.Fatalf("sign-in: %d %v %+v", resp.StatusCode, err, out)
	}
	var id int
	if err := json.Unmarshal([]byte(out.Session.ID), &id); err != nil {
		t.Fatal(err)
	}
	return out.CSRF, id
}

// stepUp posts a TOTP step-up as the sign-in page does and returns the new
// session's CSRF token.
func stepUp(t *testing.T, w *world, b *browser, slug, csrf, code string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/t/"+slug+"/auth/step-up/totp", strings.NewReader(`{"code":"`+code+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", w.srv.URL)
	req.Header.Set(signin.CSRFHeader, csrf)
	resp, err := b.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrfToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("step-up: %d %v", resp.StatusCode, err)
	}
	return out.CSRF
}
