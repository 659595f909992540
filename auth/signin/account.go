package signin

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/authchallenge"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	"github.com/mandatehq/mandate/ent/outboxmessage"
	"github.com/mandatehq/mandate/ent/passkey"
	"github.com/mandatehq/mandate/ent/recoverycode"
	entsession "github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/totpfactor"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Lifetimes of the links of this file.
const (
	InvitationTTL  = 7 * 24 * time.Hour
	ChangeEmailTTL = 24 * time.Hour
)

// errWrongPassword is the answer to a wrong current password.
var errWrongPassword = apperr.InvalidField("password", "the current password is wrong")

// me returns the signed-in user of ctx with a fresh read.
func (f *Flows) me(ctx context.Context) (*ent.User, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Human {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	u, err := f.client.User.Get(ctx, v.ID)
	return u, apperr.Wrap(err, "user")
}

// checkCurrent verifies the viewer's current password, with the same
// per-account and per-client limits as sign-in: a stolen session must not
// become a password oracle.
func (f *Flows) checkCurrent(ctx context.Context, u *ent.User, pw string) error {
	keys := []ratelimit.Key{ratelimit.AccountKey(u.Email), ratelimit.IPKey(audit.RequestFrom(ctx).IP)}
	if wait, err := f.limiter.Locked(ctx, keys...); err != nil {
		return apperr.Wrap(err, "throttle")
	} else if wait > 0 {
		return &LockedError{RetryAfter: wait}
	}
	if u.PasswordHash == "" || f.verify(pw, u.PasswordHash) != nil {
		if _, err := f.limiter.Fail(ctx, keys...); err != nil {
			return apperr.Wrap(err, "throttle")
		}
		f.record(ctx, audit.Event{Action: "user.reauth_failed", TargetType: "user", TargetID: strconv.Itoa(u.ID), Outcome: audit.Failure})
		return errWrongPassword
	}
	return apperr.Wrap(f.limiter.Reset(ctx, keys[0]), "throttle")
}

// ChangePassword replaces the viewer's password after checking the current
// one, signs out every other session and replaces the current one with a
// new id (a change of credentials is a change of privilege). The session
// must have authenticated recently (ErrStepUp otherwise).
func (f *Flows) ChangePassword(ctx context.Context, cur *ent.Session, current, next string) (session.Started, error) {
	if err := f.RequireRecent(ctx, cur, false); err != nil {
		return session.Started{}, err
	}
	u, err := f.me(ctx)
	if err != nil {
		return session.Started{}, err
	}
	if err := f.checkCurrent(ctx, u, current); err != nil {
		return session.Started{}, err
	}
	if err := password.Check(next, u.Email); err != nil {
		return session.Started{}, apperr.InvalidField("newPassword", "%s", err.Error())
	}
	h, err := f.hash(next)
	if err != nil {
		return session.Started{}, apperr.Wrap(err, "password")
	}
	t, err := f.workspace(ctx)
	if err != nil {
		return session.Started{}, err
	}
	var st session.Started
	err = f.inTx(ctx, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOne(u).SetPasswordHash(h).Exec(ctx); err != nil {
			return apperr.Wrap(err, "user")
		}
		n, err := f.sessions.EndAllOf(ctx, tx, u.ID, 0, "password changed")
		if err != nil {
			return apperr.Wrap(err, "sessions")
		}
		if st, err = f.sessions.Start(ctx, tx, u, cur.Amr, cur.ExpiresAt.Sub(f.now())); err != nil {
			return apperr.Wrap(err, "session")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "user.password_changed", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"sessions_ended": strconv.Itoa(n)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return session.Started{}, err
	}
	f.send(ctx, mail.PasswordChange, u.Email, mail.Data{Workspace: t.Name, Link: f.baseURL + "/t/" + t.Slug + "/account"})
	return st, nil
}

// ChangeEmail mails a confirmation link to the new address; the address
// changes only when the link is followed. The session must have
// authenticated recently (ErrStepUp otherwise).
func (f *Flows) ChangeEmail(ctx context.Context, cur *ent.Session, newEmail, current string) error {
	if err := f.RequireRecent(ctx, cur, false); err != nil {
		return err
	}
	u, err := f.me(ctx)
	if err != nil {
		return err
	}
	// A person without a password (passkeys or a linked provider only)
	// proves it is them by the recent authentication alone.
	if u.PasswordHash != "" {
		if err := f.checkCurrent(ctx, u, current); err != nil {
			return err
		}
	}
	email, err := tenants.NormalizeEmail(newEmail)
	if err != nil {
		return err
	}
	if email == u.Email {
		return apperr.InvalidField("newEmail", "that is already your address")
	}
	t, err := f.workspace(ctx)
	if err != nil {
		return err
	}
	taken, err := f.client.User.Query().Where(user.Email(email)).Exist(ctx)
	if err != nil {
		return apperr.Wrap(err, "user")
	}
	if taken {
		// Answer as if sent: whether an address has an account is not
		// disclosed, here either.
		return nil
	}
	var secret string
	err = f.inTx(ctx, func(tx *ent.Tx) error {
		if secret, err = f.newLinkToken(ctx, tx, onetimetoken.PurposeChangeEmail, u, email, ChangeEmailTTL); err != nil {
			return apperr.Wrap(err, "link")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "user.email_change_requested", TargetType: "user", TargetID: strconv.Itoa(u.ID)})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return err
	}
	f.send(ctx, mail.ChangeEmail, email, mail.Data{Workspace: t.Name, Link: f.link(t.Slug, "confirm-email", secret), ExpiresIn: ChangeEmailTTL})
	return nil
}

// StepUpPassword re-authenticates the viewer's session with its password
// (throttled like sign-in) and replaces it: a new session id, auth_time
// now, "pwd" in its amr.
func (f *Flows) StepUpPassword(ctx context.Context, cur *ent.Session, pw string) (session.Started, error) {
	u, err := f.me(ctx)
	if err != nil {
		return session.Started{}, err
	}
	if err := f.checkCurrent(ctx, u, pw); err != nil {
		return session.Started{}, err
	}
	return f.StepUp(ctx, cur, "pwd", "password")
}

// ConfirmEmail spends a change-of-address link and switches the address.
func (f *Flows) ConfirmEmail(ctx context.Context, secret string) error {
	return f.inTx(ctx, func(tx *ent.Tx) error {
		t, err := f.consume(ctx, tx, onetimetoken.PurposeChangeEmail, secret)
		if err != nil {
			return err
		}
		u, err := tx.User.Get(ctx, t.UserID)
		if err != nil || u.Disabled {
			return ErrBadLink
		}
		if err := tx.User.UpdateOne(u).SetEmail(t.Email).SetEmailVerified(true).Exec(ctx); err != nil {
			if ent.IsConstraintError(err) {
				return apperr.New(apperr.Conflict, "that address now belongs to another account")
			}
			return apperr.Wrap(err, "user")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "user.email_changed", TargetType: "user", TargetID: strconv.Itoa(u.ID)})
		return apperr.Wrap(err, "audit event")
	})
}

// Invite mails an invitation to join the viewer's workspace with role.
// Admins invite members; only owners invite admins and owners.
func (f *Flows) Invite(ctx context.Context, emailIn string, role viewer.Role) (*ent.OneTimeToken, error) {
	v := viewer.FromContext(ctx)
	if err := requireAdmin(v, role); err != nil {
		return nil, err
	}
	email, err := tenants.NormalizeEmail(emailIn)
	if err != nil {
		return nil, err
	}
	t, err := f.workspace(ctx)
	if err != nil {
		return nil, err
	}
	member, err := f.client.Membership.Query().Where(membership.HasUserWith(user.Email(email))).Exist(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "membership")
	}
	if member {
		return nil, apperr.New(apperr.Conflict, "%s is already a member", email)
	}
	var (
		secret string
		inv    *ent.OneTimeToken
	)
	err = f.inTx(ctx, func(tx *ent.Tx) error {
		b, err := randomSecret()
		if err != nil {
			return apperr.Wrap(err, "link")
		}
		secret = b
		inv, err = tx.OneTimeToken.Create().
			SetPurpose(onetimetoken.PurposeInvitation).SetTokenHash(hashSecret(secret)).
			SetEmail(email).SetRole(string(role)).
			SetExpiresAt(f.now().UTC().Add(InvitationTTL).Truncate(time.Microsecond)).
			Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "invitation")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "member.invited", TargetType: "invitation", TargetID: strconv.Itoa(inv.ID),
			Details: map[string]string{"email": email, "role": string(role)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	f.send(ctx, mail.Invitation, email, mail.Data{Workspace: t.Name, Role: string(role), Link: f.link(t.Slug, "accept-invitation", secret), ExpiresIn: InvitationTTL})
	return inv, nil
}

func requireAdmin(v viewer.Viewer, grant viewer.Role) error {
	if v.IsSystem() && v.HasTenant() {
		return nil
	}
	if !v.HasTenant() || v.Kind == viewer.Anonymous {
		return apperr.New(apperr.Unauthenticated, "authentication required")
	}
	if !grant.Valid() {
		return apperr.InvalidField("role", "role must be owner, admin or member")
	}
	if !v.Role.AtLeast(viewer.RoleAdmin) || (grant != viewer.RoleMember && v.Role != viewer.RoleOwner) {
		return apperr.New(apperr.Forbidden, "admins manage members; only owners manage admins and owners")
	}
	return nil
}

// AcceptInvitation spends an invitation: it creates the account (verified:
// the link proves the inbox) with the password chosen, and its membership,
// and returns the address so the caller can sign the new member in.
func (f *Flows) AcceptInvitation(ctx context.Context, secret, pw, name string) (string, error) {
	var email string
	err := f.inTx(ctx, func(tx *ent.Tx) error {
		inv, err := f.consume(ctx, tx, onetimetoken.PurposeInvitation, secret)
		if err != nil {
			return err
		}
		if err := password.Check(pw, inv.Email); err != nil {
			return apperr.InvalidField("password", "%s", err.Error())
		}
		if len(name) > 200 {
			return apperr.InvalidField("name", "name must be at most 200 characters")
		}
		h, err := f.hash(pw)
		if err != nil {
			return apperr.Wrap(err, "password")
		}
		u, err := tx.User.Query().Where(user.Email(inv.Email)).WithMembership().Only(ctx)
		switch {
		case ent.IsNotFound(err):
			u, err = tx.User.Create().SetEmail(inv.Email).SetName(strings.TrimSpace(name)).SetPasswordHash(h).SetEmailVerified(true).Save(ctx)
		case err != nil:
		case u.Edges.Membership != nil:
			return apperr.New(apperr.Conflict, "this address is already a member: sign in instead")
		default:
			u, err = tx.User.UpdateOne(u).SetPasswordHash(h).SetEmailVerified(true).SetDisabled(false).Save(ctx)
		}
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		if err := tx.Membership.Create().SetUserID(u.ID).SetRole(membership.Role(inv.Role)).Exec(ctx); err != nil {
			return apperr.Wrap(err, "membership")
		}
		email = u.Email
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "member.invitation_accepted", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"invitation_id": strconv.Itoa(inv.ID), "role": inv.Role}})
		return apperr.Wrap(err, "audit event")
	})
	return email, err
}

// SetDisabled disables or re-enables a member's account; disabling ends
// their sessions at once. Admins only; owners for admins and owners.
func (f *Flows) SetDisabled(ctx context.Context, userID int, disabled bool) (*ent.User, error) {
	var out *ent.User
	err := f.inTx(ctx, func(tx *ent.Tx) error {
		u, m, err := f.managedUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if disabled && m != nil && m.Role == membership.RoleOwner {
			if n, err := tx.Membership.Query().Where(membership.RoleEQ(membership.RoleOwner), membership.UserIDNEQ(userID)).
				Where(membership.HasUserWith(user.Disabled(false))).Count(ctx); err != nil || n == 0 {
				return apperr.New(apperr.Conflict, "a workspace must keep at least one active owner")
			}
		}
		if out, err = tx.User.UpdateOne(u).SetDisabled(disabled).Save(ctx); err != nil {
			return apperr.Wrap(err, "user")
		}
		action, n := "user.enabled", 0
		if disabled {
			action = "user.disabled"
			if n, err = f.sessions.EndAllOf(ctx, tx, u.ID, 0, "account disabled"); err != nil {
				return apperr.Wrap(err, "sessions")
			}
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"sessions_ended": strconv.Itoa(n)}})
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// managedUser loads a user the viewer may manage, with its membership.
func (f *Flows) managedUser(ctx context.Context, tx *ent.Tx, userID int) (*ent.User, *ent.Membership, error) {
	v := viewer.FromContext(ctx)
	// Only members are managed: a removed or deleted account is not
	// re-enabled or deleted again through here.
	u, err := tx.User.Query().Where(user.ID(userID), user.HasMembership()).WithMembership().Only(ctx)
	if err != nil {
		return nil, nil, apperr.Wrap(err, "user")
	}
	role := viewer.Role(u.Edges.Membership.Role)
	if err := requireAdmin(v, role); err != nil {
		return nil, nil, err
	}
	return u, u.Edges.Membership, nil
}

// RevokeUserSessions ends every session of a member (admins).
func (f *Flows) RevokeUserSessions(ctx context.Context, userID int) (int, error) {
	var n int
	err := f.inTx(ctx, func(tx *ent.Tx) error {
		u, _, err := f.managedUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if n, err = f.sessions.EndAllOf(ctx, tx, u.ID, 0, "revoked by an admin"); err != nil {
			return apperr.Wrap(err, "sessions")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "session.revoked_by_admin", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"sessions_ended": strconv.Itoa(n)}})
		return apperr.Wrap(err, "audit event")
	})
	return n, err
}

// DeleteUser removes a member's personal data (admins): the account is
// kept only as a pseudonymous id that audit events refer to.
func (f *Flows) DeleteUser(ctx context.Context, userID int) error {
	return f.inTx(ctx, func(tx *ent.Tx) error {
		u, m, err := f.managedUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		return f.erase(ctx, tx, u, m, "user.deleted")
	})
}

// DeleteAccount removes the viewer's own account after checking the
// password, or, for a person without one (passkeys or a linked provider
// only), that the session authenticated recently (ErrStepUp otherwise).
func (f *Flows) DeleteAccount(ctx context.Context, cur *ent.Session, pw string) error {
	u, err := f.me(ctx)
	if err != nil {
		return err
	}
	if u.PasswordHash == "" {
		if err := f.RequireRecent(ctx, cur, false); err != nil {
			return err
		}
	} else if err := f.checkCurrent(ctx, u, pw); err != nil {
		return err
	}
	return f.inTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Membership.Query().Where(membership.UserID(u.ID)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return apperr.Wrap(err, "membership")
		}
		return f.erase(ctx, tx, u, m, "user.deleted_self")
	})
}

// erase ends the sessions, removes the membership, the links and the
// personal data of u, keeping the row as a pseudonym.
func (f *Flows) erase(ctx context.Context, tx *ent.Tx, u *ent.User, m *ent.Membership, action string) error {
	if m != nil && m.Role == membership.RoleOwner {
		n, err := tx.Membership.Query().
			Where(membership.RoleEQ(membership.RoleOwner), membership.IDNEQ(m.ID), membership.HasUserWith(user.Disabled(false))).
			Count(ctx)
		if err != nil || n == 0 {
			return apperr.New(apperr.Conflict, "a workspace must keep at least one active owner")
		}
	}
	if _, err := f.sessions.EndAllOf(ctx, tx, u.ID, 0, "account deleted"); err != nil {
		return apperr.Wrap(err, "sessions")
	}
	if _, err := tx.Session.Delete().Where(entsession.UserID(u.ID)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "sessions")
	}
	if m != nil {
		if err := tx.Membership.DeleteOne(m).Exec(ctx); err != nil {
			return apperr.Wrap(err, "membership")
		}
	}
	if _, err := tx.OneTimeToken.Delete().Where(onetimetoken.UserID(u.ID)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "links")
	}
	if _, err := tx.OneTimeToken.Delete().Where(onetimetoken.Email(u.Email)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "links")
	}
	// Every way in and every factor goes with the account: passkeys, the
	// authenticator app, recovery codes, linked provider identities (a
	// later sign-in through that provider starts afresh) and any sign-in
	// in progress.
	if _, err := tx.Passkey.Delete().Where(passkey.UserID(u.ID)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "passkeys")
	}
	if _, err := tx.TOTPFactor.Delete().Where(totpfactor.UserID(u.ID)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "authenticator app")
	}
	if _, err := tx.RecoveryCode.Delete().Where(recoverycode.UserID(u.ID)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "recovery codes")
	}
	if _, err := tx.FederatedIdentity.Delete().Where(federatedidentity.UserID(u.ID)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "linked accounts")
	}
	if _, err := tx.AuthChallenge.Delete().Where(authchallenge.UserID(u.ID)).Exec(ctx); err != nil {
		return apperr.Wrap(err, "sign-ins in progress")
	}
	pseudonym := "deleted-" + strconv.Itoa(u.ID) + "@invalid.example"
	if err := tx.User.UpdateOne(u).SetEmail(pseudonym).SetName("").SetPasswordHash("").SetEmailVerified(false).SetDisabled(true).
		ClearWebauthnHandle().Exec(ctx); err != nil {
		return apperr.Wrap(err, "user")
	}
	_, err := f.audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "user", TargetID: strconv.Itoa(u.ID)})
	return apperr.Wrap(err, "audit event")
}

// DevOutbox lists the emails kept when no SMTP server is configured, newest
// first. Admins only: the messages hold live links.
func (f *Flows) DevOutbox(ctx context.Context, limit int) (bool, []*ent.OutboxMessage, error) {
	v := viewer.FromContext(ctx)
	if !v.Role.AtLeast(viewer.RoleAdmin) {
		return false, nil, apperr.New(apperr.Forbidden, "this needs the admin role")
	}
	if _, ok := f.mail.(*mail.Outbox); !ok {
		return false, nil, nil
	}
	msgs, err := f.client.OutboxMessage.Query().Order(ent.Desc(outboxmessage.FieldID)).Limit(limit).All(ctx)
	return true, msgs, apperr.Wrap(err, "outbox")
}
