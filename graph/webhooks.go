package graph

import (
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// WithWebhooks wires the workspace's webhooks and delivery log.
func (h *Handler) WithWebhooks(s *webhooks.Service) *Handler {
	h.resolver.webhooks = s
	return h
}

func (r *Resolver) webhooksOrErr() (*webhooks.Service, error) {
	if r.webhooks == nil {
		return nil, apperr.New(apperr.Internal, "webhooks are not configured")
	}
	return r.webhooks, nil
}
