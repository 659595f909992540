package social

import (
	"context"
	"fmt"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/reseal"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Reseal re-seals, under the current master secret, every workspace's
// provider client secrets sealed under a previous one (the service's
// PreviousSecrets), so the previous secret can be dropped: one
// transaction and one audit event (identity_provider.resealed) per
// workspace. It returns how many moved.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	rows, err := s.client.IdentityProvider.Query().Where(identityprovider.ClientSecretSealedNotNil()).
		All(viewer.AsSystem(ctx, "master secret rotation"))
	if err != nil {
		return 0, apperr.Wrap(err, "identity providers")
	}
	return reseal.Run(ctx, s.client, s.audit, reseal.Kind[*ent.IdentityProvider]{
		Name:   "identity_provider",
		Tenant: func(p *ent.IdentityProvider) int { return p.TenantID },
		Reseal: func(ctx context.Context, tx *ent.Tx, p *ent.IdentityProvider) (bool, error) {
			if len(p.ClientSecretSealed) == 0 {
				return false, nil
			}
			out, changed, err := s.sealer.Reseal(p.ClientSecretSealed, seal.Binding(p.TenantID, "idp", p.Slug))
			if err != nil {
				return false, fmt.Errorf("social: the client secret of provider %q in workspace %d does not open with the secrets given", p.Slug, p.TenantID)
			}
			if !changed {
				return false, nil
			}
			n, err := tx.IdentityProvider.Update().
				Where(identityprovider.ID(p.ID), identityprovider.ClientSecretSealed(p.ClientSecretSealed)).
				SetClientSecretSealed(out).Save(ctx)
			return n == 1, err
		},
	}, rows)
}
