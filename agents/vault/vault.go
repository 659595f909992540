// Package vault keeps third-party credentials server-side: API keys,
// bearer tokens, basic auth and OAuth 2 tokens, owned by the workspace, a
// person or an agent. Values are write-only: no API returns them after
// creation; only the tool gateway opens one, to inject it upstream.
//
// Envelope encryption: each workspace has a data key (32 random bytes)
// stored wrapped by a key derived from the master secret; a credential is
// sealed with AES-256-GCM under the data key, with its identity (workspace,
// id, kind) as associated data, so a ciphertext copied to another row does
// not open. Rotating the master secret re-wraps the data keys only
// (RotateMaster); the service knows the current master and any previous
// ones, by fingerprint, so it keeps working during a rotation.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/datakey"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// ErrSealed is returned for a value that does not open: tampered, copied
// from another row, or wrapped under a master secret this server does not
// know. The vault fails closed.
var ErrSealed = errors.New("vault: the credential does not open")

// Config wires a Service.
type Config struct {
	Client *ent.Client
	Audit  *audit.Recorder
	// Masters are the master secrets this server knows: the current one
	// first (it wraps new data keys), then previous ones (during a
	// rotation).
	Masters [][]byte
	Now     func() time.Time
	Log     *slog.Logger
}

// Service stores and opens credentials.
type Service struct {
	cfg     Config
	keks    map[string]cipher.AEAD // master fingerprint → key-wrapping AEAD
	current string
	mu      sync.Mutex
	keys    map[int]dataKey // tenant → unwrapped data key, remembered
}

type dataKey struct {
	id   int
	aead cipher.AEAD
}

// New returns the vault.
func New(cfg Config) (*Service, error) {
	if len(cfg.Masters) == 0 {
		return nil, errors.New("vault: a master secret is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.NewRecorder()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, keks: map[string]cipher.AEAD{}, keys: map[int]dataKey{}}
	for n, m := range cfg.Masters {
		if len(m) < 32 {
			return nil, errors.New("vault: a master secret is too short")
		}
		k, err := hkdf.Key(sha256.New, m, nil, "mandate vault kek v1", 32)
		if err != nil {
			return nil, err
		}
		a, err := newAEAD(k)
		if err != nil {
			return nil, err
		}
		id := MasterID(m)
		s.keks[id] = a
		if n == 0 {
			s.current = id
		}
	}
	return s, nil
}

// MasterID is a master secret's fingerprint: it names which master wrapped
// a data key without revealing anything of it.
func MasterID(master []byte) string {
	k, _ := hkdf.Key(sha256.New, master, nil, "mandate vault master id", 8)
	return hex.EncodeToString(k)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func seal(a cipher.AEAD, plain, aad []byte) []byte {
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	_, _ = rand.Read(nonce)
	return a.Seal(nonce, nonce, plain, aad)
}

func open(a cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, ErrSealed
	}
	out, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], aad)
	if err != nil {
		return nil, ErrSealed
	}
	return out, nil
}

func dataKeyAAD(tenantID, id int) []byte {
	return fmt.Appendf(nil, "mandate data key\x00%d\x00%d", tenantID, id)
}

func credentialAAD(tenantID, id int, kind credential.Kind) []byte {
	return fmt.Appendf(nil, "mandate credential\x00%d\x00%d\x00%s", tenantID, id, kind)
}

// Secret is a credential's value. It never prints itself.
type Secret struct {
	// Token is an API key or a bearer token.
	Token string `json:"token,omitempty"`
	// Username and Password are basic auth.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// AccessToken and RefreshToken are OAuth 2 tokens.
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// String hides the value from logs and errors.
func (Secret) String() string { return "[secret]" }

// GoString hides the value from %#v.
func (Secret) GoString() string { return "[secret]" }

// LogValue hides the value from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[secret]") }

// Values are every secret string of s, for scrubbing answers.
func (s Secret) Values() []string {
	var out []string
	for _, v := range []string{s.Token, s.Username + ":" + s.Password, s.Password, s.AccessToken, s.RefreshToken} {
		if len(v) >= 4 && v != ":" {
			out = append(out, v)
		}
	}
	return out
}

func (s Secret) check(kind credential.Kind) error {
	switch kind {
	case credential.KindAPIKey, credential.KindBearer:
		if s.Token == "" || s.Username != "" || s.Password != "" || s.AccessToken != "" || s.RefreshToken != "" {
			return apperr.InvalidField("value", "an API key or bearer credential holds a token only")
		}
	case credential.KindBasic:
		if s.Username == "" || s.Password == "" || strings.Contains(s.Username, ":") || s.Token != "" || s.AccessToken != "" {
			return apperr.InvalidField("value", "a basic credential holds a username (without ':') and a password")
		}
	case credential.KindOauth2:
		if s.AccessToken == "" || s.Token != "" || s.Username != "" {
			return apperr.InvalidField("value", "an OAuth 2 credential holds an access token (and maybe a refresh token)")
		}
	}
	for _, v := range []string{s.Token, s.Username, s.Password, s.AccessToken, s.RefreshToken} {
		if len(v) > 8<<10 || strings.ContainsAny(v, "\r\n\x00") {
			return apperr.InvalidField("value", "a secret value must be at most 8 KiB, on one line")
		}
	}
	return nil
}

// dataKeyFor returns the workspace's data key, making it on first use.
func (s *Service) dataKeyFor(ctx context.Context, tenantID int) (dataKey, error) {
	s.mu.Lock()
	k, ok := s.keys[tenantID]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tenantID), "vault data key")
	row, err := s.cfg.Client.DataKey.Query().Order(ent.Asc(datakey.FieldID)).First(sys)
	if ent.IsNotFound(err) {
		row, err = s.makeDataKey(sys, tenantID)
	}
	if err != nil {
		return dataKey{}, err
	}
	kek, ok := s.keks[row.MasterID]
	if !ok {
		return dataKey{}, fmt.Errorf("%w: its data key is wrapped by a master secret this server does not know (%s)", ErrSealed, row.MasterID)
	}
	raw, err := open(kek, row.Wrapped, dataKeyAAD(tenantID, row.ID))
	if err != nil {
		return dataKey{}, err
	}
	a, err := newAEAD(raw)
	if err != nil {
		return dataKey{}, err
	}
	k = dataKey{id: row.ID, aead: a}
	s.mu.Lock()
	s.keys[tenantID] = k
	s.mu.Unlock()
	return k, nil
}

// makeDataKey creates the workspace's data key. Two replicas racing both
// write one; the first by id is the one every replica uses, and a
// credential names the key that sealed it, so nothing is lost either way.
func (s *Service) makeDataKey(ctx context.Context, tenantID int) (*ent.DataKey, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	err := entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		row, err := tx.DataKey.Create().SetWrapped([]byte{0}).SetMasterID(s.current).Save(ctx)
		if err != nil {
			return err
		}
		return tx.DataKey.UpdateOne(row).SetWrapped(seal(s.keks[s.current], raw, dataKeyAAD(tenantID, row.ID))).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	return s.cfg.Client.DataKey.Query().Order(ent.Asc(datakey.FieldID)).First(ctx)
}

// keyByID returns the data key with id (the one that sealed a credential).
func (s *Service) keyByID(ctx context.Context, tenantID, id int) (cipher.AEAD, error) {
	k, err := s.dataKeyFor(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if k.id == id {
		return k.aead, nil
	}
	row, err := s.cfg.Client.DataKey.Get(viewer.AsSystem(viewer.ForTenant(ctx, tenantID), "vault data key"), id)
	if err != nil {
		return nil, ErrSealed
	}
	kek, ok := s.keks[row.MasterID]
	if !ok {
		return nil, ErrSealed
	}
	raw, err := open(kek, row.Wrapped, dataKeyAAD(tenantID, row.ID))
	if err != nil {
		return nil, err
	}
	return newAEAD(raw)
}

// NewCredential is a credential to store.
type NewCredential struct {
	Name      string
	Kind      credential.Kind
	OwnerKind credential.OwnerKind
	OwnerID   int
	Value     Secret
	Provider  string
	ExpiresAt *time.Time
}

// mayManage: the workspace's and agents' credentials are an admin's; a
// person's are theirs (and an admin's to revoke).
func mayManage(v viewer.Viewer, ownerKind credential.OwnerKind, ownerID int) bool {
	if v.IsSystem() && v.HasTenant() {
		return true
	}
	if v.Kind == viewer.Agent {
		return false
	}
	if ownerKind == credential.OwnerKindUser && v.Kind == viewer.Human && v.ID == ownerID {
		return true
	}
	return v.Role.AtLeast(viewer.RoleAdmin)
}

// Create stores a credential; its value is never returned again.
func (s *Service) Create(ctx context.Context, in NewCredential) (*ent.Credential, error) {
	v := viewer.FromContext(ctx)
	if !v.HasTenant() {
		return nil, apperr.New(apperr.Unauthenticated, "no workspace")
	}
	if !mayManage(v, in.OwnerKind, in.OwnerID) {
		return nil, apperr.New(apperr.Forbidden, "only an admin (or, for their own, the person) can store credentials")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, apperr.InvalidField("name", "name must be 1-200 characters")
	}
	if err := credential.KindValidator(in.Kind); err != nil {
		return nil, apperr.InvalidField("kind", "kind must be api_key, bearer, basic or oauth2")
	}
	if err := credential.OwnerKindValidator(in.OwnerKind); err != nil {
		return nil, apperr.InvalidField("owner", "owner must be workspace, user or agent")
	}
	if (in.OwnerKind == credential.OwnerKindWorkspace) != (in.OwnerID == 0) {
		return nil, apperr.InvalidField("owner", "a workspace credential has no owner id; a person's or an agent's has one")
	}
	if err := in.Value.check(in.Kind); err != nil {
		return nil, err
	}
	sys := viewer.AsSystem(ctx, "vault")
	switch in.OwnerKind {
	case credential.OwnerKindUser:
		if _, err := s.cfg.Client.User.Get(sys, in.OwnerID); err != nil {
			return nil, apperr.InvalidField("owner", "no such person in this workspace")
		}
	case credential.OwnerKindAgent:
		if _, err := s.cfg.Client.Agent.Get(sys, in.OwnerID); err != nil {
			return nil, apperr.InvalidField("owner", "no such agent in this workspace")
		}
	}
	dk, err := s.dataKeyFor(ctx, v.TenantID)
	if err != nil {
		return nil, apperr.Wrap(err, "data key")
	}
	plain, _ := json.Marshal(in.Value)
	var out *ent.Credential
	err = entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		c := tx.Credential.Create().SetName(name).SetKind(in.Kind).SetOwnerKind(in.OwnerKind).SetOwnerID(in.OwnerID).
			SetSealed([]byte{0}).SetDataKeyID(dk.id).SetProvider(in.Provider)
		if in.ExpiresAt != nil {
			c.SetExpiresAt(in.ExpiresAt.UTC())
		}
		row, err := c.Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "credential")
		}
		if out, err = tx.Credential.UpdateOne(row).SetSealed(seal(dk.aead, plain, credentialAAD(v.TenantID, row.ID, row.Kind))).Save(ctx); err != nil {
			return apperr.Wrap(err, "credential")
		}
		_, err = s.cfg.Audit.Record(ctx, tx, audit.Event{Action: "credential.created", TargetType: "credential",
			TargetID: strconv.Itoa(row.ID), CredentialType: string(row.Kind), CredentialID: strconv.Itoa(row.ID),
			Details: map[string]string{"name": name, "owner": string(in.OwnerKind) + ":" + strconv.Itoa(in.OwnerID)}})
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// List returns the credentials the viewer may see (metadata only): an
// admin, all; a person, their own.
func (s *Service) List(ctx context.Context) ([]*ent.Credential, error) {
	v := viewer.FromContext(ctx)
	q := s.cfg.Client.Credential.Query().Order(ent.Asc(credential.FieldName))
	switch {
	case v.IsSystem() && v.HasTenant(), v.Kind != viewer.Agent && v.Role.AtLeast(viewer.RoleAdmin):
	case v.Kind == viewer.Human:
		q = q.Where(credential.OwnerKindEQ(credential.OwnerKindUser), credential.OwnerID(v.ID))
	default:
		return nil, apperr.New(apperr.Forbidden, "only people see the vault")
	}
	cs, err := q.All(ctx)
	return cs, apperr.Wrap(err, "credentials")
}

// Rotate replaces a credential's value, keeping its id (tools keep using
// it).
func (s *Service) Rotate(ctx context.Context, id int, value Secret) (*ent.Credential, error) {
	return s.change(ctx, id, "credential.rotated", func(tx *ent.Tx, row *ent.Credential, dk dataKey) (*ent.Credential, error) {
		if err := value.check(row.Kind); err != nil {
			return nil, err
		}
		plain, _ := json.Marshal(value)
		return tx.Credential.UpdateOne(row).SetSealed(seal(dk.aead, plain, credentialAAD(row.TenantID, row.ID, row.Kind))).
			SetDataKeyID(dk.id).SetRotatedAt(s.cfg.Now().UTC()).Save(ctx)
	})
}

// Revoke ends a credential: the gateway stops using it at once.
func (s *Service) Revoke(ctx context.Context, id int) (*ent.Credential, error) {
	return s.change(ctx, id, "credential.revoked", func(tx *ent.Tx, row *ent.Credential, _ dataKey) (*ent.Credential, error) {
		return tx.Credential.UpdateOne(row).SetRevokedAt(s.cfg.Now().UTC()).Save(ctx)
	})
}

func (s *Service) change(ctx context.Context, id int, action string, fn func(*ent.Tx, *ent.Credential, dataKey) (*ent.Credential, error)) (*ent.Credential, error) {
	v := viewer.FromContext(ctx)
	row, err := s.cfg.Client.Credential.Get(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(err, "credential")
	}
	if !mayManage(v, row.OwnerKind, row.OwnerID) {
		return nil, apperr.New(apperr.Forbidden, "only an admin (or, for their own, the person) can change credentials")
	}
	if row.RevokedAt != nil {
		return nil, apperr.New(apperr.Conflict, "the credential is revoked")
	}
	dk, err := s.dataKeyFor(ctx, row.TenantID)
	if err != nil {
		return nil, apperr.Wrap(err, "data key")
	}
	var out *ent.Credential
	err = entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		if out, err = fn(tx, row, dk); err != nil {
			return err
		}
		_, err = s.cfg.Audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "credential",
			TargetID: strconv.Itoa(row.ID), CredentialType: string(row.Kind), CredentialID: strconv.Itoa(row.ID),
			Details: map[string]string{"name": row.Name}})
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// Open returns a credential's value, for the gateway only: never to an
// API. A revoked credential, or one that does not open, is an error.
func (s *Service) Open(ctx context.Context, id int) (Secret, *ent.Credential, error) {
	row, err := s.cfg.Client.Credential.Get(viewer.AsSystem(ctx, "vault open"), id)
	if err != nil {
		return Secret{}, nil, apperr.Wrap(err, "credential")
	}
	if row.RevokedAt != nil {
		return Secret{}, row, apperr.New(apperr.Forbidden, "the credential is revoked")
	}
	v, err := s.openRow(ctx, row)
	if err != nil {
		return Secret{}, row, err
	}
	return v.Secret, row, nil
}

// openRow opens a credential row's sealed value (a connection's carries
// its scopes too).
func (s *Service) openRow(ctx context.Context, row *ent.Credential) (connSecret, error) {
	aead, err := s.keyByID(ctx, row.TenantID, row.DataKeyID)
	if err != nil {
		return connSecret{}, err
	}
	plain, err := open(aead, row.Sealed, credentialAAD(row.TenantID, row.ID, row.Kind))
	if err != nil {
		return connSecret{}, err
	}
	var out connSecret
	if err := json.Unmarshal(plain, &out); err != nil {
		return connSecret{}, ErrSealed
	}
	return out, nil
}

// RotateMaster re-wraps every workspace's data keys under newMaster, which
// must be this service's current master (list it first in Masters, with
// the previous one after it, on every replica). Each key is re-wrapped in
// its own transaction, only if no one changed it meanwhile, and audited;
// credentials are untouched. It returns how many keys it re-wrapped.
func (s *Service) RotateMaster(ctx context.Context) (int, error) {
	sys := viewer.AsSystem(ctx, "vault master rotation")
	rows, err := s.cfg.Client.DataKey.Query().Where(datakey.MasterIDNEQ(s.current)).All(sys)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, row := range rows {
		kek, ok := s.keks[row.MasterID]
		if !ok {
			return n, fmt.Errorf("vault: data key %d of workspace %d is wrapped by master %s, which is not among the secrets given", row.ID, row.TenantID, row.MasterID)
		}
		raw, err := open(kek, row.Wrapped, dataKeyAAD(row.TenantID, row.ID))
		if err != nil {
			return n, fmt.Errorf("vault: data key %d of workspace %d: %w", row.ID, row.TenantID, err)
		}
		tctx := viewer.AsSystem(viewer.ForTenant(ctx, row.TenantID), "vault master rotation")
		err = entx.InTx(tctx, s.cfg.Client, func(tx *ent.Tx) error {
			k, err := tx.DataKey.Update().Where(datakey.ID(row.ID), datakey.MasterID(row.MasterID)).
				SetWrapped(seal(s.keks[s.current], raw, dataKeyAAD(row.TenantID, row.ID))).SetMasterID(s.current).
				SetRewrappedAt(s.cfg.Now().UTC()).Save(tctx)
			if err != nil || k == 0 {
				return err
			}
			_, err = s.cfg.Audit.Record(tctx, tx, audit.Event{Action: "vault.master_rotated", TargetType: "data_key",
				TargetID: strconv.Itoa(row.ID), Details: map[string]string{"from": row.MasterID, "to": s.current}})
			return err
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
