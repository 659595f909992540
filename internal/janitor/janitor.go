// Package janitor deletes the short-lived rows whose expiry has long
// passed: OAuth token records (codes, access and refresh tokens, PKCE and
// OIDC sessions, pushed requests, replay-guard jtis), sign-in challenges,
// device authorizations and one-time tokens (email verification, password
// reset, invitations). Past its expiry none of them can be used any more;
// kept, they would grow the database with every sign-in and every token.
// A row is deleted only once it expired more than the grace period ago, so
// what happened recently can still be looked into. Every replica may run
// it: the deletes are idempotent.
package janitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/authchallenge"
	"github.com/mandatehq/mandate/ent/deviceauthorization"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// DefaultGrace is how long after its expiry a row is kept.
const DefaultGrace = 7 * 24 * time.Hour

// batch bounds the rows one delete statement removes, so no statement
// holds the database (SQLite's one writer) for long.
const batch = 500

// Counts are the rows deleted, by kind.
type Counts struct {
	OAuthTokens          int `json:"oauth_tokens"`
	AuthChallenges       int `json:"auth_challenges"`
	DeviceAuthorizations int `json:"device_authorizations"`
	OneTimeTokens        int `json:"one_time_tokens"`
}

// Total is the number of rows deleted.
func (c Counts) Total() int {
	return c.OAuthTokens + c.AuthChallenges + c.DeviceAuthorizations + c.OneTimeTokens
}

// Purge deletes, in every workspace, the rows that expired before
// now - grace.
func Purge(ctx context.Context, client *ent.Client, now time.Time, grace time.Duration) (Counts, error) {
	sys := viewer.AsSystem(viewer.NewContext(ctx, viewer.Viewer{}), "purge expired rows")
	before := now.Add(-grace).UTC()
	var c Counts
	kinds := []struct {
		n    *int
		what string
		ids  func() ([]int, error)
		del  func(ids []int) (int, error)
	}{
		{&c.OAuthTokens, "oauth tokens",
			func() ([]int, error) {
				return client.OAuthToken.Query().Where(oauthtoken.ExpiresAtLT(before)).Limit(batch).IDs(sys)
			},
			func(ids []int) (int, error) {
				return client.OAuthToken.Delete().Where(oauthtoken.IDIn(ids...)).Exec(sys)
			}},
		{&c.AuthChallenges, "sign-in challenges",
			func() ([]int, error) {
				return client.AuthChallenge.Query().Where(authchallenge.ExpiresAtLT(before)).Limit(batch).IDs(sys)
			},
			func(ids []int) (int, error) {
				return client.AuthChallenge.Delete().Where(authchallenge.IDIn(ids...)).Exec(sys)
			}},
		{&c.DeviceAuthorizations, "device authorizations",
			func() ([]int, error) {
				return client.DeviceAuthorization.Query().Where(deviceauthorization.ExpiresAtLT(before)).Limit(batch).IDs(sys)
			},
			func(ids []int) (int, error) {
				return client.DeviceAuthorization.Delete().Where(deviceauthorization.IDIn(ids...)).Exec(sys)
			}},
		{&c.OneTimeTokens, "one-time tokens",
			func() ([]int, error) {
				return client.OneTimeToken.Query().Where(onetimetoken.ExpiresAtLT(before)).Limit(batch).IDs(sys)
			},
			func(ids []int) (int, error) {
				return client.OneTimeToken.Delete().Where(onetimetoken.IDIn(ids...)).Exec(sys)
			}},
	}
	for _, k := range kinds {
		n, err := drain(k.ids, k.del)
		*k.n = n
		if err != nil {
			return c, fmt.Errorf("janitor: %s: %w", k.what, err)
		}
	}
	return c, nil
}

// drain deletes one batch after another until a batch is short.
func drain(ids func() ([]int, error), del func([]int) (int, error)) (int, error) {
	total := 0
	for {
		batchIDs, err := ids()
		if err != nil || len(batchIDs) == 0 {
			return total, err
		}
		n, err := del(batchIDs)
		total += n
		if err != nil || len(batchIDs) < batch {
			return total, err
		}
	}
}

// Run purges at start and then every interval until ctx ends, logging
// what it deleted.
func Run(ctx context.Context, client *ent.Client, every, grace time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		c, err := Purge(ctx, client, time.Now(), grace)
		switch {
		case err != nil && ctx.Err() == nil:
			log.ErrorContext(ctx, "purge expired rows", "err", err)
		case c.Total() > 0:
			log.InfoContext(ctx, "purged expired rows", "oauth_tokens", c.OAuthTokens, "auth_challenges", c.AuthChallenges,
				"device_authorizations", c.DeviceAuthorizations, "one_time_tokens", c.OneTimeTokens)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
