// Package webhooks delivers a workspace's outbound notifications: signed
// events to the workspace's webhooks (approval requests and decisions),
// and OpenID CIBA pings to an agent's notification endpoint. A delivery is
// written in the transaction of the change it reports, so it is never
// lost and never sent for a change that rolled back; a worker sends it
// afterwards with retries and back-off, keeping a delivery log.
//
// Admins manage their workspace's webhooks (Create shows the signing
// secret once; it is kept sealed, bound to its row) and read the delivery
// log. DeliverDue, run by Run on every replica, claims each due delivery
// with a conditional update, so one attempt is sent by one replica only.
// Events are signed as the Mandate-Signature header describes;
// VerifySignature is the receiver's side.
//
// It does not decide what to notify or whom: the capabilities that raise
// events (agents/approval) do.
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/webhook"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/netguard"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

const (
	sealPurpose  = "mandate webhooks v1"
	pingBinding  = "ciba_ping"
	hookBinding  = "webhook"
	maxPingToken = 1024
)

// Config wires a Service.
type Config struct {
	Client       *ent.Client
	Audit        *audit.Recorder
	MasterSecret []byte
	// PreviousSecrets are earlier master secrets, still opening webhook
	// secrets and ping tokens sealed under them until Reseal moves them.
	PreviousSecrets [][]byte
	Now             func() time.Time
	// HTTPClient sends webhook events to the endpoints admins chose (a
	// short timeout, no redirects): they may be internal services.
	HTTPClient *http.Client
	// PingClient sends CIBA pings, to the endpoint an agent registered
	// itself: nil means public addresses only (internal/netguard, checked
	// at every dial), so an agent cannot make the server call inside its
	// network.
	PingClient *http.Client
	Log        *slog.Logger
}

// Service records and sends deliveries.
type Service struct {
	cfg    Config
	sealer *seal.Sealer
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.NewRecorder()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.PingClient == nil {
		cfg.PingClient = netguard.Client(10 * time.Second)
	}
	s, err := seal.NewRing(seal.Ring(cfg.MasterSecret, cfg.PreviousSecrets...), sealPurpose)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, sealer: s}, nil
}

// ping is what a CIBA ping needs, sealed at rest: the client's bearer
// token for its endpoint and the auth_req_id the body names.
type ping struct {
	Bearer    string `json:"bearer"`
	AuthReqID string `json:"auth_req_id"`
}

// SealPing seals a CIBA client's notification token and the auth_req_id
// for the ping that will follow the decision on approvalID.
func (s *Service) SealPing(tenantID int, approvalID, bearer, authReqID string) ([]byte, error) {
	if bearer == "" || len(bearer) > maxPingToken {
		return nil, errors.New("webhooks: the notification token must be 1-1024 characters")
	}
	b, _ := json.Marshal(ping{Bearer: bearer, AuthReqID: authReqID})
	return s.sealer.Seal(b, seal.Binding(tenantID, pingBinding, approvalID))
}

// EnqueuePing records, in tx, a CIBA ping to endpoint for approvalID,
// carrying what SealPing sealed.
func (s *Service) EnqueuePing(ctx context.Context, tx *ent.Tx, endpoint, approvalID string, sealed []byte) error {
	return tx.WebhookDelivery.Create().SetKind(webhookdelivery.KindPing).SetEvent("ciba.ping").
		SetURL(endpoint).SetApprovalID(approvalID).SetSealed(sealed).
		SetNextAttemptAt(at(s.cfg.Now())).Exec(viewer.AsSystem(ctx, "ciba ping"))
}

// Enqueue records, in tx, one delivery of event to every enabled webhook
// of the viewer's workspace that subscribes to it. data is the event's
// "data" object.
func (s *Service) Enqueue(ctx context.Context, tx *ent.Tx, event, approvalID string, data any) error {
	sys := viewer.AsSystem(ctx, "webhook event")
	hooks, err := tx.Webhook.Query().Where(webhook.Disabled(false)).All(sys)
	if err != nil {
		return err
	}
	now := at(s.cfg.Now())
	body, err := json.Marshal(map[string]any{"type": event, "created": now.Unix(), "data": data})
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if len(h.Events) > 0 && !slices.Contains(h.Events, event) {
			continue
		}
		if err := tx.WebhookDelivery.Create().SetKind(webhookdelivery.KindWebhook).SetWebhookID(h.ID).
			SetEvent(event).SetURL(h.URL).SetPayload(string(body)).SetApprovalID(approvalID).
			SetNextAttemptAt(now).Exec(sys); err != nil {
			return err
		}
	}
	return nil
}
