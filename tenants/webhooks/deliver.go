package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/webhook"
	"github.com/mandatehq/mandate/ent/webhookdelivery"
	"github.com/mandatehq/mandate/internal/netguard"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Backoff is the wait after each failed attempt: after the first 30 s,
// then 2 min, 10 min, 1 h and 6 h. The attempt after the last wait is the
// final one (MaxAttempts in all); if it fails too the delivery fails.
var Backoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour}

// MaxAttempts is how many times a delivery is tried.
var MaxAttempts = len(Backoff) + 1

const (
	// claimFor is how long a replica holds a delivery it is sending: longer
	// than the HTTP client's timeout, so no other replica sends it
	// meanwhile; a replica that dies mid-send lets it go when it ends.
	claimFor = time.Minute
	// batch is how many due deliveries one round looks at.
	batch = 100
	// senders is how many deliveries one replica sends at once.
	senders = 4
	// maxResponse is how much of a receiver's answer is read (and
	// discarded) before the connection is let go.
	maxResponse = 64 << 10
	userAgent   = "Mandate-Webhooks/1"
)

// DeliverDue sends every due delivery of every workspace once: pending,
// due, and not held by another replica. Each is claimed with a
// conditional update before it is sent, so two replicas (or two calls)
// never send the same attempt; the result is recorded on the delivery. It
// returns how many deliveries this call attempted.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	n, _, err := s.deliverDue(ctx)
	return n, err
}

// deliverDue is DeliverDue, also saying whether it found a full batch
// (more may be due).
func (s *Service) deliverDue(ctx context.Context) (int, bool, error) {
	// The worker serves every workspace: the system bound to none.
	sys := viewer.AsSystem(viewer.NewContext(ctx, viewer.Viewer{}), "deliver webhooks")
	now := at(s.cfg.Now())
	due, err := s.cfg.Client.WebhookDelivery.Query().
		Where(webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.NextAttemptAtLTE(now),
			webhookdelivery.Or(webhookdelivery.ClaimedUntilIsNil(), webhookdelivery.ClaimedUntilLT(now))).
		Order(ent.Asc(webhookdelivery.FieldNextAttemptAt), ent.Asc(webhookdelivery.FieldID)).
		Limit(batch).All(sys)
	if err != nil {
		return 0, false, fmt.Errorf("webhooks: due deliveries: %w", err)
	}
	var (
		mu      sync.Mutex
		sent    int
		errs    []error
		wg      sync.WaitGroup
		running = make(chan struct{}, senders)
	)
	for _, d := range due {
		if ctx.Err() != nil {
			break
		}
		running <- struct{}{}
		wg.Go(func() {
			defer func() { <-running }()
			ok, err := s.deliver(sys, d)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				sent++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return sent, len(due) == batch, errors.Join(errs...)
}

// Run sends due deliveries every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		more := true
		for more && ctx.Err() == nil {
			var err error
			_, more, err = s.deliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.cfg.Log.ErrorContext(ctx, "deliver webhooks", "err", err)
				more = false
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// attempt is the outcome of one try.
type attempt struct {
	ok     bool   // the receiver answered 2xx
	status int    // the receiver's HTTP status; 0 when there was none
	err    string // why it failed, for the log: never a secret
	// final: the delivery can never succeed (its webhook is gone, its
	// secret does not open); no retry.
	final bool
}

// deliver claims d and, if this call got it, sends it and records the
// outcome. It reports whether it attempted d.
func (s *Service) deliver(sys context.Context, d *ent.WebhookDelivery) (bool, error) {
	now := at(s.cfg.Now())
	n, err := s.cfg.Client.WebhookDelivery.Update().
		Where(webhookdelivery.ID(d.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusPending),
			webhookdelivery.NextAttemptAtLTE(now),
			webhookdelivery.Or(webhookdelivery.ClaimedUntilIsNil(), webhookdelivery.ClaimedUntilLT(now))).
		SetClaimedUntil(now.Add(claimFor)).Save(sys)
	if err != nil {
		return false, fmt.Errorf("webhooks: claim delivery %d: %w", d.ID, err)
	}
	if n != 1 {
		return false, nil // another replica has it, or had it
	}
	a := s.send(sys, d)
	if sys.Err() != nil {
		// Shutting down: the claim lapses and the attempt is made again.
		return true, nil
	}
	upd := s.cfg.Client.WebhookDelivery.Update().
		Where(webhookdelivery.ID(d.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusPending)).
		ClearClaimedUntil().SetAttempts(d.Attempts + 1).SetLastStatus(a.status).SetLastError(a.err)
	done := at(s.cfg.Now())
	log := s.cfg.Log.With("delivery", d.ID, "tenant_id", d.TenantID, "kind", string(d.Kind), "attempt", d.Attempts+1)
	switch {
	case a.ok:
		upd.SetStatus(webhookdelivery.StatusDelivered).SetDeliveredAt(done)
		log.DebugContext(sys, "webhook delivered", "status", a.status)
	case a.final || d.Attempts+1 >= MaxAttempts:
		upd.SetStatus(webhookdelivery.StatusFailed)
		log.WarnContext(sys, "webhook delivery failed for good", "status", a.status, "reason", a.err)
	default:
		upd.SetNextAttemptAt(now.Add(Backoff[d.Attempts]))
		log.InfoContext(sys, "webhook delivery failed; will retry", "status", a.status, "reason", a.err)
	}
	if err := upd.Exec(sys); err != nil {
		return true, fmt.Errorf("webhooks: record delivery %d: %w", d.ID, err)
	}
	return true, nil
}

// send makes one attempt at d.
func (s *Service) send(ctx context.Context, d *ent.WebhookDelivery) attempt {
	var (
		req *http.Request
		err error
	)
	switch d.Kind {
	case webhookdelivery.KindPing:
		req, err = s.pingRequest(ctx, d)
	case webhookdelivery.KindWebhook:
		req, err = s.hookRequest(ctx, d)
	default:
		err = errFinal("unknown delivery kind")
	}
	if err != nil {
		var f errFinal
		if errors.As(err, &f) {
			return attempt{err: string(f), final: true}
		}
		return attempt{err: "internal error"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	client := s.cfg.HTTPClient
	if d.Kind == webhookdelivery.KindPing {
		client = s.cfg.PingClient
	}
	res, err := client.Do(req)
	if errors.Is(err, netguard.ErrAddress) {
		return attempt{err: "the endpoint's address is not public: a ping goes to public addresses only", final: true}
	}
	if err != nil {
		return attempt{err: describe(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxResponse))
	_ = res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return attempt{ok: true, status: res.StatusCode}
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return attempt{status: res.StatusCode, err: fmt.Sprintf("HTTP %d: redirects are not followed", res.StatusCode)}
	}
	return attempt{status: res.StatusCode, err: fmt.Sprintf("HTTP %d", res.StatusCode)}
}

// errFinal is a reason a delivery can never succeed.
type errFinal string

func (e errFinal) Error() string { return string(e) }

// hookRequest builds a signed webhook event.
func (s *Service) hookRequest(ctx context.Context, d *ent.WebhookDelivery) (*http.Request, error) {
	h, err := s.cfg.Client.Webhook.Query().Where(webhook.ID(d.WebhookID), webhook.TenantID(d.TenantID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errFinal("the webhook was deleted")
	}
	if err != nil {
		return nil, err
	}
	if h.Disabled {
		return nil, errFinal("the webhook is disabled")
	}
	secret, err := s.sealer.Open(h.Secret, hookSecretBinding(h.TenantID, h.ID))
	if err != nil {
		return nil, errFinal("the webhook's secret does not open: create the webhook again")
	}
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return nil, errFinal("the webhook's URL is not valid")
	}
	req.Header.Set("Mandate-Event", d.Event)
	req.Header.Set("Mandate-Delivery", strconv.Itoa(d.ID))
	req.Header.Set(SignatureHeader, Sign(secret, s.cfg.Now(), body))
	return req, nil
}

// pingRequest builds a CIBA ping (CIBA Core 10.2): the auth_req_id, with
// the client's notification token as a bearer token.
func (s *Service) pingRequest(ctx context.Context, d *ent.WebhookDelivery) (*http.Request, error) {
	raw, err := s.sealer.Open(d.Sealed, seal.Binding(d.TenantID, pingBinding, d.ApprovalID))
	if err != nil {
		return nil, errFinal("the ping's sealed token does not open")
	}
	var p ping
	if err := json.Unmarshal(raw, &p); err != nil || p.Bearer == "" {
		return nil, errFinal("the ping's sealed token does not open")
	}
	body, err := json.Marshal(map[string]string{"auth_req_id": p.AuthReqID})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return nil, errFinal("the notification endpoint is not valid")
	}
	req.Header.Set("Authorization", "Bearer "+p.Bearer)
	return req, nil
}

// describe says why a request got no answer, without the URL (which may
// carry a token in its path or query).
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer within the timeout"
		}
		err = ue.Err
	}
	msg := err.Error()
	const maxLen = 500
	if len(msg) > maxLen {
		msg = msg[:maxLen]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return msg
}
