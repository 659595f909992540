package passkey

import (
	"context"
	"strconv"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/federatedidentity"
	"github.com/mandatehq/mandate/ent/passkey"
	entsession "github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// A person manages their own passkeys: each query names the viewer's user,
// so another person's passkey, in this workspace or another, is NotFound.

// errNotPerson refuses a principal that is not a signed-in person.
var errNotPerson = apperr.New(apperr.Forbidden, "only a signed-in person has passkeys")

// errNotFound is the answer for a passkey that is not the viewer's.
var errNotFound = apperr.New(apperr.NotFound, "passkey not found")

func signedInPerson(ctx context.Context) (viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Human || !v.HasTenant() || v.ID == 0 {
		return v, errNotPerson
	}
	return v, nil
}

// List returns the viewer's passkeys, oldest first.
func (s *Service) List(ctx context.Context) ([]*ent.Passkey, error) {
	v, err := signedInPerson(ctx)
	if err != nil {
		return nil, err
	}
	ks, err := s.client.Passkey.Query().Where(passkey.UserID(v.ID)).Order(ent.Asc(passkey.FieldCreatedAt), ent.Asc(passkey.FieldID)).All(ctx)
	return ks, apperr.Wrap(err, "passkeys")
}

// Rename renames one of the viewer's passkeys.
func (s *Service) Rename(ctx context.Context, id int, name string) (*ent.Passkey, error) {
	v, err := signedInPerson(ctx)
	if err != nil {
		return nil, err
	}
	name, err = cleanName(name)
	if err != nil {
		return nil, err
	}
	n, err := s.client.Passkey.Update().Where(passkey.ID(id), passkey.UserID(v.ID)).SetName(name).Save(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "passkey")
	}
	if n != 1 {
		return nil, errNotFound
	}
	k, err := s.client.Passkey.Get(ctx, id)
	return k, apperr.Wrap(err, "passkey")
}

// Remove deletes one of the viewer's passkeys. The session must be recent
// (signin.ErrStepUp otherwise), and the passkey may not be the account's
// last way to sign in (ErrLastMethod): no password, no other passkey, no
// linked account.
func (s *Service) Remove(ctx context.Context, cur *ent.Session, id int) error {
	v, err := signedInPerson(ctx)
	if err != nil {
		return err
	}
	if cur == nil || cur.UserID != v.ID {
		return apperr.New(apperr.Unauthenticated, "sign in first")
	}
	// Which passkey it is is no secret to its owner: NotFound comes
	// before the step-up, so a person learns a wrong id without one.
	k, err := s.client.Passkey.Query().Where(passkey.ID(id), passkey.UserID(v.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		return errNotFound
	}
	if err != nil {
		return apperr.Wrap(err, "passkey")
	}
	if err := s.flows.RequireRecent(ctx, cur, false); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *ent.Tx) error {
		// Locked: two removals at once must not both pass the check
		// below and leave the person with no way to sign in.
		u, err := tx.User.Query().Where(user.ID(v.ID), entx.LockForUpdate).Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		others, err := tx.Passkey.Query().Where(passkey.UserID(v.ID), passkey.IDNEQ(k.ID)).Count(ctx)
		if err != nil {
			return apperr.Wrap(err, "passkeys")
		}
		linked, err := tx.FederatedIdentity.Query().Where(federatedidentity.UserID(v.ID)).Count(ctx)
		if err != nil {
			return apperr.Wrap(err, "linked accounts")
		}
		if u.PasswordHash == "" && others == 0 && linked == 0 {
			return ErrLastMethod
		}
		n, err := tx.Passkey.Delete().Where(passkey.ID(k.ID), passkey.UserID(v.ID)).Exec(ctx)
		if err != nil {
			return apperr.Wrap(err, "passkey")
		}
		if n != 1 {
			return errNotFound
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{Action: "mfa.factor_removed", TargetType: "passkey", TargetID: strconv.Itoa(k.ID),
			Details: map[string]string{"factor": "passkey", "name": k.Name, "remaining_passkeys": strconv.Itoa(others)}})
		return apperr.Wrap(err, "audit event")
	})
}

// SessionOf reads the viewer's session (for callers that have only the
// viewer, such as GraphQL): nil when the viewer acts without one.
func (s *Service) SessionOf(ctx context.Context) (*ent.Session, error) {
	v := viewer.FromContext(ctx)
	if v.SessionID == 0 {
		return nil, nil
	}
	cur, err := s.client.Session.Query().Where(entsession.ID(v.SessionID), entsession.UserID(v.ID)).Only(viewer.AsSystem(ctx, "current session"))
	if err != nil {
		return nil, apperr.Wrap(err, "session")
	}
	return cur, nil
}
