package passkey

import (
	"context"
	"errors"
	"strconv"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Assertions: passwordless sign-in with a discoverable credential, a
// passkey as the second step of a sign-in, and step-up of a session.

// errClone is a passkey whose sign counter did not advance.
var errClone = errors.New("passkey sign counter did not advance")

// BeginLogin starts a passwordless sign-in: options with no
// allowCredentials (the authenticator offers the workspace's discoverable
// credentials) and user verification required. The same options serve
// conditional UI: the page passes them to navigator.credentials.get with
// mediation "conditional".
func (s *Service) BeginLogin(ctx context.Context) (*Ceremony, error) {
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	opts, sd, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, apperr.Wrap(err, "login options")
	}
	return s.start(ctx, KindLogin, 0, 0, ceremonyData{Session: *sd}, opts)
}

// FinishLogin verifies an assertion (body, as navigator.credentials.get
// returned it, in JSON) for the ceremony token names, finds the account by
// its user handle, and opens a session with amr [hwk|swk user mfa]. Every
// failure, a disabled account or one without membership included, is
// signin.ErrInvalidCredentials.
func (s *Service) FinishLogin(ctx context.Context, token string, body []byte) (*signin.SignInResult, error) {
	_, d, err := s.spend(ctx, KindLogin, token)
	if err != nil {
		return nil, err
	}
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, signin.ErrInvalidCredentials
	}
	var p *person
	lookup := func(_, handle []byte) (webauthn.User, error) {
		sys := viewer.AsSystem(ctx, "passkey sign-in")
		u, err := s.client.User.Query().Where(user.WebauthnHandle(handle), user.Disabled(false), user.HasMembership()).
			WithMembership().Only(sys)
		if err != nil {
			return nil, errors.New("no such account")
		}
		if p, err = s.loadPerson(ctx, u.ID); err != nil {
			return nil, err
		}
		p.u = u
		return p, nil
	}
	if _, _, err := wa.ValidatePasskeyLogin(lookup, d.Session, parsed); err != nil {
		s.failed(ctx, p, "signin", err)
		return nil, signin.ErrInvalidCredentials
	}
	k := p.find(parsed.RawID)
	uctx := viewer.NewContext(ctx, viewer.Viewer{TenantID: viewer.FromContext(ctx).TenantID, Kind: viewer.Human, ID: p.u.ID,
		Label: p.u.Email, Role: viewer.Role(p.u.Edges.Membership.Role)})
	if err := s.used(uctx, k, parsed, "signin"); err != nil {
		if errors.Is(err, errClone) {
			return nil, signin.ErrInvalidCredentials
		}
		return nil, err
	}
	amr := []string{method(k.BackupEligible)}
	if parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		amr = append(amr, "user", "mfa")
	}
	return s.flows.FirstFactor(ctx, p.u, amr, "passkey")
}

// BeginSecondFactor starts the passkey step of the pending "mfa" sign-in
// pendingToken names: options allowing only that person's passkeys.
func (s *Service) BeginSecondFactor(ctx context.Context, pendingToken string) (*Ceremony, error) {
	pend, err := s.flows.PendingSignIn(ctx, pendingToken)
	if err != nil {
		return nil, err
	}
	if pend.Kind != signin.PendingMFA {
		return nil, signin.ErrNoPending
	}
	return s.beginAssertion(ctx, KindSecondFactor, pend.User.ID, 0, pend.ID, protocol.VerificationPreferred)
}

// FinishSecondFactor verifies the passkey step and completes the pending
// sign-in with it.
func (s *Service) FinishSecondFactor(ctx context.Context, pendingToken, token string, body []byte) (*signin.SignInResult, error) {
	c, d, err := s.spend(ctx, KindSecondFactor, token)
	if err != nil {
		return nil, err
	}
	pend, err := s.flows.PendingSignIn(ctx, pendingToken)
	if err != nil {
		return nil, err
	}
	if pend.Kind != signin.PendingMFA || d.PendingID != pend.ID || c.UserID != pend.User.ID {
		return nil, ErrNoCeremony
	}
	uctx := viewer.NewContext(ctx, pend.Viewer(viewer.FromContext(ctx).TenantID))
	k, err := s.finishAssertion(uctx, c.UserID, d, body, "second_factor")
	if err != nil {
		if errors.Is(err, ErrRejected) {
			return nil, signin.ErrInvalidCredentials
		}
		return nil, err
	}
	return s.flows.CompletePending(ctx, pendingToken, method(k.BackupEligible), "passkey")
}

// BeginStepUp starts re-authenticating the person signed in with cur with
// one of their passkeys (user verification required).
func (s *Service) BeginStepUp(ctx context.Context, cur *ent.Session) (*Ceremony, error) {
	return s.beginAssertion(ctx, KindStepUp, cur.UserID, cur.ID, 0, protocol.VerificationRequired)
}

// FinishStepUp verifies the step-up and replaces cur with a session
// authenticated now, its amr joined with the passkey's.
func (s *Service) FinishStepUp(ctx context.Context, cur *ent.Session, token string, body []byte) (session.Started, error) {
	c, d, err := s.spend(ctx, KindStepUp, token)
	if err != nil {
		return session.Started{}, err
	}
	if c.SessionID == 0 || c.SessionID != cur.ID || c.UserID != cur.UserID {
		return session.Started{}, ErrNoCeremony
	}
	k, err := s.finishAssertion(ctx, c.UserID, d, body, "step_up")
	if err != nil {
		return session.Started{}, err
	}
	return s.flows.StepUp(ctx, cur, method(k.BackupEligible), "passkey")
}

// signedIn is the sign-in answer of a session that stepped up.
func (s *Service) signedIn(ctx context.Context, st session.Started) (*signin.SignInResult, error) {
	u, err := s.client.User.Query().Where(user.ID(st.Session.UserID)).WithMembership().Only(viewer.AsSystem(ctx, "step-up"))
	if err != nil {
		return nil, apperr.Wrap(err, "user")
	}
	if u.Edges.Membership == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	return &signin.SignInResult{User: u, Role: u.Edges.Membership.Role, Session: st}, nil
}

// errNoPasskey answers a passkey step for a person who has none.
var errNoPasskey = apperr.New(apperr.Invalid, "you have no passkey: use another method")

func (s *Service) beginAssertion(ctx context.Context, kind string, userID, sessionID, pendingID int, uv protocol.UserVerificationRequirement) (*Ceremony, error) {
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPerson(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(p.keys) == 0 || len(p.handle) == 0 {
		return nil, errNoPasskey
	}
	opts, sd, err := wa.BeginLogin(p, webauthn.WithUserVerification(uv))
	if err != nil {
		return nil, apperr.Wrap(err, "login options")
	}
	return s.start(ctx, kind, userID, sessionID, ceremonyData{Session: *sd, PendingID: pendingID}, opts)
}

// finishAssertion verifies an assertion by one of userID's passkeys and
// records its use. A response that does not verify is ErrRejected.
func (s *Service) finishAssertion(ctx context.Context, userID int, d ceremonyData, body []byte, purpose string) (*ent.Passkey, error) {
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPerson(ctx, userID)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, ErrRejected
	}
	if _, err := wa.ValidateLogin(p, d.Session, parsed); err != nil {
		s.failed(ctx, p, purpose, err)
		return nil, ErrRejected
	}
	k := p.find(parsed.RawID)
	if err := s.used(ctx, k, parsed, purpose); err != nil {
		if errors.Is(err, errClone) {
			return nil, ErrRejected
		}
		return nil, err
	}
	return k, nil
}

// cloned says whether a sign counter failed to advance: WebAuthn §7.2
// step 17, when either counter is non-zero.
func cloned(stored, got uint32) bool {
	return (stored != 0 || got != 0) && got <= stored
}

// used records a verified assertion by k: the sign counter (which must
// advance, else the passkey is marked clone_warning and refused from then
// on), the backup state and the time, and audits the use.
func (s *Service) used(ctx context.Context, k *ent.Passkey, parsed *protocol.ParsedCredentialAssertionData, purpose string) error {
	if k == nil {
		return signin.ErrInvalidCredentials
	}
	ad := parsed.Response.AuthenticatorData
	if k.CloneWarning || cloned(k.SignCount, ad.Counter) {
		s.markClone(ctx, k, ad.Counter)
		return errClone
	}
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		upd := tx.Passkey.Update().Where(passkey.ID(k.ID), passkey.CloneWarning(false))
		if ad.Counter != 0 {
			// The check is the update: two assertions racing with the
			// same counter cannot both pass.
			upd.Where(passkey.SignCountLT(ad.Counter))
		} else {
			upd.Where(passkey.SignCount(0))
		}
		n, err := upd.SetSignCount(ad.Counter).SetBackupState(ad.Flags.HasBackupState()).SetLastUsedAt(s.now().UTC()).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "passkey")
		}
		if n != 1 {
			return errClone
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "mfa.factor_used", TargetType: "passkey", TargetID: strconv.Itoa(k.ID),
			CredentialType: "passkey", CredentialID: strconv.Itoa(k.ID),
			Details: map[string]string{"factor": "passkey", "purpose": purpose, "amr": method(k.BackupEligible),
				"user_verified": strconv.FormatBool(ad.Flags.HasUserVerified())}})
		return apperr.Wrap(err, "audit event")
	})
	if errors.Is(err, errClone) {
		s.markClone(ctx, k, ad.Counter)
	}
	return err
}

// markClone flags k as possibly cloned, in its own transaction (the
// request fails, the flag stays), and audits it.
func (s *Service) markClone(ctx context.Context, k *ent.Passkey, got uint32) {
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		if err := tx.Passkey.UpdateOneID(k.ID).SetCloneWarning(true).Exec(viewer.AsSystem(ctx, "passkey clone warning")); err != nil {
			return apperr.Wrap(err, "passkey")
		}
		_, err := s.audit.Record(ctx, tx, audit.Event{Action: "mfa.passkey_clone_warning", TargetType: "passkey", TargetID: strconv.Itoa(k.ID),
			Outcome: audit.Denied, CredentialType: "passkey", CredentialID: strconv.Itoa(k.ID),
			Details: map[string]string{"stored_sign_count": strconv.FormatUint(uint64(k.SignCount), 10), "sign_count": strconv.FormatUint(uint64(got), 10)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		s.log.ErrorContext(ctx, "passkey clone warning", "passkey", k.ID, "err", err)
	}
}

// failed audits an assertion that did not verify, for a known person.
func (s *Service) failed(ctx context.Context, p *person, purpose string, cause error) {
	if p == nil {
		return // no account matched: nothing to attribute it to
	}
	reason := "invalid assertion"
	var pe *protocol.Error
	if errors.As(cause, &pe) && pe.Type != "" {
		reason = pe.Type
	}
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		_, err := s.audit.Record(ctx, tx, audit.Event{Action: "mfa.factor_failed", TargetType: "user", TargetID: strconv.Itoa(p.u.ID),
			Outcome: audit.Failure, CredentialType: "passkey", Details: map[string]string{"factor": "passkey", "purpose": purpose, "reason": reason}})
		return err
	})
	if err != nil {
		s.log.ErrorContext(ctx, "audit", "action", "mfa.factor_failed", "err", err)
	}
}
