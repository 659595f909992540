package keys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

var secret = []byte(strings.Repeat("m", 32))

type fixture struct {
	db    *database.DB
	ts    *tenants.Service
	now   *time.Time
	rec   *audit.Recorder
	acme  context.Context
	other context.Context
}

func setup(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	rec := &audit.Recorder{Now: func() time.Time { return now }}
	ts := tenants.NewService(db.Client, rec)
	ctx := context.Background()
	f := &fixture{db: db, ts: ts, now: &now, rec: rec}
	for _, slug := range []string{"acme", "other"} {
		tn, err := ts.CreateTenant(viewer.AsSystem(ctx, "test"), slug, slug)
		if err != nil {
			t.Fatal(err)
		}
		c := viewer.AsSystem(viewer.ForTenant(ctx, tn.ID), "test")
		if slug == "acme" {
			f.acme = c
		} else {
			f.other = c
		}
	}
	return f
}

func (f *fixture) manager(t *testing.T, s []byte) *keys.Manager {
	t.Helper()
	m, err := keys.NewManager(f.db.Client, s, f.rec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// signAndVerify signs with the current signer and checks the signature with
// the published JWKS, as a relying party would.
func signAndVerify(t *testing.T, m *keys.Manager, ctx context.Context, alg string) string {
	t.Helper()
	k, err := m.Signer(ctx, alg)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: k.Private, KeyID: k.KID}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"sub":"ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, _ := jws.CompactSerialize()
	parsed, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		t.Fatal(err)
	}
	set, err := m.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub := set.Key(parsed.Signatures[0].Header.KeyID)
	if len(pub) != 1 {
		t.Fatalf("kid %s is not published: %v", k.KID, kids(set))
	}
	if _, err := parsed.Verify(pub[0]); err != nil {
		t.Fatalf("a relying party cannot verify with the JWKS: %v", err)
	}
	if pub[0].IsPublic() == false {
		t.Fatal("the JWKS publishes a private key")
	}
	return k.KID
}

func TestRotationPublishesBeforeSigningAndKeepsOldKeysUntilTheirTokensExpire(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db)
		m := f.manager(t, secret)
		if _, err := m.Signer(f.acme, keys.ES256); err != keys.ErrNoKey {
			t.Fatalf("signer before any key: %v", err)
		}
		first, err := m.Rotate(f.acme, keys.ES256, 15*time.Minute, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// The first key signs at once.
		if kid := signAndVerify(t, m, f.acme, keys.ES256); kid != first.Kid {
			t.Fatalf("signing kid %s, want the first key %s", kid, first.Kid)
		}
		second, err := m.Rotate(f.acme, keys.ES256, 15*time.Minute, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// Published at once, but the first key keeps signing until then.
		set, _ := m.JWKS(f.acme)
		if got := kids(set); len(got) != 2 {
			t.Fatalf("JWKS right after rotation = %v, want both keys", got)
		}
		if kid := signAndVerify(t, m, f.acme, keys.ES256); kid != first.Kid {
			t.Fatal("the new key signs before it was published long enough")
		}
		*f.now = f.now.Add(15 * time.Minute)
		m2 := f.manager(t, secret) // another replica, with no cache
		if kid := signAndVerify(t, m2, f.acme, keys.ES256); kid != second.Kid {
			t.Fatalf("after the publish window the signer is %s, want %s", kid, second.Kid)
		}
		// The first key stays published while its tokens may live...
		*f.now = f.now.Add(59 * time.Minute)
		set, _ = f.manager(t, secret).JWKS(f.acme)
		if len(set.Keys) != 2 {
			t.Fatalf("old key unpublished before its tokens expired: %v", kids(set))
		}
		// ...and leaves after.
		*f.now = f.now.Add(2 * time.Minute)
		set, _ = f.manager(t, secret).JWKS(f.acme)
		if got := kids(set); len(got) != 1 || got[0] != second.Kid {
			t.Fatalf("JWKS after the old tokens expired = %v", got)
		}
		// Another workspace sees none of these.
		if set, _ := m.JWKS(f.other); len(set.Keys) != 0 {
			t.Fatalf("another workspace publishes %v", kids(set))
		}
		n, _ := db.Client.AuditEvent.Query().All(f.acme)
		found := 0
		for _, e := range n {
			if e.Action == "signing_key.rotated" {
				found++
			}
		}
		if found != 2 {
			t.Fatalf("%d rotations audited, want 2", found)
		}
	})
}

func TestEveryAlgorithmSigns(t *testing.T) {
	f := setup(t, testdb.Open(t, "sqlite3"))
	m := f.manager(t, secret)
	for _, alg := range []string{keys.ES256, keys.RS256, keys.EdDSA} {
		if _, err := m.Rotate(f.acme, alg, 0, time.Hour); err != nil {
			t.Fatal(err)
		}
		signAndVerify(t, m, f.acme, alg)
	}
	if _, err := m.Rotate(f.acme, "HS256", 0, time.Hour); err == nil {
		t.Fatal("HS256 accepted")
	}
}

func TestPrivateKeysAreSealedToTheirRowAndSecret(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db)
		m := f.manager(t, secret)
		a, _ := m.Rotate(f.acme, keys.ES256, 0, time.Hour)
		b, _ := m.Rotate(f.acme, keys.RS256, 0, time.Hour)
		if strings.Contains(string(a.PrivateSealed), "PRIVATE") || len(a.PrivateSealed) < 100 {
			t.Fatal("the private key is not sealed")
		}
		// Another master secret opens nothing.
		if _, err := f.manager(t, []byte(strings.Repeat("x", 32))).Signer(f.acme, keys.ES256); err == nil || !strings.Contains(err.Error(), "master secret") {
			t.Fatalf("a wrong master secret: %v", err)
		}
		// A sealed key copied onto another row does not open.
		q := fmt.Sprintf("UPDATE signing_keys SET private_sealed = (SELECT private_sealed FROM signing_keys WHERE kid = '%s') WHERE kid = '%s'", a.Kid, b.Kid)
		if _, err := db.SQL.Exec(q); err != nil {
			t.Fatal(err)
		}
		if _, err := f.manager(t, secret).Signer(f.acme, keys.RS256); err == nil {
			t.Fatal("a sealed key opened on another row")
		}
	})
}

// Signing reads keys from memory: with the table emptied behind its back,
// a replica keeps signing until its cache expires.
func TestSignerIsServedFromMemory(t *testing.T) {
	f := setup(t, testdb.Open(t, "sqlite3"))
	m := f.manager(t, secret)
	if _, err := m.Rotate(f.acme, keys.ES256, 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	signAndVerify(t, m, f.acme, keys.ES256)
	if _, err := f.db.SQL.Exec("DELETE FROM signing_keys"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Signer(f.acme, keys.ES256); err != nil {
		t.Fatalf("the signer read the database: %v", err)
	}
	*f.now = f.now.Add(time.Minute)
	if _, err := m.Signer(f.acme, keys.ES256); err != keys.ErrNoKey {
		t.Fatalf("after the cache expired: %v", err)
	}
}

func TestJWKSEndpoint(t *testing.T) {
	f := setup(t, testdb.Open(t, "sqlite3"))
	m := f.manager(t, secret)
	if _, err := m.Rotate(f.acme, keys.ES256, 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /t/{slug}/jwks.json", m.JWKSHandler(f.ts))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/t/acme/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS = %v (%v)", set, err)
	}
	if resp.Header.Get("Content-Type") != "application/jwk-set+json" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=300") {
		t.Fatalf("headers %v", resp.Header)
	}
	k := set.Keys[0]
	if !k.IsPublic() || k.Algorithm != "ES256" || k.Use != "sig" || k.KeyID == "" {
		t.Fatalf("published key %+v", k)
	}
	if resp, _ := http.Get(srv.URL + "/t/nope/jwks.json"); resp.StatusCode != 404 {
		t.Fatalf("unknown workspace: %d", resp.StatusCode)
	}
}
