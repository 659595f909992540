package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The dashboard calls GraphQL with its session cookie: every request must
// carry the CSRF token and come from our origin; API tokens keep working.
func TestGraphQLAcceptsTheSessionCookieWithCSRF(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ts := tenants.NewService(db.Client, audit.NewRecorder())
		ctx := context.Background()
		tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
		hash, _ := password.Hash("a long unusual passphrase", password.Params{MemoryKiB: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
		if _, err := ts.AddMember(sys, tenants.NewMember{Email: "ann@acme.test", Role: viewer.RoleAdmin, PasswordHash: hash, EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a := &app{db: db, tenants: ts, log: log}
		srv := httptest.NewUnstartedServer(nil)
		srv.Start()
		defer srv.Close()
		flows, err := a.signinFlows(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = newHandler(log, ts, db.Ping, false, flows, testKeys(t, db), nil, nil)

		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Post(srv.URL+"/t/acme/auth/signin", "application/json", strings.NewReader(`{"email":"ann@acme.test","password":"a long unusual passphrase"}`))
		if err != nil {
			t.Fatal(err)
		}
		var signedIn struct{ CSRFToken string }
		_ = json.NewDecoder(resp.Body).Decode(&signedIn)
		resp.Body.Close()
		if resp.StatusCode != 200 || signedIn.CSRFToken == "" {
			t.Fatalf("sign-in: %d", resp.StatusCode)
		}
		query := `{"query":"mutation { addMember(input: {email: \"bob@acme.test\", role: member}) { id } }"}`
		cases := []struct {
			name         string
			csrf, origin string
			status       int
			contains     string
		}{
			{"no CSRF token", "", "", 403, "FORBIDDEN"},
			{"wrong CSRF token", "nope", "", 403, "FORBIDDEN"},
			{"foreign origin", signedIn.CSRFToken, "https://evil.example", 403, "FORBIDDEN"},
			{"token and own origin", signedIn.CSRFToken, srv.URL, 200, `"addMember"`},
		}
		for _, tc := range cases {
			req, _ := http.NewRequest("POST", srv.URL+"/t/acme/graphql", strings.NewReader(query))
			req.Header.Set("Content-Type", "application/json")
			if tc.csrf != "" {
				req.Header.Set("X-CSRF-Token", tc.csrf)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("%s: %d %s", tc.name, resp.StatusCode, body)
			}
		}
		// Who did it: the human, through her session.
		ev, err := db.Client.AuditEvent.Query().Order(ent.Asc(auditevent.FieldSeq)).All(sys)
		if err != nil {
			t.Fatal(err)
		}
		last := ev[len(ev)-1]
		if last.Action != "member.added" || last.ActorType != "human" || last.ActorLabel != "ann@acme.test" || last.CredentialType != "session" {
			t.Fatalf("last event = %s by %s %s", last.Action, last.ActorType, last.ActorLabel)
		}
		// Without any credential: 401.
		resp, _ = http.Post(srv.URL+"/t/acme/graphql", "application/json", strings.NewReader(`{"query":"{ viewer { role } }"}`))
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("anonymous GraphQL: %d", resp.StatusCode)
		}
	})
}
