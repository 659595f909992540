package passkey

import (
	"context"
	"strconv"
	"strings"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// A passkey-only account: the invited person accepts the invitation with
// a passkey instead of a password. Begin checks the invitation without
// spending it; finish verifies the passkey and then, in one transaction,
// spends the invitation, creates the account (verified, no password) and
// its membership, and stores the passkey; the session opens as after a
// passkey sign-in.

// errMember refuses an invitation for an address that is already a member.
var errMember = apperr.New(apperr.Conflict, "this address is already a member: sign in instead")

// invitation returns the live invitation secret names (not spent).
func (s *Service) invitation(ctx context.Context, secret string) (*ent.OneTimeToken, error) {
	if secret == "" || len(secret) > 100 {
		return nil, signin.ErrBadLink
	}
	inv, err := s.client.OneTimeToken.Query().Where(onetimetoken.TokenHash(hashToken(secret)),
		onetimetoken.PurposeEQ(onetimetoken.PurposeInvitation), onetimetoken.UsedAtIsNil(),
		onetimetoken.ExpiresAtGT(s.now().UTC())).Only(viewer.AsSystem(ctx, "invitation"))
	if err != nil {
		return nil, signin.ErrBadLink
	}
	return inv, nil
}

// BeginInvitation starts accepting the invitation secret names with a
// passkey (named passkeyName) for an account named name.
func (s *Service) BeginInvitation(ctx context.Context, secret, name, passkeyName string) (*Ceremony, error) {
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return nil, apperr.InvalidField("name", "name must be at most 200 characters")
	}
	passkeyName, err := cleanName(passkeyName)
	if err != nil {
		return nil, err
	}
	inv, err := s.invitation(ctx, secret)
	if err != nil {
		return nil, err
	}
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	sys := viewer.AsSystem(ctx, "invitation")
	p := &person{u: &ent.User{Email: inv.Email, Name: name}}
	existing, err := s.client.User.Query().Where(user.Email(inv.Email)).WithMembership().Only(sys)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, apperr.Wrap(err, "user")
	case existing.Edges.Membership != nil:
		return nil, errMember
	default:
		if p, err = s.loadPerson(ctx, existing.ID); err != nil {
			return nil, err
		}
		p.u.Name = name
	}
	if p.handle, err = handleFor(p.u); err != nil {
		return nil, apperr.Wrap(err, "random")
	}
	opts, sd, err := wa.BeginRegistration(p, registrationOptions(p)...)
	if err != nil {
		return nil, apperr.Wrap(err, "registration options")
	}
	return s.start(ctx, KindInvitation, 0, 0, ceremonyData{Session: *sd, Name: passkeyName, Invitation: hashToken(secret), PersonName: name}, opts)
}

// FinishInvitation verifies the passkey of the ceremony token names, then
// accepts the invitation with it and signs the new member in.
func (s *Service) FinishInvitation(ctx context.Context, token string, body []byte) (*signin.SignInResult, error) {
	_, d, err := s.spend(ctx, KindInvitation, token)
	if err != nil {
		return nil, err
	}
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	// The account may not exist yet: verify against the handle offered.
	p := &person{u: &ent.User{}, handle: d.Session.UserID}
	cred, err := verifyCreation(wa, p, d, body)
	if err != nil {
		return nil, err
	}
	var (
		u *ent.User
		k *ent.Passkey
	)
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		now := s.now().UTC()
		n, err := tx.OneTimeToken.Update().Where(onetimetoken.TokenHash(d.Invitation), onetimetoken.PurposeEQ(onetimetoken.PurposeInvitation),
			onetimetoken.UsedAtIsNil(), onetimetoken.ExpiresAtGT(now)).SetUsedAt(now).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "invitation")
		}
		if n != 1 {
			return signin.ErrBadLink
		}
		inv, err := tx.OneTimeToken.Query().Where(onetimetoken.TokenHash(d.Invitation)).Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "invitation")
		}
		u, err = tx.User.Query().Where(user.Email(inv.Email)).WithMembership().Only(ctx)
		switch {
		case ent.IsNotFound(err):
			u, err = tx.User.Create().SetEmail(inv.Email).SetName(d.PersonName).SetEmailVerified(true).SetWebauthnHandle(p.handle).Save(ctx)
		case err != nil:
		case u.Edges.Membership != nil:
			return errMember
		default:
			// A former member: the invitation revives the account with
			// this passkey as its way in, and no earlier password.
			upd := tx.User.UpdateOne(u).SetPasswordHash("").SetEmailVerified(true).SetDisabled(false)
			if d.PersonName != "" {
				upd.SetName(d.PersonName)
			}
			u, err = upd.Save(ctx)
		}
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		if err := claimHandle(ctx, tx, u.ID, p.handle); err != nil {
			return err
		}
		m, err := tx.Membership.Create().SetUserID(u.ID).SetRole(membership.Role(inv.Role)).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "membership")
		}
		u.Edges.Membership = m
		uctx := viewer.NewContext(ctx, viewer.Viewer{TenantID: viewer.FromContext(ctx).TenantID, Kind: viewer.Human, ID: u.ID,
			Label: u.Email, Role: viewer.Role(m.Role)})
		if _, err := s.audit.Record(uctx, tx, audit.Event{Action: "member.invitation_accepted", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			CredentialType: "passkey", Details: map[string]string{"invitation_id": strconv.Itoa(inv.ID), "role": inv.Role, "method": "passkey"}}); err != nil {
			return apperr.Wrap(err, "audit event")
		}
		k, err = s.storePasskey(uctx, tx, u.ID, d.Name, cred)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.flows.FirstFactor(ctx, u, []string{method(k.BackupEligible), "user", "mfa"}, "passkey")
}
