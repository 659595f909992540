package mfa

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/recoverycode"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
)

// Recovery code shape: RecoveryCodes codes of codeLen base32 characters
// (50 random bits each), shown as two groups of five.
const (
	RecoveryCodes = 10
	codeLen       = 10
	alphabet      = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

// newRecoveryCode returns one code, grouped for reading.
func newRecoveryCode() (string, error) {
	b := make([]byte, codeLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[b[i]&31] // 256 is a multiple of 32: no bias
	}
	return string(b[:codeLen/2]) + "-" + string(b[codeLen/2:]), nil
}

// normalizeRecoveryCode reads a typed code: any case, spaces and hyphens
// ignored, and the digits people type for the letters they resemble.
func normalizeRecoveryCode(in string) (string, bool) {
	c := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(in))
	c = strings.NewReplacer("0", "O", "1", "I", "8", "B").Replace(c)
	if len(c) != codeLen {
		return "", false
	}
	for _, r := range c {
		if !strings.ContainsRune(alphabet, r) {
			return "", false
		}
	}
	return c, true
}

// hashRecoveryCode binds a code to its owner, so two people's codes never
// collide in the unique index and a hash says nothing about anyone else's.
func hashRecoveryCode(userID int, normalized string) string {
	sum := sha256.Sum256([]byte("mandate recovery code v1\x00" + strconv.Itoa(userID) + "\x00" + normalized))
	return hex.EncodeToString(sum[:])
}

// replaceRecoveryCodes deletes the person's codes and stores a new set
// inside tx, returning the codes to show once.
func (s *Service) replaceRecoveryCodes(ctx context.Context, tx *ent.Tx, userID int) ([]string, error) {
	old, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID)).Exec(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "recovery codes")
	}
	codes := make([]string, RecoveryCodes)
	creates := make([]*ent.RecoveryCodeCreate, RecoveryCodes)
	for i := range codes {
		c, err := newRecoveryCode()
		if err != nil {
			return nil, apperr.Wrap(err, "recovery codes")
		}
		n, _ := normalizeRecoveryCode(c)
		codes[i] = c
		creates[i] = tx.RecoveryCode.Create().SetUserID(userID).SetCodeHash(hashRecoveryCode(userID, n))
	}
	if err := tx.RecoveryCode.CreateBulk(creates...).Exec(ctx); err != nil {
		return nil, apperr.Wrap(err, "recovery codes")
	}
	_, err = s.audit.Record(ctx, tx, audit.Event{Action: "mfa.recovery_codes_generated", TargetType: "user", TargetID: strconv.Itoa(userID),
		Details: map[string]string{"count": strconv.Itoa(RecoveryCodes), "replaced": strconv.Itoa(old)}})
	return codes, apperr.Wrap(err, "audit event")
}

// RegenerateRecoveryCodes replaces the viewer's recovery codes with a new
// set, in one transaction, and returns it. The viewer needs an
// authenticator app, and a session that authenticated recently.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context) ([]string, error) {
	v, err := person(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.currentSession(ctx); err != nil {
		return nil, err
	}
	if err := s.requireRecent(ctx); err != nil {
		return nil, err
	}
	var codes []string
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		ok, err := tx.TOTPFactor.Query().Where(totpfactor.UserID(v.ID), totpfactor.ConfirmedAtNotNil()).Exist(ctx)
		if err != nil {
			return apperr.Wrap(err, "authenticator app")
		}
		if !ok {
			return ErrNotEnrolled
		}
		codes, err = s.replaceRecoveryCodes(ctx, tx, v.ID)
		return err
	})
	return codes, err
}

// useRecoveryCode spends one of the person's recovery codes (they must
// have an authenticator app, which the codes back up), audits it with how
// many remain, and mails the person.
func (s *Service) useRecoveryCode(ctx context.Context, userID int, code string) error {
	keys, err := s.throttled(ctx, userID)
	if err != nil {
		return err
	}
	c, ok := normalizeRecoveryCode(code)
	if !ok {
		return s.wrongCode(ctx, keys, userID, "recovery", "malformed code")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var (
		remaining int
		email     string
	)
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		ok, err := tx.TOTPFactor.Query().Where(totpfactor.UserID(userID), totpfactor.ConfirmedAtNotNil()).Exist(ctx)
		if err != nil {
			return apperr.Wrap(err, "authenticator app")
		}
		if !ok {
			return ErrWrongCode
		}
		// The update is the check: a code is spent once, even by two
		// requests at the same time.
		n, err := tx.RecoveryCode.Update().
			Where(recoverycode.UserID(userID), recoverycode.CodeHash(hashRecoveryCode(userID, c)), recoverycode.UsedAtIsNil()).
			SetUsedAt(now).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "recovery codes")
		}
		if n != 1 {
			return ErrWrongCode
		}
		if remaining, err = tx.RecoveryCode.Query().Where(recoverycode.UserID(userID), recoverycode.UsedAtIsNil()).Count(ctx); err != nil {
			return apperr.Wrap(err, "recovery codes")
		}
		u, err := tx.User.Query().Where(user.ID(userID)).Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		email = u.Email
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "mfa.recovery_code_used", TargetType: "user", TargetID: strconv.Itoa(userID),
			CredentialType: "recovery_code", Details: map[string]string{"remaining": strconv.Itoa(remaining)}})
		return apperr.Wrap(err, "audit event")
	})
	if errors.Is(err, ErrWrongCode) {
		return s.wrongCode(ctx, keys, userID, "recovery", "wrong or used code")
	}
	if err != nil {
		return err
	}
	_ = s.limiter.Reset(ctx, keys[0])
	s.flows.Notify(ctx, mail.RecoveryCodeUsed, email, mail.Data{Remaining: remaining})
	return nil
}
