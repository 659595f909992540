package graph

import (
	"errors"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/graph/model"
	"github.com/mandatehq/mandate/internal/apperr"
)

// WithSecurity wires a person's authenticator app and recovery codes, and
// the admin reset of a member's factors.
func (h *Handler) WithSecurity(s *mfa.Service) *Handler {
	h.resolver.mfa = s
	return h
}

func (r *Resolver) mfaOrErr() (*mfa.Service, error) {
	if r.mfa == nil {
		return nil, apperr.New(apperr.Internal, "two-factor authentication is not configured")
	}
	return r.mfa, nil
}

// stepUpCode is the error code of a sensitive change on a session that
// authenticated too long ago: the page steps up and retries.
const stepUpCode = "STEP_UP_REQUIRED"

// securityError gives signin.ErrStepUp and a lock-out after wrong codes
// their own codes (the presenter keeps a gqlerror that already has one);
// other errors pass as they are.
func securityError(err error) error {
	var locked *signin.LockedError
	switch {
	case errors.Is(err, signin.ErrStepUp):
		return &gqlerror.Error{Message: signin.ErrStepUp.Message, Extensions: map[string]any{"code": stepUpCode}}
	case errors.As(err, &locked):
		return &gqlerror.Error{Message: locked.Error(), Extensions: map[string]any{"code": "RATE_LIMITED",
			"retryAfterSeconds": max(1, int(locked.RetryAfter.Round(time.Second).Seconds()))}}
	}
	return err
}

func mySecurity(st *mfa.Status) *model.MySecurity {
	amr := st.Session.Amr
	if amr == nil {
		amr = []string{}
	}
	return &model.MySecurity{
		Totp:                   &model.TOTPStatus{Enabled: st.TOTPEnabled, ConfirmedAt: st.TOTPConfirmedAt},
		RecoveryCodesRemaining: st.RecoveryCodesRemaining,
		MfaRequired:            st.MFARequired,
		Amr:                    amr,
		AuthTime:               st.Session.AuthTime,
		RecentlyAuthenticated:  st.Recent,
		StepUpMinutes:          int(st.StepUpWindow.Minutes()),
		HasPassword:            st.HasPassword,
	}
}

func recoveryCodes(codes []string) *model.RecoveryCodeSet {
	if codes == nil {
		codes = []string{}
	}
	return &model.RecoveryCodeSet{RecoveryCodes: codes}
}

func resetPayload(res *mfa.ResetResult) *model.ResetMemberFactorsPayload {
	other := 0
	for _, n := range res.Other {
		other += n
	}
	return &model.ResetMemberFactorsPayload{UserID: res.UserID, TotpRemoved: res.TOTPRemoved,
		RecoveryCodesRemoved: res.RecoveryCodesRemoved, OtherFactorsRemoved: other}
}
