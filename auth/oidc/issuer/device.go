package issuer

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"

	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/deviceauthorization"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The device authorization grant, RFC 8628, which fosite lacks.
const (
	grantDeviceCode    = "urn:ietf:params:oauth:grant-type:device_code"
	deviceCodeLifetime = 10 * time.Minute
	devicePollInterval = 5 // seconds
	// userCodeAlphabet has no vowels (no words) and no look-alikes.
	userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"
)

var (
	errAuthorizationPending = rfcError("authorization_pending", http.StatusBadRequest, "The user has not yet approved the request.")
	errSlowDown             = rfcError("slow_down", http.StatusBadRequest, "Poll less often: the interval grew by 5 seconds.")
	errExpiredToken         = rfcError("expired_token", http.StatusBadRequest, "The device code expired: start again.")
)

func newUserCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for n, c := range b {
		if n == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(userCodeAlphabet[int(c)%len(userCodeAlphabet)])
	}
	return sb.String()
}

// normalizeUserCode accepts what a person types: any case, with or
// without the dash and spaces.
func normalizeUserCode(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		if strings.ContainsRune(userCodeAlphabet, r) {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func (p *provider) codeHash(kind, code string) string {
	return base64.RawURLEncoding.EncodeToString(p.mac(kind, code))
}

// deviceAuthorization is RFC 8628 section 3.1.
func (i *Issuer) deviceAuthorization(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeClientError(w, fosite.ErrInvalidRequest)
		return
	}
	if err := resourcesToAudience(r.PostForm); err != nil {
		writeClientError(w, err)
		return
	}
	fc, err := p.oauth.AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		writeClientError(w, err)
		return
	}
	c := fc.(*Client)
	if !slices.Contains(c.GrantTypes, grantDeviceCode) {
		writeClientError(w, fosite.ErrUnauthorizedClient.WithHint("This client may not use the device authorization grant."))
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			writeClientError(w, fosite.ErrInvalidScope.WithHintf("The client may not request scope %q.", s))
			return
		}
	}
	if err := p.needsApproval(scopes, nil); err != nil {
		writeClientError(w, err)
		return
	}
	audience := r.PostForm["audience"]
	for _, a := range audience {
		if !slices.Contains(c.Audience, a) {
			writeClientError(w, rfcError("invalid_target", http.StatusBadRequest, "The requested resource is not one this client may ask tokens for."))
			return
		}
	}
	deviceCode := randomID() + randomID()
	userCode := newUserCode()
	exp := i.cfg.Now().Add(deviceCodeLifetime)
	err = i.cfg.Client.DeviceAuthorization.Create().
		SetDeviceCodeHash(p.codeHash("device_code", deviceCode)).
		SetUserCodeHash(p.codeHash("user_code", normalizeUserCode(userCode))).
		SetClientID(c.ID).SetScopes(scopes).SetAudience(audience).
		SetExpiresAt(exp.UTC()).SetInterval(devicePollInterval).Exec(viewer.AsSystem(ctx, "device authorization"))
	if err != nil {
		writeClientError(w, fosite.ErrServerError)
		return
	}
	verify := p.issuer + "/device"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"device_code": deviceCode, "user_code": userCode,
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?" + url.Values{"user_code": {userCode}}.Encode(),
		"expires_in":                int(deviceCodeLifetime.Seconds()), "interval": devicePollInterval,
	})
}

// devicePage is where the user enters the code and approves.
func (i *Issuer) devicePage(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm()
	action := "/t/" + url.PathEscape(p.slug) + "/device"
	s, v, tok, err := i.cfg.Flows.SessionFromRequest(ctx, r, p.slug)
	if err != nil {
		back := action
		if c := r.Form.Get("user_code"); c != "" {
			back += "?" + url.Values{"user_code": {c}}.Encode()
		}
		http.Redirect(w, r, "/t/"+url.PathEscape(p.slug)+"/signin?"+url.Values{"return_to": {back}}.Encode(), http.StatusSeeOther)
		return
	}
	data := map[string]any{"Title": "Connect a device", "Workspace": p.slug, "Action": action}
	code := normalizeUserCode(r.Form.Get("user_code"))
	if code == "" {
		data["AskCode"] = true
		renderPage(w, http.StatusOK, "device", "", data)
		return
	}
	sys := viewer.AsSystem(ctx, "device verification")
	limiter := ratelimit.New(i.cfg.Client, i.cfg.Now)
	throttle := ratelimit.DeviceCodeKey(v.ID)
	if wait, err := limiter.Locked(sys, throttle); err == nil && wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		data["AskCode"], data["Message"], data["MessageClass"] = true,
			"Too many wrong codes. Try again in "+wait.Round(time.Minute).String()+".", "error"
		renderPage(w, http.StatusTooManyRequests, "device", "", data)
		return
	}
	row, err := i.cfg.Client.DeviceAuthorization.Query().
		Where(deviceauthorization.UserCodeHash(p.codeHash("user_code", code))).Only(sys)
	if err != nil || row.Status != deviceauthorization.StatusPending || !row.ExpiresAt.After(i.cfg.Now()) {
		_, _ = limiter.Fail(sys, throttle)
		data["AskCode"], data["Message"], data["MessageClass"] = true, "That code is not valid or has expired. Check the code on your device.", "error"
		renderPage(w, http.StatusBadRequest, "device", "", data)
		return
	}
	fc, err := i.store.GetClient(ctx, row.ClientID)
	if err != nil {
		data["AskCode"], data["Message"], data["MessageClass"] = true, "That application is no longer registered.", "error"
		renderPage(w, http.StatusOK, "device", "", data)
		return
	}
	c := fc.(*Client)
	u, err := i.cfg.Client.User.Get(sys, v.ID)
	if err != nil {
		httpWriteError(w, r)
		return
	}
	display := code[:4] + "-" + code[4:]
	if r.Method != http.MethodPost {
		data["Confirm"], data["Client"], data["User"], data["Code"], data["Scopes"], data["CSRF"] =
			true, c.Name, u.Email, display, p.describe(row.Scopes), session.CSRFFor(tok)
		renderPage(w, http.StatusOK, "device", "", data)
		return
	}
	if !i.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get(paramCSRF)), []byte(session.CSRFFor(tok))) != 1 {
		data["Message"], data["MessageClass"] = "This form did not come from this page. Start again.", "error"
		renderPage(w, http.StatusForbidden, "device", "", data)
		return
	}
	uctx := viewer.NewContext(ctx, v)
	approve := r.PostForm.Get("decision") == "approve"
	if err := i.decideDevice(uctx, p, c, row, s, u, approve); err != nil {
		msg := "That code was already used. Check the code on your device."
		var rfc *fosite.RFC6749Error
		if errors.As(err, &rfc) && rfc.HintField != "" {
			msg = rfc.HintField
		}
		data["AskCode"], data["Message"], data["MessageClass"] = true, msg, "error"
		renderPage(w, http.StatusConflict, "device", "", data)
		return
	}
	if approve {
		data["Message"], data["MessageClass"] = "Done: "+c.Name+" is connected. You can return to your device.", "ok"
	} else {
		data["Message"], data["MessageClass"] = "Denied: "+c.Name+" was not connected.", "ok"
	}
	renderPage(w, http.StatusOK, "device", "", data)
}

// pacePoll answers a poll of a request still waiting for its person
// (RFC 8628 section 3.5, CIBA Core section 11): slow_down when it came
// sooner than the interval after the last (which grows by 5 seconds),
// authorization_pending otherwise. save records the poll and the interval.
func pacePoll(now time.Time, last *time.Time, interval int, save func(interval int) error) error {
	answer := errAuthorizationPending
	if last != nil && now.Sub(*last) < time.Duration(interval)*time.Second {
		interval, answer = interval+5, errSlowDown
	}
	if err := save(interval); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	return answer
}

func httpWriteError(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// decideDevice records the user's answer, once, with its audit event.
func (i *Issuer) decideDevice(ctx context.Context, p *provider, c *Client, row *ent.DeviceAuthorization, s *ent.Session, u *ent.User, approve bool) error {
	tx, err := i.cfg.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	sys := viewer.AsSystem(ctx, "device decision")
	upd := tx.DeviceAuthorization.Update().
		Where(deviceauthorization.ID(row.ID), deviceauthorization.StatusEQ(deviceauthorization.StatusPending)).
		SetUserID(u.ID)
	action := "device.denied"
	if approve {
		sess := i.userSession(p, c, s, u, i.cfg.Now(), row.Scopes)
		if c.Agent {
			// A CLI agent: the person delegates for a day (or the
			// workspace's limit, if shorter).
			a, err := i.agentFor(ctx, c)
			if err != nil {
				return err
			}
			if err := i.withinRole(ctx, u.ID, row.Scopes); err != nil {
				return err
			}
			if err := i.delegate(ctx, tx, p, a, u.ID, row.Scopes, 24*time.Hour, sess); err != nil {
				return err
			}
		}
		data, err := json.Marshal(sess)
		if err != nil {
			return err
		}
		upd = upd.SetStatus(deviceauthorization.StatusApproved).SetSession(data)
		action = "device.approved"
	} else {
		upd = upd.SetStatus(deviceauthorization.StatusDenied)
	}
	n, err := upd.Save(sys)
	if err != nil {
		return err
	}
	if n != 1 {
		return errors.New("device authorization already decided")
	}
	if approve && !c.Agent {
		if err := i.rememberTx(ctx, tx, u.ID, c.ID, row.Scopes); err != nil {
			return err
		}
	}
	if _, err := i.cfg.Audit.Record(ctx, tx, auditEvent(action, "oauth_client", c.ID, c.ID,
		map[string]string{"scope": strings.Join(row.Scopes, " ")})); err != nil {
		return err
	}
	return tx.Commit()
}

// deviceGrant is the token endpoint's handler for device codes.
type deviceGrant struct {
	i        *Issuer
	p        *provider
	strategy oauth2.CoreStrategy
	idTokens *openid.IDTokenHandleHelper
}

var _ fosite.TokenEndpointHandler = (*deviceGrant)(nil)

func (g *deviceGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (g *deviceGrant) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	return r.GetGrantTypes().ExactOne(grantDeviceCode)
}

func (g *deviceGrant) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	c := r.GetClient().(*Client)
	if !slices.Contains(c.GrantTypes, grantDeviceCode) {
		return fosite.ErrUnauthorizedClient.WithHint("This client may not use the device authorization grant.")
	}
	code := r.GetRequestForm().Get("device_code")
	if code == "" {
		return fosite.ErrInvalidRequest.WithHint("The device_code parameter is missing.")
	}
	sys := viewer.AsSystem(ctx, "device token")
	db := g.i.cfg.Client
	row, err := db.DeviceAuthorization.Query().
		Where(deviceauthorization.DeviceCodeHash(g.p.codeHash("device_code", code))).Only(sys)
	if ent.IsNotFound(err) || (err == nil && row.ClientID != c.ID) {
		return fosite.ErrInvalidGrant.WithHint("The device code is not valid.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	now := g.i.cfg.Now()
	if !row.ExpiresAt.After(now) {
		return errExpiredToken
	}
	switch row.Status {
	case deviceauthorization.StatusDenied:
		// RFC 8628 section 3.5: a token endpoint error, so 400 (fosite's
		// access_denied is the authorize endpoint's 403).
		return rfcError("access_denied", http.StatusBadRequest, "The user denied the request.")
	case deviceauthorization.StatusConsumed:
		return fosite.ErrInvalidGrant.WithHint("The device code was already used.")
	case deviceauthorization.StatusPending:
		return pacePoll(now, row.LastPolledAt, row.Interval, func(interval int) error {
			return db.DeviceAuthorization.UpdateOne(row).SetLastPolledAt(now.UTC()).SetInterval(interval).Exec(sys)
		})
	}
	n, err := db.DeviceAuthorization.Update().
		Where(deviceauthorization.ID(row.ID), deviceauthorization.StatusEQ(deviceauthorization.StatusApproved)).
		SetStatus(deviceauthorization.StatusConsumed).Save(sys)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if n != 1 {
		return fosite.ErrInvalidGrant.WithHint("The device code was already used.")
	}
	var sess Session
	if err := json.Unmarshal(row.Session, &sess); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if !g.i.stillValid(ctx, &sess) {
		return fosite.ErrInvalidGrant.WithHint("The grant behind this device code was revoked.")
	}
	target, ok := r.GetSession().(*Session)
	if !ok {
		return fosite.ErrServerError.WithHint("unexpected session")
	}
	*target = sess
	for _, s := range row.Scopes {
		r.GrantScope(s)
		r.AppendRequestedScope(s)
	}
	for _, a := range row.Audience {
		r.GrantAudience(a)
	}
	cfg := g.p.config
	r.GetSession().SetExpiresAt(fosite.AccessToken, now.UTC().Add(fosite.GetEffectiveLifespan(c, fosite.GrantTypeAuthorizationCode, fosite.AccessToken, cfg.AccessTokenLifespan)).Round(time.Second))
	r.GetSession().SetExpiresAt(fosite.RefreshToken, now.UTC().Add(fosite.GetEffectiveLifespan(c, fosite.GrantTypeAuthorizationCode, fosite.RefreshToken, cfg.RefreshTokenLifespan)).Round(time.Second))
	return nil
}

func (g *deviceGrant) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	c := r.GetClient().(*Client)
	helper := &oauth2.HandleHelper{AccessTokenStrategy: g.strategy, AccessTokenStorage: g.i.store, Config: g.p.config}
	if _, err := helper.IssueAccessToken(ctx, g.p.config.AccessTokenLifespan, r, resp); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if slices.Contains(c.GrantTypes, "refresh_token") {
		tok, sig, err := g.strategy.GenerateRefreshToken(ctx, r)
		if err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
		if err := g.i.store.CreateRefreshTokenSession(ctx, sig, "", r.Sanitize(nil)); err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
		resp.SetExtra("refresh_token", tok)
	}
	if r.GetGrantedScopes().Has("openid") {
		// at_hash, as fosite's code flow sets it.
		if sess, ok := r.GetSession().(*Session); ok {
			sess.IDTokenClaims().AccessTokenHash = g.idTokens.GetAccessTokenHash(ctx, r, resp)
		}
		if err := g.idTokens.IssueExplicitIDToken(ctx, g.p.config.IDTokenLifespan, r, resp); err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
	}
	return nil
}
