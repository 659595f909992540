package social_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
)

func ptr[T any](v T) *T { return &v }

const (
	startUp = "/t/acme/auth/social/up/start"
	linkUp  = "/t/acme/auth/social/up/link"
)

// Federated sign-in end to end against a real OpenID Connect provider:
// the issuer of another workspace of the same server. Each step is a
// browser with cookies going through the provider's sign-in and consent
// and back; the accounts, links, sessions and audit events are then read
// from the database.
func TestFederatedSignInThroughAnotherWorkspacesIssuer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		for _, email := range []string{"uma@example.test", "bob@example.test", "carl@example.test", "ann@elsewhere.test"} {
			w.addUser(t, "upstream", email)
		}
		bob := w.addUser(t, "acme", "bob@example.test")
		ann := w.addUser(t, "acme", "ann@acme.test")
		dan := w.addUser(t, "acme", "dan@acme.test")
		up, err := db.Client.IdentityProvider.Query().Where(identityprovider.Slug("up")).Only(w.sys("acme"))
		if err != nil {
			t.Fatal(err)
		}
		var uma *ent.User
		umaBrowser := w.browser(t)

		t.Run("first sign-in creates the account, links it and opens a fed session", func(t *testing.T) {
			users := w.countUsers(t, "acme")
			b := umaBrowser
			b.signIn("upstream", "uma@example.test")
			p := b.through(startUp + "?return_to=" + url.QueryEscape("/t/acme/account?tab=security"))
			if u := wantLanded(t, p, "/t/acme/account", ""); u.Query().Get("tab") != "security" {
				t.Fatalf("return_to lost: %s", u)
			}
			if n := w.countUsers(t, "acme"); n != users+1 {
				t.Fatalf("acme has %d users; want %d", n, users+1)
			}
			uma = w.userByEmail(t, "acme", "uma@example.test")
			if uma == nil || uma.PasswordHash != "" || !uma.EmailVerified || uma.Name == "" {
				t.Fatalf("new account: %+v", uma)
			}
			links := w.links(t, "acme", federatedidentity.UserID(uma.ID))
			if len(links) != 1 || links[0].ProviderID != up.ID || links[0].Subject == "" || links[0].Email != "uma@example.test" || !links[0].EmailVerified {
				t.Fatalf("links: %+v", links)
			}
			s := b.session("acme")
			if s == nil || s.User.Email != "uma@example.test" || !slices.Equal(s.Session.AMR, []string{"fed"}) {
				t.Fatalf("acme session: %+v", s)
			}
			ev := w.audits(t, "acme", "signin.federated")
			if len(ev) != 1 || ev[0].Details["provider"] != "up" || ev[0].Details["subject"] != links[0].Subject || ev[0].ActorID != itoa(uma.ID) {
				t.Fatalf("signin.federated: %+v", ev)
			}
			if ev := w.audits(t, "acme", "account.linked"); len(ev) != 1 || ev[0].Details["automatic"] != "true" || ev[0].Details["provider"] != "up" {
				t.Fatalf("account.linked: %+v", ev)
			}
			if ev := w.audits(t, "acme", "user.signed_up"); len(ev) != 1 || ev[0].Details["provider"] != "up" {
				t.Fatalf("user.signed_up: %+v", ev)
			}
			if ev := w.audits(t, "acme", "signin.succeeded"); len(ev) != 1 || ev[0].CredentialType != "federated:up" {
				t.Fatalf("signin.succeeded: %+v", ev)
			}
		})

		t.Run("the next sign-in reuses the link", func(t *testing.T) {
			users := w.countUsers(t, "acme")
			b := w.browser(t)
			b.signIn("upstream", "uma@example.test")
			wantLanded(t, b.through(startUp), "/t/acme/account", "")
			if s := b.session("acme"); s == nil || s.User.ID != itoa(uma.ID) || !slices.Equal(s.Session.AMR, []string{"fed"}) {
				t.Fatalf("session: %+v", s)
			}
			if n := w.countUsers(t, "acme"); n != users {
				t.Fatalf("a second account was made: %d users, want %d", n, users)
			}
			if links := w.links(t, "acme", federatedidentity.ProviderID(up.ID)); len(links) != 1 || links[0].LastUsedAt == nil {
				t.Fatalf("links: %+v", links)
			}
		})

		t.Run("an existing address is not linked unless the provider allows it", func(t *testing.T) {
			b := w.browser(t)
			b.signIn("upstream", "bob@example.test")
			wantLanded(t, b.through(startUp), "/t/acme/signin", social.CodeLinkRequired)
			if links := w.links(t, "acme", federatedidentity.UserID(bob.ID)); len(links) != 0 {
				t.Fatalf("linked without permission: %+v", links)
			}
			if s := b.session("acme"); s != nil {
				t.Fatalf("signed in anyway: %+v", s)
			}
			if ev := w.audits(t, "acme", "signin.federated"); ev[len(ev)-1].Outcome != "denied" || ev[len(ev)-1].Details["reason"] != social.CodeLinkRequired {
				t.Fatalf("refusal not audited: %+v", ev[len(ev)-1])
			}
		})

		t.Run("a verified address links automatically when the provider allows it", func(t *testing.T) {
			if _, err := w.social.UpdateProvider(w.sys("acme"), up.ID, social.ProviderUpdate{LinkVerifiedEmail: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			users := w.countUsers(t, "acme")
			b := w.browser(t)
			b.signIn("upstream", "bob@example.test")
			wantLanded(t, b.through(startUp), "/t/acme/account", "")
			if s := b.session("acme"); s == nil || s.User.ID != itoa(bob.ID) || !slices.Equal(s.Session.AMR, []string{"fed"}) {
				t.Fatalf("session: %+v", s)
			}
			if links := w.links(t, "acme", federatedidentity.UserID(bob.ID)); len(links) != 1 {
				t.Fatalf("links: %+v", links)
			}
			if n := w.countUsers(t, "acme"); n != users {
				t.Fatalf("an account was made: %d users, want %d", n, users)
			}
			ev := w.audits(t, "acme", "account.linked")
			if last := ev[len(ev)-1]; last.Details["automatic"] != "true" || last.Details["user_id"] != itoa(bob.ID) {
				t.Fatalf("account.linked: %+v", last)
			}
		})

		t.Run("no account and sign-up not allowed is refused", func(t *testing.T) {
			if _, err := w.social.UpdateProvider(w.sys("acme"), up.ID, social.ProviderUpdate{AllowSignUp: ptr(false)}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if _, err := w.social.UpdateProvider(w.sys("acme"), up.ID, social.ProviderUpdate{AllowSignUp: ptr(true)}); err != nil {
					t.Fatal(err)
				}
			}()
			b := w.browser(t)
			b.signIn("upstream", "carl@example.test")
			wantLanded(t, b.through(startUp), "/t/acme/signin", social.CodeNoAccount)
			if u := w.userByEmail(t, "acme", "carl@example.test"); u != nil {
				t.Fatalf("account made: %+v", u)
			}
		})

		t.Run("a workspace closed to sign-ups refuses new accounts", func(t *testing.T) {
			closed := "closed"
			if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{SignUpMode: &closed}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				open := "open"
				if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{SignUpMode: &open}); err != nil {
					t.Fatal(err)
				}
			}()
			b := w.browser(t)
			b.signIn("upstream", "carl@example.test")
			wantLanded(t, b.through(startUp), "/t/acme/signin", social.CodeNoAccount)
			if u := w.userByEmail(t, "acme", "carl@example.test"); u != nil {
				t.Fatalf("account made: %+v", u)
			}
		})

		t.Run("an invitation-only workspace admits an invited, verified address", func(t *testing.T) {
			inviteOnly := "invite_only"
			if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{SignUpMode: &inviteOnly}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				open := "open"
				if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{SignUpMode: &open}); err != nil {
					t.Fatal(err)
				}
			}()
			b := w.browser(t)
			b.signIn("upstream", "carl@example.test")
			wantLanded(t, b.through(startUp), "/t/acme/signin", social.CodeNoAccount)
			inv, err := db.Client.OneTimeToken.Create().SetPurpose(onetimetoken.PurposeInvitation).SetTokenHash("invitation-of-carl").
				SetUserID(0).SetEmail("carl@example.test").SetRole("admin").SetExpiresAt(time.Now().Add(time.Hour)).Save(w.sys("acme"))
			if err != nil {
				t.Fatal(err)
			}
			wantLanded(t, b.through(startUp), "/t/acme/account", "")
			carl, err := db.Client.User.Query().Where(user.Email("carl@example.test")).WithMembership().Only(w.sys("acme"))
			if err != nil || carl.Edges.Membership == nil || carl.Edges.Membership.Role != membership.RoleAdmin {
				t.Fatalf("carl: %+v (%v)", carl, err)
			}
			if inv, err = db.Client.OneTimeToken.Get(w.sys("acme"), inv.ID); err != nil || inv.UsedAt == nil {
				t.Fatalf("the invitation was not spent: %+v (%v)", inv, err)
			}
		})

		t.Run("a second factor due leaves a pending sign-in", func(t *testing.T) {
			everyone := "everyone"
			if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{MFAPolicy: &everyone}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				off := "off"
				if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{MFAPolicy: &off}); err != nil {
					t.Fatal(err)
				}
			}()
			b := w.browser(t)
			b.signIn("upstream", "uma@example.test")
			u := wantLanded(t, b.through(startUp+"?return_to=/t/acme/account"), "/t/acme/signin", "")
			if u.Query().Get("step") != "enroll" || u.Query().Get("return_to") != "/t/acme/account" {
				t.Fatalf("landed on %s; want the enrollment step", u)
			}
			if s := b.session("acme"); s != nil {
				t.Fatalf("a session before the second step: %+v", s)
			}
			p := b.get("/t/acme/auth/pending")
			var pending struct {
				Status string   `json:"status"`
				AMR    []string `json:"amr"`
				Email  string   `json:"email"`
			}
			if err := json.Unmarshal([]byte(p.body), &pending); err != nil || p.status != http.StatusOK ||
				pending.Status != "enrollment_required" || !slices.Equal(pending.AMR, []string{"fed"}) || pending.Email != "uma@example.test" {
				t.Fatalf("pending sign-in: %d %s", p.status, p.body)
			}
		})

		t.Run("an ID token with another login's nonce is refused", func(t *testing.T) {
			before := len(w.links(t, "acme"))
			b := w.browser(t)
			b.signIn("upstream", "uma@example.test")
			b.stopAt = func(u *url.URL) bool { return strings.HasSuffix(u.Path, "/oauth2/authorize") }
			p := b.get(startUp)
			b.stopAt = nil
			authz, err := url.Parse(p.location)
			if err != nil || authz.Query().Get("nonce") == "" || authz.Query().Get("code_challenge_method") != "S256" || authz.Query().Get("code_challenge") == "" {
				t.Fatalf("authorization request: %s (%v)", p.location, err)
			}
			q := authz.Query()
			q.Set("nonce", "nonce-of-another-login")
			authz.RawQuery = q.Encode()
			wantLanded(t, b.through(authz.String()), "/t/acme/signin", social.CodeInvalidToken)
			if s := b.session("acme"); s != nil {
				t.Fatalf("signed in with a foreign nonce: %+v", s)
			}
			if n := len(w.links(t, "acme")); n != before {
				t.Fatalf("links changed: %d, was %d", n, before)
			}
		})

		t.Run("a callback needs its own browser's cookie and state, once", func(t *testing.T) {
			a := w.browser(t)
			a.signIn("upstream", "uma@example.test")
			a.stopAt = func(u *url.URL) bool { return strings.HasSuffix(u.Path, "/auth/social/up/callback") }
			p := a.through(startUp)
			a.stopAt = nil
			cb, err := url.Parse(p.location)
			if err != nil || cb.Query().Get("code") == "" || cb.Query().Get("state") == "" {
				t.Fatalf("callback: %s", p.location)
			}
			binding := jarCookie(t, a, w, "mandate_acme_social")

			// Another browser (no cookie) with the same code and state.
			other := w.browser(t)
			wantLanded(t, other.get(cb.String()), "/t/acme/signin", social.CodeInvalidState)
			if s := other.session("acme"); s != nil {
				t.Fatalf("the other browser was signed in: %+v", s)
			}
			// The right cookie with a state it was not made for.
			forged := *cb
			q := forged.Query()
			q.Set("state", q.Get("state")+"x")
			forged.RawQuery = q.Encode()
			wantLanded(t, a.get(forged.String()), "/t/acme/signin", social.CodeInvalidState)
			// A foreign cookie for this state.
			a.http.Jar.SetCookies(mustURL(w.srv.URL), []*http.Cookie{{Name: "mandate_acme_social", Value: "not-the-binding", Path: "/"}})
			wantLanded(t, a.get(cb.String()), "/t/acme/signin", social.CodeInvalidState)

			// The browser that started it, with its cookie, finishes it.
			a.http.Jar.SetCookies(mustURL(w.srv.URL), []*http.Cookie{binding})
			wantLanded(t, a.get(cb.String()), "/t/acme/account", "")
			if s := a.session("acme"); s == nil || s.User.Email != "uma@example.test" {
				t.Fatalf("session: %+v", s)
			}
			// Once: the same callback again, cookie and all, is refused.
			a.http.Jar.SetCookies(mustURL(w.srv.URL), []*http.Cookie{binding})
			wantLanded(t, a.get(cb.String()), "/t/acme/signin", social.CodeInvalidState)
		})

		t.Run("a sign-in cancelled at the provider lands on the sign-in page", func(t *testing.T) {
			b := w.browser(t)
			b.stopAt = func(u *url.URL) bool { return strings.HasSuffix(u.Path, "/oauth2/authorize") }
			authz, err := url.Parse(b.get(startUp).location)
			if err != nil {
				t.Fatal(err)
			}
			u := wantLanded(t, b.get("/t/acme/auth/social/up/callback?error=access_denied&state="+url.QueryEscape(authz.Query().Get("state"))),
				"/t/acme/signin", social.CodeAccessDenied)
			if u.Query().Get("provider") != "up" {
				t.Fatalf("landed on %s", u)
			}
		})

		t.Run("unknown and disabled providers, and foreign return_to", func(t *testing.T) {
			if _, err := w.social.CreateProvider(w.sys("acme"), social.NewProvider{Slug: "off", Kind: social.KindOIDC, DisplayName: "Off",
				ClientID: "x", Issuer: w.srv.URL + "/t/upstream", Enabled: ptr(false)}); err != nil {
				t.Fatal(err)
			}
			b := w.browser(t)
			wantLanded(t, b.get("/t/acme/auth/social/off/start"), "/t/acme/signin", social.CodeUnknownProvider)
			wantLanded(t, b.get("/t/acme/auth/social/nope/start"), "/t/acme/signin", social.CodeUnknownProvider)
			b.signIn("upstream", "uma@example.test")
			for _, evil := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
				wantLanded(t, b.through(startUp+"?return_to="+url.QueryEscape(evil)), "/t/acme/account", "")
			}
		})

		t.Run("the sign-in page lists enabled providers without a session", func(t *testing.T) {
			resp, err := http.Get(w.srv.URL + "/t/acme/auth/social/providers")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Providers []social.PublicProvider `json:"providers"`
				Errors    map[string]string       `json:"errors"`
			}
			raw := new(strings.Builder)
			if err := json.NewDecoder(teeTo(resp.Body, raw)).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("%d %v", resp.StatusCode, err)
			}
			want := []social.PublicProvider{{Slug: "up", DisplayName: "Upstream", Kind: "oidc"}}
			if !slices.Equal(body.Providers, want) || body.Errors[social.CodeLinkRequired] == "" {
				t.Fatalf("providers: %s", raw)
			}
			if strings.Contains(raw.String(), w.upSecret) || strings.Contains(raw.String(), w.upClient) {
				t.Fatalf("the provider list shows the client's credentials: %s", raw)
			}
			resp, err = http.Get(w.srv.URL + "/t/nowhere/auth/social/providers")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("unknown workspace: %d", resp.StatusCode)
			}
		})

		var annLink *ent.FederatedIdentity
		annBrowser := w.browser(t)
		t.Run("a signed-in person links a provider from the account page", func(t *testing.T) {
			b := annBrowser
			b.signIn("acme", "ann@acme.test")
			b.signIn("upstream", "ann@elsewhere.test")
			u := wantLanded(t, b.through(linkUp), "/t/acme/account", "")
			if u.Query().Get("linked") != "up" {
				t.Fatalf("landed on %s", u)
			}
			links := w.links(t, "acme", federatedidentity.UserID(ann.ID))
			if len(links) != 1 || links[0].Email != "ann@elsewhere.test" {
				t.Fatalf("links: %+v", links)
			}
			annLink = links[0]
			ev := w.audits(t, "acme", "account.linked")
			if last := ev[len(ev)-1]; last.Details["automatic"] != "false" || last.ActorID != itoa(ann.ID) {
				t.Fatalf("account.linked: %+v", last)
			}
			// Her session is still her password session.
			if s := b.session("acme"); s == nil || s.User.ID != itoa(ann.ID) || !slices.Equal(s.Session.AMR, []string{"pwd"}) {
				t.Fatalf("session: %+v", s)
			}
			// And the link signs her in.
			c := w.browser(t)
			c.signIn("upstream", "ann@elsewhere.test")
			wantLanded(t, c.through(startUp), "/t/acme/account", "")
			if s := c.session("acme"); s == nil || s.User.ID != itoa(ann.ID) {
				t.Fatalf("federated session: %+v", s)
			}
		})

		t.Run("an identity linked to someone else is not linked again", func(t *testing.T) {
			b := w.browser(t)
			b.signIn("acme", "dan@acme.test")
			b.signIn("upstream", "ann@elsewhere.test")
			wantLanded(t, b.through(linkUp), "/t/acme/account", social.CodeLinkedElsewhere)
			if links := w.links(t, "acme", federatedidentity.UserID(dan.ID)); len(links) != 0 {
				t.Fatalf("dan got ann's identity: %+v", links)
			}
		})

		t.Run("linking needs a session", func(t *testing.T) {
			b := w.browser(t)
			u := wantLanded(t, b.get(linkUp), "/t/acme/signin", "")
			if u.Query().Get("return_to") != linkUp {
				t.Fatalf("landed on %s", u)
			}
		})

		t.Run("the account page lists linked accounts", func(t *testing.T) {
			data, errs := umaBrowser.graphql("acme", `{ myLinkedAccounts { id provider providerName kind email createdAt lastUsedAt } }`, nil)
			var got []struct {
				ID, Provider, ProviderName, Kind, Email string
				LastUsedAt                              *time.Time
			}
			if len(errs) != 0 || json.Unmarshal(data["myLinkedAccounts"], &got) != nil {
				t.Fatalf("myLinkedAccounts: %s %+v", data["myLinkedAccounts"], errs)
			}
			if len(got) != 1 || got[0].Provider != "up" || got[0].ProviderName != "Upstream" || got[0].Kind != "oidc" ||
				got[0].Email != "uma@example.test" || got[0].LastUsedAt == nil {
				t.Fatalf("myLinkedAccounts: %+v", got)
			}
		})

		t.Run("unlinking the last way to sign in is refused", func(t *testing.T) {
			link := w.links(t, "acme", federatedidentity.UserID(uma.ID))[0]
			_, errs := umaBrowser.graphql("acme", `mutation($id: ID!) { unlinkAccount(id: $id) { deletedID } }`, map[string]any{"id": itoa(link.ID)})
			if len(errs) != 1 || errs[0].code() != "CONFLICT" || !strings.Contains(errs[0].Message, "last way to sign in") {
				t.Fatalf("unlink of the only way in: %+v", errs)
			}
			if links := w.links(t, "acme", federatedidentity.UserID(uma.ID)); len(links) != 1 {
				t.Fatalf("links: %+v", links)
			}
		})

		t.Run("unlinking with a password left works and is audited", func(t *testing.T) {
			data, errs := annBrowser.graphql("acme", `mutation($id: ID!) { unlinkAccount(id: $id) { deletedID } }`, map[string]any{"id": itoa(annLink.ID)})
			if len(errs) != 0 || !strings.Contains(string(data["unlinkAccount"]), itoa(annLink.ID)) {
				t.Fatalf("unlink: %s %+v", data["unlinkAccount"], errs)
			}
			if links := w.links(t, "acme", federatedidentity.UserID(ann.ID)); len(links) != 0 {
				t.Fatalf("links: %+v", links)
			}
			ev := w.audits(t, "acme", "account.unlinked")
			if len(ev) != 1 || ev[0].Details["provider"] != "up" || ev[0].ActorID != itoa(ann.ID) {
				t.Fatalf("account.unlinked: %+v", ev)
			}
		})

		t.Run("an old session must authenticate again to link", func(t *testing.T) {
			w.clock.advance(11 * time.Minute)
			u := wantLanded(t, annBrowser.get(linkUp), "/t/acme/signin", "")
			if u.Query().Get("step_up") != "login" || u.Query().Get("return_to") != linkUp {
				t.Fatalf("landed on %s; want a step-up", u)
			}
			_, errs := annBrowser.graphql("acme", `mutation($id: ID!) { unlinkAccount(id: $id) { deletedID } }`, map[string]any{"id": "1"})
			if len(errs) != 1 || errs[0].code() != "STEP_UP_REQUIRED" {
				t.Fatalf("unlink on an old session: %+v", errs)
			}
		})
	})
}

func jarCookie(t *testing.T, b *browser, w *world, name string) *http.Cookie {
	t.Helper()
	for _, c := range b.http.Jar.Cookies(mustURL(w.srv.URL)) {
		if c.Name == name {
			return &http.Cookie{Name: c.Name, Value: c.Value, Path: "/"}
		}
	}
	t.Fatalf("no %s cookie", name)
	return nil
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
