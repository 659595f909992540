package issuer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Helpers shared by the CIBA protocol tests (ciba_*_test.go) beyond the
// reference world of ciba_test.go.

// cibaAgent is an agent of a CIBA world that authenticates with its own
// key (private_key_jwt).
type cibaAgent struct {
	c       *cibaWorld
	slug    string
	id      string // client_id
	agentID int
	key     *clientKey
}

// billingAgent is the reference world's billing agent.
func (c *cibaWorld) billingAgent() *cibaAgent {
	return &cibaAgent{c: c, slug: "acme", id: c.billing, agentID: c.agentID, key: c.key}
}

// newAgent registers another agent in a workspace of the world, sponsored
// by that workspace's Ann unless in says otherwise, with its own key.
func (c *cibaWorld) newAgent(slug string, in registry.NewAgent) *cibaAgent {
	c.t.Helper()
	key := newClientKey(c.t)
	in.JWKS = key.publicJWKS(c.t)
	if in.SponsorEmail == "" {
		in.SponsorEmail = "ann@" + slug + ".test"
	}
	made, err := c.agents.Create(c.sys(slug), in)
	if err != nil {
		c.t.Fatalf("agent %s: %v", in.Name, err)
	}
	return &cibaAgent{c: c, slug: slug, id: made.Client.ClientID, agentID: made.Agent.ID, key: key}
}

// signed adds the agent's client authentication to form, with a fresh
// assertion for the workspace's issuer.
func (a *cibaAgent) signed(form url.Values) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("client_id", a.id)
	out.Set("client_assertion_type", jwtBearer)
	out.Set("client_assertion", a.key.assertion(a.c.t, a.id, a.c.issuerURL(a.slug), randomJTI(), time.Now().Add(time.Minute)))
	return out
}

// post sends the agent's authenticated form to an endpoint of its
// workspace's issuer.
func (a *cibaAgent) post(path string, form url.Values) (int, map[string]any) {
	a.c.t.Helper()
	st, out, _ := postForm(a.c.t, a.c.issuerURL(a.slug)+path, a.signed(form), "", "")
	return st, out
}

// ask makes a backchannel authentication request and returns the
// auth_req_id, failing the test unless it is accepted.
func (a *cibaAgent) ask(form url.Values) string {
	a.c.t.Helper()
	st, out := a.post("/oauth2/bc-authorize", form)
	id, _ := out["auth_req_id"].(string)
	if st != http.StatusOK || id == "" {
		a.c.t.Fatalf("bc-authorize as %s: %d %v", a.id, st, out)
	}
	return id
}

func (a *cibaAgent) poll(authReqID string) (int, map[string]any) {
	a.c.t.Helper()
	return a.post("/oauth2/token", url.Values{"grant_type": {grantCIBA}, "auth_req_id": {authReqID}})
}

func (a *cibaAgent) introspect(tok string) map[string]any {
	a.c.t.Helper()
	_, out := a.post("/oauth2/introspect", url.Values{"token": {tok}})
	return out
}

// reply is one HTTP answer, for requests sent from other goroutines
// (which may not fail the test themselves).
type reply struct {
	status int
	body   map[string]any
	err    error
}

// sendForm posts a form and decodes the JSON answer, without a testing.T.
func sendForm(u string, form url.Values) reply {
	resp, err := http.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return reply{status: resp.StatusCode, err: err}
	}
	return reply{status: resp.StatusCode, body: out}
}

// together sends the forms to u at once (each from its own goroutine,
// released together) and returns the answers in order.
func together(u string, forms ...url.Values) []reply {
	out := make([]reply, len(forms))
	var start, done sync.WaitGroup
	start.Add(1)
	for n, f := range forms {
		done.Go(func() {
			start.Wait()
			out[n] = sendForm(u, f)
		})
	}
	start.Done()
	done.Wait()
	return out
}

// rowOf is a workspace's approval request by its public id.
func (c *cibaWorld) rowOf(slug, publicID string) *ent.ApprovalRequest {
	c.t.Helper()
	row, err := c.db.Client.ApprovalRequest.Query().Where(approvalrequest.PublicID(publicID)).Only(c.sys(slug))
	if err != nil {
		c.t.Fatalf("approval request %s: %v", publicID, err)
	}
	return row
}

// member adds a member with a role to a workspace and returns their id.
func (c *cibaWorld) member(slug, email string, role viewer.Role) int {
	c.t.Helper()
	if _, err := c.ts.AddMember(c.sys(slug), tenants.NewMember{Email: email, Role: role, PasswordHash: c.annHash(c.t),
		EmailVerified: true}); err != nil {
		c.t.Fatalf("member %s: %v", email, err)
	}
	u, err := c.db.Client.User.Query().Where(user.Email(email)).Only(c.sys(slug))
	if err != nil {
		c.t.Fatal(err)
	}
	return u.ID
}

// approverIn is approver in any workspace: a person signed in there with
// the given methods (amr).
func (c *cibaWorld) approverIn(slug string, userID int, email string, role viewer.Role, amr ...string) context.Context {
	c.t.Helper()
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	sys := c.sys(slug)
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
	return viewer.NewContext(context.Background(), viewer.Viewer{TenantID: c.tenants[slug], Kind: viewer.Human, ID: userID,
		Label: email, Role: role, SessionID: sid})
}

// approveAsAnn approves a request as Ann after a passkey.
func (c *cibaWorld) approveAsAnn(publicID string) *approval.Request {
	c.t.Helper()
	got, err := c.approvals.Decide(c.approver(c.annID, c.annEmail, viewer.RoleAdmin, "pwd", "hwk"), approval.Decision{ID: publicID, Approve: true})
	if err != nil {
		c.t.Fatalf("Ann approves %s: %v", publicID, err)
	}
	return got
}
