package mfa

import (
	"context"

	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// errEnrollFirst answers a code for a sign-in that is waiting for an
// enrollment, not a second factor.
var errEnrollFirst = apperr.New(apperr.Forbidden, "this workspace requires a second factor: set one up to finish signing in")

// pendingPerson returns the pending sign-in token names, and ctx acting as
// its person (who has proved a first factor).
func (s *Service) pendingPerson(ctx context.Context, token string) (context.Context, *signin.Pending, error) {
	p, err := s.flows.PendingSignIn(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	return viewer.NewContext(ctx, p.Viewer(viewer.FromContext(ctx).TenantID)), p, nil
}

// ForEnrollment returns ctx acting as the person of a pending sign-in
// that waits for them to set up a second factor (the workspace requires
// one and they have none): BeginTOTP accepts it in place of a session.
// Any other pending sign-in is ErrNotEnrolling: adding a factor with only
// a password proved would defeat the factor the person already has.
func (s *Service) ForEnrollment(ctx context.Context, token string) (context.Context, *signin.Pending, error) {
	pctx, p, err := s.pendingPerson(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if p.Kind != signin.PendingEnroll {
		return nil, nil, ErrNotEnrolling
	}
	return context.WithValue(pctx, enrollingKey{}, true), p, nil
}

// ConfirmEnrollment confirms the authenticator app a pending sign-in's
// person just set up and completes the sign-in with it: the session (amr
// pwd, otp, mfa) and the person's new recovery codes.
func (s *Service) ConfirmEnrollment(ctx context.Context, token, code string) (*signin.SignInResult, []string, error) {
	pctx, _, err := s.ForEnrollment(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	codes, err := s.ConfirmTOTP(pctx, code)
	if err != nil {
		return nil, nil, err
	}
	res, err := s.flows.CompletePending(pctx, token, "otp", "totp")
	if err != nil {
		return nil, nil, err
	}
	return res, codes, nil
}

// CompleteWithTOTP completes a pending sign-in with a code of the person's
// authenticator app.
func (s *Service) CompleteWithTOTP(ctx context.Context, token, code string) (*signin.SignInResult, error) {
	return s.complete(ctx, token, code, "totp", s.useTOTP)
}

// CompleteWithRecoveryCode completes a pending sign-in with one of the
// person's recovery codes, which is then spent (and the person mailed).
func (s *Service) CompleteWithRecoveryCode(ctx context.Context, token, code string) (*signin.SignInResult, error) {
	return s.complete(ctx, token, code, "recovery_code", s.useRecoveryCode)
}

func (s *Service) complete(ctx context.Context, token, code, credential string, use func(context.Context, int, string) error) (*signin.SignInResult, error) {
	pctx, p, err := s.pendingPerson(ctx, token)
	if err != nil {
		return nil, err
	}
	if p.Kind != signin.PendingMFA {
		return nil, errEnrollFirst
	}
	if err := use(pctx, p.User.ID, code); err != nil {
		return nil, err
	}
	return s.flows.CompletePending(pctx, token, "otp", credential)
}

// StepUpTOTP re-authenticates the viewer's session cur with a code of
// their authenticator app and replaces it (signin.Flows.StepUp): a new
// session id, auth_time now, "otp" joined to its amr.
func (s *Service) StepUpTOTP(ctx context.Context, cur *ent.Session, code string) (session.Started, error) {
	v, err := person(ctx)
	if err != nil {
		return session.Started{}, err
	}
	if cur.UserID != v.ID {
		return session.Started{}, errPersonOnly
	}
	if err := s.useTOTP(ctx, v.ID, code); err != nil {
		return session.Started{}, err
	}
	return s.flows.StepUp(ctx, cur, "otp", "totp")
}
