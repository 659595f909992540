package vault

// Connected accounts: a person's OAuth 2 tokens at one of the workspace's
// sign-in providers, kept as an oauth2 credential owned by the person
// (owner_kind user, provider = the provider's slug). auth/social's connect
// dance stores them here (Connections is its TokenStore); the tool gateway
// opens the one of the person an agent acts for, refreshed server-side
// when its access token has expired. One active connection per person and
// provider: connecting again rotates it.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// ErrNotConnected: the person has no (active) connected account at the
// provider.
var ErrNotConnected = errors.New("vault: no connected account at this provider")

// ErrUnavailable: the connected account's access token expired and could
// not be renewed (no refresh token, or the provider refused).
var ErrUnavailable = errors.New("vault: the connected account's token expired and could not be refreshed")

// refreshLeeway: an access token expiring within it is renewed first.
const refreshLeeway = 30 * time.Second

const (
	// refreshLease is how long a claim to renew a token holds: longer
	// than a renewal at the provider takes.
	refreshLease = 30 * time.Second
	// refreshPoll and refreshWait: how often, and how long at most, a
	// caller waits for the tokens another replica is renewing.
	refreshPoll = 50 * time.Millisecond
	refreshWait = 15 * time.Second
)

// Refresher renews an access token at the provider that issued it, for
// the workspace ctx is bound to (auth/social's Service).
type Refresher interface {
	RefreshToken(ctx context.Context, provider, refreshToken string) (*oauth2.Token, error)
}

// Connections keeps people's connected accounts in the vault.
type Connections struct {
	v *Service
	// Refresher renews expired access tokens; nil: an expired token is
	// unavailable.
	Refresher Refresher
	locks     sync.Map // credential id → *sync.Mutex: one refresh at a time
}

// NewConnections returns the connected accounts kept in v.
func NewConnections(v *Service) *Connections { return &Connections{v: v} }

// connSecret is what a connection seals: the tokens and the scopes the
// provider granted (an oauth2 Secret, read as one by Open).
type connSecret struct {
	Secret
	Scopes []string `json:"scopes,omitempty"`
}

// Connection is a connected account's metadata: never its tokens.
type Connection struct {
	CredentialID int
	Provider     string
	Scopes       []string
	ExpiresAt    *time.Time
	CreatedAt    time.Time
	LastUsedAt   *time.Time
	RotatedAt    *time.Time
}

func (c *Connections) now() time.Time { return c.v.cfg.Now().UTC() }

// replaceTokens seals a connection's new tokens (plain) into its row, in
// tx, with their expiry: a reconnection and a refresh both end here.
func (c *Connections) replaceTokens(ctx context.Context, tx *ent.Tx, row *ent.Credential, dk dataKey, plain []byte, exp *time.Time) (*ent.Credential, error) {
	u := tx.Credential.UpdateOne(row).SetSealed(seal(dk.aead, plain, credentialAAD(row.TenantID, row.ID, row.Kind))).
		SetDataKeyID(dk.id).SetRotatedAt(c.now()).ClearRefreshClaimedUntil()
	if exp != nil {
		u.SetExpiresAt(*exp)
	} else {
		u.ClearExpiresAt()
	}
	return u.Save(ctx)
}

// activeRows are the person's active connections at provider, newest
// first.
func activeRows(ctx context.Context, client *ent.Client, userID int, provider string) ([]*ent.Credential, error) {
	q := client.Credential.Query().Where(credential.OwnerKindEQ(credential.OwnerKindUser), credential.OwnerID(userID),
		credential.KindEQ(credential.KindOauth2), credential.RevokedAtIsNil())
	if provider != "" {
		q = q.Where(credential.Provider(provider))
	} else {
		q = q.Where(credential.ProviderNEQ(""))
	}
	return q.Order(ent.Desc(credential.FieldID)).All(ctx)
}

func expiry(tok *oauth2.Token) *time.Time {
	if tok.Expiry.IsZero() {
		return nil
	}
	t := tok.Expiry.UTC()
	return &t
}

// StoreConnection keeps tok as the person's connection at provider:
// a new credential, or the rotation of their active one. ctx is the
// person's (or the workspace's system). Audited account.connected, with
// no token in it.
func (c *Connections) StoreConnection(ctx context.Context, userID int, provider string, tok *oauth2.Token, scopes []string) error {
	v := viewer.FromContext(ctx)
	if !v.HasTenant() {
		return apperr.New(apperr.Unauthenticated, "no workspace")
	}
	if !(v.IsSystem() || v.Kind == viewer.Human && v.ID == userID) {
		return apperr.New(apperr.Forbidden, "only the person connects their accounts")
	}
	if provider == "" || len(provider) > 40 || tok == nil {
		return apperr.InvalidField("provider", "a connection needs a provider and tokens")
	}
	value := connSecret{Secret: Secret{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}, Scopes: scopes}
	if err := value.check(credential.KindOauth2); err != nil {
		return err
	}
	sys := viewer.AsSystem(ctx, "connected account")
	if _, err := c.v.cfg.Client.User.Get(sys, userID); err != nil {
		return apperr.InvalidField("owner", "no such person in this workspace")
	}
	dk, err := c.v.dataKeyFor(ctx, v.TenantID)
	if err != nil {
		return apperr.Wrap(err, "data key")
	}
	plain, _ := json.Marshal(value)
	exp := expiry(tok)
	return entx.InTx(ctx, c.v.cfg.Client, func(tx *ent.Tx) error {
		rows, err := activeRows(sys, tx.Client(), userID, provider)
		if err != nil {
			return apperr.Wrap(err, "connected account")
		}
		var row *ent.Credential
		rotated := len(rows) > 0
		if rotated {
			row = rows[0]
			if row, err = c.replaceTokens(sys, tx, row, dk, plain, exp); err != nil {
				return apperr.Wrap(err, "connected account")
			}
			// Two connects raced once: keep the newest only.
			for _, old := range rows[1:] {
				if err := tx.Credential.UpdateOne(old).SetRevokedAt(c.now()).Exec(sys); err != nil {
					return apperr.Wrap(err, "connected account")
				}
			}
		} else {
			suffix := make([]byte, 4)
			_, _ = rand.Read(suffix)
			cr := tx.Credential.Create().SetName("connected " + provider + " account of user " + strconv.Itoa(userID) + " " + hex.EncodeToString(suffix)).
				SetKind(credential.KindOauth2).SetOwnerKind(credential.OwnerKindUser).SetOwnerID(userID).SetProvider(provider).
				SetSealed([]byte{0}).SetDataKeyID(dk.id)
			if exp != nil {
				cr.SetExpiresAt(*exp)
			}
			if row, err = cr.Save(sys); err != nil {
				return apperr.Wrap(err, "connected account")
			}
			if row, err = tx.Credential.UpdateOne(row).SetSealed(seal(dk.aead, plain, credentialAAD(row.TenantID, row.ID, row.Kind))).Save(sys); err != nil {
				return apperr.Wrap(err, "connected account")
			}
		}
		_, err = c.v.cfg.Audit.Record(ctx, tx, audit.Event{Action: "account.connected", TargetType: "credential",
			TargetID: strconv.Itoa(row.ID), CredentialType: string(row.Kind), CredentialID: strconv.Itoa(row.ID), Scope: scopes,
			Details: map[string]string{"provider": provider, "user": strconv.Itoa(userID), "rotated": strconv.FormatBool(rotated),
				"refresh_token": strconv.FormatBool(tok.RefreshToken != "")}})
		return apperr.Wrap(err, "audit event")
	})
}

// person is the viewer when a person (the only one who sees and ends
// their connections).
func person(ctx context.Context) (viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if !v.HasTenant() || v.Kind != viewer.Human || v.ID == 0 {
		return v, apperr.New(apperr.Forbidden, "only a person has connected accounts")
	}
	return v, nil
}

// List returns the viewer's connected accounts, by provider: metadata and
// granted scopes, never tokens.
func (c *Connections) List(ctx context.Context) ([]Connection, error) {
	v, err := person(ctx)
	if err != nil {
		return nil, err
	}
	sys := viewer.AsSystem(ctx, "connected accounts")
	rows, err := activeRows(sys, c.v.cfg.Client, v.ID, "")
	if err != nil {
		return nil, apperr.Wrap(err, "connected accounts")
	}
	seen := map[string]bool{}
	out := []Connection{}
	for _, row := range rows {
		if seen[row.Provider] {
			continue
		}
		seen[row.Provider] = true
		conn := Connection{CredentialID: row.ID, Provider: row.Provider, ExpiresAt: row.ExpiresAt, CreatedAt: row.CreatedAt,
			LastUsedAt: row.LastUsedAt, RotatedAt: row.RotatedAt, Scopes: []string{}}
		if sec, err := c.v.openRow(ctx, row); err == nil && sec.Scopes != nil {
			conn.Scopes = sec.Scopes
		}
		out = append(out, conn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out, nil
}

// Disconnect revokes the viewer's connection at provider: the gateway
// stops using it at once. Audited account.disconnected.
func (c *Connections) Disconnect(ctx context.Context, provider string) (*Connection, error) {
	v, err := person(ctx)
	if err != nil {
		return nil, err
	}
	sys := viewer.AsSystem(ctx, "connected account")
	var out *Connection
	err = entx.InTx(ctx, c.v.cfg.Client, func(tx *ent.Tx) error {
		rows, err := activeRows(sys, tx.Client(), v.ID, strings.TrimSpace(provider))
		if err != nil {
			return apperr.Wrap(err, "connected account")
		}
		if len(rows) == 0 || provider == "" {
			return apperr.New(apperr.NotFound, "no connected account at this provider")
		}
		now := c.now()
		for _, row := range rows {
			if err := tx.Credential.UpdateOne(row).SetRevokedAt(now).Exec(sys); err != nil {
				return apperr.Wrap(err, "connected account")
			}
		}
		row := rows[0]
		out = &Connection{CredentialID: row.ID, Provider: row.Provider, ExpiresAt: row.ExpiresAt, CreatedAt: row.CreatedAt,
			LastUsedAt: row.LastUsedAt, RotatedAt: row.RotatedAt, Scopes: []string{}}
		_, err = c.v.cfg.Audit.Record(ctx, tx, audit.Event{Action: "account.disconnected", TargetType: "credential",
			TargetID: strconv.Itoa(row.ID), CredentialType: string(row.Kind), CredentialID: strconv.Itoa(row.ID),
			Details: map[string]string{"provider": row.Provider, "user": strconv.Itoa(v.ID)}})
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// stale says whether a credential's access token has expired or expires
// within the leeway.
func (c *Connections) stale(row *ent.Credential) bool {
	return row.ExpiresAt != nil && !c.now().Add(refreshLeeway).Before(*row.ExpiresAt)
}

// OpenConnection returns the tokens of the person's connection at
// provider, for the tool gateway only: renewed first (and stored, rotated)
// when the access token has expired or is about to. ErrNotConnected when
// there is none; ErrUnavailable when it expired and could not be renewed.
// ctx is bound to the workspace.
func (c *Connections) OpenConnection(ctx context.Context, userID int, provider string) (Secret, *ent.Credential, error) {
	sys := viewer.AsSystem(ctx, "connected account")
	rows, err := activeRows(sys, c.v.cfg.Client, userID, provider)
	if err != nil {
		return Secret{}, nil, apperr.Wrap(err, "connected account")
	}
	if len(rows) == 0 || userID == 0 || provider == "" {
		return Secret{}, nil, ErrNotConnected
	}
	row := rows[0]
	if !c.stale(row) {
		cur, err := c.v.openRow(ctx, row)
		if err != nil {
			return Secret{}, row, err
		}
		return cur.Secret, row, nil
	}
	// One renewal at a time per credential: a provider that rotates
	// refresh tokens would refuse the second. On this replica a mutex
	// queues the callers; across replicas the one that claims the row
	// (refresh_claimed_until) renews, and the others wait for its tokens.
	mu, _ := c.locks.LoadOrStore(row.ID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	var cur connSecret
	for waited := time.Duration(0); ; waited += refreshPoll {
		if row, err = c.v.cfg.Client.Credential.Get(sys, row.ID); err != nil {
			return Secret{}, nil, apperr.Wrap(err, "connected account")
		}
		if row.RevokedAt != nil {
			return Secret{}, row, ErrNotConnected
		}
		if cur, err = c.v.openRow(ctx, row); err != nil {
			return Secret{}, row, err
		}
		if !c.stale(row) {
			return cur.Secret, row, nil
		}
		if cur.RefreshToken == "" || c.Refresher == nil {
			return Secret{}, row, ErrUnavailable
		}
		claimed, err := c.claimRefresh(sys, row)
		if err != nil {
			return Secret{}, row, err
		}
		if claimed {
			break
		}
		if waited >= refreshWait {
			return Secret{}, row, ErrUnavailable
		}
		select {
		case <-ctx.Done():
			return Secret{}, row, ErrUnavailable
		case <-time.After(refreshPoll):
		}
	}
	tok, err := c.Refresher.RefreshToken(ctx, provider, cur.RefreshToken)
	if err != nil {
		c.v.cfg.Log.WarnContext(ctx, "connected account refresh", "credential", row.ID, "provider", provider, "err", apperr.Public(err))
		c.releaseRefresh(sys, row)
		return Secret{}, row, ErrUnavailable
	}
	next := connSecret{Secret: Secret{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}, Scopes: cur.Scopes}
	if next.RefreshToken == "" {
		next.RefreshToken = cur.RefreshToken
	}
	if err := next.check(credential.KindOauth2); err != nil {
		c.releaseRefresh(sys, row)
		return Secret{}, row, ErrUnavailable
	}
	dk, err := c.v.dataKeyFor(ctx, row.TenantID)
	if err != nil {
		c.releaseRefresh(sys, row)
		return Secret{}, row, apperr.Wrap(err, "data key")
	}
	plain, _ := json.Marshal(next)
	exp := expiry(tok)
	err = entx.InTx(sys, c.v.cfg.Client, func(tx *ent.Tx) error {
		if row, err = c.replaceTokens(sys, tx, row, dk, plain, exp); err != nil {
			return apperr.Wrap(err, "connected account")
		}
		_, err = c.v.cfg.Audit.Record(ctx, tx, audit.Event{Action: "credential.refreshed", TargetType: "credential",
			TargetID: strconv.Itoa(row.ID), CredentialType: string(row.Kind), CredentialID: strconv.Itoa(row.ID),
			Details: map[string]string{"provider": provider, "user": strconv.Itoa(userID)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		c.releaseRefresh(sys, row)
		return Secret{}, row, err
	}
	return next.Secret, row, nil
}

// claimRefresh claims the renewal of row's token for this caller, unless
// another holds the claim or the row changed since it was read (another
// replica renewed it). The claim lapses after refreshLease, should its
// holder die.
func (c *Connections) claimRefresh(sys context.Context, row *ent.Credential) (bool, error) {
	now := c.now()
	n, err := c.v.cfg.Client.Credential.Update().Where(credential.ID(row.ID), credential.RevokedAtIsNil(),
		credential.SealedEQ(row.Sealed),
		credential.Or(credential.RefreshClaimedUntilIsNil(), credential.RefreshClaimedUntilLT(now))).
		SetRefreshClaimedUntil(now.Add(refreshLease)).Save(sys)
	if err != nil {
		return false, apperr.Wrap(err, "connected account")
	}
	return n == 1, nil
}

// releaseRefresh gives a claim back after a renewal that failed, so that
// the next caller tries at once.
func (c *Connections) releaseRefresh(sys context.Context, row *ent.Credential) {
	if err := c.v.cfg.Client.Credential.UpdateOneID(row.ID).ClearRefreshClaimedUntil().Exec(sys); err != nil {
		c.v.cfg.Log.WarnContext(sys, "connected account refresh claim", "credential", row.ID, "err", err)
	}
}
