package gateway_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/internal/testdb"
)

// gitlab is a fake GitLab on loopback: its token endpoint renews access
// tokens (rotating refresh tokens) and its API needs the current access
// token, which it echoes back to prove the gateway scrubs it.
type gitlab struct {
	srv      *httptest.Server
	mu       sync.Mutex
	access   string
	refresh  string
	n        int
	refuse   bool
	seen     []string // Authorization headers the API got
	refreshs int
}

func newGitLab(t *testing.T) *gitlab {
	g := &gitlab{access: "gl-access-0-abcdefgh", refresh: "gl-refresh-0-abcdefgh"}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		switch r.URL.Path {
		case "/oauth/token":
			_ = r.ParseForm()
			id, secret, _ := r.BasicAuth()
			if id == "" {
				id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
			}
			g.refreshs++
			if g.refuse || r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != g.refresh ||
				id != "gl-client" || secret != "gl-client-secret" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"refresh token `+r.PostForm.Get("refresh_token")+` is invalid"}`)
				return
			}
			g.n++
			g.access, g.refresh = "gl-access-"+strconv.Itoa(g.n)+"-abcdefgh", "gl-refresh-"+strconv.Itoa(g.n)+"-abcdefgh"
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": g.access, "refresh_token": g.refresh,
				"token_type": "Bearer", "expires_in": 7200, "scope": "read_user api"})
		case "/api/v4/user":
			auth := r.Header.Get("Authorization")
			g.seen = append(g.seen, auth)
			if auth != "Bearer "+g.access {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"id": 7, "username": "ann", "echo": auth})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gitlab) lastSeen() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) == 0 {
		return ""
	}
	return g.seen[len(g.seen)-1]
}

func (g *gitlab) refreshCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refreshs
}

func (g *gitlab) tokens() (string, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.access, g.refresh
}

// connectedWorld is the gateway world plus the social provider "gl" (the
// fake GitLab), people's connections, and a gateway that uses them.
type connectedWorld struct {
	*world
	gl    *gitlab
	conns *vault.Connections
	gw    *httptest.Server
}

func newConnectedWorld(t *testing.T, db *database.DB) *connectedWorld {
	w := newWorld(t, db)
	cw := &connectedWorld{world: w, gl: newGitLab(t)}
	log := slog.New(slog.DiscardHandler)
	rec := audit.NewRecorder()
	socials, err := social.New(social.Config{Client: db.Client, Tenants: w.ts, Audit: rec, Flows: w.flows,
		MasterSecret: []byte(strings.Repeat("m", 32)), BaseURL: w.srv.URL, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := socials.CreateProvider(w.sys(), social.NewProvider{Slug: "gl", Kind: social.KindGitLab, ClientID: "gl-client",
		ClientSecret: "gl-client-secret", Issuer: cw.gl.srv.URL}); err != nil {
		t.Fatal(err)
	}
	cw.conns = vault.NewConnections(w.vault)
	cw.conns.Refresher = socials
	gw := gateway.New(gateway.Config{Client: db.Client, Tenants: w.ts, Tokens: w.iss, Vault: w.vault, Connected: cw.conns, Audit: rec, Log: log})
	t.Cleanup(gw.Wait)
	mux := http.NewServeMux()
	gw.Mount(mux)
	cw.gw = httptest.NewServer(httpx.Chain(gw.Guard(mux), httpx.RequestContext))
	t.Cleanup(cw.gw.Close)
	// The GitLab tool, on the person's connected account; billing may use it.
	if _, err := w.tools.CreateTool(w.sys(), gateway.ToolInput{Name: "gitlab", UpstreamURL: cw.gl.srv.URL + "/api/v4",
		Injection: tool.InjectionBearer, CredentialSource: tool.CredentialSourceConnected, Provider: "gl", Internal: true,
		Operations: `[{"method":"GET","path":"/user","scope":"invoices:read"}]`, MaxBodyBytes: 1 << 16}); err != nil {
		t.Fatal(err)
	}
	if err := db.Client.Agent.UpdateOneID(w.agentID).SetTools([]string{"billing", "gitlab"}).Exec(w.sys()); err != nil {
		t.Fatal(err)
	}
	return cw
}

// get calls the GitLab tool through the connected gateway.
func (cw *connectedWorld) get(token string) answer {
	cw.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, cw.gw.URL+"/t/acme/gateway/gitlab/user", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return cw.do(req)
}

// leaks says whether the answer carries any token the fake GitLab issued.
func leaks(a answer, n int) bool {
	all := a.everything()
	for i := 0; i <= n; i++ {
		for _, p := range []string{"gl-access-", "gl-refresh-"} {
			if strings.Contains(all, p+strconv.Itoa(i)+"-abcdefgh") {
				return true
			}
		}
	}
	return false
}

func TestGatewayConnectedAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newConnectedWorld(t, db)
		obo := w.obo()

		t.Run("a person with no connection: 403 not_connected, audited", func(t *testing.T) {
			a := w.get(obo)
			wantProblem(t, a, http.StatusForbidden, "not_connected")
			if ev := w.lastEvent("gateway.refused"); ev.Details["reason"] != "not_connected" || ev.Details["tool"] != "gitlab" {
				t.Fatalf("refusal event: %+v", ev.Details)
			}
		})

		t.Run("an agent acting for itself: 403", func(t *testing.T) {
			wantProblem(t, w.get(w.ownToken("invoices:read")), http.StatusForbidden, "not_connected")
		})

		access, refresh := w.gl.tokens()
		if err := w.conns.StoreConnection(w.sys(), w.annID, "gl", &oauth2.Token{AccessToken: access, RefreshToken: refresh,
			Expiry: time.Now().Add(time.Hour)}, []string{"read_user", "api"}); err != nil {
			t.Fatal(err)
		}
		var credID string

		t.Run("the person's connected account is injected, never shown", func(t *testing.T) {
			a := w.get(obo)
			if a.status != http.StatusOK || w.gl.lastSeen() != "Bearer "+access {
				t.Fatalf("call: %d %s (upstream saw %q)", a.status, a.body, w.gl.lastSeen())
			}
			if leaks(a, 0) || !strings.Contains(a.body, "[redacted]") {
				t.Fatalf("the agent saw a token: %s", a.everything())
			}
			ev := w.lastEvent("gateway.call")
			if ev.CredentialType != "oauth2" || ev.CredentialID == "" {
				t.Fatalf("gateway.call: %+v", ev)
			}
			credID = ev.CredentialID
		})

		t.Run("an expired access token is refreshed server-side and the new one used", func(t *testing.T) {
			id, _ := strconv.Atoi(credID)
			if err := db.Client.Credential.UpdateOneID(id).SetExpiresAt(time.Now().Add(10 * time.Second)).Exec(w.sys()); err != nil {
				t.Fatal(err)
			}
			a := w.get(obo)
			newAccess, newRefresh := w.gl.tokens()
			if a.status != http.StatusOK || newAccess == access || w.gl.lastSeen() != "Bearer "+newAccess {
				t.Fatalf("call: %d %s (upstream saw %q)", a.status, a.body, w.gl.lastSeen())
			}
			if leaks(a, 1) {
				t.Fatalf("the agent saw a token: %s", a.everything())
			}
			sec, row, err := w.vault.Open(w.sys(), id)
			if err != nil || sec.AccessToken != newAccess || sec.RefreshToken != newRefresh || row.ExpiresAt == nil || !row.ExpiresAt.After(time.Now().Add(time.Hour)) {
				t.Fatalf("the vault holds the old tokens (%v)", err)
			}
			if ev := w.lastEvent("credential.refreshed"); ev.CredentialID != credID {
				t.Fatalf("credential.refreshed: %+v", ev)
			}
			// Fresh now: the next call does not refresh again.
			before := w.gl.refreshCount()
			if a := w.get(obo); a.status != http.StatusOK || w.gl.refreshCount() != before {
				t.Fatalf("second call: %d, refreshed again", a.status)
			}
		})

		t.Run("a refresh the provider refuses: 502 credential_unavailable, audited, nothing leaked", func(t *testing.T) {
			id, _ := strconv.Atoi(credID)
			if err := db.Client.Credential.UpdateOneID(id).SetExpiresAt(time.Now().Add(-time.Minute)).Exec(w.sys()); err != nil {
				t.Fatal(err)
			}
			w.gl.mu.Lock()
			w.gl.refuse = true
			w.gl.mu.Unlock()
			a := w.get(obo)
			wantProblem(t, a, http.StatusBadGateway, "credential_unavailable")
			if leaks(a, 2) {
				t.Fatalf("the agent saw a token: %s", a.everything())
			}
			ev := w.lastEvent("gateway.refused")
			if ev.Details["reason"] != "credential_unavailable" || ev.CredentialID != credID {
				t.Fatalf("refusal event: %+v", ev)
			}
			raw, _ := json.Marshal(ev)
			if strings.Contains(string(raw), "gl-refresh-") || strings.Contains(string(raw), "gl-access-") {
				t.Fatal("a token is in the audit event")
			}
			w.gl.mu.Lock()
			w.gl.refuse = false
			w.gl.mu.Unlock()
			if a := w.get(obo); a.status != http.StatusOK {
				t.Fatalf("after the provider recovers: %d %s", a.status, a.body)
			}
		})

		t.Run("disconnecting stops the gateway at once", func(t *testing.T) {
			if _, err := w.conns.Disconnect(w.approver("pwd"), "gl"); err != nil {
				t.Fatal(err)
			}
			wantProblem(t, w.get(obo), http.StatusForbidden, "not_connected")
		})
	})
}
