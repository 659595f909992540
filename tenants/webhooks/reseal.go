package webhooks

import (
	"context"
	"fmt"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/webhook"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/reseal"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Reseal re-seals, under the current master secret, every webhook secret
// and every pending CIBA ping's sealed token still under a previous one
// (the service's PreviousSecrets), so the previous secret can be dropped:
// per workspace, one transaction and one audit event for each kind
// (webhook.resealed, webhook_ping.resealed). It returns how many values
// moved.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	sys := viewer.AsSystem(ctx, "master secret rotation")
	hooks, err := s.cfg.Client.Webhook.Query().All(sys)
	if err != nil {
		return 0, err
	}
	n, err := reseal.Run(ctx, s.cfg.Client, s.cfg.Audit, reseal.Kind[*ent.Webhook]{
		Name:   "webhook",
		Tenant: func(h *ent.Webhook) int { return h.TenantID },
		Reseal: func(ctx context.Context, tx *ent.Tx, h *ent.Webhook) (bool, error) {
			out, changed, err := s.sealer.Reseal(h.Secret, hookSecretBinding(h.TenantID, h.ID))
			if err != nil {
				return false, fmt.Errorf("webhooks: the secret of webhook %d in workspace %d does not open with the secrets given", h.ID, h.TenantID)
			}
			if !changed {
				return false, nil
			}
			c, err := tx.Webhook.Update().Where(webhook.ID(h.ID), webhook.Secret(h.Secret)).SetSecret(out).Save(ctx)
			return c == 1, err
		},
	}, hooks)
	if err != nil {
		return n, err
	}
	// Only pings still to be sent need their token; a delivered or failed
	// one is never opened again.
	pings, err := s.cfg.Client.WebhookDelivery.Query().
		Where(webhookdelivery.SealedNotNil(), webhookdelivery.StatusEQ(webhookdelivery.StatusPending)).All(sys)
	if err != nil {
		return n, err
	}
	m, err := reseal.Run(ctx, s.cfg.Client, s.cfg.Audit, reseal.Kind[*ent.WebhookDelivery]{
		Name:   "webhook_ping",
		Tenant: func(d *ent.WebhookDelivery) int { return d.TenantID },
		Reseal: func(ctx context.Context, tx *ent.Tx, d *ent.WebhookDelivery) (bool, error) {
			if len(d.Sealed) == 0 {
				return false, nil
			}
			out, changed, err := s.sealer.Reseal(d.Sealed, seal.Binding(d.TenantID, pingBinding, d.ApprovalID))
			if err != nil {
				return false, fmt.Errorf("webhooks: the ping token of delivery %d in workspace %d does not open with the secrets given", d.ID, d.TenantID)
			}
			if !changed {
				return false, nil
			}
			c, err := tx.WebhookDelivery.Update().Where(webhookdelivery.ID(d.ID), webhookdelivery.Sealed(d.Sealed)).
				SetSealed(out).Save(ctx)
			return c == 1, err
		},
	}, pings)
	return n + m, err
}
