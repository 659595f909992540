package social_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// fakeGitHub serves GitHub's OAuth web flow and REST API as GitHub
// Enterprise Server lays them out (the web flow at the base URL, the API
// under /api/v3), and GitLab's (/oauth/…, /api/v4/user), with PKCE
// enforced.
type fakeGitHub struct {
	srv *httptest.Server
	mu  sync.Mutex
	// challenges by code; user and emails answered for the token.
	challenges map[string]string
	user       map[string]any
	emails     []map[string]any
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{challenges: map[string]string{}}
	mux := http.NewServeMux()
	authorize := func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != "gh-client" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
			!strings.Contains(q.Get("scope"), "user:email") && !strings.Contains(q.Get("scope"), "read_user") {
			http.Error(w, "bad request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		code := "code-" + q.Get("state")[:8]
		f.challenges[code] = q.Get("code_challenge")
		f.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	token := func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		f.mu.Lock()
		want, known := f.challenges[r.PostForm.Get("code")]
		delete(f.challenges, r.PostForm.Get("code"))
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if id != "gh-client" || secret != "gh-secret" || !known || base64.RawURLEncoding.EncodeToString(sum[:]) != want {
			writeJSON(w, map[string]string{"error": "bad_verification_code"})
			return
		}
		writeJSON(w, map[string]string{"access_token": "gho_fake", "token_type": "bearer", "scope": "read:user,user:email"})
	}
	// GitHub's layout (Enterprise Server), and GitLab's.
	mux.HandleFunc("GET /login/oauth/authorize", authorize)
	mux.HandleFunc("POST /login/oauth/access_token", token)
	mux.HandleFunc("GET /oauth/authorize", authorize)
	mux.HandleFunc("POST /oauth/token", token)
	authed := func(fn func(w http.ResponseWriter)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// goth's GitLab provider sends the token as a query parameter.
			if r.Header.Get("Authorization") != "Bearer gho_fake" && !(strings.HasPrefix(r.URL.Path, "/api/v4/") && r.URL.Query().Get("access_token") == "gho_fake") {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			fn(w)
		}
	}
	mux.HandleFunc("GET /api/v3/user", authed(func(w http.ResponseWriter) { writeJSON(w, f.user) }))
	mux.HandleFunc("GET /api/v3/user/emails", authed(func(w http.ResponseWriter) { writeJSON(w, f.emails) }))
	mux.HandleFunc("GET /api/v4/user", authed(func(w http.ResponseWriter) { writeJSON(w, f.user) }))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// GitHub through goth, pointed at a fake GitHub Enterprise Server: the
// user comes from goth's FetchUser, the address from GitHub's list (the
// primary one, verified only if GitHub verified it), and PKCE is used
// although goth's GitHub session cannot send a verifier.
func TestGitHubSignInThroughGoth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		gh := newFakeGitHub(t)
		p, err := w.social.CreateProvider(w.sys("acme"), social.NewProvider{Slug: "gh", Kind: social.KindGitHub,
			ClientID: "gh-client", ClientSecret: "gh-secret", Issuer: gh.srv.URL, AllowSignUp: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.DisplayName != "GitHub" || strings.Join(p.Scopes, " ") != "read:user user:email" {
			t.Fatalf("defaults: %+v", p)
		}

		t.Run("the primary verified address makes a verified account", func(t *testing.T) {
			gh.mu.Lock()
			gh.user = map[string]any{"id": 4242, "login": "octo", "name": "Octo Cat", "email": "octo-public@example.test"}
			gh.emails = []map[string]any{
				{"email": "octo-public@example.test", "primary": false, "verified": true},
				{"email": "octo@example.test", "primary": true, "verified": true},
			}
			gh.mu.Unlock()
			b := w.browser(t)
			wantLanded(t, b.through("/t/acme/auth/social/gh/start"), "/t/acme/account", "")
			u := w.userByEmail(t, "acme", "octo@example.test")
			if u == nil || !u.EmailVerified || u.Name != "Octo Cat" || u.PasswordHash != "" {
				t.Fatalf("account: %+v", u)
			}
			links := w.links(t, "acme", federatedidentity.ProviderID(p.ID))
			if len(links) != 1 || links[0].Subject != "4242" || links[0].UserID != u.ID || !links[0].EmailVerified {
				t.Fatalf("links: %+v", links)
			}
			if s := b.session("acme"); s == nil || s.User.ID != itoa(u.ID) || len(s.Session.AMR) != 1 || s.Session.AMR[0] != "fed" {
				t.Fatalf("session: %+v", s)
			}
		})

		t.Run("an unverified primary address is not trusted", func(t *testing.T) {
			gh.mu.Lock()
			gh.user = map[string]any{"id": 4343, "login": "mona", "name": "", "email": "mona@example.test"}
			gh.emails = []map[string]any{{"email": "mona@example.test", "primary": true, "verified": false}}
			gh.mu.Unlock()
			// Her address has an account here: with linking by verified
			// address allowed, an unverified one still does not link.
			w.addUser(t, "acme", "mona@example.test")
			if _, err := w.social.UpdateProvider(w.sys("acme"), p.ID, social.ProviderUpdate{LinkVerifiedEmail: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			b := w.browser(t)
			wantLanded(t, b.through("/t/acme/auth/social/gh/start"), "/t/acme/signin", social.CodeLinkRequired)
			if links := w.links(t, "acme", federatedidentity.Subject("4343")); len(links) != 0 {
				t.Fatalf("linked: %+v", links)
			}
		})

		t.Run("no account is made from an unverified address", func(t *testing.T) {
			gh.mu.Lock()
			gh.user = map[string]any{"id": 4444, "login": "nell", "name": "", "email": "nell@example.test"}
			gh.emails = []map[string]any{{"email": "nell@example.test", "primary": true, "verified": false}}
			gh.mu.Unlock()
			// Sign-up through the provider is allowed, but nobody proved
			// the address: an account made from it could be hijacked by
			// whoever signed up at the provider with it.
			b := w.browser(t)
			wantLanded(t, b.through("/t/acme/auth/social/gh/start"), "/t/acme/signin", social.CodeUnverifiedEmail)
			if u := w.userByEmail(t, "acme", "nell@example.test"); u != nil {
				t.Fatalf("an account was made from an unverified address: %+v", u)
			}
			if links := w.links(t, "acme", federatedidentity.Subject("4444")); len(links) != 0 {
				t.Fatalf("linked: %+v", links)
			}
		})
	})
}

// GitLab through goth, pointed at a fake self-managed GitLab: the address
// counts as verified only when GitLab says it was confirmed.
func TestGitLabSignInThroughGoth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		gl := newFakeGitHub(t)
		p, err := w.social.CreateProvider(w.sys("acme"), social.NewProvider{Slug: "gl", Kind: social.KindGitLab,
			ClientID: "gh-client", ClientSecret: "gh-secret", Issuer: gl.srv.URL, AllowSignUp: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			id        int
			email     string
			confirmed any
		}{{id: 77, email: "gil@example.test", confirmed: "2024-01-02T03:04:05Z"}, {id: 78, email: "gus@example.test", confirmed: nil}} {
			gl.mu.Lock()
			gl.user = map[string]any{"id": tc.id, "username": "u" + itoa(tc.id), "name": "", "email": tc.email, "confirmed_at": tc.confirmed}
			gl.mu.Unlock()
			b := w.browser(t)
			if tc.confirmed == nil {
				// Unconfirmed at GitLab: no account is made from it.
				wantLanded(t, b.through("/t/acme/auth/social/gl/start"), "/t/acme/signin", social.CodeUnverifiedEmail)
				if u := w.userByEmail(t, "acme", tc.email); u != nil {
					t.Fatalf("account made from an unconfirmed address: %+v", u)
				}
				continue
			}
			wantLanded(t, b.through("/t/acme/auth/social/gl/start"), "/t/acme/account", "")
			u := w.userByEmail(t, "acme", tc.email)
			if u == nil || !u.EmailVerified || u.Name != "u"+itoa(tc.id) {
				t.Fatalf("account of %s: %+v", tc.email, u)
			}
			if links := w.links(t, "acme", federatedidentity.ProviderID(p.ID), federatedidentity.Subject(itoa(tc.id))); len(links) != 1 {
				t.Fatalf("links: %+v", links)
			}
		}
	})
}
