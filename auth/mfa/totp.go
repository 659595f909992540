package mfa

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/recoverycode"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/reseal"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The code rules: what authenticator apps do by default.
const (
	period    = 30 // seconds a code lasts
	skewSteps = 1  // steps accepted early or late
	digits    = otp.DigitsSix
	algorithm = otp.AlgorithmSHA1
	// qrSize is the QR code's width and height in pixels.
	qrSize = 256
)

// StepAt is the TOTP time step of t.
func StepAt(t time.Time) int64 { return t.Unix() / period }

// CodeAt is the code of secret at time t, for tests and tools.
func CodeAt(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: period, Digits: digits, Algorithm: algorithm})
}

// matchStep returns the latest step within the skew whose code is code.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	cur := StepAt(now)
	for st := cur + skewSteps; st >= cur-skewSteps; st-- {
		ok, err := hotp.ValidateCustom(code, uint64(st), secret, hotp.ValidateOpts{Digits: digits, Algorithm: algorithm})
		if err == nil && ok {
			return st, true
		}
	}
	return 0, false
}

// normalizeCode reads what a person typed: digits, perhaps spaced.
func normalizeCode(in string) (string, bool) {
	c := strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(in))
	if len(c) != digits.Length() {
		return "", false
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return c, true
}

func binding(tenantID, userID int) []byte {
	return seal.Binding(tenantID, "totp", strconv.Itoa(userID))
}

func (s *Service) openSecret(f *ent.TOTPFactor) (string, error) {
	if s.sealer == nil {
		return "", errNotConfigured
	}
	b, err := s.sealer.Open(f.SecretSealed, binding(f.TenantID, f.UserID))
	if err != nil {
		return "", apperr.Wrap(err, "authenticator app")
	}
	return string(b), nil
}

// Enrollment is what a person needs to add the workspace to their
// authenticator app: shown once, while the app is unconfirmed.
type Enrollment struct {
	// URI is the otpauth:// URI the QR code holds.
	URI string
	// QRCodePNG is the QR code as a data: URL of a PNG image.
	QRCodePNG string
	// Secret is the base32 secret, for typing in by hand.
	Secret string
}

// BeginTOTP starts setting up an authenticator app for the viewer (a
// signed-in person whose session is recent, or the person of a pending
// sign-in that must enroll): a new secret, unconfirmed until ConfirmTOTP.
// An unconfirmed app is replaced; a confirmed one is ErrAlreadyEnrolled.
func (s *Service) BeginTOTP(ctx context.Context) (*Enrollment, error) {
	v, err := person(ctx)
	if err != nil {
		return nil, err
	}
	if s.sealer == nil {
		return nil, errNotConfigured
	}
	if err := s.requireRecent(ctx); err != nil {
		return nil, err
	}
	u, err := s.client.User.Get(ctx, v.ID)
	if err != nil {
		return nil, apperr.Wrap(err, "user")
	}
	t, err := s.client.Tenant.Get(ctx, v.TenantID)
	if err != nil {
		return nil, apperr.Wrap(err, "workspace")
	}
	// The label is "Issuer:account"; a colon in the issuer would split it.
	issuer := strings.TrimSpace(strings.ReplaceAll(t.Name, ":", " "))
	if issuer == "" {
		issuer = t.Slug
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: period, SecretSize: 20,
		Digits: digits, Algorithm: algorithm})
	if err != nil {
		return nil, apperr.Wrap(err, "authenticator app")
	}
	sealed, err := s.sealer.Seal([]byte(key.Secret()), binding(v.TenantID, v.ID))
	if err != nil {
		return nil, apperr.Wrap(err, "authenticator app")
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, apperr.Wrap(err, "QR code")
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		return nil, apperr.Wrap(err, "QR code")
	}
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		cur, err := tx.TOTPFactor.Query().Where(totpfactor.UserID(v.ID)).Only(ctx)
		switch {
		case err == nil && cur.ConfirmedAt != nil:
			return ErrAlreadyEnrolled
		case err == nil:
			if err := tx.TOTPFactor.DeleteOne(cur).Exec(ctx); err != nil {
				return apperr.Wrap(err, "authenticator app")
			}
		case !ent.IsNotFound(err):
			return apperr.Wrap(err, "authenticator app")
		}
		err = tx.TOTPFactor.Create().SetUserID(v.ID).SetSecretSealed(sealed).Exec(ctx)
		if ent.IsConstraintError(err) {
			// Another enrollment won the race: a retry replaces it.
			return apperr.New(apperr.Conflict, "another setup of an authenticator app is in progress: try again")
		}
		return apperr.Wrap(err, "authenticator app")
	})
	if err != nil {
		return nil, err
	}
	return &Enrollment{
		URI:       key.URL(),
		QRCodePNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBuf.Bytes()),
		Secret:    key.Secret(),
	}, nil
}

// ConfirmTOTP activates the viewer's unconfirmed authenticator app with a
// code from it and returns fresh recovery codes when the person has no
// unused ones (else none). Wrong codes are throttled like sign-in.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	v, err := person(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.requireRecent(ctx); err != nil {
		return nil, err
	}
	keys, err := s.throttled(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	f, err := s.client.TOTPFactor.Query().Where(totpfactor.UserID(v.ID)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, ErrNoEnrollment
	case err != nil:
		return nil, apperr.Wrap(err, "authenticator app")
	case f.ConfirmedAt != nil:
		return nil, ErrAlreadyEnrolled
	}
	secret, err := s.openSecret(f)
	if err != nil {
		return nil, err
	}
	c, ok := normalizeCode(code)
	if !ok {
		return nil, s.wrongCode(ctx, keys, v.ID, "totp", "malformed code")
	}
	step, ok := matchStep(secret, c, s.now())
	if !ok {
		return nil, s.wrongCode(ctx, keys, v.ID, "totp", "wrong code")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var codes []string
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.TOTPFactor.Update().Where(totpfactor.ID(f.ID), totpfactor.ConfirmedAtIsNil()).
			SetConfirmedAt(now).SetLastUsedStep(step).SetLastUsedAt(now).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "authenticator app")
		}
		if n != 1 {
			return ErrAlreadyEnrolled
		}
		if _, err := s.audit.Record(ctx, tx, audit.Event{Action: "mfa.factor_enrolled", TargetType: "user", TargetID: strconv.Itoa(v.ID),
			CredentialType: "totp", Details: map[string]string{"factor": "totp"}}); err != nil {
			return apperr.Wrap(err, "audit event")
		}
		left, err := tx.RecoveryCode.Query().Where(recoverycode.UserID(v.ID), recoverycode.UsedAtIsNil()).Count(ctx)
		if err != nil {
			return apperr.Wrap(err, "recovery codes")
		}
		if left > 0 {
			return nil
		}
		codes, err = s.replaceRecoveryCodes(ctx, tx, v.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	_ = s.limiter.Reset(ctx, keys[0])
	return codes, nil
}

// useTOTP accepts a code of the person's confirmed app once: the step it
// matches must be later than the last accepted, and moving last_used_step
// forward is a conditional UPDATE, so one code wins one race.
func (s *Service) useTOTP(ctx context.Context, userID int, code string) error {
	keys, err := s.throttled(ctx, userID)
	if err != nil {
		return err
	}
	f, err := s.client.TOTPFactor.Query().Where(totpfactor.UserID(userID), totpfactor.ConfirmedAtNotNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return s.wrongCode(ctx, keys, userID, "totp", "no authenticator app")
	}
	if err != nil {
		return apperr.Wrap(err, "authenticator app")
	}
	secret, err := s.openSecret(f)
	if err != nil {
		return err
	}
	c, ok := normalizeCode(code)
	if !ok {
		return s.wrongCode(ctx, keys, userID, "totp", "malformed code")
	}
	step, ok := matchStep(secret, c, s.now())
	if !ok {
		return s.wrongCode(ctx, keys, userID, "totp", "wrong code")
	}
	if step <= f.LastUsedStep {
		return s.wrongCode(ctx, keys, userID, "totp", "code already used")
	}
	if s.beforeSpend != nil {
		s.beforeSpend()
	}
	n, err := s.client.TOTPFactor.Update().Where(totpfactor.ID(f.ID), totpfactor.ConfirmedAtNotNil(), totpfactor.LastUsedStepLT(step)).
		SetLastUsedStep(step).SetLastUsedAt(s.now().UTC().Truncate(time.Microsecond)).Save(ctx)
	if err != nil {
		return apperr.Wrap(err, "authenticator app")
	}
	if n != 1 {
		return s.wrongCode(ctx, keys, userID, "totp", "code already used")
	}
	return apperr.Wrap(s.limiter.Reset(ctx, keys[0]), "throttle")
}

// DisableTOTP removes the viewer's authenticator app and, with it, their
// recovery codes (which only back the app up). The session must have
// authenticated recently.
func (s *Service) DisableTOTP(ctx context.Context) error {
	v, err := person(ctx)
	if err != nil {
		return err
	}
	if _, err := s.currentSession(ctx); err != nil {
		return err
	}
	if err := s.requireRecent(ctx); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.TOTPFactor.Delete().Where(totpfactor.UserID(v.ID), totpfactor.ConfirmedAtNotNil()).Exec(ctx)
		if err != nil {
			return apperr.Wrap(err, "authenticator app")
		}
		if n == 0 {
			return ErrNotEnrolled
		}
		codes, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(v.ID)).Exec(ctx)
		if err != nil {
			return apperr.Wrap(err, "recovery codes")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "mfa.factor_removed", TargetType: "user", TargetID: strconv.Itoa(v.ID),
			Details: map[string]string{"factor": "totp", "recovery_codes_removed": strconv.Itoa(codes)}})
		return apperr.Wrap(err, "audit event")
	})
}

// Reseal re-seals, under the current master secret, every workspace's
// TOTP secrets sealed under a previous one (the service's PreviousSecrets),
// so the previous secret can be dropped: one transaction and one audit
// event (totp.resealed) per workspace. It returns how many moved.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	if s.sealer == nil {
		return 0, errNotConfigured
	}
	rows, err := s.client.TOTPFactor.Query().All(viewer.AsSystem(ctx, "master secret rotation"))
	if err != nil {
		return 0, apperr.Wrap(err, "authenticator apps")
	}
	return reseal.Run(ctx, s.client, s.audit, reseal.Kind[*ent.TOTPFactor]{
		Name:   "totp",
		Tenant: func(f *ent.TOTPFactor) int { return f.TenantID },
		Reseal: func(ctx context.Context, tx *ent.Tx, f *ent.TOTPFactor) (bool, error) {
			out, changed, err := s.sealer.Reseal(f.SecretSealed, binding(f.TenantID, f.UserID))
			if err != nil {
				return false, fmt.Errorf("mfa: the authenticator app of user %d in workspace %d does not open with the secrets given", f.UserID, f.TenantID)
			}
			if !changed {
				return false, nil
			}
			n, err := tx.TOTPFactor.Update().Where(totpfactor.ID(f.ID), totpfactor.SecretSealed(f.SecretSealed)).
				SetSecretSealed(out).Save(ctx)
			return n == 1, err
		},
	}, rows)
}
