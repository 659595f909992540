package tenants

import (
	"context"
	"sync"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Service runs the workspace operations.
type Service struct {
	client *ent.Client
	audit  *audit.Recorder
	now    func() time.Time

	// slugs caches slug -> tenant id. Slugs are immutable and tenants are
	// never deleted, so an entry never goes stale.
	slugs sync.Map

	// OnSettingsChange is told when a workspace's settings changed (the
	// issuer rebuilds its provider).
	OnSettingsChange func(tenantID int)
}

// NewService returns a service over client, recording with rec.
func NewService(client *ent.Client, rec *audit.Recorder) *Service {
	return &Service{client: client, audit: rec, now: rec.Now}
}

// Client returns the ent client, for read paths.
func (s *Service) Client() *ent.Client { return s.client }

// inTx runs fn in one transaction: everything fn writes, and its audit
// event, commits together or not at all.
func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return entx.InTx(ctx, s.client, fn)
}

// requireRole returns the viewer if it may act with at least role min in its
// tenant. The system may do anything.
func requireRole(ctx context.Context, min viewer.Role) (viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v.IsSystem() && v.HasTenant() {
		return v, nil
	}
	if !v.HasTenant() || v.Kind == viewer.Anonymous {
		return v, apperr.New(apperr.Unauthenticated, "authentication required")
	}
	if !v.Role.AtLeast(min) {
		return v, apperr.New(apperr.Forbidden, "this needs the %s role", min)
	}
	return v, nil
}
