package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"
)

// The refund billing asks to execute: exactly what Ann approves, and
// exactly what the billing API checks the token carries.
var refund = refundDetail{Type: "refund", Invoice: "INV-1001", Amount: "42.00", Currency: "EUR"}

// refundDetail is an RFC 9396 authorization_details object of the
// workspace's refund type.
type refundDetail struct {
	Type     string `json:"type"`
	Invoice  string `json:"invoice"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func (r refundDetail) String() string { return r.Invoice + " " + r.Amount + " " + r.Currency }

// agentPost posts a form to an endpoint of the issuer, authenticated by
// the agent's key (the assertion's audience is the issuer identifier, as
// CIBA Core section 7.1 says), and returns the status and the JSON answer.
func (p *player) agentPost(ctx context.Context, a *agentKey, path string, form url.Values) (int, map[string]any, error) {
	auth, err := a.authParams(p.issuer)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range auth {
		form[k] = v
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}

// executeRefund is the scenario's human approval (OpenID CIBA with
// authorization_details): billing asks Ann to approve executing one
// refund; Ann approves it in her browser after a strong authentication;
// billing redeems the approval for a single-use token, and executes the
// refund once through the gateway; the same token is refused the second
// time.
func (p *player) executeRefund(ctx context.Context, billing *agentKey, onBehalf string, api *billingAPI) error {
	details, _ := json.Marshal([]refundDetail{refund})
	binding := "Refund " + refund.String()
	status, started, err := p.agentPost(ctx, billing, "/oauth2/bc-authorize", url.Values{
		"login_hint": {p.cfg.Email}, "scope": {"openid refunds:execute"}, "authorization_details": {string(details)},
		"binding_message": {binding}, "resource": {billingResource},
		// Its on-behalf-of token: the approved token keeps the act chain,
		// the grant and the run.
		"subject_token": {onBehalf}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}})
	if err != nil {
		return err
	}
	authReqID, _ := started["auth_req_id"].(string)
	if status != http.StatusOK || authReqID == "" {
		return fmt.Errorf("billing's backchannel authentication request: %d %v: %v", status, started["error"], started["error_description"])
	}
	interval, _ := started["interval"].(float64)
	expiresIn, _ := started["expires_in"].(float64)
	p.say("billing asks Ann to approve refund %s (CIBA): pending, expires in %.0fs, poll every %.0fs", refund, expiresIn, interval)

	poll := func() (int, map[string]any, error) {
		return p.agentPost(ctx, billing, "/oauth2/token", url.Values{"grant_type": {"urn:openid:params:grant-type:ciba"},
			"auth_req_id": {authReqID}})
	}
	status, out, err := poll()
	if err != nil {
		return err
	}
	if status != http.StatusBadRequest || out["error"] != "authorization_pending" {
		return fmt.Errorf("billing's first poll: %d %v", status, out["error"])
	}
	p.say("billing polls: %s", out["error"])

	if err := p.annApproves(ctx, binding); err != nil {
		return fmt.Errorf("Ann approves: %w", err)
	}

	// Billing polls as CIBA Core section 7.3 says: never sooner than the
	// interval, slower when told to slow down.
	deadline := time.Now().Add(time.Duration(expiresIn) * time.Second)
	for status != http.StatusOK {
		if time.Now().After(deadline) {
			return errors.New("the approval request expired while billing polled")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(interval) * time.Second):
		}
		if status, out, err = poll(); err != nil {
			return err
		}
		switch {
		case status == http.StatusOK:
		case out["error"] == "slow_down":
			interval += 5
		case out["error"] != "authorization_pending":
			return fmt.Errorf("billing's poll: %d %v: %v", status, out["error"], out["error_description"])
		}
	}
	token, _ := out["access_token"].(string)
	ad, _ := json.Marshal(out["authorization_details"])
	p.say("billing got a single-use token: scope %v, expires in %vs, refresh token %v, authorization_details %s, approval %v",
		out["scope"], out["expires_in"], out["refresh_token"] != nil, ad, out["approval_id"])

	// Through the gateway: billing's on-behalf-of token, and the approval
	// token beside it. The gateway checks the call is the approved refund,
	// spends the approval and injects the API's key; the same approval is
	// refused the second time, before the API sees anything.
	for _, attempt := range []string{"", " again with the same approval"} {
		status, _, body, err := p.viaGateway(ctx, http.MethodPost, "/refunds/execute", onBehalf, token, refund)
		if err != nil {
			return err
		}
		switch {
		case attempt == "" && status != http.StatusOK:
			return fmt.Errorf("POST /refunds/execute through the gateway: %d %s", status, body)
		case attempt != "" && status == http.StatusOK:
			return fmt.Errorf("the refund was executed twice with one approval: %s", body)
		case attempt == "":
			p.say("billing POST /t/%s/gateway/billing/refunds/execute: %s", p.cfg.Tenant, body)
		default:
			var problem struct{ Code, Detail string }
			_ = json.Unmarshal([]byte(body), &problem)
			p.say("billing POST /t/%s/gateway/billing/refunds/execute%s: refused (%d %s: %s)", p.cfg.Tenant, attempt, status, problem.Code, problem.Detail)
		}
	}
	_, _, executed := api.stats()
	p.say("refunds executed: %d", executed)
	return nil
}

// session is Ann's browser signed in to the workspace: cookies and the
// session's CSRF token, which every change it asks for carries.
type session struct {
	p    *player
	http *http.Client
	csrf string
}

// annApproves plays Ann at her approvals inbox in the browser: she signs
// in with her password, finds billing's request, is asked to step up,
// adds an authenticator app, confirms with a code from it and approves.
// Then she removes the app again (the example leaves her as it found her,
// so that it can run again).
func (p *player) annApproves(ctx context.Context, binding string) error {
	s, err := p.annSignsIn(ctx)
	if err != nil {
		return err
	}
	var inbox struct {
		ApprovalRequests []struct {
			ID, AgentName, UserEmail, Summary, BindingMessage string
			AgentChain, Scopes                                []string
			CanDecide                                         bool
		} `json:"approvalRequests"`
	}
	if err := s.graphql(ctx, `{ approvalRequests(status: "pending") { id agentName agentChain userEmail scopes summary bindingMessage canDecide } }`,
		nil, &inbox); err != nil {
		return fmt.Errorf("the inbox: %w", err)
	}
	id := ""
	for _, r := range inbox.ApprovalRequests {
		if r.BindingMessage == binding && r.CanDecide {
			id = r.ID
			p.say("Ann's inbox: %s (chain of %d agents) asks, for %s: %s", r.AgentName, len(r.AgentChain), r.UserEmail, r.Summary)
		}
	}
	if id == "" {
		return fmt.Errorf("billing's request (%q) is not in Ann's inbox", binding)
	}
	const approve = `mutation($id: String!) { approve(id: $id) { id status decidedAmr } }`
	var approved struct {
		Approve struct {
			ID, Status string
			DecidedAmr []string
		}
	}
	err = s.graphql(ctx, approve, map[string]any{"id": id}, &approved)
	var gerr *graphQLError
	if !errors.As(err, &gerr) || gerr.Code != "STEP_UP_REQUIRED" {
		return fmt.Errorf("approving with a password alone: want STEP_UP_REQUIRED, got %v", err)
	}
	p.say("Ann approves with her password alone: %s", gerr.Code)

	// Her authenticator app: set up, confirmed with its current code.
	var app struct{ Secret string }
	if err := s.post(ctx, "/auth/mfa/totp/begin", nil, &app); err != nil {
		return fmt.Errorf("adding an authenticator app: %w", err)
	}
	code, err := totp.GenerateCode(app.Secret, time.Now())
	if err != nil {
		return err
	}
	if err := s.post(ctx, "/auth/mfa/totp/confirm", map[string]string{"code": code}, nil); err != nil {
		return fmt.Errorf("confirming the authenticator app: %w", err)
	}
	// The step-up takes the app's next code: a code is accepted once, and
	// one step early. It replaces the session (a new CSRF token).
	if code, err = totp.GenerateCode(app.Secret, time.Now().Add(30*time.Second)); err != nil {
		return err
	}
	var stepped struct{ CSRFToken string }
	if err := s.post(ctx, "/auth/step-up/totp", map[string]string{"code": code}, &stepped); err != nil {
		return fmt.Errorf("the step-up: %w", err)
	}
	s.csrf = stepped.CSRFToken
	p.say("Ann adds an authenticator app and steps up with a code from it")

	if err := s.graphql(ctx, approve, map[string]any{"id": id}, &approved); err != nil {
		return fmt.Errorf("approving after the step-up: %w", err)
	}
	p.say("Ann approves refund %s: %s (amr %s)", refund, approved.Approve.Status, strings.Join(approved.Approve.DecidedAmr, " "))

	if err := s.post(ctx, "/auth/mfa/totp/disable", nil, nil); err != nil {
		return fmt.Errorf("removing the authenticator app: %w", err)
	}
	return nil
}

// annSignsIn signs Ann in with her password in a new browser.
func (p *player) annSignsIn(ctx context.Context) (*session, error) {
	jar, _ := cookiejar.New(nil)
	s := &session{p: p, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var signedIn struct {
		Status    string `json:"status"`
		CSRFToken string `json:"csrfToken"`
	}
	if err := s.post(ctx, "/auth/signin", map[string]string{"email": p.cfg.Email, "password": p.cfg.Password}, &signedIn); err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	if signedIn.CSRFToken == "" {
		return nil, fmt.Errorf("sign-in answered %q: the example adds an authenticator app for Ann, so she must not have one yet "+
			"(`mandate user reset-factors` removes it)", signedIn.Status)
	}
	s.csrf = signedIn.CSRFToken
	return s, nil
}

// post sends JSON to a sign-in endpoint of the workspace as the
// workspace's own pages do (same origin, the CSRF token).
func (s *session) post(ctx context.Context, path string, body, into any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.p.issuer+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", s.p.cfg.Base)
	if s.csrf != "" {
		req.Header.Set(csrfHeader, s.csrf)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var problem struct{ Code, Detail string }
		_ = json.Unmarshal(raw, &problem)
		return fmt.Errorf("%s: %d %s %s", path, resp.StatusCode, problem.Code, problem.Detail)
	}
	if into == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, into)
}

// csrfHeader carries the session's CSRF token (the dashboard's header).
const csrfHeader = "X-CSRF-Token"

// graphql calls the workspace's API through the session, as the dashboard
// does.
func (s *session) graphql(ctx context.Context, query string, vars map[string]any, into any) error {
	return s.p.graphqlWith(ctx, s.http, func(r *http.Request) {
		r.Header.Set("Origin", s.p.cfg.Base)
		r.Header.Set(csrfHeader, s.csrf)
	}, query, vars, into)
}
