package janitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/authchallenge"
	"github.com/mandatehq/mandate/ent/deviceauthorization"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/janitor"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// seed writes, in a workspace, one row of each kind per expiry: long
// expired, expired yesterday, and still valid.
func seed(t *testing.T, c *ent.Client, ctx context.Context, now time.Time) {
	t.Helper()
	for i, exp := range []time.Time{now.Add(-8 * 24 * time.Hour), now.Add(-24 * time.Hour), now.Add(time.Hour)} {
		tag := fmt.Sprintf("%d-%d", viewer.FromContext(ctx).TenantID, i)
		c.OAuthToken.Create().SetKind(oauthtoken.KindAccess).SetSignature("sig-" + tag).SetRequestID("req-" + tag).
			SetClientID("client").SetRequestedAt(exp.Add(-time.Hour)).SetExpiresAt(exp).SetData([]byte("{}")).ExecX(ctx)
		c.OAuthToken.Create().SetKind(oauthtoken.KindJti).SetSignature("jti-" + tag).SetRequestID("jti-" + tag).
			SetClientID("").SetRequestedAt(exp.Add(-time.Hour)).SetExpiresAt(exp).SetData([]byte("{}")).ExecX(ctx)
		c.AuthChallenge.Create().SetKind("signin").SetTokenHash("ch-" + tag).SetExpiresAt(exp).ExecX(ctx)
		c.DeviceAuthorization.Create().SetDeviceCodeHash("dc-" + tag).SetUserCodeHash("uc-" + tag).SetClientID("client").
			SetExpiresAt(exp).SetInterval(5).ExecX(ctx)
		c.OneTimeToken.Create().SetPurpose(onetimetoken.PurposeInvitation).SetTokenHash("ot-" + tag).
			SetEmail("someone@example.test").SetExpiresAt(exp).ExecX(ctx)
	}
}

// Rows that expired more than the grace period ago go, in every
// workspace; those expired since, and those still valid, stay. A second
// run finds nothing.
func TestPurgeDeletesOnlyLongExpiredRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ts := tenants.NewService(db.Client, audit.NewRecorder())
		now := time.Now().UTC().Truncate(time.Second)
		for _, slug := range []string{"acme", "globex"} {
			tn, err := ts.CreateTenant(viewer.AsSystem(context.Background(), "test"), slug, slug)
			if err != nil {
				t.Fatal(err)
			}
			seed(t, db.Client, viewer.AsSystem(viewer.ForTenant(context.Background(), tn.ID), "test"), now)
		}
		got, err := janitor.Purge(context.Background(), db.Client, now, janitor.DefaultGrace)
		if err != nil {
			t.Fatal(err)
		}
		if want := (janitor.Counts{OAuthTokens: 4, AuthChallenges: 2, DeviceAuthorizations: 2, OneTimeTokens: 2}); got != want {
			t.Fatalf("purged %+v, want %+v", got, want)
		}
		sys := viewer.AsSystem(context.Background(), "test")
		before := now.Add(-janitor.DefaultGrace)
		for what, n := range map[string]int{
			"oauth tokens":          db.Client.OAuthToken.Query().CountX(sys),
			"sign-in challenges":    db.Client.AuthChallenge.Query().CountX(sys),
			"device authorizations": db.Client.DeviceAuthorization.Query().CountX(sys),
			"one-time tokens":       db.Client.OneTimeToken.Query().CountX(sys),
		} {
			want := 4 // two per workspace of each kind
			if what == "oauth tokens" {
				want = 8
			}
			if n != want {
				t.Fatalf("%d %s left, want %d", n, what, want)
			}
		}
		if n := db.Client.OAuthToken.Query().Where(oauthtoken.ExpiresAtLT(before)).CountX(sys) +
			db.Client.AuthChallenge.Query().Where(authchallenge.ExpiresAtLT(before)).CountX(sys) +
			db.Client.DeviceAuthorization.Query().Where(deviceauthorization.ExpiresAtLT(before)).CountX(sys) +
			db.Client.OneTimeToken.Query().Where(onetimetoken.ExpiresAtLT(before)).CountX(sys); n != 0 {
			t.Fatalf("%d long-expired rows left", n)
		}
		if again, err := janitor.Purge(context.Background(), db.Client, now, janitor.DefaultGrace); err != nil || again.Total() != 0 {
			t.Fatalf("second run: %+v, %v", again, err)
		}
	})
}

// More long-expired rows than one batch are all deleted.
func TestPurgeDrainsBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ts := tenants.NewService(db.Client, audit.NewRecorder())
		tn, err := ts.CreateTenant(viewer.AsSystem(context.Background(), "test"), "acme", "Acme")
		if err != nil {
			t.Fatal(err)
		}
		ctx := viewer.AsSystem(viewer.ForTenant(context.Background(), tn.ID), "test")
		now := time.Now().UTC()
		old := now.Add(-30 * 24 * time.Hour)
		creates := make([]*ent.OAuthTokenCreate, 1201)
		for i := range creates {
			creates[i] = db.Client.OAuthToken.Create().SetKind(oauthtoken.KindJti).SetSignature(fmt.Sprint("j", i)).
				SetRequestID(fmt.Sprint("j", i)).SetClientID("").SetRequestedAt(old).SetExpiresAt(old).SetData([]byte("{}"))
		}
		for i := 0; i < len(creates); i += 200 {
			db.Client.OAuthToken.CreateBulk(creates[i:min(i+200, len(creates))]...).ExecX(ctx)
		}
		got, err := janitor.Purge(context.Background(), db.Client, now, janitor.DefaultGrace)
		if err != nil || got.OAuthTokens != 1201 {
			t.Fatalf("purged %+v, %v", got, err)
		}
	})
}
