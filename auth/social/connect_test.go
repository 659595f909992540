package social_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

const connectUp = "/t/acme/auth/social/up/connect"

// recorder keeps every response the browser sees (headers and bodies),
// to prove no token ever reaches it.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, vs := range resp.Header {
		r.seen.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	r.seen.Write(body)
	return resp, nil
}

func (r *recorder) holds(v string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return v != "" && bytes.Contains(r.seen.Bytes(), []byte(v))
}

// connections are a person's active connection rows at provider.
func (w *world) connections(t *testing.T, userID int) []*ent.Credential {
	t.Helper()
	rows, err := w.db.Client.Credential.Query().Where(credential.OwnerKindEQ(credential.OwnerKindUser), credential.OwnerID(userID),
		credential.Provider("up"), credential.RevokedAtIsNil()).All(w.sys("acme"))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// noTokenIn fails when any audit event of acme mentions a token.
func (w *world) noTokenInAudit(t *testing.T, secrets ...string) {
	t.Helper()
	evs, err := w.db.Client.AuditEvent.Query().All(w.sys("acme"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(evs)
	for _, s := range secrets {
		if s != "" && bytes.Contains(raw, []byte(s)) {
			t.Fatal("a token is in the audit trail")
		}
	}
}

func TestConnectedAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.addUser(t, "upstream", "ann@up.test")
		ann := w.addUser(t, "acme", "ann@acme.test")
		b := w.browser(t)
		rec := &recorder{next: http.DefaultTransport}
		b.http.Transport = rec
		b.stopAt = func(u *url.URL) bool { return u.Path == "/t/acme/security" }
		b.signIn("upstream", "ann@up.test")
		b.signIn("acme", "ann@acme.test")
		var first vault.Secret
		var credID int

		t.Run("connecting puts the tokens in the vault, never in the browser", func(t *testing.T) {
			u := wantLanded(t, b.through(connectUp+"?scopes=profile"), "/t/acme/security", "")
			if u.Query().Get("connected") != "up" {
				t.Fatalf("landed on %s", u)
			}
			rows := w.connections(t, ann.ID)
			if len(rows) != 1 || rows[0].Kind != credential.KindOauth2 || rows[0].ExpiresAt == nil {
				t.Fatalf("connection rows: %+v", rows)
			}
			credID = rows[0].ID
			sec, row, err := w.vault.Open(w.sys("acme"), credID)
			if err != nil || row.OwnerID != ann.ID {
				t.Fatalf("open: %v", err)
			}
			if sec.AccessToken == "" || sec.RefreshToken == "" {
				t.Fatal("the vault lacks the access or refresh token")
			}
			first = sec
			if rec.holds(sec.AccessToken) || rec.holds(sec.RefreshToken) {
				t.Fatal("a token reached the browser")
			}
			ev := w.audits(t, "acme", "account.connected")
			if len(ev) != 1 || ev[0].Details["provider"] != "up" || ev[0].Details["rotated"] != "false" || ev[0].ActorID != itoa(ann.ID) ||
				!slices.Contains(ev[0].Scope, "profile") {
				t.Fatalf("account.connected: %+v", ev)
			}
			w.noTokenInAudit(t, sec.AccessToken, sec.RefreshToken)
		})

		t.Run("the viewer lists connections without tokens", func(t *testing.T) {
			data, errs := b.graphql("acme", `{ connectedAccounts { id provider scopes expiresAt createdAt lastUsedAt } }`, nil)
			if len(errs) != 0 {
				t.Fatalf("errors: %+v", errs)
			}
			var got []struct {
				ID        string    `json:"id"`
				Provider  string    `json:"provider"`
				Scopes    []string  `json:"scopes"`
				ExpiresAt time.Time `json:"expiresAt"`
			}
			_ = json.Unmarshal(data["connectedAccounts"], &got)
			if len(got) != 1 || got[0].Provider != "up" || got[0].ID != itoa(credID) || !slices.Contains(got[0].Scopes, "openid") || got[0].ExpiresAt.IsZero() {
				t.Fatalf("connectedAccounts: %s", data["connectedAccounts"])
			}
			if rec.holds(first.AccessToken) || rec.holds(first.RefreshToken) {
				t.Fatal("a token reached the browser")
			}
		})

		t.Run("connecting again rotates the same credential", func(t *testing.T) {
			wantLanded(t, b.through(connectUp), "/t/acme/security", "")
			rows := w.connections(t, ann.ID)
			if len(rows) != 1 || rows[0].ID != credID || rows[0].RotatedAt == nil {
				t.Fatalf("rows after reconnecting: %+v", rows)
			}
			sec, _, err := w.vault.Open(w.sys("acme"), credID)
			if err != nil || sec.AccessToken == first.AccessToken {
				t.Fatalf("not rotated: %v", err)
			}
			if ev := w.audits(t, "acme", "account.connected"); len(ev) != 2 || ev[1].Details["rotated"] != "true" {
				t.Fatalf("account.connected: %+v", ev)
			}
			first = sec
		})

		t.Run("an expired access token is refreshed at the provider and stored", func(t *testing.T) {
			past := time.Now().Add(-time.Minute)
			if err := db.Client.Credential.UpdateOneID(credID).SetExpiresAt(past).Exec(w.sys("acme")); err != nil {
				t.Fatal(err)
			}
			sec, row, err := w.conns.OpenConnection(w.sys("acme"), ann.ID, "up")
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if sec.AccessToken == first.AccessToken || row.ExpiresAt == nil || !row.ExpiresAt.After(time.Now()) {
				t.Fatalf("not refreshed: expires %v", row.ExpiresAt)
			}
			again, _, err := w.vault.Open(w.sys("acme"), credID)
			if err != nil || again.AccessToken != sec.AccessToken {
				t.Fatalf("the refreshed token was not stored: %v", err)
			}
			if ev := w.audits(t, "acme", "credential.refreshed"); len(ev) != 1 || ev[0].CredentialID != itoa(credID) {
				t.Fatalf("credential.refreshed: %+v", ev)
			}
			// Not expired: used as it is.
			same, _, err := w.conns.OpenConnection(w.sys("acme"), ann.ID, "up")
			if err != nil || same.AccessToken != sec.AccessToken {
				t.Fatalf("refreshed twice: %v", err)
			}
			w.noTokenInAudit(t, first.AccessToken, first.RefreshToken, sec.AccessToken, sec.RefreshToken)
		})

		t.Run("a refresh the provider refuses makes the connection unavailable", func(t *testing.T) {
			if err := w.conns.StoreConnection(w.sys("acme"), ann.ID, "up", &oauth2.Token{AccessToken: "stale-access",
				RefreshToken: "not-a-refresh-token", Expiry: time.Now().Add(-time.Hour)}, []string{"openid"}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.conns.OpenConnection(w.sys("acme"), ann.ID, "up"); !errors.Is(err, vault.ErrUnavailable) {
				t.Fatalf("err = %v; want ErrUnavailable", err)
			}
			// Connecting again mends it.
			wantLanded(t, b.through(connectUp), "/t/acme/security", "")
			if _, _, err := w.conns.OpenConnection(w.sys("acme"), ann.ID, "up"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("connecting needs a session and refuses cross-site requests", func(t *testing.T) {
			anon := w.browser(t)
			p := anon.get(connectUp)
			if u := p.landed(t); u.Path != "/t/acme/signin" || !strings.HasPrefix(u.Query().Get("return_to"), connectUp) {
				t.Fatalf("no session: landed on %s", u)
			}
			req, _ := http.NewRequest(http.MethodGet, w.srv.URL+connectUp, nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, err := b.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-site GET: %d", resp.StatusCode)
			}
			req, _ = http.NewRequest(http.MethodPost, w.srv.URL+connectUp, strings.NewReader("scopes=profile"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://evil.example")
			resp, err = b.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-origin POST: %d", resp.StatusCode)
			}
			if p := b.get(connectUp + "?scopes=" + url.QueryEscape("bad\"scope")); p.status != http.StatusBadRequest {
				t.Fatalf("bad scope: %d", p.status)
			}
		})

		t.Run("a same-origin POST starts the dance too", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, w.srv.URL+connectUp, strings.NewReader("scopes=profile"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", w.srv.URL)
			resp, err := b.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			p := b.read(resp)
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/t/acme/security") {
				t.Fatalf("POST connect: %d %s", p.status, p.location)
			}
		})

		t.Run("disconnecting revokes at once", func(t *testing.T) {
			data, errs := b.graphql("acme", `mutation { disconnectAccount(provider: "up") { provider } }`, nil)
			if len(errs) != 0 || !strings.Contains(string(data["disconnectAccount"]), `"up"`) {
				t.Fatalf("disconnect: %s %+v", data["disconnectAccount"], errs)
			}
			if _, _, err := w.conns.OpenConnection(w.sys("acme"), ann.ID, "up"); !errors.Is(err, vault.ErrNotConnected) {
				t.Fatalf("err = %v; want ErrNotConnected", err)
			}
			if ev := w.audits(t, "acme", "account.disconnected"); len(ev) != 1 || ev[0].Details["provider"] != "up" {
				t.Fatalf("account.disconnected: %+v", ev)
			}
			data, _ = b.graphql("acme", `{ connectedAccounts { provider } }`, nil)
			if string(data["connectedAccounts"]) != "[]" {
				t.Fatalf("still listed: %s", data["connectedAccounts"])
			}
			if _, errs := b.graphql("acme", `mutation { disconnectAccount(provider: "up") { provider } }`, nil); len(errs) == 0 || errs[0].code() != "NOT_FOUND" {
				t.Fatalf("second disconnect: %+v", errs)
			}
		})
	})
}
