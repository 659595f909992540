package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/apitoken"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// TokenPrefix starts every API token, so secret scanners can spot a leaked
// one.
const TokenPrefix = "mdt_"

// tokenDisplayLen is how much of a token is kept to recognise it in a list.
const tokenDisplayLen = len(TokenPrefix) + 8

// lastUsedGranularity limits last_used_at writes to one per token per minute:
// authentication must not be a write on every request.
const lastUsedGranularity = time.Minute

// NewAPIToken describes a token to create.
type NewAPIToken struct {
	Name      string
	Role      viewer.Role
	ExpiresAt *time.Time
}

// hashToken returns the stored form of a token.
func hashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken creates a token in the viewer's workspace and returns it
// with its secret, which is never retrievable again. A token cannot carry a
// role above its creator's. Admins only.
func (s *Service) CreateAPIToken(ctx context.Context, in NewAPIToken) (*ent.APIToken, string, error) {
	v, err := requireRole(ctx, viewer.RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, "", apperr.InvalidField("name", "name must be 1-200 characters")
	}
	if !in.Role.Valid() {
		return nil, "", apperr.InvalidField("role", "role must be owner, admin or member")
	}
	if !v.IsSystem() && !v.Role.AtLeast(in.Role) {
		return nil, "", apperr.New(apperr.Forbidden, "a token cannot have a role above yours (%s)", v.Role)
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return nil, "", apperr.InvalidField("expiresAt", "expiry must be in the future")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", apperr.Wrap(err, "token")
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	var t *ent.APIToken
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		c := tx.APIToken.Create().
			SetName(name).
			SetRole(apitoken.Role(in.Role)).
			SetTokenHash(hashToken(secret)).
			SetPrefix(secret[:tokenDisplayLen]).
			SetCreatedBy(creatorLabel(v))
		if in.ExpiresAt != nil {
			c.SetExpiresAt(in.ExpiresAt.UTC().Truncate(time.Microsecond))
		}
		t, err = c.Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "API token")
		}
		d := map[string]string{"name": name, "role": string(in.Role), "prefix": t.Prefix}
		if t.ExpiresAt != nil {
			d["expires_at"] = t.ExpiresAt.Format(time.RFC3339)
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{
			Action: "api_token.created", TargetType: "api_token", TargetID: strconv.Itoa(t.ID), Details: d,
		})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

func creatorLabel(v viewer.Viewer) string {
	if v.Label != "" {
		return string(v.Kind) + ":" + v.Label
	}
	return string(v.Kind)
}

// RevokeAPIToken revokes a token; it stops working at once. Admins only;
// an owner's token only by an owner.
func (s *Service) RevokeAPIToken(ctx context.Context, id int) (*ent.APIToken, error) {
	v, err := requireRole(ctx, viewer.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var out *ent.APIToken
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		t, err := tx.APIToken.Get(ctx, id)
		if err != nil {
			return apperr.Wrap(err, "API token")
		}
		if !v.IsSystem() && !v.Role.AtLeast(viewer.Role(t.Role)) {
			return apperr.New(apperr.Forbidden, "only an owner can revoke an owner's token")
		}
		if t.RevokedAt != nil {
			out = t
			return nil
		}
		out, err = tx.APIToken.UpdateOne(t).SetRevokedAt(s.now().UTC().Truncate(time.Microsecond)).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "API token")
		}
		_, err = s.audit.Record(ctx, tx, audit.Event{
			Action: "api_token.revoked", TargetType: "api_token", TargetID: strconv.Itoa(t.ID),
			Details: map[string]string{"name": t.Name, "prefix": t.Prefix},
		})
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// errBadToken is the one answer for every unusable token, so a caller
// cannot tell a wrong token from a revoked or expired one.
var errBadToken = apperr.New(apperr.Unauthenticated, "invalid, expired or revoked token")

// AuthenticateAPIToken returns the viewer a bearer token acts as in the
// workspace tenantID.
func (s *Service) AuthenticateAPIToken(ctx context.Context, tenantID int, raw string) (viewer.Viewer, error) {
	if !strings.HasPrefix(raw, TokenPrefix) || len(raw) > 200 {
		return viewer.Viewer{}, errBadToken
	}
	h := hashToken(raw)
	sys := viewer.AsSystem(viewer.ForTenant(ctx, tenantID), "authenticate API token")
	t, err := s.client.APIToken.Query().Where(apitoken.TenantID(tenantID), apitoken.TokenHash(h)).Only(sys)
	if ent.IsNotFound(err) {
		return viewer.Viewer{}, errBadToken
	}
	if err != nil {
		return viewer.Viewer{}, apperr.Wrap(err, "API token")
	}
	now := s.now()
	if subtle.ConstantTimeCompare([]byte(t.TokenHash), []byte(h)) != 1 ||
		t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
		return viewer.Viewer{}, errBadToken
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedGranularity {
		// Best effort: a failed bookkeeping write must not fail the request.
		_ = s.client.APIToken.UpdateOneID(t.ID).SetLastUsedAt(now.UTC().Truncate(time.Microsecond)).Exec(sys)
	}
	return viewer.Viewer{
		TenantID: tenantID,
		Kind:     viewer.APIToken,
		ID:       t.ID,
		Label:    t.Name,
		Role:     viewer.Role(t.Role),
	}, nil
}
