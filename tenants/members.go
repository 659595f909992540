package tenants

import (
	"context"
	"net/mail"
	"strconv"
	"strings"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// NormalizeEmail returns the stored form of an address: trimmed and
// lower-cased, so uniqueness is case-insensitive on every dialect.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 320 || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") && !strings.HasSuffix(e, "@localhost") {
		return "", apperr.InvalidField("email", "%q is not a valid email address", strings.TrimSpace(email))
	}
	return e, nil
}

// NewMember describes a person to add to the viewer's workspace.
type NewMember struct {
	Email string
	Name  string
	Role  viewer.Role
	// PasswordHash is an already-hashed password (see auth/password), or
	// empty for an account that signs in another way or is invited.
	PasswordHash  string
	EmailVerified bool
}

// canGrant reports whether v may give or take away role r: admins manage
// members, only owners manage admins and owners.
func canGrant(v viewer.Viewer, r viewer.Role) error {
	if v.IsSystem() {
		return nil
	}
	if r == viewer.RoleMember && v.Role.AtLeast(viewer.RoleAdmin) {
		return nil
	}
	if v.Role == viewer.RoleOwner {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only an owner can manage %ss", r)
}

// AddMember adds a person to the viewer's workspace: it creates the user
// (or re-activates a removed one) and the membership.
func (s *Service) AddMember(ctx context.Context, in NewMember) (*ent.Membership, error) {
	v, err := requireRole(ctx, viewer.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if !in.Role.Valid() {
		return nil, apperr.InvalidField("role", "role must be owner, admin or member")
	}
	if err := canGrant(v, in.Role); err != nil {
		return nil, err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if len(name) > 200 {
		return nil, apperr.InvalidField("name", "name must be at most 200 characters")
	}
	var m *ent.Membership
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		u, err := tx.User.Query().Where(user.Email(email)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			u, err = tx.User.Create().
				SetEmail(email).SetName(name).
				SetPasswordHash(in.PasswordHash).
				SetEmailVerified(in.EmailVerified).
				Save(ctx)
			if err != nil {
				return apperr.Wrap(err, "user")
			}
			if _, err := s.audit.Record(ctx, tx, audit.Event{
				Action: "user.created", TargetType: "user", TargetID: strconv.Itoa(u.ID),
				Details: map[string]string{"email": email},
			}); err != nil {
				return apperr.Wrap(err, "audit event")
			}
		case err != nil:
			return apperr.Wrap(err, "user")
		default:
			has, err := u.QueryMembership().Exist(ctx)
			if err != nil {
				return apperr.Wrap(err, "membership")
			}
			if has {
				return apperr.New(apperr.Conflict, "%s is already a member", email)
			}
			upd := tx.User.UpdateOne(u).SetDisabled(false)
			if name != "" {
				upd.SetName(name)
			}
			if u, err = upd.Save(ctx); err != nil {
				return apperr.Wrap(err, "user")
			}
		}
		m, err = tx.Membership.Create().SetUserID(u.ID).SetRole(membership.Role(in.Role)).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "membership")
		}
		m.Edges.User = u
		_, err = s.audit.Record(ctx, tx, audit.Event{
			Action: "member.added", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"email": email, "role": string(in.Role), "membership_id": strconv.Itoa(m.ID)},
		})
		return apperr.Wrap(err, "audit event")
	})
	return m, err
}

// ChangeRole changes a membership's role. Only owners grant or take away
// admin and owner, and the last owner keeps the role.
func (s *Service) ChangeRole(ctx context.Context, membershipID int, role viewer.Role) (*ent.Membership, error) {
	v, err := requireRole(ctx, viewer.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, apperr.InvalidField("role", "role must be owner, admin or member")
	}
	var out *ent.Membership
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Membership.Query().Where(membership.ID(membershipID)).WithUser().Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "membership")
		}
		from := viewer.Role(m.Role)
		if err := canGrant(v, from); err != nil {
			return err
		}
		if err := canGrant(v, role); err != nil {
			return err
		}
		if from == role {
			out = m
			return nil
		}
		if from == viewer.RoleOwner {
			if err := s.keepAnOwner(ctx, tx); err != nil {
				return err
			}
		}
		out, err = tx.Membership.UpdateOne(m).SetRole(membership.Role(role)).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "membership")
		}
		out.Edges.User = m.Edges.User
		_, err = s.audit.Record(ctx, tx, audit.Event{
			Action: "member.role_changed", TargetType: "user", TargetID: strconv.Itoa(m.UserID),
			Details: map[string]string{"email": m.Edges.User.Email, "from": string(from), "to": string(role), "membership_id": strconv.Itoa(m.ID)},
		})
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// RemoveMember removes a membership and disables the user: a removed person
// can no longer sign in. The last owner cannot be removed.
func (s *Service) RemoveMember(ctx context.Context, membershipID int) error {
	v, err := requireRole(ctx, viewer.RoleAdmin)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Membership.Query().Where(membership.ID(membershipID)).WithUser().Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "membership")
		}
		role := viewer.Role(m.Role)
		if err := canGrant(v, role); err != nil {
			return err
		}
		if role == viewer.RoleOwner {
			if err := s.keepAnOwner(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.Membership.DeleteOne(m).Exec(ctx); err != nil {
			return apperr.Wrap(err, "membership")
		}
		if err := tx.User.UpdateOneID(m.UserID).SetDisabled(true).Exec(ctx); err != nil {
			return apperr.Wrap(err, "user")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{
			Action: "member.removed", TargetType: "user", TargetID: strconv.Itoa(m.UserID),
			Details: map[string]string{"email": m.Edges.User.Email, "role": string(role), "membership_id": strconv.Itoa(m.ID)},
		})
		return apperr.Wrap(err, "audit event")
	})
}

// keepAnOwner fails unless the workspace has another owner besides the one
// about to lose the role.
func (s *Service) keepAnOwner(ctx context.Context, tx *ent.Tx) error {
	n, err := tx.Membership.Query().Where(membership.RoleEQ(membership.RoleOwner)).Count(ctx)
	if err != nil {
		return apperr.Wrap(err, "membership")
	}
	if n <= 1 {
		return apperr.New(apperr.Conflict, "a workspace must keep at least one owner")
	}
	return nil
}
