package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/authchallenge"
	"github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// CeremonyTTL bounds a ceremony, from its options to its finish.
const CeremonyTTL = 5 * time.Minute

// handleLen is the size of a user handle (the most WebAuthn allows).
const handleLen = 64

// Ceremony kinds, as AuthChallenge.kind.
const (
	KindRegister     = "webauthn_register"
	KindLogin        = "webauthn_login"
	KindSecondFactor = "webauthn_second_factor"
	KindStepUp       = "webauthn_step_up"
	KindInvitation   = "webauthn_invitation"
)

// kinds are every ceremony kind of this package.
var kinds = []string{KindRegister, KindLogin, KindSecondFactor, KindStepUp, KindInvitation}

// Errors the HTTP edge tells apart.
var (
	// ErrNoCeremony answers a finish without a live ceremony of its kind:
	// none started, expired, or already finished once.
	ErrNoCeremony = apperr.New(apperr.Invalid, "this passkey request has expired or was already used: start again")
	// ErrRejected answers a registration or step-up the authenticator's
	// response does not prove (wrong origin or relying party, no user
	// verification, a bad signature…).
	ErrRejected = apperr.New(apperr.Invalid, "the passkey was not accepted: try again")
	// ErrLastMethod refuses removing the last way a person can sign in.
	ErrLastMethod = apperr.New(apperr.Conflict, "this is your last way to sign in: add a password, another passkey or a linked account first")
	// ErrAlreadyRegistered refuses a credential the workspace already has.
	ErrAlreadyRegistered = apperr.New(apperr.Conflict, "this passkey is already registered")
	// errNotConfigured is a server built without a base URL.
	errNotConfigured = apperr.New(apperr.Internal, "passkeys are not configured")
)

// Config assembles a Service.
type Config struct {
	Client *ent.Client
	// Flows opens sessions and says whether one is recent.
	Flows *signin.Flows
	// Audit records events; default, a recorder on the flows' clock.
	Audit *audit.Recorder
	// BaseURL is the server's public URL: the default relying-party id
	// (its host) and origin. Management works without it; ceremonies do
	// not.
	BaseURL string
	// Log receives what cannot be answered (default: discarded).
	Log *slog.Logger
}

// Service runs the passkey ceremonies and manages passkeys.
type Service struct {
	client *ent.Client
	flows  *signin.Flows
	audit  *audit.Recorder
	base   *url.URL
	log    *slog.Logger
}

// New returns the service.
func New(c Config) *Service {
	if c.Audit == nil {
		c.Audit = &audit.Recorder{Now: c.Flows.Now}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{client: c.Client, flows: c.Flows, audit: c.Audit, log: c.Log}
	if u, err := url.Parse(c.BaseURL); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		s.base = u
	}
	return s
}

func (s *Service) now() time.Time { return s.flows.Now() }

func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return entx.InTx(ctx, s.client, fn)
}

// RelyingParty is a workspace's WebAuthn relying party.
type RelyingParty struct {
	ID      string
	Name    string
	Origins []string
}

// relyingParty builds the relying party of the workspace ctx is bound to.
// It is built per ceremony from the settings just read, so a settings
// change applies at once and no replica holds a stale one.
func (s *Service) relyingParty(ctx context.Context) (*webauthn.WebAuthn, RelyingParty, error) {
	if s.base == nil {
		return nil, RelyingParty{}, errNotConfigured
	}
	t, err := s.client.Tenant.Get(ctx, viewer.FromContext(ctx).TenantID)
	if err != nil {
		return nil, RelyingParty{}, apperr.Wrap(err, "workspace")
	}
	rp := RelyingParty{ID: t.Settings.PasskeyRPID, Name: t.Name, Origins: t.Settings.PasskeyOrigins}
	if rp.ID == "" {
		rp.ID = s.base.Hostname()
	}
	if len(rp.Origins) == 0 {
		rp.Origins = []string{s.base.Scheme + "://" + s.base.Host}
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  rp.ID,
		RPDisplayName:         rp.Name,
		RPOrigins:             rp.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			RequireResidentKey: new(true),
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
	if err != nil {
		return nil, RelyingParty{}, apperr.Wrap(err, "relying party")
	}
	return wa, rp, nil
}

// person is a user as go-webauthn sees them.
type person struct {
	u      *ent.User
	handle []byte
	keys   []*ent.Passkey
}

func (p *person) WebAuthnID() []byte   { return p.handle }
func (p *person) WebAuthnName() string { return p.u.Email }
func (p *person) WebAuthnDisplayName() string {
	if p.u.Name != "" {
		return p.u.Name
	}
	return p.u.Email
}

func (p *person) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(p.keys))
	for _, k := range p.keys {
		out = append(out, credentialOf(k))
	}
	return out
}

// find returns the stored passkey of a credential id.
func (p *person) find(id []byte) *ent.Passkey {
	for _, k := range p.keys {
		if string(k.CredentialID) == string(id) {
			return k
		}
	}
	return nil
}

// credentialOf is a stored passkey as go-webauthn's credential record.
func credentialOf(k *ent.Passkey) webauthn.Credential {
	flags := protocol.FlagUserPresent
	if k.UserVerified {
		flags |= protocol.FlagUserVerified
	}
	if k.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if k.BackupState {
		flags |= protocol.FlagBackupState
	}
	transports := make([]protocol.AuthenticatorTransport, 0, len(k.Transports))
	for _, t := range k.Transports {
		transports = append(transports, protocol.AuthenticatorTransport(t))
	}
	return webauthn.Credential{
		ID:              k.CredentialID,
		PublicKey:       k.PublicKey,
		AttestationType: k.AttestationType,
		Transport:       transports,
		Flags:           webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{
			AAGUID:       k.Aaguid,
			SignCount:    k.SignCount,
			CloneWarning: k.CloneWarning,
			Attachment:   protocol.AuthenticatorAttachment(k.Attachment),
		},
	}
}

// loadPerson reads a user and their passkeys (as the system of the
// workspace ctx is bound to).
func (s *Service) loadPerson(ctx context.Context, userID int) (*person, error) {
	sys := viewer.AsSystem(ctx, "passkeys")
	u, err := s.client.User.Get(sys, userID)
	if err != nil {
		return nil, apperr.Wrap(err, "user")
	}
	keys, err := s.client.Passkey.Query().Where(passkey.UserID(userID)).Order(ent.Asc(passkey.FieldID)).All(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "passkeys")
	}
	return &person{u: u, handle: handleOf(u), keys: keys}, nil
}

// method is the amr of a passkey: synced (backup eligible) or bound to
// one device.
func method(backupEligible bool) string {
	if backupEligible {
		return "swk"
	}
	return "hwk"
}

// SecondFactors says "passkey" when the person has one (signin.Factors).
func (s *Service) SecondFactors(ctx context.Context, userID int) ([]string, error) {
	ok, err := s.client.Passkey.Query().Where(passkey.UserID(userID)).Exist(viewer.AsSystem(ctx, "second factors"))
	if err != nil {
		return nil, apperr.Wrap(err, "passkeys")
	}
	if ok {
		return []string{"passkey"}, nil
	}
	return nil, nil
}

// ResetAll deletes a person's passkeys inside tx: the admin reset of a
// member's factors calls it, and audits the reset itself. It returns how
// many were deleted.
func (s *Service) ResetAll(ctx context.Context, tx *ent.Tx, userID int) (int, error) {
	n, err := tx.Passkey.Delete().Where(passkey.UserID(userID)).Exec(ctx)
	return n, apperr.Wrap(err, "passkeys")
}

// ceremonyData is what a ceremony needs back at its finish.
type ceremonyData struct {
	Session webauthn.SessionData `json:"session"`
	// Name is the passkey's name (registration).
	Name string `json:"name,omitempty"`
	// PendingID is the pending sign-in a second step or an enrollment
	// belongs to.
	PendingID int `json:"pendingId,omitempty"`
	// Invitation is the hash of the invitation being accepted, and
	// PersonName the name the person gave.
	Invitation string `json:"invitation,omitempty"`
	PersonName string `json:"personName,omitempty"`
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Ceremony is a started ceremony: the options for the browser, and the
// value of the cookie that names it.
type Ceremony struct {
	Kind    string
	Token   string
	Options any
}

// start stores a ceremony and returns the token naming it.
func (s *Service) start(ctx context.Context, kind string, userID, sessionID int, d ceremonyData, options any) (*Ceremony, error) {
	tok, err := randomToken()
	if err != nil {
		return nil, apperr.Wrap(err, "random")
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, apperr.Wrap(err, "ceremony")
	}
	sys := viewer.AsSystem(ctx, "passkey ceremony")
	// Ceremonies nobody finished are of no use past their lifetime.
	if _, err := s.client.AuthChallenge.Delete().Where(authchallenge.KindIn(kinds...),
		authchallenge.ExpiresAtLT(s.now().Add(-time.Hour).UTC())).Exec(sys); err != nil {
		s.log.WarnContext(ctx, "sweep passkey ceremonies", "err", err)
	}
	err = s.client.AuthChallenge.Create().SetKind(kind).SetTokenHash(hashToken(tok)).SetUserID(userID).SetSessionID(sessionID).
		SetData(string(raw)).SetExpiresAt(s.now().Add(CeremonyTTL).UTC()).Exec(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "ceremony")
	}
	return &Ceremony{Kind: kind, Token: tok, Options: options}, nil
}

// spend uses up the live ceremony of kind that token names, whatever the
// finish's outcome: a challenge is answered once.
func (s *Service) spend(ctx context.Context, kind, token string) (*ent.AuthChallenge, ceremonyData, error) {
	var d ceremonyData
	if token == "" || len(token) > 100 {
		return nil, d, ErrNoCeremony
	}
	sys := viewer.AsSystem(ctx, "passkey ceremony")
	now := s.now()
	n, err := s.client.AuthChallenge.Update().Where(authchallenge.TokenHash(hashToken(token)), authchallenge.Kind(kind),
		authchallenge.UsedAtIsNil(), authchallenge.ExpiresAtGT(now)).SetUsedAt(now.UTC()).Save(sys)
	if err != nil {
		return nil, d, apperr.Wrap(err, "ceremony")
	}
	if n != 1 {
		return nil, d, ErrNoCeremony
	}
	c, err := s.client.AuthChallenge.Query().Where(authchallenge.TokenHash(hashToken(token))).Only(sys)
	if err != nil {
		return nil, d, apperr.Wrap(err, "ceremony")
	}
	if err := json.Unmarshal([]byte(c.Data), &d); err != nil {
		return nil, d, apperr.Wrap(err, "ceremony")
	}
	return c, d, nil
}

// newHandle makes a user handle.
func newHandle() ([]byte, error) {
	b := make([]byte, handleLen)
	_, err := rand.Read(b)
	return b, err
}

// handleFor returns the person's user handle, or a fresh one (set on the
// account by the registration that uses it).
func handleFor(u *ent.User) ([]byte, error) {
	if h := handleOf(u); len(h) > 0 {
		return h, nil
	}
	return newHandle()
}

// handleOf is the account's user handle, or nil.
func handleOf(u *ent.User) []byte {
	if u.WebauthnHandle == nil {
		return nil
	}
	return *u.WebauthnHandle
}

// claimHandle sets the account's user handle inside tx when it has none,
// and fails if it has another: the authenticator stored the one the
// ceremony offered.
func claimHandle(ctx context.Context, tx *ent.Tx, userID int, handle []byte) error {
	n, err := tx.User.Update().Where(user.ID(userID), user.WebauthnHandleIsNil()).SetWebauthnHandle(handle).Save(ctx)
	if err != nil {
		return apperr.Wrap(err, "user")
	}
	if n == 1 {
		return nil
	}
	u, err := tx.User.Get(ctx, userID)
	if err != nil {
		return apperr.Wrap(err, "user")
	}
	if string(handleOf(u)) != string(handle) {
		return ErrNoCeremony
	}
	return nil
}

// storePasskey saves a verified new credential of userID inside tx, and
// audits its enrollment.
func (s *Service) storePasskey(ctx context.Context, tx *ent.Tx, userID int, name string, cred *webauthn.Credential) (*ent.Passkey, error) {
	taken, err := tx.Passkey.Query().Where(passkey.CredentialID(cred.ID)).Exist(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "passkey")
	}
	if taken {
		return nil, ErrAlreadyRegistered
	}
	transports := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	k, err := tx.Passkey.Create().SetUserID(userID).SetName(name).SetCredentialID(cred.ID).SetPublicKey(cred.PublicKey).
		SetAttestationType(cred.AttestationType).SetAaguid(cred.Authenticator.AAGUID).SetSignCount(cred.Authenticator.SignCount).
		SetBackupEligible(cred.Flags.BackupEligible).SetBackupState(cred.Flags.BackupState).SetUserVerified(cred.Flags.UserVerified).
		SetTransports(transports).SetAttachment(string(cred.Authenticator.Attachment)).Save(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "passkey")
	}
	_, err = s.audit.Record(ctx, tx, audit.Event{Action: "mfa.factor_enrolled", TargetType: "passkey", TargetID: strconv.Itoa(k.ID),
		CredentialType: "passkey", Details: map[string]string{"factor": "passkey", "user_id": strconv.Itoa(userID), "name": name,
			"amr": method(k.BackupEligible), "attachment": k.Attachment}})
	if err != nil {
		return nil, apperr.Wrap(err, "audit event")
	}
	return k, nil
}

// cleanName is a passkey's name, trimmed, with a default.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "Passkey", nil
	}
	if len(name) > 100 {
		return "", apperr.InvalidField("name", "a passkey's name must be at most 100 characters")
	}
	return name, nil
}
