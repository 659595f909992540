package social

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// asPerson returns ctx acting as u, so the audit trail of what a federated
// sign-in does to an account names its owner; ctx's request details stay.
func asPerson(ctx context.Context, tenantID int, u *ent.User, role membership.Role) context.Context {
	return viewer.NewContext(ctx, viewer.Viewer{TenantID: tenantID, Kind: viewer.Human, ID: u.ID, Label: u.Email, Role: viewer.Role(role)})
}

// resolve finds or makes the account a verified federated identity signs
// in to, in the workspace ctx is bound to:
//
//  1. the account already linked to (provider, subject);
//  2. else, when the provider says the address is verified and allows
//     linking by verified address, the account with that address, linked
//     now (audited account.linked, automatic);
//  3. else, when the provider allows sign-up, has verified the address,
//     and the workspace's sign-up mode admits it (open; invite_only with a
//     pending invitation for the address), a new account without a
//     password, linked;
//  4. else a refusal that says what to do.
//
// It records signin.federated in the same transaction.
func (s *Service) resolve(ctx context.Context, t *ent.Tenant, p *ent.IdentityProvider, id Identity) (*ent.User, error) {
	var out *ent.User
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		fi, err := tx.FederatedIdentity.Query().Where(federatedidentity.ProviderID(p.ID), federatedidentity.Subject(id.Subject)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return apperr.Wrap(err, "linked account")
		}
		var u *ent.User
		if fi != nil {
			if u, err = tx.User.Query().Where(user.ID(fi.UserID)).WithMembership().Only(ctx); err != nil {
				return &loginError{code: CodeAccountDisabled, msg: "the account linked to this identity no longer exists", cause: err}
			}
			if err := tx.FederatedIdentity.UpdateOne(fi).SetLastUsedAt(now).SetEmail(id.Email).SetEmailVerified(id.EmailVerified).Exec(ctx); err != nil {
				return apperr.Wrap(err, "linked account")
			}
		} else if u, err = s.firstSignIn(ctx, tx, t, p, id, now); err != nil {
			return err
		}
		if u.Disabled || u.Edges.Membership == nil {
			return &loginError{code: CodeAccountDisabled, msg: "this account is disabled: ask an admin of the workspace"}
		}
		out = u
		_, err = s.audit.Record(asPerson(ctx, t.ID, u, u.Edges.Membership.Role), tx, audit.Event{Action: "signin.federated", TargetType: "user",
			TargetID: strconv.Itoa(u.ID), CredentialType: "federated:" + p.Slug,
			Details: map[string]string{"provider": p.Slug, "subject": id.Subject, "email": id.Email, "email_verified": strconv.FormatBool(id.EmailVerified)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		if apperr.KindOf(err) == apperr.Conflict {
			// A concurrent first sign-in of the same identity linked it.
			return nil, &loginError{code: CodeInternal, msg: "this sign-in raced another one: try again", cause: err}
		}
		s.record(ctx, audit.Event{Action: "signin.federated", Outcome: audit.Denied, CredentialType: "federated:" + p.Slug,
			Details: map[string]string{"provider": p.Slug, "subject": id.Subject, "email": id.Email, "reason": Code(err)}})
		return nil, err
	}
	return out, nil
}

// firstSignIn links an identity seen for the first time to an account by
// its verified address, or creates one, inside tx.
func (s *Service) firstSignIn(ctx context.Context, tx *ent.Tx, t *ent.Tenant, p *ent.IdentityProvider, id Identity, now time.Time) (*ent.User, error) {
	email, _ := tenants.NormalizeEmail(id.Email)
	var existing *ent.User
	if email != "" {
		u, err := tx.User.Query().Where(user.Email(email)).WithMembership().Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, apperr.Wrap(err, "user")
		}
		existing = u
	}
	if existing != nil {
		if !id.EmailVerified || !p.LinkVerifiedEmail || existing.Edges.Membership == nil {
			return nil, &loginError{code: CodeLinkRequired, msg: "an account with this email address already exists: sign in to it, then link " +
				p.DisplayName + " from your account page"}
		}
		if err := s.createLink(ctx, tx, t.ID, existing, existing.Edges.Membership.Role, p, id, now, true); err != nil {
			return nil, err
		}
		return existing, nil
	}
	if !p.AllowSignUp {
		return nil, &loginError{code: CodeNoAccount, msg: "no account is linked to this " + p.DisplayName +
			" identity: sign in another way, then link " + p.DisplayName + " from your account page"}
	}
	if email == "" {
		return nil, &loginError{code: CodeNoEmail, msg: p.DisplayName + " did not share an email address, which a new account needs"}
	}
	if !id.EmailVerified {
		// An account made from an address nobody proved would let whoever
		// signed up at a careless provider with someone else's address
		// keep a way into the account that person later takes over
		// (pre-account hijacking).
		return nil, &loginError{code: CodeUnverifiedEmail, msg: p.DisplayName + " has not verified the address " + email + ", which a new account needs"}
	}
	role := membership.RoleMember
	var invitation *ent.OneTimeToken
	switch t.Settings.SignUpMode {
	case settings.SignUpOpen:
	case settings.SignUpInviteOnly:
		// An invitation to this address admits it, if the provider
		// verified that the person controls the address.
		inv, err := tx.OneTimeToken.Query().Where(onetimetoken.PurposeEQ(onetimetoken.PurposeInvitation), onetimetoken.Email(email),
			onetimetoken.UsedAtIsNil(), onetimetoken.ExpiresAtGT(now)).Order(ent.Desc(onetimetoken.FieldCreatedAt)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, apperr.Wrap(err, "invitation")
		}
		if inv == nil {
			return nil, &loginError{code: CodeNoAccount, msg: "this workspace is invitation-only: ask an admin to invite you"}
		}
		invitation, role = inv, membership.Role(inv.Role)
	default:
		return nil, &loginError{code: CodeNoAccount, msg: "this workspace does not accept sign-ups"}
	}
	u, err := tx.User.Create().SetEmail(email).SetName(strings.TrimSpace(id.Name)).SetEmailVerified(id.EmailVerified).Save(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "user")
	}
	m, err := tx.Membership.Create().SetUserID(u.ID).SetRole(role).Save(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "membership")
	}
	u.Edges.Membership = m
	pctx := asPerson(ctx, t.ID, u, role)
	details := map[string]string{"email": email, "role": string(role), "provider": p.Slug, "email_verified": strconv.FormatBool(id.EmailVerified)}
	if invitation != nil {
		if n, err := tx.OneTimeToken.Update().Where(onetimetoken.ID(invitation.ID), onetimetoken.UsedAtIsNil()).SetUsedAt(now).Save(ctx); err != nil || n != 1 {
			return nil, &loginError{code: CodeNoAccount, msg: "this invitation was just used: sign in instead", cause: err}
		}
		details["invitation_id"] = strconv.Itoa(invitation.ID)
	}
	if _, err := s.audit.Record(pctx, tx, audit.Event{Action: "user.signed_up", TargetType: "user", TargetID: strconv.Itoa(u.ID), Details: details}); err != nil {
		return nil, apperr.Wrap(err, "audit event")
	}
	if err := s.createLink(ctx, tx, t.ID, u, role, p, id, now, true); err != nil {
		return nil, err
	}
	return u, nil
}

// createLink links u to the identity inside tx and audits it.
func (s *Service) createLink(ctx context.Context, tx *ent.Tx, tenantID int, u *ent.User, role membership.Role, p *ent.IdentityProvider, id Identity,
	now time.Time, automatic bool) error {
	fi, err := tx.FederatedIdentity.Create().SetUserID(u.ID).SetProviderID(p.ID).SetSubject(id.Subject).SetEmail(id.Email).
		SetEmailVerified(id.EmailVerified).SetLastUsedAt(now).Save(ctx)
	if err != nil {
		return apperr.Wrap(err, "linked account")
	}
	_, err = s.audit.Record(asPerson(ctx, tenantID, u, role), tx, audit.Event{Action: "account.linked", TargetType: "federated_identity",
		TargetID: strconv.Itoa(fi.ID), CredentialType: "federated:" + p.Slug,
		Details: map[string]string{"provider": p.Slug, "subject": id.Subject, "user_id": strconv.Itoa(u.ID), "automatic": strconv.FormatBool(automatic)}})
	return apperr.Wrap(err, "audit event")
}

// link links an identity to the signed-in viewer (ctx's), refusing one
// linked to someone else and a second identity at the same provider.
// It returns whether the identity was already linked to the viewer.
func (s *Service) link(ctx context.Context, p *ent.IdentityProvider, id Identity) (bool, error) {
	v := viewer.FromContext(ctx)
	already := false
	err := s.inTx(ctx, func(tx *ent.Tx) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		fi, err := tx.FederatedIdentity.Query().Where(federatedidentity.ProviderID(p.ID), federatedidentity.Subject(id.Subject)).Only(ctx)
		switch {
		case err == nil && fi.UserID == v.ID:
			already = true
			return apperr.Wrap(tx.FederatedIdentity.UpdateOne(fi).SetLastUsedAt(now).Exec(ctx), "linked account")
		case err == nil:
			return &loginError{code: CodeLinkedElsewhere, msg: "this " + p.DisplayName + " identity is linked to another account"}
		case !ent.IsNotFound(err):
			return apperr.Wrap(err, "linked account")
		}
		other, err := tx.FederatedIdentity.Query().Where(federatedidentity.ProviderID(p.ID), federatedidentity.UserID(v.ID)).Exist(ctx)
		if err != nil {
			return apperr.Wrap(err, "linked account")
		}
		if other {
			return &loginError{code: CodeAlreadyLinked, msg: "your account is already linked to another " + p.DisplayName + " identity: unlink it first"}
		}
		// Locked: two removals at once must not both pass the check
		// below and leave the person with no way to sign in.
		u, err := tx.User.Query().Where(user.ID(v.ID), entx.LockForUpdate).Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		return s.createLink(ctx, tx, v.TenantID, u, membership.Role(v.Role), p, id, now, false)
	})
	if err != nil && apperr.KindOf(err) == apperr.Conflict {
		return false, &loginError{code: CodeLinkedElsewhere, msg: "this " + p.DisplayName + " identity is linked to another account", cause: err}
	}
	return already, err
}

// LinkedAccount is one identity at a provider linked to the viewer's
// account.
type LinkedAccount struct {
	ID           int
	Provider     string
	ProviderName string
	Kind         string
	Email        string
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

func requirePerson(ctx context.Context) (viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Human || v.ID == 0 {
		return v, apperr.New(apperr.Forbidden, "only a signed-in person has linked accounts")
	}
	return v, nil
}

// LinkedAccounts lists the identities linked to the signed-in viewer.
func (s *Service) LinkedAccounts(ctx context.Context) ([]*LinkedAccount, error) {
	v, err := requirePerson(ctx)
	if err != nil {
		return nil, err
	}
	fis, err := s.client.FederatedIdentity.Query().Where(federatedidentity.UserID(v.ID)).Order(ent.Asc(federatedidentity.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "linked accounts")
	}
	out := make([]*LinkedAccount, 0, len(fis))
	if len(fis) == 0 {
		return out, nil
	}
	ps, err := s.client.IdentityProvider.Query().All(viewer.AsSystem(ctx, "name linked providers"))
	if err != nil {
		return nil, apperr.Wrap(err, "identity providers")
	}
	byID := map[int]*ent.IdentityProvider{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	for _, fi := range fis {
		la := &LinkedAccount{ID: fi.ID, Email: fi.Email, CreatedAt: fi.CreatedAt, LastUsedAt: fi.LastUsedAt}
		if p := byID[fi.ProviderID]; p != nil {
			la.Provider, la.ProviderName, la.Kind = p.Slug, p.DisplayName, string(p.Kind)
		}
		out = append(out, la)
	}
	return out, nil
}

// ErrLastSignInMethod refuses an unlink that would leave the account with
// no way to sign in.
var ErrLastSignInMethod = apperr.New(apperr.Conflict,
	"this is the last way to sign in to your account: set a password, add a passkey or link another provider first")

// Unlink removes one of the signed-in viewer's linked identities, after a
// recent authentication, unless it is the account's last way to sign in
// (no password, no passkey, no other linked identity).
func (s *Service) Unlink(ctx context.Context, id int) error {
	v, err := requirePerson(ctx)
	if err != nil {
		return err
	}
	if v.SessionID == 0 {
		return apperr.New(apperr.Forbidden, "sign in to unlink an account")
	}
	sess, err := s.client.Session.Get(viewer.AsSystem(ctx, "unlink step-up"), v.SessionID)
	if err != nil {
		return apperr.Wrap(err, "session")
	}
	if err := s.flows.RequireRecent(ctx, sess, false); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *ent.Tx) error {
		fi, err := tx.FederatedIdentity.Query().Where(federatedidentity.ID(id), federatedidentity.UserID(v.ID)).Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "linked account")
		}
		u, err := tx.User.Get(ctx, v.ID)
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		others, err := tx.FederatedIdentity.Query().Where(federatedidentity.UserID(v.ID), federatedidentity.IDNEQ(fi.ID)).Count(ctx)
		if err != nil {
			return apperr.Wrap(err, "linked accounts")
		}
		keys, err := tx.Passkey.Query().Where(passkey.UserID(v.ID)).Count(ctx)
		if err != nil {
			return apperr.Wrap(err, "passkeys")
		}
		if u.PasswordHash == "" && keys == 0 && others == 0 {
			return ErrLastSignInMethod
		}
		if err := tx.FederatedIdentity.DeleteOne(fi).Exec(ctx); err != nil {
			return apperr.Wrap(err, "linked account")
		}
		slug := ""
		if p, err := tx.IdentityProvider.Get(ctx, fi.ProviderID); err == nil {
			slug = p.Slug
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "account.unlinked", TargetType: "federated_identity", TargetID: strconv.Itoa(fi.ID),
			Details: map[string]string{"provider": slug, "subject": fi.Subject, "user_id": strconv.Itoa(v.ID)}})
		return apperr.Wrap(err, "audit event")
	})
}
