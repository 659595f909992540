package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/ent/outboxmessage"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

const (
	grantCIBA = "urn:openid:params:grant-type:ciba"
	jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// refundSchema is the reference scenario's refund: an invoice, an amount
// and a currency, nothing else.
const refundSchema = `{"type":"object","required":["invoice","amount","currency"],"additionalProperties":false,
 "properties":{"type":{"const":"refund"},"invoice":{"type":"string","pattern":"^INV-[0-9]+$"},
 "amount":{"type":"string","pattern":"^[0-9]+\\.[0-9]{2}$"},"currency":{"enum":["EUR","USD"]}}}`

// cibaWorld is the reference scenario's workspace: refunds:execute and
// the refund type need Ann's approval; billing is an agent Ann delegated
// invoices:read and refunds:preview to.
type cibaWorld struct {
	*world
	t        *testing.T
	key      *clientKey
	billing  string // client_id
	agentID  int
	obo      string // billing's on-behalf-of token for Ann
	iss      string
	annID    int
	annEmail string
}

func newCIBAWorld(t *testing.T, db *database.DB) *cibaWorld {
	w := newWorld(t, db)
	catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"}, {Name: "refunds:preview", Description: "Preview refunds"},
		{Name: "refunds:execute", Description: "Execute refunds", Approval: &settings.ApprovalRule{}}}
	types := []settings.DetailType{{Type: "refund", Description: "One refund", Schema: json.RawMessage(refundSchema), Approval: &settings.ApprovalRule{WaitMinutes: 5}}}
	if _, err := w.ts.UpdateSettings(w.sys("acme"), tenants.SettingsUpdate{Scopes: &catalog, DetailTypes: &types}); err != nil {
		t.Fatal(err)
	}
	c := &cibaWorld{world: w, t: t, key: newClientKey(t), iss: w.issuerURL("acme"), annEmail: "ann@acme.test"}
	w.flows.MailNow() // approvers' mail is in the outbox when the request is answered
	made, err := w.agents.Create(w.sys("acme"), registry.NewAgent{Name: "billing", SponsorEmail: c.annEmail,
		Ceiling: []string{"openid", "invoices:read", "refunds:preview", "refunds:execute"}, JWKS: c.key.publicJWKS(t), RedirectURIs: []string{callback}})
	if err != nil {
		t.Fatal(err)
	}
	c.billing, c.agentID = made.Client.ClientID, made.Agent.ID
	ann, err := db.Client.User.Query().Where(user.Email(c.annEmail)).Only(w.sys("acme"))
	if err != nil {
		t.Fatal(err)
	}
	c.annID = ann.ID
	// Ann delegates reading and previewing, for a day, in the browser.
	b := w.browser(t)
	b.signIn("acme", c.annEmail)
	conf := oauth2.Config{ClientID: c.billing, RedirectURL: callback, Scopes: []string{"openid", "invoices:read", "refunds:preview"},
		Endpoint: oauth2.Endpoint{AuthURL: c.iss + "/oauth2/authorize", TokenURL: c.iss + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(conf.AuthCodeURL("state-ciba", oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("client_assertion_type", jwtBearer),
		oauth2.SetAuthURLParam("client_assertion", c.key.assertion(t, c.billing, c.iss+"/oauth2/token", randomJTI(), time.Now().Add(time.Minute))))
	if err != nil {
		t.Fatalf("Ann's delegation: %v", err)
	}
	c.obo = tok.AccessToken
	return c
}

// post sends billing's authenticated form to an endpoint of the issuer.
func (c *cibaWorld) post(path string, form url.Values) (int, map[string]any) {
	c.t.Helper()
	form.Set("client_id", c.billing)
	form.Set("client_assertion_type", jwtBearer)
	form.Set("client_assertion", c.key.assertion(c.t, c.billing, c.iss, randomJTI(), time.Now().Add(time.Minute)))
	st, out, _ := postForm(c.t, c.iss+path, form, "", "")
	return st, out
}

const refund = `[{"type":"refund","invoice":"INV-1001","amount":"42.00","currency":"EUR"}]`

// ask makes a backchannel authentication request for the refund on Ann's
// behalf, with billing's on-behalf-of token, and returns the auth_req_id.
func (c *cibaWorld) ask(details string, extra url.Values) string {
	c.t.Helper()
	form := url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"}, "authorization_details": {details},
		"binding_message": {"Refund INV-1001"}, "subject_token": {c.obo},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}}
	for k, v := range extra {
		form[k] = v
	}
	st, out := c.post("/oauth2/bc-authorize", form)
	if st != http.StatusOK || out["auth_req_id"] == nil {
		c.t.Fatalf("bc-authorize: %d %v", st, out)
	}
	if n, _ := out["expires_in"].(float64); n <= 0 || n > 300 {
		c.t.Fatalf("expires_in %v: the refund type waits 5 minutes", out["expires_in"])
	}
	if out["interval"] != float64(5) {
		c.t.Fatalf("interval %v", out["interval"])
	}
	return out["auth_req_id"].(string)
}

func (c *cibaWorld) poll(id string) (int, map[string]any) {
	c.t.Helper()
	return c.post("/oauth2/token", url.Values{"grant_type": {grantCIBA}, "auth_req_id": {id}})
}

func (c *cibaWorld) introspect(tok string) map[string]any {
	c.t.Helper()
	_, out := c.post("/oauth2/introspect", url.Values{"token": {tok}})
	return out
}

// approver is Ann acting in the dashboard through a signed-in session
// with the given methods (amr), authenticated now.
func (c *cibaWorld) approver(userID int, email string, role viewer.Role, amr ...string) context.Context {
	c.t.Helper()
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	sys := c.sys("acme")
	u, err := c.db.Client.User.Get(sys, userID)
	if err != nil {
		c.t.Fatal(err)
	}
	var sid int
	if err := entx.InTx(sys, c.db.Client, func(tx *ent.Tx) error {
		st, err := c.flows.SessionManager().Start(sys, tx, u, amr, time.Hour)
		sid = st.Session.ID
		return err
	}); err != nil {
		c.t.Fatal(err)
	}
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: c.tenants["acme"], Kind: viewer.Human, ID: userID,
		Label: email, Role: role, SessionID: sid})
}

func (c *cibaWorld) request(id string) *ent.ApprovalRequest {
	c.t.Helper()
	rows, err := c.db.Client.ApprovalRequest.Query().Order(ent.Desc(approvalrequest.FieldID)).All(c.sys("acme"))
	if err != nil || len(rows) == 0 {
		c.t.Fatalf("approval requests: %v", err)
	}
	return rows[0]
}

// The reference scenario's approval: billing previews freely, but
// executing the refund needs Ann to approve that one refund with a
// strong authentication; the token it gets carries exactly that refund,
// lives five minutes and is spent by its first use.
func TestCIBAApprovesOneRefundOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)

		// Discovery advertises CIBA.
		doc := getJSON(t, c.iss+"/.well-known/openid-configuration")
		if doc["backchannel_authentication_endpoint"] != c.iss+"/oauth2/bc-authorize" ||
			!strings.Contains(strings.Join(stringsOf(doc["backchannel_token_delivery_modes_supported"]), " "), "ping") ||
			strings.Join(stringsOf(doc["authorization_details_types_supported"]), " ") != "refund" ||
			!strings.Contains(strings.Join(stringsOf(doc["grant_types_supported"]), " "), grantCIBA) {
			t.Fatalf("discovery: %v", doc)
		}

		// No other grant issues refunds:execute: not an exchange of the
		// delegated token, not the agent's own client_credentials.
		st, out := c.post("/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token": {c.obo}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "scope": {"refunds:execute"}})
		if st != http.StatusBadRequest || out["error"] != "invalid_scope" {
			t.Fatalf("exchange for refunds:execute: %d %v", st, out)
		}
		st, out = c.post("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"refunds:execute"}})
		if st != http.StatusBadRequest || out["error"] != "invalid_scope" || !strings.Contains(out["error_description"].(string), "CIBA") {
			t.Fatalf("client_credentials for refunds:execute: %d %v", st, out)
		}

		id := c.ask(refund, nil)
		row := c.request(id)
		if row.Kind != approvalrequest.KindAction || row.UserID != c.annID || row.GrantID == 0 ||
			strings.Join(row.Requires, " ") != "scope:refunds:execute type:refund" || row.ApproverRole != "" {
			t.Fatalf("request row: %+v", row)
		}
		// Ann is told by email, with a link to her inbox and what is asked.
		msg, err := db.Client.OutboxMessage.Query().Where(outboxmessage.To(c.annEmail)).Only(c.sys("acme"))
		if err != nil || !strings.Contains(msg.Subject, "billing asks for your approval") ||
			!strings.Contains(msg.Text, "/w/acme/approvals?id="+row.PublicID) || !strings.Contains(msg.Text, "invoice INV-1001") {
			t.Fatalf("Ann's notification: %v %+v", err, msg)
		}
		if st, out := c.poll(id); st != http.StatusBadRequest || out["error"] != "authorization_pending" {
			t.Fatalf("first poll: %d %v", st, out)
		}
		if st, out := c.poll(id); st != http.StatusBadRequest || out["error"] != "slow_down" {
			t.Fatalf("an early poll: %d %v", st, out)
		}

		// Bob, another member, does not even see it; Ann with a password
		// alone is asked to step up; Ann after a passkey approves.
		bobHash := c.annHash(t)
		if _, err := c.ts.AddMember(c.sys("acme"), tenants.NewMember{Email: "bob@acme.test", Role: viewer.RoleMember,
			PasswordHash: bobHash, EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
		bob, _ := db.Client.User.Query().Where(user.Email("bob@acme.test")).Only(c.sys("acme"))
		if _, err := c.approvals.Decide(c.approver(bob.ID, "bob@acme.test", viewer.RoleMember, "pwd", "hwk"), approval.Decision{ID: row.PublicID, Approve: true}); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("Bob approves: %v", err)
		}
		if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin), approval.Decision{ID: row.PublicID, Approve: true}); !errors.Is(err, signin.ErrStepUp) {
			t.Fatalf("Ann approves with a password session: %v", err)
		}
		got, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "hwk"), approval.Decision{ID: row.PublicID, Approve: true})
		if err != nil || got.Status != "approved" || strings.Join(got.DecidedAmr, " ") != "pwd hwk" {
			t.Fatalf("Ann approves after a passkey: %v %+v", err, got)
		}
		if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "hwk"), approval.Decision{ID: row.PublicID, Approve: true}); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("a second decision: %v", err)
		}

		st, out = c.poll(id)
		if st != http.StatusOK {
			t.Fatalf("redeem: %d %v", st, out)
		}
		tok, _ := out["access_token"].(string)
		if strings.Count(tok, ".") == 2 || out["refresh_token"] != nil || out["id_token"] == nil ||
			out["scope"] != "openid refunds:execute" || out["expires_in"].(float64) > 300 || out["approval_id"] != row.PublicID {
			t.Fatalf("the approved token response: %v", out)
		}
		if ad, _ := json.Marshal(out["authorization_details"]); !strings.Contains(string(ad), `"amount":"42.00"`) {
			t.Fatalf("authorization_details in the response: %s", ad)
		}
		if st, out := c.poll(id); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("redeeming twice: %d %v", st, out)
		}
		// The approval token is neither exchanged nor refreshed into more.
		st, out = c.post("/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token": {tok}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}})
		if st != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("exchanging the approval token: %d %v", st, out)
		}

		// The first introspection spends it, with exactly the approved
		// refund and Ann's act chain; every later one is inactive.
		first := c.introspect(tok)
		ad, _ := json.Marshal(first["authorization_details"])
		if first["active"] != true || first["approval_id"] != row.PublicID || !strings.Contains(string(ad), "INV-1001") ||
			first["scope"] != "openid refunds:execute" || first["sub"] == nil || first["act"] == nil {
			t.Fatalf("first use: %v", first)
		}
		if again := c.introspect(tok); !inactiveOnly(again) {
			t.Fatalf("second use: %v", again)
		}
		for action, want := range map[string]int{"approval.requested": 1, "approval.notified": 1, "approval.approved": 1, "approval.consumed": 1,
			"approval.reuse_refused": 1, "approval.decision_refused": 1} {
			if n := countAudit(t, c.world, "acme", action); n != want {
				t.Fatalf("%s events: %d, want %d", action, n, want)
			}
		}
		issued, err := db.Client.AuditEvent.Query().Where(auditevent.Action("token.issued"), auditevent.ApprovalID(row.PublicID)).Only(c.sys("acme"))
		if err != nil || !issued.ApprovalRequired {
			t.Fatalf("token.issued linked to the approval: %v %+v", err, issued)
		}

		// Another amount is another request: nothing covers it until Ann
		// approves that one too.
		other := c.ask(strings.Replace(refund, "42.00", "4200.00", 1), nil)
		if st, out := c.poll(other); st != http.StatusBadRequest || out["error"] != "authorization_pending" {
			t.Fatalf("another amount: %d %v", st, out)
		}
	})
}

func (c *cibaWorld) annHash(t *testing.T) string {
	ann, err := c.db.Client.User.Get(c.sys("acme"), c.annID)
	if err != nil {
		t.Fatal(err)
	}
	return ann.PasswordHash
}

// Denied and expired requests never yield a token.
func TestCIBADeniedAndExpiredRequestsYieldNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		denied := c.ask(refund, nil)
		if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin), approval.Decision{ID: c.request(denied).PublicID, Reason: "not this one"}); err != nil {
			t.Fatalf("deny: %v", err)
		}
		if st, out := c.poll(denied); st != http.StatusBadRequest || out["error"] != "access_denied" {
			t.Fatalf("denied: %d %v", st, out)
		}

		expired := c.ask(refund, url.Values{"requested_expiry": {"60"}})
		row := c.request(expired)
		if left := time.Until(row.ExpiresAt); left > time.Minute+time.Second {
			t.Fatalf("requested_expiry 60 gave %v", left)
		}
		// An hour later (the issuer's clock is the real one: move the
		// request back instead).
		q := "UPDATE approval_requests SET expires_at = ? WHERE id = ?"
		if db.Target.Dialect == "postgres" {
			q = "UPDATE approval_requests SET expires_at = $1 WHERE id = $2"
		}
		if _, err := db.SQL.ExecContext(context.Background(), q, time.Now().Add(-time.Second).UTC(), row.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "otp"), approval.Decision{ID: row.PublicID, Approve: true}); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("approving an expired request: %v", err)
		}
		for range 2 {
			if st, out := c.poll(expired); st != http.StatusBadRequest || out["error"] != "expired_token" {
				t.Fatalf("expired: %d %v", st, out)
			}
		}
		if n := countAudit(t, c.world, "acme", "approval.expired"); n != 1 {
			t.Fatalf("approval.expired events: %d", n)
		}
		if n := countAudit(t, c.world, "acme", "approval.denied"); n != 1 {
			t.Fatalf("approval.denied events: %d", n)
		}
	})
}

// Bad requests get CIBA's errors, and leave no request behind.
func TestCIBARefusesBadRequests(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		base := func() url.Values {
			return url.Values{"login_hint": {c.annEmail}, "scope": {"openid refunds:execute"}, "authorization_details": {refund},
				"subject_token": {c.obo}}
		}
		with := func(k, v string) url.Values {
			f := base()
			if v == "" {
				delete(f, k)
			} else {
				f.Set(k, v)
			}
			return f
		}
		for name, tc := range map[string]struct {
			form url.Values
			code string
		}{
			"no hint":            {with("login_hint", ""), "invalid_request"},
			"two hints":          {with("id_token_hint", "x.y.z"), "invalid_request"},
			"unknown person":     {with("login_hint", "nobody@acme.test"), "unknown_user_id"},
			"another workspace":  {with("login_hint", "ann@other.test"), "unknown_user_id"},
			"no openid":          {with("scope", "refunds:execute"), "invalid_scope"},
			"beyond the ceiling": {with("scope", "openid profile"), "invalid_scope"},
			"unknown type":       {with("authorization_details", `[{"type":"transfer","amount":"1.00"}]`), "invalid_authorization_details"},
			"amount not a price": {with("authorization_details", `[{"type":"refund","invoice":"INV-1","amount":42,"currency":"EUR"}]`), "invalid_authorization_details"},
			"extra field":        {with("authorization_details", `[{"type":"refund","invoice":"INV-1","amount":"1.00","currency":"EUR","to":"x"}]`), "invalid_authorization_details"},
			"long binding":       {with("binding_message", strings.Repeat("x", 101)), "invalid_binding_message"},
			"bad expiry":         {with("requested_expiry", "-5"), "invalid_request"},
			"bad subject token":  {with("subject_token", "nope"), "invalid_request"},
			"nothing to approve": {with("scope", "openid invoices:read"), "invalid_request"},
		} {
			if name == "nothing to approve" {
				tc.form.Del("authorization_details")
			}
			st, out := c.post("/oauth2/bc-authorize", tc.form)
			if st != http.StatusBadRequest || out["error"] != tc.code {
				t.Errorf("%s: %d %v, want %s", name, st, out, tc.code)
			}
		}
		if n, _ := db.Client.ApprovalRequest.Query().Count(c.sys("acme")); n != 0 {
			t.Fatalf("refused requests left %d rows", n)
		}
		// A client that is not an agent may not use CIBA at all.
		id, secret := c.register(t, "acme", clients.NewClient{Name: "An app", GrantTypes: []string{clients.GrantClientCredentials, clients.GrantCIBA}})
		st, out, _ := postForm(t, c.iss+"/oauth2/bc-authorize", base(), id, secret)
		if st != http.StatusBadRequest || out["error"] != "unauthorized_client" {
			t.Fatalf("an app: %d %v", st, out)
		}
		// Nor an unauthenticated one.
		st, out, _ = postForm(t, c.iss+"/oauth2/bc-authorize", base(), "", "")
		if st != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Fatalf("no client authentication: %d %v", st, out)
		}
		// An agent cannot flood Ann: twenty requests may wait at once.
		for range 20 {
			c.ask(refund, nil)
		}
		st, out = c.post("/oauth2/bc-authorize", base())
		if st != http.StatusTooManyRequests || out["error"] != "invalid_request" {
			t.Fatalf("a 21st waiting request: %d %v", st, out)
		}
	})
}
