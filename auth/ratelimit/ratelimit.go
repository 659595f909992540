// Package ratelimit holds brute-force protection: failed attempts counted
// per key (an account, an IP address) in the database, so limits hold across
// restarts and replicas, with a lock-out that grows while failures go on.
// It does not know what is being attempted; the sign-in flows decide which
// keys an attempt counts against.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/throttle"
)

// Policy says when a key locks and for how long.
type Policy struct {
	// MaxFailures within Window lock the key.
	MaxFailures int
	Window      time.Duration
	// The first lock lasts BaseLock; each further failure doubles it, up to
	// MaxLock.
	BaseLock time.Duration
	MaxLock  time.Duration
}

// Default policies: an account tolerates a few typos, an address shared by
// an office many more.
var (
	AccountPolicy = Policy{MaxFailures: 5, Window: 15 * time.Minute, BaseLock: time.Minute, MaxLock: time.Hour}
	IPPolicy      = Policy{MaxFailures: 30, Window: 15 * time.Minute, BaseLock: time.Minute, MaxLock: time.Hour}
)

// Key is a throttled key with its policy.
type Key struct {
	Name   string
	Policy Policy
}

// AccountKey is the key of an email address (hashed: the table holds no
// addresses).
func AccountKey(email string) Key {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return Key{Name: "account:" + hex.EncodeToString(sum[:16]), Policy: AccountPolicy}
}

// IPKey is the key of a client address.
func IPKey(ip string) Key { return Key{Name: "ip:" + ip, Policy: IPPolicy} }

// The mail policies bound the emails one address, or one client address,
// can trigger (sign-up, resend, forgot password): every request counts.
var (
	MailAccountPolicy = Policy{MaxFailures: 5, Window: 15 * time.Minute, BaseLock: 15 * time.Minute, MaxLock: time.Hour}
	MailIPPolicy      = Policy{MaxFailures: 20, Window: 15 * time.Minute, BaseLock: 15 * time.Minute, MaxLock: time.Hour}
)

// CeremonyIPPolicy bounds the sign-in ceremonies one client address may
// start without being signed in (a passkey sign-in, a social login): each
// keeps a row server-side for minutes, so every start counts. Generous
// for an office behind one address; a flood stops.
var CeremonyIPPolicy = Policy{MaxFailures: 300, Window: 15 * time.Minute, BaseLock: 5 * time.Minute, MaxLock: time.Hour}

// CeremonyIPKey counts the ceremonies a client address starts.
func CeremonyIPKey(ip string) Key { return Key{Name: "ceremony-ip:" + ip, Policy: CeremonyIPPolicy} }

// DeviceCodePolicy bounds wrong user codes on the device page: guessing
// someone else's code must not be a matter of patience.
var DeviceCodePolicy = Policy{MaxFailures: 10, Window: 15 * time.Minute, BaseLock: 5 * time.Minute, MaxLock: time.Hour}

// DeviceCodeKey counts a signed-in user's wrong user codes.
func DeviceCodeKey(userID int) Key {
	return Key{Name: "device-code:user:" + strconv.Itoa(userID), Policy: DeviceCodePolicy}
}

// MailIPKey counts mail-sending requests from a client address.
func MailIPKey(ip string) Key { return Key{Name: "mail-ip:" + ip, Policy: MailIPPolicy} }

// MailAccountKey counts mail sent to one address.
func MailAccountKey(email string) Key {
	k := AccountKey(email)
	return Key{Name: "mail-" + k.Name, Policy: MailAccountPolicy}
}

// Limiter counts failures in the viewer's workspace.
type Limiter struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a limiter over client with clock now.
func New(client *ent.Client, now func() time.Time) *Limiter {
	return &Limiter{client: client, now: now}
}

// Locked returns how long the longest lock among keys still lasts, or 0.
func (l *Limiter) Locked(ctx context.Context, keys ...Key) (time.Duration, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	rows, err := l.client.Throttle.Query().Where(throttle.KeyIn(names...)).All(ctx)
	if err != nil {
		return 0, err
	}
	now := l.now()
	var wait time.Duration
	for _, r := range rows {
		if r.LockedUntil != nil && r.LockedUntil.After(now) {
			wait = max(wait, r.LockedUntil.Sub(now))
		}
	}
	return wait, nil
}

// Fail records one failure against every key and returns the longest lock
// now in force (0 if none).
func (l *Limiter) Fail(ctx context.Context, keys ...Key) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		w, err := l.fail(ctx, k)
		if err != nil {
			return 0, err
		}
		wait = max(wait, w)
	}
	return wait, nil
}

func (l *Limiter) fail(ctx context.Context, k Key) (time.Duration, error) {
	now := l.now().UTC().Truncate(time.Microsecond)
	// Make sure the row exists; losing a race to insert the same key is
	// fine. (No upsert: ON CONFLICT DO UPDATE would bypass the tenant
	// filter, so the feature is off.)
	exists, err := l.client.Throttle.Query().Where(throttle.Key(k.Name)).Exist(ctx)
	if err != nil {
		return 0, err
	}
	if !exists {
		err := l.client.Throttle.Create().SetKey(k.Name).SetFailures(0).SetWindowStart(now).Exec(ctx)
		if err != nil && !ent.IsConstraintError(err) {
			return 0, err
		}
	}
	tx, err := l.client.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	// The increment takes the row lock, so concurrent failures count one by one.
	if _, err := tx.Throttle.Update().Where(throttle.Key(k.Name)).AddFailures(1).Save(ctx); err != nil {
		return 0, err
	}
	r, err := tx.Throttle.Query().Where(throttle.Key(k.Name)).Only(ctx)
	if err != nil {
		return 0, err
	}
	failures, start := r.Failures, r.WindowStart
	if now.Sub(start) > k.Policy.Window && (r.LockedUntil == nil || !r.LockedUntil.After(now)) {
		failures, start = 1, now
	}
	upd := tx.Throttle.UpdateOne(r).SetFailures(failures).SetWindowStart(start)
	var wait time.Duration
	if failures >= k.Policy.MaxFailures {
		wait = k.Policy.BaseLock << min(failures-k.Policy.MaxFailures, 16)
		if wait > k.Policy.MaxLock || wait <= 0 {
			wait = k.Policy.MaxLock
		}
		upd.SetLockedUntil(now.Add(wait))
	}
	if err := upd.Exec(ctx); err != nil {
		return 0, err
	}
	return wait, tx.Commit()
}

// Reset forgets the failures of keys (after a success). It reads first:
// the common case, nothing to forget, costs no write.
func (l *Limiter) Reset(ctx context.Context, keys ...Key) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	if n, err := l.client.Throttle.Query().Where(throttle.KeyIn(names...)).Count(ctx); err != nil || n == 0 {
		return err
	}
	_, err := l.client.Throttle.Delete().Where(throttle.KeyIn(names...)).Exec(ctx)
	return err
}
