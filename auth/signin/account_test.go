package signin_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	entsession "github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// End-to-end tests of account management: change of password and of
// address, invitations, disabling and deletion, over real HTTP and a real
// SMTP inbox, on every dialect.

// person is a verified account of the world's workspace.
type person struct {
	id    int
	email string
	role  viewer.Role
}

// join signs email up over HTTP (named after the address), follows the
// verification link and gives the membership role (as the system).
func (w *world) join(t *testing.T, email string, role viewer.Role) person {
	t.Helper()
	b := w.browser(t)
	name, _, _ := strings.Cut(email, "@")
	expect(t, b.do("POST", "signup", map[string]string{"email": email, "password": pw, "name": name}), 202, "")
	expect(t, b.do("POST", "verify-email", map[string]string{"token": linkToken(t, w.inbox.next(t), "verify-email")}), 200, "")
	m, err := w.db.Client.Membership.Query().Where(membership.HasUserWith(user.Email(email))).Only(w.sys)
	if err != nil {
		t.Fatal(err)
	}
	if role != viewer.RoleMember {
		if _, err := w.ts.ChangeRole(w.sys, m.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	return person{id: m.UserID, email: email, role: role}
}

// as is p acting in the workspace, as a signed-in person would.
func (w *world) as(p person) context.Context {
	tid := viewer.FromContext(w.sys).TenantID
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: tid, Kind: viewer.Human, ID: p.id, Label: p.email, Role: p.role})
}

// accounts returns flows over the world's database that mail to its inbox:
// the account management an admin reaches through GraphQL.
func (w *world) accounts(t *testing.T) *signin.Flows {
	t.Helper()
	sender, err := mail.ParseSMTPURL("smtp://" + w.inbox.addr + "?tls=none&from=id@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	rec := audit.NewRecorder()
	return signin.New(signin.Config{Client: w.db.Client, Tenants: w.ts, Audit: rec, Mail: sender, BaseURL: w.srv.URL, Hashing: cheap})
}

// signedIn returns a browser signed in as p with password.
func (w *world) signedIn(t *testing.T, p person, password string) *browser {
	t.Helper()
	b := w.browser(t)
	expect(t, b.signIn(p.email, password), 200, "")
	return b
}

// cookie returns the session cookie the browser holds, "" if none.
func (b *browser) cookie() string {
	u, _ := url.Parse(b.base + "/t/acme/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "mandate_acme" {
			return c.Value
		}
	}
	return ""
}

// withCookie returns a new browser holding only the given session cookie.
func (w *world) withCookie(t *testing.T, value string) *browser {
	b := w.browser(t)
	u, _ := url.Parse(w.srv.URL + "/t/acme/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "mandate_acme", Value: value, Path: "/"}})
	return b
}

func sessionID(t *testing.T, a answer) string {
	t.Helper()
	s, _ := a.body["session"].(map[string]any)
	id, _ := s["id"].(string)
	if id == "" {
		t.Fatalf("no session id in %s", a.raw)
	}
	return id
}

// mailedTo fails unless msg is addressed to addr and mentions want.
func mailedTo(t *testing.T, msg, addr, want string) {
	t.Helper()
	if !strings.Contains(msg, "To: <"+addr+">") || !strings.Contains(msg, want) {
		t.Fatalf("want an email to %s about %q, got:\n%.600s", addr, want, msg)
	}
}

// audited fails unless the workspace's audit trail holds n events of
// action about the user (n < 0: at least one).
func (w *world) audited(t *testing.T, action string, userID, n int) {
	t.Helper()
	got, err := w.db.Client.AuditEvent.Query().
		Where(auditevent.Action(action), auditevent.TargetType("user"), auditevent.TargetID(strconv.Itoa(userID))).Count(w.sys)
	if err != nil {
		t.Fatal(err)
	}
	if (n < 0 && got == 0) || (n >= 0 && got != n) {
		t.Errorf("%d %s audit events about user %d; want %d (-1: some)", got, action, userID, n)
	}
}

// sameAnswer fails unless two failed sign-ins read alike.
func sameAnswer(t *testing.T, got, want answer) {
	t.Helper()
	if got.status != want.status || got.body["code"] != want.body["code"] || got.body["detail"] != want.body["detail"] {
		t.Fatalf("answers differ: %d %s vs %d %s", got.status, got.raw, want.status, want.raw)
	}
}

func TestChangePassword(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.join(t, "ann@acme.test", viewer.RoleMember)
		b := w.signedIn(t, ann, pw)
		other := w.signedIn(t, ann, pw)
		oldCookie, oldCSRF := b.cookie(), b.csrf
		oldSession := sessionID(t, b.do("GET", "session", nil))
		const newPW = "a second unusual passphrase"

		// Without the CSRF token nothing changes.
		b.csrf = ""
		expect(t, b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": newPW}), 403, "csrf")
		b.csrf = oldCSRF
		expect(t, b.do("POST", "change-password", map[string]string{"password": "not the password at all", "newPassword": newPW}), 400, "invalid_input")
		if !password.IsCommon("iloveyou") {
			t.Fatal("fixture: iloveyou is not on the blocklist")
		}
		common := b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": "iloveyou"})
		expect(t, common, 400, "invalid_input")
		if d, _ := common.body["detail"].(string); !strings.Contains(d, "common") {
			t.Errorf("a common password is refused with %q; want it to say why", d)
		}
		// The refusals changed nothing: the session still works.
		expect(t, b.do("GET", "session", nil), 200, "")
		w.audited(t, "user.password_changed", ann.id, 0)

		a := b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": newPW})
		expect(t, a, 200, "")
		csrf, _ := a.body["csrfToken"].(string)
		if csrf == "" || csrf == oldCSRF {
			t.Fatalf("change-password answers CSRF token %q; want a new one", csrf)
		}
		if !strings.Contains(a.header.Get("Set-Cookie"), "mandate_acme=") || b.cookie() == "" || b.cookie() == oldCookie {
			t.Fatalf("change-password set no new session cookie: %q", a.header.Get("Set-Cookie"))
		}
		b.csrf = csrf
		cur := b.do("GET", "session", nil)
		expect(t, cur, 200, "")
		if sessionID(t, cur) == oldSession {
			t.Error("the session id did not change with the password")
		}
		expect(t, b.do("GET", "sessions", nil), 200, "")
		// The old cookie, and every other browser, are signed out.
		expect(t, w.withCookie(t, oldCookie).do("GET", "session", nil), 401, "no_session")
		expect(t, other.do("GET", "session", nil), 401, "no_session")

		mailedTo(t, w.inbox.next(t), ann.email, "password was changed")
		expect(t, w.browser(t).signIn(ann.email, pw), 401, "invalid_credentials")
		expect(t, w.browser(t).signIn(ann.email, newPW), 200, "")
		w.audited(t, "user.password_changed", ann.id, 1)
	})
}

func TestChangeEmail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.join(t, "ann@acme.test", viewer.RoleMember)
		b := w.signedIn(t, ann, pw)
		const newEmail = "ann.new@acme.test"

		expect(t, b.do("POST", "change-email", map[string]string{"newEmail": newEmail, "password": "not the password at all"}), 400, "invalid_input")
		expect(t, b.do("POST", "change-email", map[string]string{"newEmail": newEmail, "password": pw}), 202, "")
		msg := w.inbox.next(t)
		mailedTo(t, msg, newEmail, "Confirm your new address")
		tok := linkToken(t, msg, "confirm-email")
		w.audited(t, "user.email_change_requested", ann.id, 1)
		// Nothing changes until the link is followed.
		expect(t, w.browser(t).signIn(newEmail, pw), 401, "invalid_credentials")
		w.audited(t, "user.email_changed", ann.id, 0)

		anon := w.browser(t)
		expect(t, anon.do("POST", "confirm-email", map[string]string{"token": tok}), 200, "")
		expect(t, anon.do("POST", "confirm-email", map[string]string{"token": tok}), 400, "invalid_link")
		u, err := db.Client.User.Get(w.sys, ann.id)
		if err != nil || u.Email != newEmail || !u.EmailVerified {
			t.Fatalf("after confirming: %v, %v; want %s, verified", u, err, newEmail)
		}
		expect(t, w.browser(t).signIn(newEmail, pw), 200, "")
		expect(t, w.browser(t).signIn(ann.email, pw), 401, "invalid_credentials")
		w.audited(t, "user.email_changed", ann.id, 1)
	})
}

func TestInvitation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		flows := w.accounts(t)
		olga := w.join(t, "olga@acme.test", viewer.RoleOwner)
		adam := w.join(t, "adam@acme.test", viewer.RoleAdmin)
		mia := w.join(t, "mia@acme.test", viewer.RoleMember)

		// accept follows the invitation in the next email to email.
		accept := func(email, name, role string) person {
			t.Helper()
			msg := w.inbox.next(t)
			mailedTo(t, msg, email, "You are invited to Acme Billing")
			if !strings.Contains(msg, "as "+role) {
				t.Errorf("the invitation does not name the role %s:\n%.600s", role, msg)
			}
			tok := linkToken(t, msg, "accept-invitation")
			anon := w.browser(t)
			expect(t, anon.do("POST", "accept-invitation", map[string]string{"token": tok, "password": "iloveyou", "name": name}), 400, "invalid_input")
			joined := anon.do("POST", "accept-invitation", map[string]string{"token": tok, "password": pw, "name": name})
			expect(t, joined, 200, "")
			// Joining signs the new member in.
			if joined.body["csrfToken"] == nil || !strings.Contains(joined.header.Get("Set-Cookie"), "mandate_acme=") {
				t.Fatalf("accepting did not sign in: %s", joined.raw)
			}
			expect(t, anon.do("GET", "session", nil), 200, "")
			expect(t, anon.do("POST", "accept-invitation", map[string]string{"token": tok, "password": pw, "name": name}), 400, "invalid_link")
			u, err := db.Client.User.Query().Where(user.Email(email)).WithMembership().Only(w.sys)
			if err != nil {
				t.Fatal(err)
			}
			if !u.EmailVerified || u.Disabled || u.Name != name || u.Edges.Membership == nil || string(u.Edges.Membership.Role) != role {
				t.Fatalf("the invitee is %v with membership %v; want a verified %s named %s", u, u.Edges.Membership, role, name)
			}
			a := w.browser(t).signIn(email, pw)
			expect(t, a, 200, "")
			if got := a.body["user"].(map[string]any)["role"]; got != role {
				t.Errorf("the invitee signs in as %v; want %s", got, role)
			}
			return person{id: u.ID, email: email, role: viewer.Role(role)}
		}

		inv, err := flows.Invite(w.as(adam), "Nina@Acme.test", viewer.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Email != "nina@acme.test" || inv.Role != "member" || inv.Purpose != onetimetoken.PurposeInvitation {
			t.Fatalf("invitation = %v", inv)
		}
		nina := accept("nina@acme.test", "Nina", "member")
		w.audited(t, "member.invitation_accepted", nina.id, 1)

		// Owners invite admins.
		if _, err := flows.Invite(w.as(olga), "zed@acme.test", viewer.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		zed := accept("zed@acme.test", "Zed", "admin")
		w.audited(t, "member.invitation_accepted", zed.id, 1)

		// A member invites nobody; an admin invites no admin or owner.
		refused := []struct {
			who  person
			role viewer.Role
		}{{mia, viewer.RoleMember}, {adam, viewer.RoleOwner}, {adam, viewer.RoleAdmin}}
		for _, r := range refused {
			if _, err := flows.Invite(w.as(r.who), "eve@acme.test", r.role); apperr.KindOf(err) != apperr.Forbidden {
				t.Errorf("%s (%s) invites an %s: %v; want forbidden", r.who.email, r.who.role, r.role, err)
			}
		}
		// Nor is a member invited again.
		if _, err := flows.Invite(w.as(adam), "mia@acme.test", viewer.RoleMember); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("inviting a member again: %v; want conflict", err)
		}
		n, err := db.Client.OneTimeToken.Query().Where(onetimetoken.PurposeEQ(onetimetoken.PurposeInvitation)).Count(w.sys)
		if err != nil || n != 2 {
			t.Errorf("%d invitations stored (%v); want the 2 allowed", n, err)
		}
		invited, err := db.Client.AuditEvent.Query().Where(auditevent.Action("member.invited")).Order(ent.Asc(auditevent.FieldSeq)).All(w.sys)
		if err != nil || len(invited) != 2 || invited[0].TargetID != strconv.Itoa(inv.ID) || invited[0].ActorID != strconv.Itoa(adam.id) {
			t.Errorf("member.invited events = %v (%v); want 2, the first by %d about invitation %d", invited, err, adam.id, inv.ID)
		}
	})
}

func TestDisableUser(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		flows := w.accounts(t)
		olga := w.join(t, "olga@acme.test", viewer.RoleOwner)
		adam := w.join(t, "adam@acme.test", viewer.RoleAdmin)
		mia := w.join(t, "mia@acme.test", viewer.RoleMember)
		mb := w.signedIn(t, mia, pw)
		expect(t, mb.do("GET", "session", nil), 200, "")

		// A member disables nobody; an admin no owner.
		if _, err := flows.SetDisabled(w.as(mia), adam.id, true); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("a member disables an admin: %v; want forbidden", err)
		}
		if _, err := flows.SetDisabled(w.as(adam), olga.id, true); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("an admin disables an owner: %v; want forbidden", err)
		}

		u, err := flows.SetDisabled(w.as(adam), mia.id, true)
		if err != nil || !u.Disabled {
			t.Fatalf("disable: %v, %v", u, err)
		}
		// At once: the open session is gone, and the right password reads
		// like a wrong one.
		expect(t, mb.do("GET", "session", nil), 401, "no_session")
		disabled := w.browser(t).signIn(mia.email, pw)
		expect(t, disabled, 401, "invalid_credentials")
		sameAnswer(t, disabled, w.browser(t).signIn(adam.email, "not the password at all"))
		w.audited(t, "user.disabled", mia.id, 1)

		if u, err = flows.SetDisabled(w.as(adam), mia.id, false); err != nil || u.Disabled {
			t.Fatalf("enable: %v, %v", u, err)
		}
		expect(t, w.browser(t).signIn(mia.email, pw), 200, "")
		w.audited(t, "user.enabled", mia.id, 1)

		// The last active owner stays: a second, disabled owner does not count.
		otto := w.join(t, "otto@acme.test", viewer.RoleOwner)
		if _, err := flows.SetDisabled(w.as(olga), otto.id, true); err != nil {
			t.Fatalf("an owner disables another owner: %v", err)
		}
		if _, err := flows.SetDisabled(w.as(olga), olga.id, true); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("disabling the last active owner: %v; want conflict", err)
		}
		expect(t, w.browser(t).signIn(olga.email, pw), 200, "")
	})
}

// erased fails unless p's row keeps only a pseudonym, with no membership,
// session or link, and the audit trail still names the id and verifies.
func (w *world) erased(t *testing.T, p person, action string) {
	t.Helper()
	c := w.db.Client
	u, err := c.User.Get(w.sys, p.id)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "deleted-"+strconv.Itoa(p.id)+"@invalid.example" || u.Name != "" || u.PasswordHash != "" || u.EmailVerified {
		t.Errorf("deleted user = %v (password hash %q); want only a pseudonym", u, u.PasswordHash)
	}
	for what, q := range map[string]interface {
		Exist(context.Context) (bool, error)
	}{
		"membership": c.Membership.Query().Where(membership.UserID(p.id)),
		"session":    c.Session.Query().Where(entsession.UserID(p.id)),
		"link":       c.OneTimeToken.Query().Where(onetimetoken.Or(onetimetoken.UserID(p.id), onetimetoken.Email(p.email))),
		"user":       c.User.Query().Where(user.Email(p.email)),
	} {
		if ok, err := q.Exist(w.sys); err != nil || ok {
			t.Errorf("a %s of the deleted user %s remains (%v)", what, p.email, err)
		}
	}
	w.audited(t, "user.signed_up", p.id, 1)
	w.audited(t, action, p.id, 1)
	rep, err := audit.Verify(w.sys, c)
	if err != nil || !rep.OK() {
		t.Errorf("audit chain after deletion: %+v, %v", rep, err)
	}
	expect(t, w.browser(t).signIn(p.email, pw), 401, "invalid_credentials")
}

func TestDeleteUser(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		flows := w.accounts(t)
		olga := w.join(t, "olga@acme.test", viewer.RoleOwner)
		adam := w.join(t, "adam@acme.test", viewer.RoleAdmin)
		mia := w.join(t, "mia@acme.test", viewer.RoleMember)
		mb := w.signedIn(t, mia, pw)
		// Pending links, to the address and to a new one, die with the account.
		expect(t, w.browser(t).do("POST", "forgot-password", map[string]string{"email": mia.email}), 202, "")
		reset := linkToken(t, w.inbox.next(t), "reset-password")
		expect(t, mb.do("POST", "change-email", map[string]string{"newEmail": "mia.new@acme.test", "password": pw}), 202, "")
		confirm := linkToken(t, w.inbox.next(t), "confirm-email")

		if err := flows.DeleteUser(w.as(mia), adam.id); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("a member deletes an admin: %v; want forbidden", err)
		}
		if err := flows.DeleteUser(w.as(adam), olga.id); apperr.KindOf(err) != apperr.Forbidden {
			t.Errorf("an admin deletes an owner: %v; want forbidden", err)
		}
		if err := flows.DeleteUser(w.as(adam), mia.id); err != nil {
			t.Fatal(err)
		}
		expect(t, mb.do("GET", "session", nil), 401, "no_session")
		expect(t, w.browser(t).do("POST", "reset-password", map[string]string{"token": reset, "newPassword": "a third unusual passphrase"}), 400, "invalid_link")
		expect(t, w.browser(t).do("POST", "confirm-email", map[string]string{"token": confirm}), 400, "invalid_link")
		w.erased(t, mia, "user.deleted")

		// Deleting one's own account takes the password.
		nina := w.join(t, "nina@acme.test", viewer.RoleMember)
		nb := w.signedIn(t, nina, pw)
		expect(t, nb.do("POST", "delete-account", map[string]string{"password": "not the password at all"}), 400, "invalid_input")
		expect(t, nb.do("GET", "session", nil), 200, "")
		expect(t, nb.do("POST", "delete-account", map[string]string{"password": pw}), 204, "")
		expect(t, nb.do("GET", "session", nil), 401, "no_session")
		w.erased(t, nina, "user.deleted_self")

		// The last owner cannot leave.
		ob := w.signedIn(t, olga, pw)
		expect(t, ob.do("POST", "delete-account", map[string]string{"password": pw}), 409, "conflict")
		expect(t, ob.do("GET", "session", nil), 200, "")
		if u, err := db.Client.User.Get(w.sys, olga.id); err != nil || u.Email != olga.email {
			t.Errorf("the last owner after refusing to delete: %v, %v", u, err)
		}
	})
}

// Re-entering the current password is throttled like sign-in: a stolen
// session is not a password oracle.
func TestCurrentPasswordGuessesAreThrottled(t *testing.T) {
	w := newWorld(t, testdb.Open(t, "sqlite3"))
	b := w.browser(t)
	expect(t, b.do("POST", "signup", map[string]string{"email": "ann@acme.test", "password": pw}), 202, "")
	expect(t, b.do("POST", "verify-email", map[string]string{"token": linkToken(t, w.inbox.next(t), "verify-email")}), 200, "")
	expect(t, b.signIn("ann@acme.test", pw), 200, "")
	var last answer
	for i := 0; i < ratelimit.AccountPolicy.MaxFailures+1; i++ {
		last = b.do("POST", "change-password", map[string]string{"password": "guess number x", "newPassword": "whatever unusual phrase"})
	}
	expect(t, last, 429, "rate_limited")
	expect(t, b.do("POST", "change-password", map[string]string{"password": pw, "newPassword": "whatever unusual phrase"}), 429, "rate_limited")
}
