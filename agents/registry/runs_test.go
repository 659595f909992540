package registry_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agentrun"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// fleet is the reference scenario's agents: the planner ann delegates to,
// support below it, billing below support, helper (support's sibling),
// and stranger, unrelated to them.
type fleet struct {
	w                                           *chainWorld
	b                                           *browser
	planner, support, billing, helper, stranger *agentCred
}

func newFleet(t *testing.T, db *database.DB) *fleet {
	t.Helper()
	w := newChainWorld(t, db)
	f := &fleet{w: w, b: w.browser(t)}
	f.planner = w.create(t, "Planner", registry.NewAgent{SponsorEmail: "sam@acme.test",
		Ceiling: []string{"invoices:read", "invoices:write", "refunds:preview"}, Tools: []string{"invoices.api"},
		RedirectURIs: []string{callbackURL}, Audience: []string{apiResource}})
	f.stranger = w.create(t, "Stranger", registry.NewAgent{SponsorEmail: "sam@acme.test", Ceiling: []string{"invoices:read"}})
	var err error
	sub := func(parent *agentCred, name string, ceiling ...string) *agentCred {
		a, e := w.subagent(t, parent, name, registry.NewAgent{Ceiling: ceiling})
		if e != nil {
			err = e
		}
		return a
	}
	f.support = sub(f.planner, "Support", "invoices:read", "refunds:preview")
	f.helper = sub(f.planner, "Helper", "invoices:read", "refunds:preview")
	f.billing = sub(f.support, "Billing", "invoices:read", "refunds:preview")
	if err != nil {
		t.Fatal(err)
	}
	f.b.signIn("acme", "ann@acme.test")
	return f
}

// delegate has ann delegate scopes to the planner (for the API resource)
// and returns the planner's tokens; opts go with the code exchange.
func (f *fleet) delegate(t *testing.T, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	d := f.w.delegation(f.planner, "invoices:read", "refunds:preview")
	q := f.b.approve(d.url(oauth2.SetAuthURLParam("resource", apiResource), oauth2.SetAuthURLParam("prompt", "consent")), f.planner)
	return d.exchange(t, f.w, f.planner, q.Get("code"), opts...)
}

// run is the recorded run, nil if there is none.
func (w *chainWorld) run(t *testing.T, id string) *ent.AgentRun {
	t.Helper()
	r, err := w.db.Client.AgentRun.Query().Where(agentrun.RunID(id)).Only(w.sys("acme"))
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *chainWorld) runCount(t *testing.T) int {
	t.Helper()
	n, err := w.db.Client.AgentRun.Query().Count(w.sys("acme"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// noRun wants a refused request: the protocol's error, no token, and no
// run recorded.
func (w *chainWorld) noRun(t *testing.T, what, wantErr string, status int, out map[string]any, runs int) {
	t.Helper()
	if out["error"] != wantErr || out["access_token"] != nil || status != http.StatusBadRequest {
		t.Fatalf("%s: want 400 %s, got %d %v", what, wantErr, status, out)
	}
	if n := w.runCount(t); n != runs {
		t.Fatalf("%s: %d runs recorded, want %d", what, n, runs)
	}
}

// Runs are rows: an agent's token request that names a run records it
// (created by its first token, touched by later ones), in every grant an
// agent uses; a run belongs to one agent; a parent run must be one of the
// agent's own chain; malformed names are refused; a refused request
// records nothing; and the trace of planner → support → billing is read
// from the rows.
func TestRunsAreRecordedOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFleet(t, db)
		w := f.w
		ann := w.user["ann@acme.test"]
		var plannerTok, plannerRT, supportTok string

		t.Run("the code grant records the planner's run", func(t *testing.T) {
			tok := f.delegate(t, oauth2.SetAuthURLParam("run", "plan-1"))
			plannerTok, plannerRT = tok.AccessToken, tok.RefreshToken
			in := w.introspect(t, f.planner, plannerTok)
			r := w.run(t, "plan-1")
			if r == nil || r.AgentID != f.planner.id || r.ClientID != f.planner.clientID || r.UserID != ann || r.ParentRun != "" ||
				strconv.Itoa(r.GrantID) != in["grant_id"] || !reflect.DeepEqual(sorted(r.Scopes...), sorted("invoices:read", "refunds:preview")) {
				t.Fatalf("plan-1: %+v (token %v)", r, in)
			}
			if in["run"] != "plan-1" {
				t.Fatalf("introspection run: %v", in)
			}
			if claims := w.verifyJWT(t, "acme", plannerTok); claims["run"] != "plan-1" {
				t.Fatalf("JWT run claim: %v", claims)
			}
		})

		t.Run("an exchange records support's run under the subject token's", func(t *testing.T) {
			status, out := w.exchange(t, "acme", f.support, plannerTok, url.Values{"run": {"support-1"}})
			if status != http.StatusOK {
				t.Fatalf("support's exchange: %d %v", status, out)
			}
			supportTok = out["access_token"].(string)
			r := w.run(t, "support-1")
			if r == nil || r.AgentID != f.support.id || r.ParentRun != "plan-1" || r.UserID != ann {
				t.Fatalf("support-1: %+v", r)
			}
			if in := w.introspect(t, f.support, supportTok); in["run"] != "support-1" {
				t.Fatalf("support's token: %v", in)
			}
			// A later token of the run touches the row: no second row.
			old := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
			if err := db.Client.AgentRun.UpdateOne(r).SetLastSeenAt(old).Exec(w.sys("acme")); err != nil {
				t.Fatal(err)
			}
			runs := w.runCount(t)
			if status, out := w.exchange(t, "acme", f.support, plannerTok, url.Values{"run": {"support-1"}, "scope": {"invoices:read"}}); status != http.StatusOK {
				t.Fatalf("support's second token of its run: %d %v", status, out)
			}
			if again := w.run(t, "support-1"); !again.LastSeenAt.After(old.Add(30*time.Minute)) || again.ParentRun != "plan-1" || w.runCount(t) != runs {
				t.Fatalf("support-1 after a second token: %+v (%d runs, was %d)", again, w.runCount(t), runs)
			}

			status, out = w.exchange(t, "acme", f.billing, supportTok, url.Values{"run": {"billing-1"}, "scope": {"invoices:read"}})
			if status != http.StatusOK {
				t.Fatalf("billing's exchange: %d %v", status, out)
			}
			if r := w.run(t, "billing-1"); r == nil || r.AgentID != f.billing.id || r.ParentRun != "support-1" ||
				!reflect.DeepEqual(r.Scopes, []string{"invoices:read"}) {
				t.Fatalf("billing-1: %+v", r)
			}
		})

		t.Run("client_credentials and refresh record runs too", func(t *testing.T) {
			status, out := w.token(t, "acme", f.stranger, url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read"}, "run": {"stranger-1"}})
			if status != http.StatusOK {
				t.Fatalf("client_credentials with a run: %d %v", status, out)
			}
			if r := w.run(t, "stranger-1"); r == nil || r.AgentID != f.stranger.id || r.UserID != 0 || r.GrantID != 0 {
				t.Fatalf("stranger-1: %+v", r)
			}
			if claims := w.verifyJWT(t, "acme", out["access_token"].(string)); claims["run"] != "stranger-1" {
				t.Fatalf("client_credentials JWT: %v", claims)
			}
			status, out = w.token(t, "acme", f.planner, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {plannerRT},
				"run": {"plan-2"}, "parent_run": {"plan-1"}})
			if status != http.StatusOK {
				t.Fatalf("refresh with a run: %d %v", status, out)
			}
			plannerTok = out["access_token"].(string)
			if r := w.run(t, "plan-2"); r == nil || r.AgentID != f.planner.id || r.ParentRun != "plan-1" || r.UserID != ann {
				t.Fatalf("plan-2: %+v", r)
			}
			if in := w.introspect(t, f.planner, plannerTok); in["run"] != "plan-2" {
				t.Fatalf("refreshed token: %v", in)
			}
		})

		t.Run("a run belongs to one agent", func(t *testing.T) {
			runs := w.runCount(t)
			w.refused(t, "invalid_request", func() (int, map[string]any) {
				return w.exchange(t, "acme", f.helper, plannerTok, url.Values{"run": {"support-1"}})
			})
			status, out := w.token(t, "acme", f.stranger, url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read"}, "run": {"plan-1"}})
			w.noRun(t, "another agent's run with client_credentials", "invalid_request", status, out, runs)
			if r := w.run(t, "support-1"); r.AgentID != f.support.id {
				t.Fatalf("support-1 changed hands: %+v", r)
			}
		})

		t.Run("a parent run must be in the agent's own chain", func(t *testing.T) {
			runs := w.runCount(t)
			for _, c := range []struct {
				what   string
				a      *agentCred
				parent string
			}{
				{"an unrelated agent's run", f.billing, "stranger-1"},
				{"a sibling's run", f.helper, "support-1"},
				{"a descendant's run", f.support, "billing-1"},
				{"a run never recorded", f.billing, "nowhere-1"},
			} {
				subject := supportTok
				if c.a != f.billing {
					subject = plannerTok
				}
				w.refused(t, "invalid_request", func() (int, map[string]any) {
					return w.exchange(t, "acme", c.a, subject, url.Values{"run": {"new-" + c.a.name}, "parent_run": {c.parent}})
				})
				if w.runCount(t) != runs {
					t.Fatalf("%s: a run was recorded", c.what)
				}
			}
			status, out := w.token(t, "acme", f.stranger, url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read"},
				"run": {"stranger-2"}, "parent_run": {"plan-1"}})
			w.noRun(t, "client_credentials under another agent's run", "invalid_request", status, out, runs)
			// An ancestor's run is a parent: billing starts a run under the
			// planner's.
			status, out = w.exchange(t, "acme", f.billing, supportTok, url.Values{"run": {"billing-2"}, "parent_run": {"plan-1"}})
			if status != http.StatusOK {
				t.Fatalf("billing under its grandparent's run: %d %v", status, out)
			}
			if r := w.run(t, "billing-2"); r == nil || r.ParentRun != "plan-1" {
				t.Fatalf("billing-2: %+v", r)
			}
			// A recorded run keeps its parent.
			w.refused(t, "invalid_request", func() (int, map[string]any) {
				return w.exchange(t, "acme", f.billing, supportTok, url.Values{"run": {"billing-2"}, "parent_run": {"support-1"}})
			})
		})

		t.Run("malformed runs are refused", func(t *testing.T) {
			runs := w.runCount(t)
			for _, form := range []url.Values{
				{"run": {"has space"}},
				{"run": {"a/b"}},
				{"run": {"é"}},
				{"run": {strings.Repeat("r", 129)}},
				{"run": {"ok-run"}, "parent_run": {"bad parent"}},
				{"parent_run": {"plan-1"}},
			} {
				w.refused(t, "invalid_request", func() (int, map[string]any) {
					return w.exchange(t, "acme", f.support, plannerTok, form)
				})
				status, out := w.token(t, "acme", f.stranger, merge(url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read"}}, form))
				w.noRun(t, "client_credentials with "+form.Encode(), "invalid_request", status, out, runs)
			}
			// 128 characters of every kind allowed is a run.
			long := strings.Repeat("aZ09._:-", 16)
			if status, out := w.token(t, "acme", f.stranger, url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read"}, "run": {long}}); status != http.StatusOK || w.run(t, long) == nil {
				t.Fatalf("a 128-character run: %d %v", status, out)
			}
		})

		t.Run("a refused run spends no code", func(t *testing.T) {
			d := w.delegation(f.planner, "invoices:read")
			q := callbackQuery(t, f.b.get(d.url()))
			auth := []oauth2.AuthCodeOption{oauth2.VerifierOption(d.verifier),
				oauth2.SetAuthURLParam("client_assertion_type", assertionType)}
			_, err := d.conf.Exchange(context.Background(), q.Get("code"), append(auth, oauth2.SetAuthURLParam("run", "bad run"),
				oauth2.SetAuthURLParam("client_assertion", f.planner.assertion(t, w.tokenURL("acme"))))...)
			if re, ok := err.(*oauth2.RetrieveError); !ok || re.ErrorCode != "invalid_request" {
				t.Fatalf("a malformed run with the code grant: %v", err)
			}
			tok, err := d.conf.Exchange(context.Background(), q.Get("code"), append(auth, oauth2.SetAuthURLParam("run", "plan-3"),
				oauth2.SetAuthURLParam("client_assertion", f.planner.assertion(t, w.tokenURL("acme"))))...)
			if err != nil {
				t.Fatalf("the same code with a good run: %v", err)
			}
			if in := w.introspect(t, f.planner, tok.AccessToken); in["run"] != "plan-3" || w.run(t, "plan-3") == nil {
				t.Fatalf("plan-3: %v", in)
			}
		})

		t.Run("only an agent names a run", func(t *testing.T) {
			c, secret, err := w.clients.Create(w.admin("acme", "sam@acme.test"), clients.NewClient{Name: "App",
				GrantTypes: []string{clients.GrantClientCredentials}, Scopes: []string{"invoices:read"}})
			if err != nil {
				t.Fatal(err)
			}
			runs := w.runCount(t)
			status, out := post(t, w.tokenURL("acme"), url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read"}, "run": {"app-1"}}, c.ClientID, secret)
			w.noRun(t, "an application naming a run", "invalid_request", status, out, runs)
		})

		t.Run("the trace is read from the runs", func(t *testing.T) {
			tr, err := w.reg.Trace(w.admin("acme", "sam@acme.test"), "plan-1")
			if err != nil {
				t.Fatal(err)
			}
			type shape struct {
				Run, Parent, Agent string
				Kids               []shape
			}
			var walk func(n *registry.TraceNode) shape
			walk = func(n *registry.TraceNode) shape {
				s := shape{Run: n.Run, Parent: n.ParentRun}
				if n.Agent != nil {
					s.Agent = n.Agent.Name
				}
				if n.Approval != "none" || len(n.Actions) == 0 {
					t.Errorf("%s: approval %q, %d actions", n.Run, n.Approval, len(n.Actions))
				}
				for _, a := range n.Actions {
					if a.RunID != n.Run {
						t.Errorf("%s shows an action of %s", n.Run, a.RunID)
					}
				}
				for _, c := range n.Children {
					s.Kids = append(s.Kids, walk(c))
				}
				return s
			}
			want := shape{Run: "plan-1", Agent: "Planner", Kids: []shape{
				{Run: "support-1", Parent: "plan-1", Agent: "Support", Kids: []shape{{Run: "billing-1", Parent: "support-1", Agent: "Billing"}}},
				{Run: "plan-2", Parent: "plan-1", Agent: "Planner"},
				{Run: "billing-2", Parent: "plan-1", Agent: "Billing"},
			}}
			if got := walk(tr); !reflect.DeepEqual(got, want) {
				t.Fatalf("trace:\n got %+v\nwant %+v", got, want)
			}
			support := tr.Children[0]
			if !reflect.DeepEqual(sorted(support.Scope...), sorted("invoices:read", "refunds:preview")) || support.Actions[0].Action != "token.issued" {
				t.Fatalf("support's node: scope %v, first action %s", support.Scope, support.Actions[0].Action)
			}
			// Support's node holds both its tokens, oldest first.
			if n := len(support.Actions); n != 2 || support.Actions[0].Seq > support.Actions[1].Seq {
				t.Fatalf("support's actions: %d", n)
			}
			if _, err := w.reg.Trace(w.admin("acme", "sam@acme.test"), "nowhere"); err == nil {
				t.Fatal("a trace of an unknown run")
			}
			if _, err := w.reg.Trace(w.asAgent("acme", f.planner), "plan-1"); err == nil {
				t.Fatal("an agent read a trace")
			}
		})
	})
}
