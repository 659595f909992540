package mfa

import (
	"context"
	"strconv"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/recoverycode"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// ResetResult says what an admin reset removed.
type ResetResult struct {
	UserID               int
	Email                string
	TOTPRemoved          bool
	RecoveryCodesRemoved int
	// Other counts what each Resetter removed, by factor ("passkeys").
	Other map[string]int
}

// Removed says whether the reset removed anything.
func (r *ResetResult) Removed() bool {
	if r.TOTPRemoved || r.RecoveryCodesRemoved > 0 {
		return true
	}
	for _, n := range r.Other {
		if n > 0 {
			return true
		}
	}
	return false
}

// ResetFactors removes a member's second factors (a lost phone): their
// authenticator app, recovery codes and, through the Resetters, passkeys;
// their next sign-in asks for a password only, or walks them through
// enrollment where the workspace requires a factor. Admins reset members;
// only owners reset admins and owners; nobody resets their own this way
// (their security settings do, after a step-up). The member is mailed.
func (s *Service) ResetFactors(ctx context.Context, userID int) (*ResetResult, error) {
	v := viewer.FromContext(ctx)
	system := v.IsSystem() && v.HasTenant()
	if !system {
		switch {
		case !v.HasTenant() || v.Kind == viewer.Anonymous:
			return nil, apperr.New(apperr.Unauthenticated, "authentication required")
		case !v.Role.AtLeast(viewer.RoleAdmin):
			return nil, apperr.New(apperr.Forbidden, "this needs the admin role")
		case v.Kind == viewer.Human && v.ID == userID:
			return nil, apperr.New(apperr.Forbidden, "change your own second factors from your security settings")
		}
	}
	res := &ResetResult{UserID: userID, Other: map[string]int{}}
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		u, err := tx.User.Query().Where(user.ID(userID), user.HasMembership()).WithMembership().Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		role := viewer.Role(u.Edges.Membership.Role)
		if !system && role != viewer.RoleMember && v.Role != viewer.RoleOwner {
			return apperr.New(apperr.Forbidden, "only an owner can reset the factors of an admin or an owner")
		}
		res.Email = u.Email
		n, err := tx.TOTPFactor.Delete().Where(totpfactor.UserID(userID)).Exec(ctx)
		if err != nil {
			return apperr.Wrap(err, "authenticator app")
		}
		// An unconfirmed app was never a factor: deleting it is tidying.
		res.TOTPRemoved = n > 0
		if res.RecoveryCodesRemoved, err = tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID), recoverycode.UsedAtIsNil()).Exec(ctx); err != nil {
			return apperr.Wrap(err, "recovery codes")
		}
		if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(userID)).Exec(ctx); err != nil {
			return apperr.Wrap(err, "recovery codes")
		}
		details := map[string]string{"email": u.Email, "role": string(role), "totp_removed": strconv.FormatBool(res.TOTPRemoved),
			"recovery_codes_removed": strconv.Itoa(res.RecoveryCodesRemoved)}
		for _, r := range s.resetters {
			n, err := r.r.ResetAll(ctx, tx, userID)
			if err != nil {
				return apperr.Wrap(err, r.factor)
			}
			res.Other[r.factor] = n
			details[r.factor+"_removed"] = strconv.Itoa(n)
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "mfa.factors_reset", TargetType: "user", TargetID: strconv.Itoa(userID), Details: details})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	if res.Removed() {
		s.flows.Notify(ctx, mail.FactorsReset, res.Email, mail.Data{})
	}
	return res, nil
}
