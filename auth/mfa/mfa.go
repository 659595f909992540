package mfa

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/recoverycode"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Errors a caller tells apart.
var (
	// ErrWrongCode answers a code that is wrong, expired, already used, or
	// for a person without that factor: the answer does not say which.
	ErrWrongCode = apperr.InvalidField("code", "that code is not right, or it was already used: wait for the next one")
	// ErrAlreadyEnrolled refuses a second authenticator app.
	ErrAlreadyEnrolled = apperr.New(apperr.Conflict, "an authenticator app is already set up: remove it first to set up another")
	// ErrNoEnrollment answers a confirmation with nothing to confirm.
	ErrNoEnrollment = apperr.New(apperr.NotFound, "start setting up an authenticator app first")
	// ErrNotEnrolled answers removing an app, or regenerating recovery
	// codes, for a person without an app.
	ErrNotEnrolled = apperr.New(apperr.NotFound, "no authenticator app is set up")
	// ErrNotEnrolling refuses enrollment through a pending sign-in that is
	// not waiting for one: a person who already has a second factor proves
	// it before adding another.
	ErrNotEnrolling = apperr.New(apperr.Forbidden, "this sign-in is not setting up a second factor: complete it with your second factor first")

	errPersonOnly    = apperr.New(apperr.Forbidden, "only a signed-in person has second factors")
	errNotConfigured = apperr.New(apperr.Internal, "two-factor authentication is not configured")
)

// sealPurpose derives the key that seals TOTP secrets.
const sealPurpose = "mandate totp v1"

// attemptsKey counts a person's wrong codes (the address-keyed account
// key counts wrong passwords; a code's owner is known by id).
func attemptsKey(userID int) ratelimit.Key {
	return ratelimit.Key{Name: "mfa:user:" + strconv.Itoa(userID), Policy: ratelimit.AccountPolicy}
}

// Resetter removes a person's factors of another kind (passkeys) inside the
// admin reset's transaction and says how many it removed. The binary adds
// one per factor package (AddResetter).
type Resetter interface {
	ResetAll(ctx context.Context, tx *ent.Tx, userID int) (int, error)
}

type namedResetter struct {
	factor string
	r      Resetter
}

// Config assembles a Service.
type Config struct {
	Client *ent.Client
	// Flows opens sessions, checks recency and sends mail.
	Flows *signin.Flows
	Audit *audit.Recorder
	// MasterSecret seals TOTP secrets. Without it (the CLI) enrolling and
	// checking codes fail; resets and recovery codes work.
	MasterSecret []byte
	// PreviousSecrets are earlier master secrets, still opening TOTP
	// secrets sealed under them until Reseal moves them (a rotation).
	PreviousSecrets [][]byte
	Log             *slog.Logger
	// Now is the clock; the flows' by default.
	Now func() time.Time
}

// Service runs the authenticator app and recovery codes of a workspace's
// people.
type Service struct {
	client    *ent.Client
	flows     *signin.Flows
	audit     *audit.Recorder
	limiter   *ratelimit.Limiter
	sealer    *seal.Sealer
	log       *slog.Logger
	now       func() time.Time
	resetters []namedResetter
	// beforeSpend, for tests, runs between checking a code and spending
	// it: where two requests racing with one code meet.
	beforeSpend func()
}

// New returns the service. Client, Flows and Audit are required.
func New(c Config) (*Service, error) {
	if c.Client == nil || c.Flows == nil || c.Audit == nil {
		return nil, errors.New("mfa: Client, Flows and Audit are required")
	}
	s := &Service{client: c.Client, flows: c.Flows, audit: c.Audit, limiter: c.Flows.Limiter(), log: c.Log, now: c.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = c.Flows.Now
	}
	if len(c.MasterSecret) > 0 {
		sl, err := seal.NewRing(seal.Ring(c.MasterSecret, c.PreviousSecrets...), sealPurpose)
		if err != nil {
			return nil, err
		}
		s.sealer = sl
	}
	return s, nil
}

// AddResetter makes an admin reset also remove the factors r owns; factor
// names them in the audit event ("passkeys").
func (s *Service) AddResetter(factor string, r Resetter) {
	s.resetters = append(s.resetters, namedResetter{factor: factor, r: r})
}

func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return entx.InTx(ctx, s.client, fn)
}

// record appends an audit event in its own transaction: for outcomes that
// change nothing else (a wrong code).
func (s *Service) record(ctx context.Context, e audit.Event) {
	s.audit.RecordAlone(ctx, s.client, s.log, e)
}

// person is the viewer of ctx when it is a person (signed in, or the
// person of a pending sign-in the edge has checked).
func person(ctx context.Context) (viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Human || v.ID == 0 || !v.HasTenant() {
		return v, errPersonOnly
	}
	return v, nil
}

// currentSession loads the session the viewer acts through; a person
// without one (a pending sign-in) has none.
func (s *Service) currentSession(ctx context.Context) (*ent.Session, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Human || v.SessionID == 0 {
		return nil, errPersonOnly
	}
	sess, err := s.client.Session.Get(ctx, v.SessionID)
	if err != nil {
		return nil, apperr.Wrap(err, "session")
	}
	if sess.UserID != v.ID {
		return nil, errPersonOnly
	}
	return sess, nil
}

// enrollingKey marks a context ForEnrollment made: the person of a
// pending sign-in that must enroll, who has no session yet.
type enrollingKey struct{}

// requireRecent is signin.ErrStepUp unless the viewer's session
// authenticated within the workspace's step-up window. A person enrolling
// through a pending sign-in (ForEnrollment; no session yet) has just
// authenticated.
func (s *Service) requireRecent(ctx context.Context) error {
	if enrolling, _ := ctx.Value(enrollingKey{}).(bool); enrolling {
		return nil
	}
	sess, err := s.currentSession(ctx)
	if err != nil {
		return err
	}
	return s.flows.RequireRecent(ctx, sess, false)
}

// throttled answers a person whose wrong codes locked them out.
func (s *Service) throttled(ctx context.Context, userID int) ([]ratelimit.Key, error) {
	keys := []ratelimit.Key{attemptsKey(userID), ratelimit.IPKey(audit.RequestFrom(ctx).IP)}
	wait, err := s.limiter.Locked(ctx, keys...)
	if err != nil {
		return nil, apperr.Wrap(err, "throttle")
	}
	if wait > 0 {
		return nil, &signin.LockedError{RetryAfter: wait}
	}
	return keys, nil
}

// wrongCode counts a failed code, audits it and answers ErrWrongCode.
func (s *Service) wrongCode(ctx context.Context, keys []ratelimit.Key, userID int, factor, reason string) error {
	wait, err := s.limiter.Fail(ctx, keys...)
	if err != nil {
		return apperr.Wrap(err, "throttle")
	}
	d := map[string]string{"factor": factor, "reason": reason}
	if wait > 0 {
		d["locked_seconds"] = strconv.Itoa(int(wait.Seconds()))
	}
	s.record(ctx, audit.Event{Action: "mfa.verification_failed", TargetType: "user", TargetID: strconv.Itoa(userID),
		Outcome: audit.Failure, Details: d})
	return ErrWrongCode
}

// SecondFactors implements signin.Factors: "totp" when the person has a
// confirmed authenticator app, and "recovery" as well while unused
// recovery codes remain.
func (s *Service) SecondFactors(ctx context.Context, userID int) ([]string, error) {
	sys := viewer.AsSystem(ctx, "second factors")
	ok, err := s.client.TOTPFactor.Query().Where(totpfactor.UserID(userID), totpfactor.ConfirmedAtNotNil()).Exist(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "authenticator app")
	}
	if !ok {
		return nil, nil
	}
	out := []string{"totp"}
	n, err := s.client.RecoveryCode.Query().Where(recoverycode.UserID(userID), recoverycode.UsedAtIsNil()).Count(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "recovery codes")
	}
	if n > 0 {
		out = append(out, "recovery")
	}
	return out, nil
}

// Status is what a person sees of their own second factors and session.
type Status struct {
	TOTPEnabled            bool
	TOTPConfirmedAt        *time.Time
	RecoveryCodesRemaining int
	// Session is the session the person acts through.
	Session *ent.Session
	// Recent says whether sensitive changes go through now without
	// authenticating again; StepUpWindow is how long that lasts.
	Recent       bool
	StepUpWindow time.Duration
	// MFARequired says whether the workspace requires this person to use
	// a second factor.
	MFARequired bool
	// HasPassword says whether the person has a password to re-enter (a
	// passkey-only or federated-only account has none).
	HasPassword bool
}

// Status describes the signed-in viewer's second factors.
func (s *Service) Status(ctx context.Context) (*Status, error) {
	v, err := person(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := s.currentSession(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.client.Tenant.Get(ctx, v.TenantID)
	if err != nil {
		return nil, apperr.Wrap(err, "workspace")
	}
	// Only whether a hash exists: read as the system, since a person's
	// own reads never carry the hash.
	hasPassword, err := s.client.User.Query().Where(user.ID(v.ID), user.PasswordHashNEQ("")).
		Exist(viewer.AsSystem(ctx, "has a password"))
	if err != nil {
		return nil, apperr.Wrap(err, "user")
	}
	out := &Status{Session: sess, StepUpWindow: t.Settings.StepUpWindow(), MFARequired: t.Settings.MFARequired(string(v.Role)),
		HasPassword: hasPassword}
	f, err := s.client.TOTPFactor.Query().Where(totpfactor.UserID(v.ID), totpfactor.ConfirmedAtNotNil()).Only(ctx)
	switch {
	case err == nil:
		out.TOTPEnabled, out.TOTPConfirmedAt = true, f.ConfirmedAt
	case !ent.IsNotFound(err):
		return nil, apperr.Wrap(err, "authenticator app")
	}
	if out.RecoveryCodesRemaining, err = s.client.RecoveryCode.Query().
		Where(recoverycode.UserID(v.ID), recoverycode.UsedAtIsNil()).Count(ctx); err != nil {
		return nil, apperr.Wrap(err, "recovery codes")
	}
	if out.Recent, err = s.flows.Recent(ctx, sess, false); err != nil {
		return nil, err
	}
	return out, nil
}
