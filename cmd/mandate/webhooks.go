package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/graph"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// deliveryInterval is how often the server looks for due deliveries (a
// CIBA ping waits at most this long after the decision).
const deliveryInterval = 2 * time.Second

// webhooksEdge serves the webhooks' GraphQL fields; it has no routes of
// its own.
type webhooksEdge struct{ svc *webhooks.Service }

// Mount adds nothing: webhooks are managed through GraphQL only.
func (webhooksEdge) Mount(*http.ServeMux) {}

// wireGraph adds the edge's GraphQL services.
func (e webhooksEdge) wireGraph(gh *graph.Handler) *graph.Handler { return gh.WithWebhooks(e.svc) }

// startDeliveries runs the delivery worker until ctx ends; the returned
// function stops it and waits for the attempts in flight.
func startDeliveries(ctx context.Context, s *webhooks.Service) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, deliveryInterval)
	}()
	return func() {
		cancel()
		<-done
	}
}

// webhooksService builds the webhooks service for the CLI.
func (a *app) webhooksService() (*webhooks.Service, error) {
	if _, err := a.cfg.LoadSecret(); err != nil {
		return nil, err
	}
	return webhooks.New(webhooks.Config{Client: a.db.Client, Audit: audit.NewRecorder(), MasterSecret: a.cfg.Secret, PreviousSecrets: a.cfg.Masters()[1:], Log: a.log})
}

// webhookJSON is a webhook as the CLI prints it (never its secret).
type webhookJSON struct {
	ID          int       `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

func toWebhookJSON(h *ent.Webhook) webhookJSON {
	events := h.Events
	if events == nil {
		events = []string{}
	}
	return webhookJSON{ID: h.ID, URL: h.URL, Description: h.Description, Events: events, Disabled: h.Disabled, CreatedAt: h.CreatedAt.UTC()}
}

// deliveryJSON is one entry of the delivery log.
type deliveryJSON struct {
	ID            int        `json:"id"`
	Kind          string     `json:"kind"`
	Event         string     `json:"event"`
	WebhookID     int        `json:"webhook_id,omitempty"`
	URL           string     `json:"url"`
	ApprovalID    string     `json:"approval_id,omitempty"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastStatus    int        `json:"last_status"`
	LastError     string     `json:"last_error"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// webhookCmd is `mandate webhook`: a workspace's webhooks and the
// delivery log, as the workspace's system.
func (a *app) webhookCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "webhook", Short: "Manage a workspace's webhooks and read the delivery log"}
	var (
		slug, url, description, approvalID string
		id, webhookID, limit               int
		events                             []string
	)
	// open returns the CLI acting as the workspace's system, and the service.
	open := func(ctx context.Context, why string) (context.Context, *webhooks.Service, error) {
		sys, err := a.openAsOperator(ctx, slug, why)
		if err != nil {
			return nil, nil, err
		}
		s, err := a.webhooksService()
		return sys, s, err
	}
	create := &cobra.Command{
		Use:   "create",
		Short: "Add a webhook; its signing secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, s, err := open(cmd.Context(), "webhook create")
			if err != nil {
				return err
			}
			h, secret, err := s.Create(sys, webhooks.NewWebhook{URL: url, Description: description, Events: events})
			if err != nil {
				return err
			}
			j := toWebhookJSON(h)
			return a.emit(map[string]any{"id": j.ID, "url": j.URL, "description": j.Description, "events": j.Events, "secret": secret},
				"webhook %d created for %s\nsigning secret (shown once): %s", h.ID, h.URL, secret)
		},
	}
	create.Flags().StringVar(&url, "url", "", "the endpoint: https://, or http:// to a loopback address (required)")
	create.Flags().StringVar(&description, "description", "", "what the endpoint is")
	create.Flags().StringSliceVar(&events, "event", nil, "an event to deliver, repeatable ("+strings.Join(webhooks.Events, ", ")+"); none: every event")
	_ = create.MarkFlagRequired("url")

	list := &cobra.Command{
		Use:   "list",
		Short: "List a workspace's webhooks, newest first (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, s, err := open(cmd.Context(), "webhook list")
			if err != nil {
				return err
			}
			hs, err := s.List(sys)
			if err != nil {
				return err
			}
			out := make([]webhookJSON, 0, len(hs))
			lines := make([]string, 0, len(hs))
			for _, h := range hs {
				j := toWebhookJSON(h)
				out = append(out, j)
				state, ev := "enabled", "all events"
				if j.Disabled {
					state = "disabled"
				}
				if len(j.Events) > 0 {
					ev = strings.Join(j.Events, ",")
				}
				lines = append(lines, fmt.Sprintf("%d  %s  %s  %s", j.ID, state, j.URL, ev))
			}
			if len(lines) == 0 {
				lines = append(lines, "no webhooks in "+slug)
			}
			return a.emit(map[string]any{"tenant": slug, "webhooks": out}, "%s", strings.Join(lines, "\n"))
		},
	}

	del := &cobra.Command{
		Use:   "delete",
		Short: "Remove a webhook (its delivery log stays; pending deliveries fail)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, s, err := open(cmd.Context(), "webhook delete")
			if err != nil {
				return err
			}
			if err := s.Delete(sys, id); err != nil {
				return err
			}
			return a.emit(map[string]any{"id": id, "deleted": true}, "webhook %d deleted", id)
		},
	}
	del.Flags().IntVar(&id, "id", 0, "the webhook's id, as webhook list shows it (required)")
	_ = del.MarkFlagRequired("id")

	deliveries := &cobra.Command{
		Use:   "deliveries",
		Short: "Show the delivery log, newest first: webhook events and CIBA pings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, s, err := open(cmd.Context(), "webhook deliveries")
			if err != nil {
				return err
			}
			ds, err := s.Deliveries(sys, webhooks.DeliveryFilter{WebhookID: webhookID, ApprovalID: approvalID, Limit: limit})
			if err != nil {
				return err
			}
			out := make([]deliveryJSON, 0, len(ds))
			lines := make([]string, 0, len(ds))
			for _, d := range ds {
				out = append(out, deliveryJSON{ID: d.ID, Kind: string(d.Kind), Event: d.Event, WebhookID: d.WebhookID, URL: d.URL,
					ApprovalID: d.ApprovalID, Status: string(d.Status), Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt.UTC(),
					LastStatus: d.LastStatus, LastError: d.LastError, DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt.UTC()})
				line := fmt.Sprintf("%d  %s  %s  %s  attempts %d", d.ID, d.Status, d.Event, d.URL, d.Attempts)
				if d.LastError != "" {
					line += "  last error: " + d.LastError
				}
				lines = append(lines, line)
			}
			if len(lines) == 0 {
				lines = append(lines, "no deliveries")
			}
			return a.emit(map[string]any{"tenant": slug, "deliveries": out}, "%s", strings.Join(lines, "\n"))
		},
	}
	deliveries.Flags().StringVar(&approvalID, "approval", "", "only the deliveries about this approval request (apr_…)")
	deliveries.Flags().IntVar(&webhookID, "webhook", 0, "only this webhook's deliveries")
	deliveries.Flags().IntVar(&limit, "limit", 0, fmt.Sprintf("at most this many (default %d, at most %d)", webhooks.DefaultDeliveries, webhooks.MaxDeliveries))

	for _, c := range []*cobra.Command{create, list, del, deliveries} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		_ = c.MarkFlagRequired("tenant")
	}
	cmd.AddCommand(create, list, del, deliveries)
	return cmd
}
