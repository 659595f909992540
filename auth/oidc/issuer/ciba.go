package issuer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// OpenID Connect Client-Initiated Backchannel Authentication (CIBA Core
// 1.0), poll and ping modes, which fosite lacks. An agent asks a person to
// approve one action (RFC 9396 authorization_details, and scopes that
// require approval), or to give it a delegation grant; the person decides
// in their approvals inbox (agents/approval); the agent then redeems its
// auth_req_id at the token endpoint. The token for an approved action is
// opaque, lives at most actionTokenLifetime, carries exactly what was
// approved and is spent by its first successful introspection.
const (
	grantCIBA           = "urn:openid:params:grant-type:ciba"
	cibaPollInterval    = 5 // seconds
	actionTokenLifetime = 5 * time.Minute
	// grantRequestLifetime is how long a request for a delegation grant
	// waits for the person.
	grantRequestLifetime = 10 * time.Minute
	// cibaGrantDuration is the delegation an approved grant request gives.
	cibaGrantDuration = 24 * time.Hour
	maxBindingMessage = 100
	// maxWaitingRequests is how many undecided requests an agent may have.
	maxWaitingRequests = 20
)

// ApprovalHooks is what the issuer asks the approvals capability
// (agents/approval, wired by the binary) when a request is made.
type ApprovalHooks interface {
	// Requested is told of a new request in its transaction (webhook
	// events are recorded there).
	Requested(ctx context.Context, tx *ent.Tx, req *ent.ApprovalRequest) error
	// Notify tells the approvers once the request is committed (email);
	// it records its own audit event.
	Notify(ctx context.Context, req *ent.ApprovalRequest)
	// SealPing seals a ping client's notification token and auth_req_id,
	// for the ping that follows the decision.
	SealPing(tenantID int, approvalID, bearer, authReqID string) ([]byte, error)
}

// cibaError is a backchannel authentication endpoint error (CIBA Core
// section 13).
func cibaError(code string, status int, description string) *fosite.RFC6749Error {
	return rfcError(code, status, description)
}

// backchannelAuthentication is CIBA Core section 7.
func (i *Issuer) backchannelAuthentication(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeClientError(w, fosite.ErrInvalidRequest.WithHint("The request body could not be parsed."))
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
	v := viewer.FromContext(ctx)
	v.Kind, v.Label = viewer.Client, c.ID
	ctx = viewer.NewContext(ctx, v)
	req, err := i.parseCIBA(ctx, p, c, r.PostForm)
	if err != nil {
		i.refuseCIBA(ctx, c, err)
		writeClientError(w, err)
		return
	}
	row, authReqID, err := i.createCIBA(ctx, p, c, req)
	if err != nil {
		i.cfg.Log.ErrorContext(ctx, "ciba request", "err", err)
		writeClientError(w, fosite.ErrServerError)
		return
	}
	if i.cfg.Approvals != nil {
		i.cfg.Approvals.Notify(ctx, row)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"auth_req_id": authReqID,
		"expires_in": int(row.ExpiresAt.Sub(i.cfg.Now()).Round(time.Second).Seconds()), "interval": row.Interval})
}

// refuseCIBA audits a refused backchannel request, except a failed parse
// of the client's own form.
func (i *Issuer) refuseCIBA(ctx context.Context, c *Client, err error) {
	e := fosite.ErrorToRFC6749Error(err)
	if e.ErrorField == fosite.ErrServerError.ErrorField {
		return
	}
	i.cfg.Audit.RecordAlone(ctx, i.cfg.Client, i.cfg.Log, audit.Event{Action: "approval.request_refused",
		TargetType: "oauth_client", TargetID: c.ID, ClientID: c.ID, Outcome: audit.Denied,
		Details: map[string]string{"error": e.ErrorField, "reason": e.GetDescription()}})
}

// cibaRequest is a parsed, checked backchannel authentication request.
type cibaRequest struct {
	agent    *AgentInfo
	user     *ent.User
	kind     approvalrequest.Kind
	scopes   []string
	audience []string
	details  json.RawMessage
	requires []string
	approver string
	wait     time.Duration
	binding  string
	subject  *Session // the agent's on-behalf-of token, when it gave one
	ping     string   // client_notification_token
}

func (i *Issuer) parseCIBA(ctx context.Context, p *provider, c *Client, form url.Values) (*cibaRequest, error) {
	if !c.Agent || i.cfg.Authority == nil {
		return nil, fosite.ErrUnauthorizedClient.WithHint("Only an agent may make backchannel authentication requests.")
	}
	if !slices.Contains(c.GrantTypes, grantCIBA) || (c.CIBAMode != "poll" && c.CIBAMode != "ping") {
		return nil, fosite.ErrUnauthorizedClient.WithHint("This client is not registered for CIBA.")
	}
	if form.Get("request") != "" {
		return nil, fosite.ErrInvalidRequest.WithHint("Signed authentication requests are not supported: send the parameters.")
	}
	me, err := i.cfg.Authority.Agent(ctx, c.ID)
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	if me == nil || !me.Active {
		return nil, fosite.ErrUnauthorizedClient.WithHint("This agent is not active.")
	}
	req := &cibaRequest{agent: me, audience: form["audience"]}
	for _, a := range req.audience {
		if !slices.Contains(c.Audience, a) {
			return nil, rfcError("invalid_target", http.StatusBadRequest, "The requested resource is not one this client may ask tokens for.")
		}
	}

	// Exactly one hint names the person (section 7.1).
	hints := 0
	for _, h := range []string{"login_hint", "id_token_hint", "login_hint_token"} {
		if form.Get(h) != "" {
			hints++
		}
	}
	if hints != 1 {
		return nil, fosite.ErrInvalidRequest.WithHint("Exactly one of login_hint and id_token_hint names the person.")
	}
	if form.Get("login_hint_token") != "" {
		return nil, fosite.ErrInvalidRequest.WithHint("login_hint_token is not supported: use login_hint or id_token_hint.")
	}
	if req.user, err = i.hintedUser(ctx, p, form); err != nil {
		return nil, err
	}

	req.binding = form.Get("binding_message")
	if len(req.binding) > maxBindingMessage || !utf8.ValidString(req.binding) ||
		strings.IndexFunc(req.binding, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return nil, cibaError("invalid_binding_message", http.StatusBadRequest, "binding_message must be at most 100 printable characters.")
	}

	req.scopes = strings.Fields(form.Get("scope"))
	if !slices.Contains(req.scopes, "openid") {
		return nil, fosite.ErrInvalidScope.WithHint("A CIBA request must include the openid scope.")
	}
	human, err := i.cfg.Authority.HumanScopes(ctx, req.user.ID)
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	for _, sc := range req.scopes {
		if !p.settings.KnowsScope(sc) {
			return nil, fosite.ErrInvalidScope.WithHintf("Scope %q is not in this workspace's catalog.", sc)
		}
		if sc != "openid" && !slices.Contains(me.Ceiling, sc) {
			return nil, fosite.ErrInvalidScope.WithHintf("Scope %q is beyond this agent's ceiling.", sc)
		}
		if !slices.Contains(human, sc) {
			return nil, fosite.ErrInvalidScope.WithHintf("Scope %q is beyond what the person's role holds.", sc)
		}
	}

	var types []string
	if raw := form.Get("authorization_details"); raw != "" {
		if req.details, err = parseDetails(raw); err != nil {
			return nil, err
		}
		if types, err = p.settings.CheckDetails(req.details); err != nil {
			return nil, rfcError("invalid_authorization_details", http.StatusBadRequest, err.Error())
		}
	}

	// The agent's current on-behalf-of token, so the approved token keeps
	// its act chain, grant and run.
	if st := form.Get("subject_token"); st != "" {
		if tt := form.Get("subject_token_type"); tt != "" && tt != tokenTypeAccessToken && tt != tokenTypeJWT {
			return nil, fosite.ErrInvalidRequest.WithHint("subject_token_type must be an access token type.")
		}
		_, sar, err := p.oauth.IntrospectToken(ctx, st, fosite.AccessToken, NewSession())
		if err != nil {
			return nil, fosite.ErrInvalidRequest.WithHint("The subject token is not active.")
		}
		ss := sar.GetSession().(*Session)
		switch {
		case ss.ApprovalID != "":
			return nil, fosite.ErrInvalidRequest.WithHint("An approval token cannot be the subject of another request.")
		case !i.stillValid(ctx, ss, sar.GetGrantedScopes()...):
			return nil, fosite.ErrInvalidRequest.WithHint("The subject token's grant or chain is no longer active.")
		case ss.UserID == 0 || len(ss.Act) == 0 || ss.Act[0] != c.ID:
			return nil, fosite.ErrInvalidRequest.WithHint("The subject token must be this agent's own on-behalf-of token.")
		case ss.UserID != req.user.ID:
			return nil, fosite.ErrInvalidRequest.WithHint("The subject token acts for another person than the hint names.")
		}
		// Scopes that need no approval stay within the subject token.
		for _, sc := range req.scopes {
			if sc != "openid" && p.settings.ScopeApproval(sc) == nil && !sar.GetGrantedScopes().Has(sc) {
				return nil, fosite.ErrInvalidScope.WithHintf("Scope %q would widen the subject token; only scopes that require approval may be added.", sc)
			}
		}
		req.subject = ss
	}

	rules := p.settings.Approvals(req.scopes, types)
	switch {
	case len(rules) > 0 || req.details != nil:
		req.kind = approvalrequest.KindAction
	case req.subject != nil:
		return nil, fosite.ErrInvalidRequest.WithHint("Nothing in this request needs approval: exchange the subject token instead.")
	default:
		// A headless agent asks the person for a delegation grant.
		req.kind = approvalrequest.KindGrant
	}
	req.wait = grantRequestLifetime
	if len(rules) > 0 {
		req.wait = 24 * time.Hour
	}
	rank := map[string]int{"": 0, "member": 1, "admin": 2, "owner": 3}
	for key, r := range rules {
		req.requires = append(req.requires, key)
		req.wait = min(req.wait, r.Wait())
		if rank[r.ApproverRole] > rank[req.approver] {
			req.approver = r.ApproverRole
		}
	}
	slices.Sort(req.requires)
	if re := form.Get("requested_expiry"); re != "" {
		n, err := strconv.Atoi(re)
		if err != nil || n <= 0 {
			return nil, fosite.ErrInvalidRequest.WithHint("requested_expiry must be a positive number of seconds.")
		}
		// Compared in seconds: n*time.Second overflows for a large n.
		if n < int(req.wait/time.Second) {
			req.wait = time.Duration(n) * time.Second
		}
	}

	// An agent cannot flood people with requests: a few may wait at once.
	waiting, err := i.cfg.Client.ApprovalRequest.Query().Where(approvalrequest.ClientID(c.ID),
		approvalrequest.StatusEQ(approvalrequest.StatusPending), approvalrequest.ExpiresAtGT(i.cfg.Now())).
		Count(viewer.AsSystem(ctx, "ciba requests waiting"))
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	if waiting >= maxWaitingRequests {
		return nil, rfcError("invalid_request", http.StatusTooManyRequests,
			"This agent already has "+strconv.Itoa(waiting)+" requests waiting for a decision: wait for them, or let them expire.")
	}
	if c.CIBAMode == "ping" {
		req.ping = form.Get("client_notification_token")
		if req.ping == "" || len(req.ping) > 1024 || !bearerToken.MatchString(req.ping) {
			return nil, fosite.ErrInvalidRequest.WithHint("A ping client must send a client_notification_token of at most 1024 characters, in the syntax of a bearer token (RFC 6750 section 2.1).")
		}
	}
	return req, nil
}

// bearerToken is RFC 6750's b64token, the syntax CIBA requires of a
// client_notification_token (it goes in the ping's Authorization header).
var bearerToken = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// hintedUser resolves login_hint (an email address or a subject) or
// id_token_hint (an ID token this issuer signed, possibly expired) to an
// active member of the workspace.
func (i *Issuer) hintedUser(ctx context.Context, p *provider, form url.Values) (*ent.User, error) {
	sys := viewer.AsSystem(ctx, "ciba hint")
	unknown := cibaError("unknown_user_id", http.StatusBadRequest, "The hint names no active member of this workspace.")
	q := i.cfg.Client.User.Query().Where(user.Disabled(false), user.HasMembership())
	if h := form.Get("login_hint"); h != "" {
		// Not text (NUL, invalid UTF-8, control characters) names no
		// one, and PostgreSQL would refuse it as a parameter.
		if len(h) > 320 || !utf8.ValidString(h) || strings.IndexFunc(h, unicode.IsControl) >= 0 {
			return nil, unknown
		}
		if id, err := strconv.Atoi(h); err == nil {
			q = q.Where(user.ID(id))
		} else {
			q = q.Where(user.EmailEqualFold(strings.TrimSpace(h)))
		}
	} else {
		hint := form.Get("id_token_hint")
		claims, err := i.signer.verify(ctx, hint)
		if err != nil || claims["iss"] != p.issuer || !idTokenType(hint) {
			return nil, fosite.ErrInvalidRequest.WithHint("id_token_hint is not an ID token of this issuer.")
		}
		sub, _ := claims["sub"].(string)
		id, err := strconv.Atoi(sub)
		if err != nil {
			return nil, unknown
		}
		q = q.Where(user.ID(id))
	}
	u, err := q.Only(sys)
	if ent.IsNotFound(err) {
		return nil, unknown
	}
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	return u, nil
}

// idTokenType says whether a JWT's (verified) header names it an ID token:
// typ JWT, or none. The issuer signs access tokens (at+jwt) and logout
// tokens (logout+jwt) with the same keys; neither is an id_token_hint.
func idTokenType(raw string) bool {
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	var h struct {
		Typ string `json:"typ"`
	}
	if err != nil || json.Unmarshal(b, &h) != nil {
		return false
	}
	return h.Typ == "" || strings.EqualFold(h.Typ, "JWT")
}

// createCIBA stores the request with its audit event and webhook events,
// in one transaction, and returns the auth_req_id (only its HMAC is kept).
func (i *Issuer) createCIBA(ctx context.Context, p *provider, c *Client, req *cibaRequest) (*ent.ApprovalRequest, string, error) {
	authReqID := randomID() + randomID()
	publicID := "apr_" + randomID()
	var subject []byte
	grantID := 0
	run := ""
	chain := req.agent.Chain
	if req.subject != nil {
		var err error
		if subject, err = json.Marshal(req.subject); err != nil {
			return nil, "", err
		}
		grantID, run, chain = req.subject.GrantID, req.subject.Run, req.subject.Act
	}
	var row *ent.ApprovalRequest
	err := i.store.inTx(ctx, func(tx *ent.Tx) error {
		create := tx.ApprovalRequest.Create().SetPublicID(publicID).
			SetAuthReqIDHash(p.codeHash("auth_req_id", authReqID)).SetKind(req.kind).
			SetClientID(c.ID).SetAgentID(req.agent.ID).SetAgentChain(chain).SetUserID(req.user.ID).
			SetGrantID(grantID).SetScopes(req.scopes).SetAudience(req.audience).
			SetAuthorizationDetails(string(req.details)).SetBindingMessage(req.binding).
			SetApproverRole(req.approver).SetRequires(req.requires).
			SetDeliveryMode(approvalrequest.DeliveryMode(c.CIBAMode)).SetRun(run).
			SetExpiresAt(i.cfg.Now().Add(req.wait).UTC().Truncate(time.Second)).SetInterval(cibaPollInterval)
		if subject != nil {
			create.SetSubjectSession(subject)
		}
		if req.kind == approvalrequest.KindGrant {
			create.SetGrantSeconds(int(min(cibaGrantDuration, p.settings.GrantLimit()).Seconds()))
		}
		if c.CIBAMode == "ping" {
			if i.cfg.Approvals == nil {
				return errors.New("issuer: ping mode needs the approvals capability")
			}
			sealed, err := i.cfg.Approvals.SealPing(p.tenantID, publicID, req.ping, authReqID)
			if err != nil {
				return err
			}
			create.SetNotificationToken(sealed).SetNotificationEndpoint(c.CIBANotify)
		}
		var err error
		if row, err = create.Save(viewer.AsSystem(ctx, "ciba request")); err != nil {
			return err
		}
		ev := audit.Event{Action: "approval.requested", TargetType: "approval_request", TargetID: publicID,
			ClientID: c.ID, AgentChain: chain, RunID: run, Scope: req.scopes, ApprovalRequired: req.kind == approvalrequest.KindAction,
			ApprovalID: publicID, Details: map[string]string{"kind": string(req.kind), "user_id": strconv.Itoa(req.user.ID),
				"requires": strings.Join(req.requires, " "), "binding_message": req.binding,
				"expires_at": row.ExpiresAt.Format(time.RFC3339), "mode": c.CIBAMode}}
		if req.approver != "" {
			ev.Details["approver_role"] = req.approver
		}
		if len(req.details) > 0 {
			ev.Details["authorization_details"] = string(req.details)
		}
		if grantID != 0 {
			ev.GrantID = strconv.Itoa(grantID)
		}
		if _, err := i.cfg.Audit.Record(ctx, tx, ev); err != nil {
			return err
		}
		if i.cfg.Approvals != nil {
			return i.cfg.Approvals.Requested(ctx, tx, row)
		}
		return nil
	})
	return row, authReqID, err
}

// cibaGrant redeems an auth_req_id at the token endpoint (CIBA Core
// sections 10 and 11).
type cibaGrant struct {
	i        *Issuer
	p        *provider
	strategy oauth2.CoreStrategy
	idTokens *openid.IDTokenHandleHelper
}

var _ fosite.TokenEndpointHandler = (*cibaGrant)(nil)

func (g *cibaGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (g *cibaGrant) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	return r.GetGrantTypes().ExactOne(grantCIBA)
}

// errApprovalSpent: another request took the approved token first.
var errApprovalSpent = errors.New("issuer: the approval was already redeemed")

func (g *cibaGrant) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	c := r.GetClient().(*Client)
	if !slices.Contains(c.GrantTypes, grantCIBA) {
		return fosite.ErrUnauthorizedClient.WithHint("This client may not use the CIBA grant.")
	}
	id := r.GetRequestForm().Get("auth_req_id")
	if id == "" {
		return fosite.ErrInvalidRequest.WithHint("The auth_req_id parameter is missing.")
	}
	sys := viewer.AsSystem(ctx, "ciba token")
	db := g.i.cfg.Client
	row, err := db.ApprovalRequest.Query().Where(approvalrequest.AuthReqIDHash(g.p.codeHash("auth_req_id", id))).Only(sys)
	if ent.IsNotFound(err) || (err == nil && row.ClientID != c.ID) {
		return fosite.ErrInvalidGrant.WithHint("The auth_req_id is not valid.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	now := g.i.cfg.Now()
	switch row.Status {
	case approvalrequest.StatusDenied:
		return rfcError("access_denied", http.StatusBadRequest, "The person denied the request.")
	case approvalrequest.StatusIssued, approvalrequest.StatusUsed:
		return fosite.ErrInvalidGrant.WithHint("The auth_req_id was already redeemed.")
	}
	if row.Status == approvalrequest.StatusExpired {
		return errExpiredToken.WithHint("The request expired: make a new one.")
	}
	if !row.ExpiresAt.After(now) {
		g.i.expire(ctx, row)
		return errExpiredToken.WithHint("The request expired: make a new one.")
	}
	if row.Status == approvalrequest.StatusPending {
		last := row.LastPolledAt
		if row.DeliveryMode == approvalrequest.DeliveryModePing {
			last = nil // a ping client polls when told to; it is not paced
		}
		return pacePoll(now, last, row.Interval, func(interval int) error {
			return db.ApprovalRequest.UpdateOne(row).SetLastPolledAt(now.UTC()).SetInterval(interval).Exec(sys)
		})
	}
	// Approved: build the token's session; PopulateTokenEndpointResponse
	// marks the request issued in the token's own transaction.
	sess, err := g.sessionFor(ctx, c, row)
	if err != nil {
		return err
	}
	// The authority behind it must still stand (the approval itself is
	// not spent yet: it becomes so as the token is issued).
	probe := *sess
	probe.ApprovalID = ""
	if !g.i.stillValid(ctx, &probe) {
		return fosite.ErrInvalidGrant.WithHint("The grant, agent chain or person behind this request is no longer active.")
	}
	sess.GrantExpires = probe.GrantExpires
	target := r.GetSession().(*Session)
	*target = *sess
	for _, s := range row.Scopes {
		r.GrantScope(s)
		r.AppendRequestedScope(s)
	}
	for _, a := range row.Audience {
		r.GrantAudience(a)
	}
	return nil
}

// sessionFor is the session of the token an approved request yields.
func (g *cibaGrant) sessionFor(ctx context.Context, c *Client, row *ent.ApprovalRequest) (*Session, error) {
	u, err := g.i.cfg.Client.User.Get(viewer.AsSystem(ctx, "ciba token"), row.UserID)
	if err != nil {
		return nil, fosite.ErrInvalidGrant.WithHint("The person is no longer a member.")
	}
	now := g.i.cfg.Now().UTC()
	sess := NewSession()
	if len(row.SubjectSession) > 0 {
		if err := json.Unmarshal(row.SubjectSession, sess); err != nil {
			return nil, fosite.ErrServerError.WithWrap(err)
		}
		sess.ExpiresAt, sess.MayAct = nil, ""
	} else {
		sess.Subject, sess.UserID = subject(u.ID), u.ID
		sess.Act = row.AgentChain
	}
	if row.Kind == approvalrequest.KindGrant {
		if row.CreatedGrantID == 0 {
			return nil, fosite.ErrServerError.WithHint("The approved request holds no grant.")
		}
		g2, err := g.i.cfg.Client.DelegationGrant.Get(viewer.AsSystem(ctx, "ciba token"), row.CreatedGrantID)
		if err != nil {
			return nil, fosite.ErrInvalidGrant.WithHint("The grant given was revoked.")
		}
		sess.GrantID, sess.GrantExpires, sess.Act = g2.ID, g2.ExpiresAt, []string{c.ID}
	} else {
		sess.ApprovalID = row.PublicID
		sess.AuthorizationDetails = nil
		if row.AuthorizationDetails != "" {
			sess.AuthorizationDetails = json.RawMessage(row.AuthorizationDetails)
		}
	}
	// The ID token says who approved, how and when.
	cl := sess.IDTokenClaims()
	cl.Subject, cl.Issuer = subject(u.ID), g.p.issuer
	cl.RequestedAt = row.CreatedAt.UTC()
	if row.DecidedAt != nil {
		cl.AuthTime = row.DecidedAt.UTC().Truncate(time.Second)
	}
	cl.AuthenticationMethodsReferences = row.DecidedAmr
	cl.AuthenticationContextClassReference = acr(row.DecidedAmr)
	cl.Extra = userClaims(u, row.Scopes)
	sess.IDTokenHeaders().Extra["alg"] = headerAlg(c.SigningAlg)
	exp := now.Add(g.p.settings.AgentTokenLifetime())
	if row.Kind == approvalrequest.KindAction && now.Add(actionTokenLifetime).Before(exp) {
		exp = now.Add(actionTokenLifetime)
	}
	if !sess.GrantExpires.IsZero() && sess.GrantExpires.Before(exp) {
		exp = sess.GrantExpires
	}
	sess.SetExpiresAt(fosite.AccessToken, exp.Round(time.Second))
	if row.Kind == approvalrequest.KindGrant {
		sess.SetExpiresAt(fosite.RefreshToken, now.Add(fosite.GetEffectiveLifespan(c, fosite.GrantTypeRefreshToken, fosite.RefreshToken, g.p.config.RefreshTokenLifespan)).Round(time.Second))
	}
	return sess, nil
}

func (g *cibaGrant) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	c := r.GetClient().(*Client)
	sess := r.GetSession().(*Session)
	// The store marks the request issued in the token's transaction, so
	// two polls racing for one approval get one token.
	ctx = context.WithValue(ctx, cibaRedeemKey{}, g.p.codeHash("auth_req_id", r.GetRequestForm().Get("auth_req_id")))
	ttl := sess.GetExpiresAt(fosite.AccessToken).Sub(g.i.cfg.Now())
	helper := &oauth2.HandleHelper{AccessTokenStrategy: g.strategy, AccessTokenStorage: g.i.store, Config: g.p.config}
	if _, err := helper.IssueAccessToken(ctx, ttl, r, resp); err != nil {
		if errors.Is(err, errApprovalSpent) {
			return fosite.ErrInvalidGrant.WithHint("The auth_req_id was already redeemed.")
		}
		return fosite.ErrServerError.WithWrap(err)
	}
	if sess.ApprovalID == "" && slices.Contains(c.GrantTypes, "refresh_token") {
		tok, sig, err := g.strategy.GenerateRefreshToken(ctx, r)
		if err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
		if err := g.i.store.CreateRefreshTokenSession(ctx, sig, "", r.Sanitize(nil)); err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
		resp.SetExtra("refresh_token", tok)
	}
	if sess.ApprovalID != "" {
		resp.SetExtra("authorization_details", sess.AuthorizationDetails)
		resp.SetExtra("approval_id", sess.ApprovalID)
	}
	if r.GetGrantedScopes().Has("openid") {
		sess.IDTokenClaims().AccessTokenHash = g.idTokens.GetAccessTokenHash(ctx, r, resp)
		if err := g.idTokens.IssueExplicitIDToken(ctx, g.p.config.IDTokenLifespan, r, resp); err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
	}
	return nil
}

// cibaRedeemKey carries, to the store, the auth_req_id hash whose approved
// request a token is being issued for.
type cibaRedeemKey struct{}

// markIssued moves the request of the auth_req_id hash in ctx from approved to
// issued, in tx, recording the token's jti and expiry.
func (s *Store) markIssued(ctx context.Context, tx *ent.Tx, sess *Session) error {
	hash, _ := ctx.Value(cibaRedeemKey{}).(string)
	if hash == "" {
		return nil
	}
	upd := tx.ApprovalRequest.Update().Where(approvalrequest.AuthReqIDHash(hash),
		approvalrequest.StatusEQ(approvalrequest.StatusApproved)).SetStatus(approvalrequest.StatusIssued)
	if sess.ApprovalID != "" {
		upd.SetTokenJti(sess.JTI).SetTokenExpiresAt(sess.GetExpiresAt(fosite.AccessToken))
	}
	n, err := upd.Save(viewer.AsSystem(ctx, "ciba token"))
	if err != nil {
		return err
	}
	if n != 1 {
		return errApprovalSpent
	}
	return nil
}

// approvalGate refuses, at the token endpoint of every grant but CIBA, a
// scope or authorization_details type that requires approval: those come
// only from an approved request. It runs after every grant handler, so it
// sees what each granted.
type approvalGate struct{ p *provider }

var _ fosite.TokenEndpointHandler = (*approvalGate)(nil)

func (g *approvalGate) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (g *approvalGate) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	return !r.GetGrantTypes().ExactOne(grantCIBA)
}

func (g *approvalGate) HandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) error {
	if sess, ok := r.GetSession().(*Session); ok && sess.ApprovalID != "" {
		return fosite.ErrInvalidGrant.WithHint("An approval token is single-use: it cannot be exchanged or refreshed.")
	}
	if err := g.p.needsApproval(slices.Concat(r.GetRequestedScopes(), r.GetGrantedScopes()), sessionDetails(r)); err != nil {
		return err
	}
	return fosite.ErrUnknownRequest
}

func (g *approvalGate) PopulateTokenEndpointResponse(context.Context, fosite.AccessRequester, fosite.AccessResponder) error {
	return fosite.ErrUnknownRequest
}

func sessionDetails(r fosite.Requester) json.RawMessage {
	if sess, ok := r.GetSession().(*Session); ok {
		return sess.AuthorizationDetails
	}
	return nil
}

// needsApproval refuses scopes or authorization_details types that only an
// approved CIBA request may carry.
func (p *provider) needsApproval(scopes []string, details json.RawMessage) error {
	var types []string
	if len(details) > 0 {
		var items []struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(details, &items)
		for _, it := range items {
			types = append(types, it.Type)
		}
	}
	rules := p.settings.Approvals(scopes, types)
	if len(rules) == 0 {
		return nil
	}
	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fosite.ErrInvalidScope.WithHintf("%s requires a person's approval of the one action: ask for it with a backchannel authentication request (CIBA).",
		strings.Join(keys, ", "))
}

// approvalUsable says whether the approval behind a single-use token is
// still unspent.
func (i *Issuer) approvalUsable(ctx context.Context, approvalID string) bool {
	ok, err := i.cfg.Client.ApprovalRequest.Query().Where(approvalrequest.PublicID(approvalID),
		approvalrequest.StatusEQ(approvalrequest.StatusIssued)).Exist(viewer.AsSystem(ctx, "approval token"))
	return err == nil && ok
}

// consumeApproval spends a single-use approval token, once: the first
// caller gets true; every later one false, audited as a refused reuse.
func (i *Issuer) consumeApproval(ctx context.Context, sess *Session, caller string) bool {
	consumed := false
	err := i.store.inTx(ctx, func(tx *ent.Tx) error {
		now := i.cfg.Now().UTC()
		n, err := tx.ApprovalRequest.Update().Where(approvalrequest.PublicID(sess.ApprovalID),
			approvalrequest.StatusEQ(approvalrequest.StatusIssued)).
			SetStatus(approvalrequest.StatusUsed).SetUsedAt(now).Save(viewer.AsSystem(ctx, "approval token"))
		if err != nil {
			return err
		}
		consumed = n == 1
		return nil
	})
	if err != nil {
		i.cfg.Log.ErrorContext(ctx, "approval consume", "err", err)
		return false
	}
	action, outcome := "approval.consumed", audit.Success
	if !consumed {
		action, outcome = "approval.reuse_refused", audit.Denied
	}
	i.cfg.Audit.RecordAlone(ctx, i.cfg.Client, i.cfg.Log, i.approvalEvent(sess, action, outcome, map[string]string{"by": caller}))
	return consumed
}

// approvalEvent is an audit event about a single-use approval token.
func (i *Issuer) approvalEvent(sess *Session, action string, outcome audit.Outcome, details map[string]string) audit.Event {
	ev := audit.Event{Action: action, TargetType: "approval_request", TargetID: sess.ApprovalID, Outcome: outcome,
		AgentChain: sess.Act, RunID: sess.Run, ApprovalRequired: true, ApprovalID: sess.ApprovalID, Details: details}
	if len(sess.Act) > 0 {
		ev.ClientID = sess.Act[0]
	}
	if sess.GrantID != 0 {
		ev.GrantID = strconv.Itoa(sess.GrantID)
	}
	if sess.Subject != "" {
		ev.Details["subject"] = sess.Subject
	}
	if len(sess.AuthorizationDetails) > 0 {
		ev.Details["authorization_details"] = string(sess.AuthorizationDetails)
	}
	return ev
}

// ConsumeApprovalToken spends a single-use approval token presented to
// another part of the server (the tool gateway): it answers whether the
// token was active, unspent and is now spent, with what it approved.
func (i *Issuer) ConsumeApprovalToken(ctx context.Context, slug, token, caller string) (approvalID string, details json.RawMessage, scopes []string, ok bool) {
	p, err := i.provider(ctx, slug)
	if err != nil {
		return "", nil, nil, false
	}
	tctx := viewer.ForTenant(ctx, p.tenantID)
	_, ar, err := p.oauth.IntrospectToken(tctx, token, fosite.AccessToken, NewSession())
	if err != nil {
		return "", nil, nil, false
	}
	sess := ar.GetSession().(*Session)
	if sess.ApprovalID == "" {
		return "", nil, nil, false
	}
	if !i.stillValid(tctx, sess, ar.GetGrantedScopes()...) {
		i.cfg.Audit.RecordAlone(tctx, i.cfg.Client, i.cfg.Log, i.approvalEvent(sess, "approval.reuse_refused", audit.Denied, map[string]string{"by": caller}))
		return "", nil, nil, false
	}
	if !i.consumeApproval(tctx, sess, caller) {
		return "", nil, nil, false
	}
	return sess.ApprovalID, sess.AuthorizationDetails, ar.GetGrantedScopes(), true
}

// expire records, once, that a request ran out unanswered (or approved
// but never redeemed): no token will ever come of it.
func (i *Issuer) expire(ctx context.Context, row *ent.ApprovalRequest) {
	err := i.store.inTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.ApprovalRequest.Update().Where(approvalrequest.ID(row.ID),
			approvalrequest.StatusIn(approvalrequest.StatusPending, approvalrequest.StatusApproved)).
			SetStatus(approvalrequest.StatusExpired).Save(viewer.AsSystem(ctx, "approval expiry"))
		if err != nil || n == 0 {
			return err
		}
		_, err = i.cfg.Audit.Record(ctx, tx, audit.ForApproval(row, "approval.expired", audit.Denied,
			map[string]string{"user_id": strconv.Itoa(row.UserID), "was": string(row.Status)}))
		return err
	})
	if err != nil {
		i.cfg.Log.ErrorContext(ctx, "approval expiry", "err", err)
	}
}

// Principal is who an access token speaks for, as the tool gateway needs
// it: the calling client (an agent), the person it acts for and the act
// chain, the scope, and, for a single-use approval token, what was
// approved.
type Principal struct {
	ClientID             string
	Subject              string
	UserID               int
	Act                  []string // the acting agents, the current actor first
	Chain                []string // an agent's own token: the agent and its ancestors
	Scopes               []string
	Audience             []string
	GrantID              int
	Run                  string
	ApprovalID           string
	AuthorizationDetails json.RawMessage
	ExpiresAt            time.Time
	// GrantExpires is when the grant the token acts under ends (zero
	// without one).
	GrantExpires time.Time
}

// Agent is the client_id of the agent acting: the act chain's first, or
// the client itself.
func (p *Principal) Agent() string {
	if len(p.Act) > 0 {
		return p.Act[0]
	}
	return p.ClientID
}

// ErrApprovalSpent is PrincipalOf's answer for a single-use approval
// token that was already used (the refusal is audited).
var ErrApprovalSpent = errors.New("issuer: the approval token was already used")

// PrincipalOf checks an access token presented to another part of the
// server (the tool gateway): active, unexpired, and its grant, agent chain
// and person still standing. It does not spend an approval token: call
// ConsumeApprovalToken for that.
func (i *Issuer) PrincipalOf(ctx context.Context, slug, token string) (*Principal, error) {
	p, err := i.provider(ctx, slug)
	if err != nil {
		return nil, err
	}
	tctx := viewer.ForTenant(ctx, p.tenantID)
	_, ar, err := p.oauth.IntrospectToken(tctx, token, fosite.AccessToken, NewSession())
	if err != nil {
		return nil, errors.New("issuer: the access token is not active")
	}
	sess := ar.GetSession().(*Session)
	if !i.stillValid(tctx, sess, ar.GetGrantedScopes()...) {
		// stillValid refuses a spent approval too; say so, audited.
		if sess.ApprovalID != "" && !i.approvalUsable(tctx, sess.ApprovalID) {
			i.cfg.Audit.RecordAlone(tctx, i.cfg.Client, i.cfg.Log, i.approvalEvent(sess, "approval.reuse_refused", audit.Denied,
				map[string]string{"by": "gateway"}))
			return nil, ErrApprovalSpent
		}
		return nil, errors.New("issuer: the authority behind the access token no longer stands")
	}
	return &Principal{ClientID: ar.GetClient().GetID(), Subject: sess.GetSubject(), UserID: sess.UserID,
		Act: slices.Clone(sess.Act), Chain: slices.Clone(sess.Chain), Scopes: slices.Clone(ar.GetGrantedScopes()),
		Audience: slices.Clone(ar.GetGrantedAudience()), GrantID: sess.GrantID, Run: sess.Run,
		ApprovalID: sess.ApprovalID, AuthorizationDetails: sess.AuthorizationDetails,
		ExpiresAt: sess.GetExpiresAt(fosite.AccessToken), GrantExpires: sess.GrantExpires}, nil
}
