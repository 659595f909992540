package registry_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// lastRefusal is the latest token.exchange_refused event.
func (w *chainWorld) lastRefusal(t *testing.T) *ent.AuditEvent {
	t.Helper()
	ev, err := w.db.Client.AuditEvent.Query().Where(auditevent.Action("token.exchange_refused")).
		Order(ent.Desc(auditevent.FieldSeq)).First(w.sys("acme"))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func expOf(t *testing.T, m map[string]any) int64 {
	t.Helper()
	exp, ok := m["exp"].(float64)
	if !ok {
		t.Fatalf("no exp in %v", m)
	}
	return int64(exp)
}

// may_act (RFC 8693 section 4.4): the planner exchanges its own
// on-behalf-of token for one pinned to support. Only support may take it
// further, with the right act chain; helper, support's sibling and as
// much the planner's subagent, is refused and audited, and so is the
// planner itself. A pin names a direct subagent or nothing. Exchanging
// one's own token only narrows: scope, audience and lifetime.
func TestMayActOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFleet(t, db)
		w := f.w
		plannerTok := f.delegate(t).AccessToken
		subject := w.introspect(t, f.planner, plannerTok)
		var pinned string

		t.Run("the planner pins a narrower token to support", func(t *testing.T) {
			status, out := w.exchange(t, "acme", f.planner, plannerTok, url.Values{"may_act": {f.support.clientID}, "scope": {"invoices:read"}})
			if status != http.StatusOK || out["issued_token_type"] != accessType {
				t.Fatalf("self-exchange with may_act: %d %v", status, out)
			}
			pinned = out["access_token"].(string)
			in := w.introspect(t, f.planner, pinned)
			want := map[string]any{"sub": f.support.clientID}
			if !active(in) || in["sub"] != subject["sub"] || in["client_id"] != f.planner.clientID || in["scope"] != "invoices:read" ||
				!reflect.DeepEqual(in["act"], actOf(f.planner.clientID)) || !reflect.DeepEqual(in["may_act"], want) ||
				in["grant_id"] != subject["grant_id"] {
				t.Fatalf("the pinned token: %v", in)
			}
			claims := w.verifyJWT(t, "acme", pinned)
			if !reflect.DeepEqual(claims["may_act"], want) || !reflect.DeepEqual(claims["act"], actOf(f.planner.clientID)) {
				t.Fatalf("the pinned JWT: %v", claims)
			}
			if subject["may_act"] != nil {
				t.Fatalf("the unpinned token has may_act: %v", subject)
			}
		})

		t.Run("a sibling is refused, and audited", func(t *testing.T) {
			w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", f.helper, pinned, nil) })
			if ev := w.lastRefusal(t); ev.ClientID != f.helper.clientID || !strings.Contains(ev.Details["reason"], "may_act") ||
				ev.Details["error"] != "invalid_grant" || ev.Outcome != auditevent.OutcomeDenied {
				t.Fatalf("refusal event: %+v", ev)
			}
			// Unpinned, the same token of the planner goes to helper.
			if status, out := w.exchange(t, "acme", f.helper, plannerTok, nil); status != http.StatusOK {
				t.Fatalf("helper with the unpinned token: %d %v", status, out)
			}
		})

		t.Run("nor may the planner itself or anyone else exchange it", func(t *testing.T) {
			w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", f.planner, pinned, nil) })
			w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", f.billing, pinned, nil) })
			w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", f.stranger, pinned, nil) })
		})

		t.Run("an actor token must be the pinned agent's", func(t *testing.T) {
			_, own := w.clientCredentials(t, f.helper, "invoices:read")
			w.refused(t, "invalid_grant", func() (int, map[string]any) {
				return w.exchange(t, "acme", f.support, pinned, url.Values{"actor_token": {own["access_token"].(string)}, "actor_token_type": {accessType}})
			})
		})

		var supportTok string
		t.Run("support, the agent named, exchanges it", func(t *testing.T) {
			_, own := w.clientCredentials(t, f.support, "invoices:read")
			status, out := w.exchange(t, "acme", f.support, pinned, url.Values{"actor_token": {own["access_token"].(string)}, "actor_token_type": {accessType},
				"may_act": {f.billing.clientID}})
			if status != http.StatusOK {
				t.Fatalf("support's exchange of the pinned token: %d %v", status, out)
			}
			supportTok = out["access_token"].(string)
			in := w.introspect(t, f.support, supportTok)
			if !active(in) || in["sub"] != subject["sub"] || in["client_id"] != f.support.clientID || in["scope"] != "invoices:read" ||
				!reflect.DeepEqual(in["act"], actOf(f.support.clientID, f.planner.clientID)) ||
				!reflect.DeepEqual(in["may_act"], map[string]any{"sub": f.billing.clientID}) {
				t.Fatalf("support's token: %v", in)
			}
			if claims := w.verifyJWT(t, "acme", supportTok); !reflect.DeepEqual(claims["act"], actOf(f.support.clientID, f.planner.clientID)) {
				t.Fatalf("support's JWT act: %v", claims["act"])
			}
			// Billing, named in turn, takes it on: act names every hop, and
			// its token is pinned to no one.
			status, out = w.exchange(t, "acme", f.billing, supportTok, nil)
			if status != http.StatusOK {
				t.Fatalf("billing's exchange: %d %v", status, out)
			}
			in = w.introspect(t, f.billing, out["access_token"].(string))
			if !reflect.DeepEqual(in["act"], actOf(f.billing.clientID, f.support.clientID, f.planner.clientID)) || in["may_act"] != nil {
				t.Fatalf("billing's token: %v", in)
			}
		})

		t.Run("may_act names a direct subagent", func(t *testing.T) {
			for what, target := range map[string]string{
				"a grandchild":        f.billing.clientID,
				"an unrelated agent":  f.stranger.clientID,
				"the agent itself":    f.planner.clientID,
				"no registered agent": "not-a-client",
			} {
				t.Run(what, func(t *testing.T) {
					w.refused(t, "invalid_request", func() (int, map[string]any) {
						return w.exchange(t, "acme", f.planner, plannerTok, url.Values{"may_act": {target}})
					})
				})
			}
			// Support pins the token it exchanges to billing, its child, not to
			// helper, its sibling.
			w.refused(t, "invalid_request", func() (int, map[string]any) {
				return w.exchange(t, "acme", f.support, plannerTok, url.Values{"may_act": {f.helper.clientID}})
			})
		})

		t.Run("exchanging one's own token only narrows", func(t *testing.T) {
			w.refused(t, "invalid_scope", func() (int, map[string]any) {
				return w.exchange(t, "acme", f.planner, plannerTok, url.Values{"scope": {"invoices:read invoices:write"}})
			})
			w.refused(t, "invalid_target", func() (int, map[string]any) {
				return w.exchange(t, "acme", f.planner, plannerTok, url.Values{"resource": {"https://payroll.example"}})
			})
			// A longer agent token lifetime does not stretch the subject's.
			tn, err := db.Client.Tenant.Get(w.sys("acme"), w.tenant["acme"])
			if err != nil {
				t.Fatal(err)
			}
			st := tn.Settings
			st.AgentTokenMinutes = 60
			if err := db.Client.Tenant.UpdateOne(tn).SetSettings(st).Exec(w.sys("acme")); err != nil {
				t.Fatal(err)
			}
			w.iss.ForgetWorkspace(tn.ID)
			status, out := w.exchange(t, "acme", f.planner, plannerTok, url.Values{"scope": {"refunds:preview"}})
			if status != http.StatusOK {
				t.Fatalf("a narrower self-exchange: %d %v", status, out)
			}
			in := w.introspect(t, f.planner, out["access_token"].(string))
			if in["scope"] != "refunds:preview" || !reflect.DeepEqual(in["act"], actOf(f.planner.clientID)) || in["sub"] != subject["sub"] ||
				expOf(t, in) > expOf(t, subject) || in["may_act"] != nil {
				t.Fatalf("the narrowed token (subject expires %d): %v", expOf(t, subject), in)
			}
			if claims := w.verifyJWT(t, "acme", out["access_token"].(string)); expOf(t, claims) > expOf(t, subject) ||
				!reflect.DeepEqual(stringsOf(claims["aud"]), []string{apiResource}) {
				t.Fatalf("the narrowed JWT (subject expires %d): %v", expOf(t, subject), claims)
			}
			// Support narrows an unpinned token it holds: the chain stays.
			// (The one pinned to billing it may not exchange again.)
			w.refused(t, "invalid_grant", func() (int, map[string]any) { return w.exchange(t, "acme", f.support, supportTok, nil) })
			status, out = w.exchange(t, "acme", f.support, plannerTok, nil)
			if status != http.StatusOK {
				t.Fatalf("support's exchange: %d %v", status, out)
			}
			status, out = w.exchange(t, "acme", f.support, out["access_token"].(string), url.Values{"run": {"support-narrow"}, "scope": {"invoices:read"}})
			if status != http.StatusOK {
				t.Fatalf("support's self-exchange: %d %v", status, out)
			}
			in = w.introspect(t, f.support, out["access_token"].(string))
			if !reflect.DeepEqual(in["act"], actOf(f.support.clientID, f.planner.clientID)) || in["run"] != "support-narrow" ||
				in["may_act"] != nil || in["scope"] != "invoices:read" {
				t.Fatalf("support's narrowed token: %v", in)
			}
		})
	})
}
