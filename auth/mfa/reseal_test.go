package mfa_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// serveWith serves the workspace's MFA endpoints with a service knowing
// masters (the current one first) and returns a browser on it sharing b's
// session (cookies do not tell ports apart).
func (w *world) serveWith(t *testing.T, b *browser, masters ...[]byte) (*mfa.Service, *browser) {
	t.Helper()
	svc, err := mfa.New(mfa.Config{Client: w.db.Client, Flows: w.flows, Audit: &audit.Recorder{Now: w.clock.Now}, MasterSecret: masters[0], PreviousSecrets: masters[1:]})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	auth := signin.NewHandler(w.flows, w.ts)
	auth.Mount(mux)
	mfa.NewHandler(svc, auth).Mount(mux)
	return svc, &browser{t: t, base: srv.URL, c: b.c, csrf: b.csrf}
}

// A master rotation loses no authenticator app: a TOTP secret sealed under
// the old master verifies codes with the ring [new, old]; after Reseal it
// verifies with the new master alone.
func TestResealKeepsAuthenticatorApps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ann := w.member(t, "ann@acme.test", viewer.RoleMember)
		b := w.signedIn(t, ann)
		secret, _ := w.enroll(t, b) // under the old master, "m"×32
		oldM, newM := []byte(strings.Repeat("m", 32)), []byte(strings.Repeat("n", 32))
		sealedBefore, _, _, _ := w.factor(t, ann)

		w.clock.Add(time.Minute)
		_, alone := w.serveWith(t, b, newM)
		expect(t, alone.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 0)}), 500, "")

		ring, rb := w.serveWith(t, b, newM, oldM)
		expect(t, rb.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 0)}), 200, "")

		n, err := ring.Reseal(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("reseal = %d, %v; want 1", n, err)
		}
		if n, err := ring.Reseal(context.Background()); err != nil || n != 0 {
			t.Fatalf("second reseal = %d, %v; want 0", n, err)
		}
		if sealedAfter, _, _, _ := w.factor(t, ann); string(sealedAfter) == string(sealedBefore) {
			t.Fatal("the sealed secret did not change")
		}
		if w.count(t, "totp.resealed") != 1 {
			t.Fatal("want one totp.resealed event")
		}
		if ev := w.lastEvent(t, "totp.resealed"); len(ev) != 1 || ev["count"] != "1" {
			t.Fatalf("totp.resealed details = %v", ev)
		}
		w.clock.Add(time.Minute)
		_, alone = w.serveWith(t, rb, newM)
		expect(t, alone.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 0)}), 200, "")
		// The old master alone no longer opens it.
		w.clock.Add(time.Minute)
		_, old := w.serveWith(t, alone, oldM)
		expect(t, old.do("POST", "step-up/totp", map[string]string{"code": w.code(t, secret, 0)}), 500, "")
	})
}
