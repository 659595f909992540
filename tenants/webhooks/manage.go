package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/webhook"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Events are the event names a webhook may subscribe to.
var Events = []string{"approval.requested", "approval.approved", "approval.denied"}

// Limits of the delivery log.
const (
	DefaultDeliveries = 50
	MaxDeliveries     = 500
)

// NewWebhook describes a webhook to create.
type NewWebhook struct {
	URL         string
	Description string
	// Events subscribed to; empty means every event.
	Events []string
}

// requireAdmin returns the viewer if it may manage the workspace's
// webhooks: an admin or owner (a person or an API token), or the system
// bound to the workspace.
func requireAdmin(ctx context.Context) (viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v.IsSystem() && v.HasTenant() {
		return v, nil
	}
	if !v.HasTenant() || v.Kind == viewer.Anonymous {
		return v, apperr.New(apperr.Unauthenticated, "authentication required")
	}
	if (v.Kind != viewer.Human && v.Kind != viewer.APIToken) || !v.Role.AtLeast(viewer.RoleAdmin) {
		return v, apperr.New(apperr.Forbidden, "this needs the admin role")
	}
	return v, nil
}

// checkURL parses a webhook's endpoint: https, or plain http only to a
// loopback host (a receiver on the same machine, as in development and
// tests); no credentials in it and no fragment.
func checkURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 2000 {
		return "", apperr.InvalidField("url", "url must be 1-2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Hostname() == "" || u.Opaque != "" {
		return "", apperr.InvalidField("url", "url must be an absolute https:// URL")
	}
	if u.User != nil {
		return "", apperr.InvalidField("url", "url must not carry a user name or password")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", apperr.InvalidField("url", "url must not have a fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return "", apperr.InvalidField("url", "url must use https (plain http only to a loopback address)")
		}
	default:
		return "", apperr.InvalidField("url", "url must use https")
	}
	return u.String(), nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// checkEvents returns the sorted, de-duplicated event names, all known.
func checkEvents(in []string) ([]string, error) {
	out := []string{}
	for _, e := range in {
		e = strings.TrimSpace(e)
		if !slices.Contains(Events, e) {
			return nil, apperr.InvalidField("events", "unknown event %q: use %s", e, strings.Join(Events, ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out, nil
}

// hookSecretBinding binds a webhook's sealed secret to its row.
func hookSecretBinding(tenantID, id int) []byte {
	return seal.Binding(tenantID, hookBinding, strconv.Itoa(id))
}

// Create adds a webhook to the viewer's workspace and returns it with its
// signing secret, which is never shown again (it is kept sealed, bound to
// the row). Admins only.
func (s *Service) Create(ctx context.Context, in NewWebhook) (*ent.Webhook, string, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, "", err
	}
	u, err := checkURL(in.URL)
	if err != nil {
		return nil, "", err
	}
	desc := strings.TrimSpace(in.Description)
	if len(desc) > 200 {
		return nil, "", apperr.InvalidField("description", "description must be at most 200 characters")
	}
	events, err := checkEvents(in.Events)
	if err != nil {
		return nil, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", apperr.Wrap(err, "secret")
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	var out *ent.Webhook
	err = entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		// The row first, for the id its sealed secret is bound to.
		h, err := tx.Webhook.Create().SetURL(u).SetDescription(desc).SetEvents(events).SetSecret([]byte{}).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "webhook")
		}
		sealed, err := s.sealer.Seal([]byte(secret), hookSecretBinding(h.TenantID, h.ID))
		if err != nil {
			return apperr.Wrap(err, "secret")
		}
		if out, err = tx.Webhook.UpdateOne(h).SetSecret(sealed).Save(ctx); err != nil {
			return apperr.Wrap(err, "webhook")
		}
		_, err = s.cfg.Audit.Record(ctx, tx, audit.Event{Action: "webhook.created", TargetType: "webhook",
			TargetID: strconv.Itoa(h.ID), Details: hookDetails(out)})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// hookDetails describes a webhook for the audit log: the endpoint's host
// only, since a URL may carry a token in its path or query.
func hookDetails(h *ent.Webhook) map[string]string {
	d := map[string]string{"disabled": strconv.FormatBool(h.Disabled)}
	if u, err := url.Parse(h.URL); err == nil {
		d["host"] = u.Host
	}
	if h.Description != "" {
		d["description"] = h.Description
	}
	if len(h.Events) > 0 {
		d["events"] = strings.Join(h.Events, " ")
	} else {
		d["events"] = "all"
	}
	return d
}

// List returns the viewer's workspace's webhooks, newest first. Admins
// only.
func (s *Service) List(ctx context.Context) ([]*ent.Webhook, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	hs, err := s.cfg.Client.Webhook.Query().Order(ent.Desc(webhook.FieldCreatedAt), ent.Desc(webhook.FieldID)).All(ctx)
	return hs, apperr.Wrap(err, "webhooks")
}

// Get returns one webhook of the viewer's workspace. Admins only.
func (s *Service) Get(ctx context.Context, id int) (*ent.Webhook, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	h, err := s.cfg.Client.Webhook.Get(ctx, id)
	return h, apperr.Wrap(err, "webhook")
}

// SetDisabled stops or resumes a webhook. A disabled webhook gets no new
// deliveries, and those still pending fail instead of being sent. Admins
// only.
func (s *Service) SetDisabled(ctx context.Context, id int, disabled bool) (*ent.Webhook, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var out *ent.Webhook
	err := entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		h, err := tx.Webhook.Query().Where(webhook.ID(id), entx.LockForUpdate).Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "webhook")
		}
		if h.Disabled == disabled {
			out = h
			return nil
		}
		if out, err = tx.Webhook.UpdateOne(h).SetDisabled(disabled).Save(ctx); err != nil {
			return apperr.Wrap(err, "webhook")
		}
		d := hookDetails(out)
		d["change"] = map[bool]string{true: "disabled", false: "enabled"}[disabled]
		_, err = s.cfg.Audit.Record(ctx, tx, audit.Event{Action: "webhook.updated", TargetType: "webhook",
			TargetID: strconv.Itoa(h.ID), Details: d})
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// Delete removes a webhook. Its delivery log stays; deliveries still
// pending fail. Admins only.
func (s *Service) Delete(ctx context.Context, id int) error {
	if _, err := requireAdmin(ctx); err != nil {
		return err
	}
	return entx.InTx(ctx, s.cfg.Client, func(tx *ent.Tx) error {
		h, err := tx.Webhook.Get(ctx, id)
		if err != nil {
			return apperr.Wrap(err, "webhook")
		}
		if err := tx.Webhook.DeleteOne(h).Exec(ctx); err != nil {
			return apperr.Wrap(err, "webhook")
		}
		if _, err := tx.WebhookDelivery.Update().
			Where(webhookdelivery.WebhookID(h.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusPending)).
			SetStatus(webhookdelivery.StatusFailed).SetLastError("the webhook was deleted").ClearClaimedUntil().
			Save(ctx); err != nil {
			return apperr.Wrap(err, "deliveries")
		}
		_, err = s.cfg.Audit.Record(ctx, tx, audit.Event{Action: "webhook.deleted", TargetType: "webhook",
			TargetID: strconv.Itoa(h.ID), Details: hookDetails(h)})
		return apperr.Wrap(err, "audit event")
	})
}

// DeliveryFilter narrows the delivery log.
type DeliveryFilter struct {
	// WebhookID: only this webhook's deliveries (0: all, pings included).
	WebhookID int
	// ApprovalID: only the deliveries about this approval ("" : all).
	ApprovalID string
	// Limit: at most this many (default 50, at most 500).
	Limit int
}

// Deliveries returns the viewer's workspace's delivery log, newest first:
// webhook events and CIBA pings. Admins only.
func (s *Service) Deliveries(ctx context.Context, f DeliveryFilter) ([]*ent.WebhookDelivery, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if f.Limit < 0 || f.Limit > MaxDeliveries {
		return nil, apperr.InvalidField("first", "first must be 0-%d", MaxDeliveries)
	}
	if f.Limit == 0 {
		f.Limit = DefaultDeliveries
	}
	q := s.cfg.Client.WebhookDelivery.Query()
	if f.WebhookID != 0 {
		q.Where(webhookdelivery.WebhookID(f.WebhookID))
	}
	if f.ApprovalID != "" {
		q.Where(webhookdelivery.ApprovalID(f.ApprovalID))
	}
	ds, err := q.Order(ent.Desc(webhookdelivery.FieldCreatedAt), ent.Desc(webhookdelivery.FieldID)).Limit(f.Limit).All(ctx)
	return ds, apperr.Wrap(err, "deliveries")
}

// at is a timestamp as stored: UTC, to the microsecond both databases
// keep, so that what is written compares equal to what is read back.
func at(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
