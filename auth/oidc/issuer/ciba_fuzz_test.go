package issuer_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
)

// FuzzBackchannel posts arbitrary forms to the backchannel authentication
// endpoint. Whatever arrives, the answer is never a 5xx; an error is JSON
// with an error code; an accepted request has an auth_req_id that expires
// in the future, at most a day away, and the poll interval.
//
// who picks the client whose authentication (client_id and a fresh
// assertion) goes before the fuzzed body, so that most inputs reach past
// it: 0 billing (a poll agent, private_key_jwt), 1 a ping agent, anything
// else none (the body alone). Placeholders in the body are replaced before
// the request: ASSERTION (billing's fresh assertion), CLIENT_ID, ANN
// (Ann's email), ANN_SUB (her subject), OBO (billing's on-behalf-of token
// for her), ID_TOKEN (an ID token of hers).
func FuzzBackchannel(f *testing.F) {
	w := newWorld(f, testdb.Open(f, dialect.SQLite))
	sys := w.sys("acme")
	catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"}, {Name: "refunds:preview", Description: "Preview refunds"},
		{Name: "refunds:execute", Description: "Execute refunds", Approval: &settings.ApprovalRule{ApproverRole: "admin"}}}
	types := []settings.DetailType{{Type: "refund", Description: "One refund", Schema: json.RawMessage(refundSchema), Approval: &settings.ApprovalRule{WaitMinutes: 5}}}
	if _, err := w.ts.UpdateSettings(sys, tenants.SettingsUpdate{Scopes: &catalog, DetailTypes: &types}); err != nil {
		f.Fatal(err)
	}
	iss := w.issuerURL("acme")
	ceiling := []string{"openid", "invoices:read", "refunds:preview", "refunds:execute"}
	type agent struct {
		id  string
		key *clientKey
	}
	var agents []agent
	for _, in := range []registry.NewAgent{{Name: "billing", RedirectURIs: []string{callback}}, {Name: "pinger", CIBANotify: "http://127.0.0.1:9/cb"}} {
		key := newClientKey(f)
		in.SponsorEmail, in.Ceiling, in.JWKS = "ann@acme.test", ceiling, key.publicJWKS(f)
		made, err := w.agents.Create(sys, in)
		if err != nil {
			f.Fatal(err)
		}
		agents = append(agents, agent{made.Client.ClientID, key})
	}
	ann, err := w.db.Client.User.Query().All(sys)
	if err != nil || len(ann) != 1 {
		f.Fatalf("Ann: %v", err)
	}

	// Billing's on-behalf-of token for Ann, and an ID token of hers.
	b := w.browser(f)
	b.signIn("acme", "ann@acme.test")
	conf := oauth2.Config{ClientID: agents[0].id, RedirectURL: callback, Scopes: []string{"openid", "invoices:read"},
		Endpoint: oauth2.Endpoint{AuthURL: iss + "/oauth2/authorize", TokenURL: iss + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(conf.AuthCodeURL("state-fuzz-ciba", oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("client_assertion_type", jwtBearer),
		oauth2.SetAuthURLParam("client_assertion", agents[0].key.assertion(f, agents[0].id, iss+"/oauth2/token", randomJTI(), time.Now().Add(time.Minute))))
	if err != nil {
		f.Fatalf("Ann's delegation: %v", err)
	}
	obo := tok.AccessToken
	idToken, _ := tok.Extra("id_token").(string)
	if idToken == "" {
		f.Fatal("no ID token")
	}
	// An app's client, to fuzz with a client that is not an agent.
	_, _ = w.register(f, "acme", clients.NewClient{Name: "An app", GrantTypes: []string{clients.GrantClientCredentials, clients.GrantCIBA}})
	handler := w.srv.Config.Handler

	const auth = "client_id=CLIENT_ID&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=ASSERTION&"
	for _, s := range []struct {
		body string
		who  uint8
	}{
		{"login_hint=ANN&scope=openid+refunds%3Aexecute&authorization_details=" + url.QueryEscape(refund) + "&subject_token=OBO", 0},
		{"login_hint=ANN_SUB&scope=openid+refunds%3Aexecute&binding_message=Refund+INV-1001&requested_expiry=60", 0},
		{"id_token_hint=ID_TOKEN&scope=openid+invoices%3Aread", 0},
		{"login_hint=ANN&scope=openid+invoices%3Aread&client_notification_token=abc", 1},
		{"login_hint=ANN&scope=openid+refunds%3Aexecute&client_notification_token=abc&requested_expiry=99999999999", 1},
		{"login_hint=ANN&scope=openid+refunds%3Aexecute&requested_expiry=9223372036854775807", 0},
		{"login_hint=ANN&id_token_hint=ID_TOKEN&scope=openid", 0},
		{"login_hint=%00%FF&scope=openid", 0},
		{"login_hint=ANN&scope=openid&binding_message=%FF%FE", 0},
		{"login_hint=ANN&scope=openid+refunds%3Aexecute&authorization_details=%5B%7B%22type%22%3A%22refund%22%7D%5D", 0},
		{"login_hint=ANN&scope=openid&authorization_details=%5B%5D&subject_token=OBO&subject_token_type=x", 0},
		{"login_hint=ANN&scope=openid&resource=https%3A%2F%2Fapi.example&audience=x", 0},
		{"login_hint=ANN&scope=openid&request=eyJ.x.y", 0},
		{"login_hint_token=x&scope=openid", 0},
		{"login_hint=ANN&scope=openid", 2},
		{auth + "login_hint=ANN&scope=openid+invoices%3Aread", 2},
		{"client_id=CLIENT_ID&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c&login_hint=ANN", 2},
		{"%%%", 2},
		{"", 0},
	} {
		f.Add(s.body, s.who)
	}

	f.Fuzz(func(t *testing.T, body string, who uint8) {
		a := agents[0]
		if int(who) < len(agents) {
			a = agents[who]
			body = auth + body
		}
		fill := func(s string) string {
			if strings.Contains(s, "ASSERTION") {
				s = strings.ReplaceAll(s, "ASSERTION", a.key.assertion(t, a.id, iss, randomJTI(), time.Now().Add(time.Minute)))
			}
			return strings.NewReplacer("CLIENT_ID", a.id, "ANN_SUB", strconv.Itoa(ann[0].ID), "ANN", "ann%40acme.test",
				"OBO", obo, "ID_TOKEN", idToken).Replace(s)
		}
		req := httptest.NewRequest(http.MethodPost, "/t/acme/oauth2/bc-authorize", strings.NewReader(fill(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%d, %q, not JSON (%v): %q", rec.Code, rec.Header().Get("Content-Type"), err, rec.Body)
		}
		switch {
		case rec.Code >= 400:
			if code, _ := out["error"].(string); code == "" {
				t.Fatalf("%d without an error code: %s", rec.Code, rec.Body)
			}
			if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatalf("401 without WWW-Authenticate: %s", rec.Body)
			}
		case rec.Code == http.StatusOK:
			id, _ := out["auth_req_id"].(string)
			exp, _ := out["expires_in"].(float64)
			if id == "" || exp <= 0 || exp > 24*3600 || out["interval"] != float64(5) || rec.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("a bad acceptance of %q: %s", body, rec.Body)
			}
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}
