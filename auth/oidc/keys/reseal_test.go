package keys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// A master rotation loses no signing key: keys sealed under the old master
// sign with the ring [new, old], Reseal moves them, and then they sign
// with the new master alone; one audit event per workspace, no secret in
// it.
func TestResealMovesKeysToTheNewMaster(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db)
		newSecret := []byte(strings.Repeat("n", 32))
		old := f.manager(t, secret)
		var kidsBefore []string
		for _, alg := range []string{keys.ES256, keys.RS256, keys.EdDSA} {
			if _, err := old.Rotate(f.acme, alg, 0, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := old.Rotate(f.other, keys.ES256, 0, time.Hour); err != nil {
			t.Fatal(err)
		}
		kidsBefore = append(kidsBefore, signAndVerify(t, old, f.acme, keys.ES256), signAndVerify(t, old, f.other, keys.ES256))

		if _, err := f.manager(t, newSecret).Signer(f.acme, keys.ES256); err == nil {
			t.Fatal("a key sealed under the old master opened under the new one alone")
		}
		ring, err := keys.NewManager(f.db.Client, newSecret, f.rec, secret)
		if err != nil {
			t.Fatal(err)
		}
		if kid := signAndVerify(t, ring, f.acme, keys.ES256); kid != kidsBefore[0] {
			t.Fatalf("ring signs with %s, want %s", kid, kidsBefore[0])
		}
		n, err := ring.Reseal(context.Background())
		if err != nil || n != 4 {
			t.Fatalf("reseal = %d, %v; want 4", n, err)
		}
		if n, err := ring.Reseal(context.Background()); err != nil || n != 0 {
			t.Fatalf("second reseal = %d, %v; want 0", n, err)
		}
		alone := f.manager(t, newSecret)
		if kid := signAndVerify(t, alone, f.acme, keys.ES256); kid != kidsBefore[0] {
			t.Fatalf("after reseal the new master signs with %s, want %s", kid, kidsBefore[0])
		}
		if kid := signAndVerify(t, alone, f.other, keys.ES256); kid != kidsBefore[1] {
			t.Fatalf("after reseal the new master signs with %s, want %s", kid, kidsBefore[1])
		}
		for _, alg := range []string{keys.RS256, keys.EdDSA} {
			signAndVerify(t, alone, f.acme, alg)
		}
		if _, err := f.manager(t, secret).Signer(f.acme, keys.ES256); err == nil {
			t.Fatal("after reseal the old master still opens the keys")
		}
		events, err := f.db.Client.AuditEvent.Query().Where(auditevent.Action("signing_key.resealed")).
			All(viewer.AsSystem(context.Background(), "test"))
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 {
			t.Fatalf("%d signing_key.resealed events, want one per workspace", len(events))
		}
		for _, e := range events {
			if e.Details["count"] == "" || len(e.Details) != 1 {
				t.Fatalf("audit details = %v", e.Details)
			}
		}
	})
}
