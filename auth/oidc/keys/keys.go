// Package keys owns a workspace's token-signing keys: generating them
// (ES256 by default, RS256 and EdDSA for compatibility), sealing the private
// half with a key derived from the master secret, rotating them so that a
// new key is published in the JWKS before it signs and an old one stays
// published until every token it signed has expired, and serving the
// signer and the JWKS from memory so a token request reads no key from the
// database. It does not issue tokens; the issuer does.
package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/signingkey"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/reseal"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Algorithms.
const (
	ES256 = "ES256"
	RS256 = "RS256"
	EdDSA = "EdDSA"
)

// Defaults for rotation.
const (
	// DefaultPublishFor is how long a new key is published before it signs:
	// longer than relying parties cache the JWKS (JWKSMaxAge).
	DefaultPublishFor = 15 * time.Minute
	// DefaultTokenLifetime bounds the tokens a key signs; a superseded key
	// stays published that long.
	DefaultTokenLifetime = 24 * time.Hour
	// JWKSMaxAge is what the JWKS endpoint lets clients cache.
	JWKSMaxAge = 5 * time.Minute
	// cacheTTL is how long a replica keeps a workspace's keys in memory.
	cacheTTL = 30 * time.Second
)

// ErrNoKey is returned when a workspace has no key that may sign with alg.
var ErrNoKey = errors.New("no active signing key")

// Key is a decrypted signing key.
type Key struct {
	KID         string
	Alg         string
	Private     crypto.Signer
	Public      jose.JSONWebKey
	ActivatesAt time.Time
	Superseded  *time.Time
	UnpublishAt *time.Time
}

type cached struct {
	keys     []Key
	loadedAt time.Time
}

// Manager rotates keys and serves them, per workspace.
type Manager struct {
	client *ent.Client
	seal   *seal.Sealer
	audit  *audit.Recorder
	now    func() time.Time
	cache  sync.Map // tenant id -> cached
}

// sealPurpose derives the key that seals private keys.
const sealPurpose = "mandate signing keys v1"

// NewManager returns a manager sealing keys under masterSecret and opening
// keys sealed under it or under one of previous (earlier master secrets,
// during a rotation, until Reseal moves their keys).
func NewManager(client *ent.Client, masterSecret []byte, rec *audit.Recorder, previous ...[]byte) (*Manager, error) {
	if len(masterSecret) < 32 {
		return nil, errors.New("keys: the master secret is too short")
	}
	s, err := seal.NewRing(seal.Ring(masterSecret, previous...), sealPurpose)
	if err != nil {
		return nil, err
	}
	return &Manager{client: client, seal: s, audit: rec, now: rec.Now}, nil
}

// aad binds a sealed key to its workspace and kid: a ciphertext copied to
// another row does not open.
func aad(tenantID int, kid string) []byte {
	return []byte("tenant:" + strconv.Itoa(tenantID) + "\x00kid:" + kid)
}

func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, apperr.InvalidField("alg", "alg must be ES256, RS256 or EdDSA")
}

// Rotate adds a key for alg. It is published at once and signs after
// publishFor, or at once when the workspace has no key for alg yet; the
// keys it supersedes keep signing until then and stay published for
// tokenLifetime after. ctx is bound to the workspace.
func (m *Manager) Rotate(ctx context.Context, alg string, publishFor, tokenLifetime time.Duration) (*ent.SigningKey, error) {
	v := viewer.FromContext(ctx)
	if !v.IsSystem() && !v.Role.AtLeast(viewer.RoleOwner) {
		return nil, apperr.New(apperr.Forbidden, "only an owner can rotate signing keys")
	}
	if publishFor < 0 || tokenLifetime <= 0 {
		return nil, apperr.InvalidField("publishFor", "durations must be positive")
	}
	priv, err := generate(alg)
	if err != nil {
		return nil, err
	}
	kidBytes := make([]byte, 12)
	if _, err := rand.Read(kidBytes); err != nil {
		return nil, apperr.Wrap(err, "key id")
	}
	kid := base64.RawURLEncoding.EncodeToString(kidBytes)
	pub, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	if err != nil {
		return nil, apperr.Wrap(err, "public key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, apperr.Wrap(err, "private key")
	}
	sealed, err := m.seal.Seal(der, aad(v.TenantID, kid))
	if err != nil {
		return nil, apperr.Wrap(err, "private key")
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	var out *ent.SigningKey
	tx, err := m.client.Tx(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "transaction")
	}
	defer func() { _ = tx.Rollback() }()
	current, err := tx.SigningKey.Query().
		Where(signingkey.AlgEQ(signingkey.Alg(alg)), signingkey.SupersededAtIsNil()).All(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "signing keys")
	}
	activates := now.Add(publishFor)
	if len(current) == 0 {
		activates = now
	}
	for _, k := range current {
		if err := tx.SigningKey.UpdateOne(k).SetSupersededAt(activates).SetUnpublishAt(activates.Add(tokenLifetime)).Exec(ctx); err != nil {
			return nil, apperr.Wrap(err, "signing key")
		}
	}
	out, err = tx.SigningKey.Create().SetKid(kid).SetAlg(signingkey.Alg(alg)).SetPublicJwk(string(pub)).
		SetPrivateSealed(sealed).SetActivatesAt(activates).Save(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "signing key")
	}
	if _, err := m.audit.Record(ctx, tx, audit.Event{Action: "signing_key.rotated", TargetType: "signing_key", TargetID: kid,
		Details: map[string]string{"alg": alg, "activates_at": activates.Format(time.RFC3339), "superseded": strconv.Itoa(len(current))}}); err != nil {
		return nil, apperr.Wrap(err, "audit event")
	}
	if err := tx.Commit(); err != nil {
		return nil, apperr.Wrap(err, "commit")
	}
	m.cache.Delete(v.TenantID)
	return out, nil
}

// load returns the workspace's keys, from memory when fresh.
func (m *Manager) load(ctx context.Context) ([]Key, error) {
	v := viewer.FromContext(ctx)
	if !v.HasTenant() {
		return nil, errors.New("keys: no workspace in the context")
	}
	now := m.now()
	if c, ok := m.cache.Load(v.TenantID); ok && now.Sub(c.(cached).loadedAt) < cacheTTL {
		return c.(cached).keys, nil
	}
	sys := viewer.AsSystem(ctx, "load signing keys")
	rows, err := m.client.SigningKey.Query().Order(ent.Asc(signingkey.FieldActivatesAt)).All(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "signing keys")
	}
	keys := make([]Key, 0, len(rows))
	for _, r := range rows {
		k, err := m.open(v.TenantID, r)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	m.cache.Store(v.TenantID, cached{keys: keys, loadedAt: now})
	return keys, nil
}

// open decrypts a stored key.
func (m *Manager) open(tenantID int, r *ent.SigningKey) (Key, error) {
	der, err := m.seal.Open(r.PrivateSealed, aad(tenantID, r.Kid))
	if err != nil {
		return Key{}, fmt.Errorf("keys: key %s does not open with this master secret", r.Kid)
	}
	p, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return Key{}, fmt.Errorf("keys: key %s: %w", r.Kid, err)
	}
	signer, ok := p.(crypto.Signer)
	if !ok {
		return Key{}, fmt.Errorf("keys: key %s is not a signing key", r.Kid)
	}
	var pub jose.JSONWebKey
	if err := json.Unmarshal([]byte(r.PublicJwk), &pub); err != nil {
		return Key{}, fmt.Errorf("keys: key %s: %w", r.Kid, err)
	}
	return Key{KID: r.Kid, Alg: string(r.Alg), Private: signer, Public: pub,
		ActivatesAt: r.ActivatesAt, Superseded: r.SupersededAt, UnpublishAt: r.UnpublishAt}, nil
}

// Signer returns the key that signs with alg now: the newest activated one
// not yet superseded.
func (m *Manager) Signer(ctx context.Context, alg string) (Key, error) {
	keys, err := m.load(ctx)
	if err != nil {
		return Key{}, err
	}
	now := m.now()
	var best *Key
	for i := range keys {
		k := &keys[i]
		if k.Alg != alg || k.ActivatesAt.After(now) || (k.Superseded != nil && !k.Superseded.After(now)) {
			continue
		}
		if best == nil || k.ActivatesAt.After(best.ActivatesAt) {
			best = k
		}
	}
	if best == nil {
		return Key{}, ErrNoKey
	}
	return *best, nil
}

// JWKS returns the published public keys: every key not yet past its
// unpublish time, including keys that do not sign yet.
func (m *Manager) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	keys, err := m.load(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	now := m.now()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		if k.UnpublishAt != nil && !k.UnpublishAt.After(now) {
			continue
		}
		set.Keys = append(set.Keys, k.Public)
	}
	return set, nil
}

// Reseal re-seals, under the current master secret, every workspace's
// private keys sealed under a previous one (the manager's previous
// secrets), so the previous secret can be dropped: one transaction and
// one audit event (signing_key.resealed) per workspace. It returns how
// many moved.
func (m *Manager) Reseal(ctx context.Context) (int, error) {
	rows, err := m.client.SigningKey.Query().All(viewer.AsSystem(ctx, "master secret rotation"))
	if err != nil {
		return 0, apperr.Wrap(err, "signing keys")
	}
	n, err := reseal.Run(ctx, m.client, m.audit, reseal.Kind[*ent.SigningKey]{
		Name:   "signing_key",
		Tenant: func(r *ent.SigningKey) int { return r.TenantID },
		Reseal: func(ctx context.Context, tx *ent.Tx, r *ent.SigningKey) (bool, error) {
			out, changed, err := m.seal.Reseal(r.PrivateSealed, aad(r.TenantID, r.Kid))
			if err != nil {
				return false, fmt.Errorf("keys: key %s of workspace %d does not open with the secrets given", r.Kid, r.TenantID)
			}
			if !changed {
				return false, nil
			}
			c, err := tx.SigningKey.Update().Where(signingkey.ID(r.ID), signingkey.PrivateSealed(r.PrivateSealed)).
				SetPrivateSealed(out).Save(ctx)
			return c == 1, err
		},
	}, rows)
	m.cache.Clear()
	return n, err
}
