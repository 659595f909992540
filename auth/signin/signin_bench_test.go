package signin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// BenchmarkPasswordSignIn is a whole sign-in over loopback HTTP with the
// production argon2id parameters: throttle check, lookup, verification,
// session, audit event, commit. Compare with
// auth/password.BenchmarkArgon2idVerify: the difference is everything but
// hashing.
func BenchmarkPasswordSignIn(b *testing.B) {
	for _, d := range testdb.Dialects(b) {
		for _, hc := range []struct {
			name string
			p    password.Params
		}{
			{"default-hash", password.Default},
			// Almost no hashing: what a sign-in costs beyond the hash.
			{"negligible-hash", password.Params{MemoryKiB: 8, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}},
		} {
			b.Run(testdb.Name(d)+"/"+hc.name, func(b *testing.B) { benchSignIn(b, d, hc.p) })
		}
	}
}

func benchSignIn(b *testing.B, d string, hashing password.Params) {
	db := testdb.Open(b, d)
	ctx := context.Background()
	rec := audit.NewRecorder()
	ts := tenants.NewService(db.Client, rec)
	tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "bench"), "acme", "Acme")
	if err != nil {
		b.Fatal(err)
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "bench")
	const pw = "a long and unusual passphrase"
	h, _ := password.Hash(pw, hashing)
	if _, err := ts.AddMember(sys, tenants.NewMember{Email: "ann@acme.test", Role: viewer.RoleMember, PasswordHash: h, EmailVerified: true}); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	flows := signin.New(signin.Config{Client: db.Client, Tenants: ts, Audit: rec, BaseURL: srv.URL, Hashing: hashing})
	signin.NewHandler(flows, ts).Mount(mux)
	body := `{"email":"ann@acme.test","password":"` + pw + `"}`
	// Several requests in flight, as on a server: while one waits on
	// the database, another hashes.
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Post(srv.URL+"/t/acme/auth/signin", "application/json", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("sign-in: %d", resp.StatusCode)
			}
		}
	})
}
