package issuer

import (
	"context"
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

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/oauthconsent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Parameters of an authorization request that only the issuer sets: they
// live in the server-side copy of a request that waits for the user to
// sign in or consent, never in a URL the browser could edit.
const (
	// paramAuthAfter: the user was sent to sign in at this time (unix
	// seconds); a session authenticated since satisfies prompt=login and
	// max_age.
	paramAuthAfter = "mandate_auth_after"
	// Posted by the consent page.
	paramConsent = "consent"
	paramCSRF    = "csrf"
)

// issWriter adds RFC 9207's iss to every redirect back to the client.
type issWriter struct {
	http.ResponseWriter
	iss string
}

func (w *issWriter) WriteHeader(code int) {
	if code >= 300 && code < 400 {
		if loc := w.Header().Get("Location"); loc != "" {
			if u, err := url.Parse(loc); err == nil {
				if u.Fragment != "" && strings.Contains(u.Fragment, "=") {
					f, _ := url.ParseQuery(u.Fragment)
					f.Set("iss", w.iss)
					u.Fragment = f.Encode()
				} else {
					q := u.Query()
					q.Set("iss", w.iss)
					u.RawQuery = q.Encode()
				}
				w.Header().Set("Location", u.String())
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (i *Issuer) authorizeError(ctx context.Context, w http.ResponseWriter, p *provider, ar fosite.AuthorizeRequester, err error) {
	if ar == nil {
		ar = fosite.NewAuthorizeRequest()
	}
	p.oauth.WriteAuthorizeError(ctx, &issWriter{ResponseWriter: w, iss: p.issuer}, ar, err)
}

func prompts(form url.Values) []string {
	return strings.Fields(form.Get("prompt"))
}

func (i *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		i.authorizeError(ctx, w, p, nil, fosite.ErrInvalidRequest.WithHint("The request could not be parsed."))
		return
	}
	if r.Form.Has(paramAuthAfter) {
		i.authorizeError(ctx, w, p, nil, fosite.ErrInvalidRequest.WithHint("Unknown parameter "+paramAuthAfter+"."))
		return
	}
	if err := resourcesToAudience(r.Form); err != nil {
		i.authorizeError(ctx, w, p, nil, err)
		return
	}
	ar, err := p.oauth.NewAuthorizeRequest(ctx, r)
	if err != nil {
		i.authorizeError(ctx, w, p, ar, asInvalidTarget(r.Form, err))
		return
	}
	c := ar.GetClient().(*Client)
	if c.RequirePAR && !strings.HasPrefix(r.Form.Get("request_uri"), parPrefix) {
		i.authorizeError(ctx, w, p, ar, fosite.ErrInvalidRequest.WithHint("This client must push its authorization requests (RFC 9126)."))
		return
	}
	form := ar.GetRequestForm()
	// What needs a person's approval of one action never comes from a
	// sign-in or a delegation: only from an approved CIBA request.
	if err := p.needsApproval(ar.GetRequestedScopes(), json.RawMessage(form.Get("authorization_details"))); err != nil {
		i.authorizeError(ctx, w, p, ar, err)
		return
	}
	pr := prompts(form)
	none := slices.Contains(pr, "none")
	if none && len(pr) > 1 {
		i.authorizeError(ctx, w, p, ar, fosite.ErrInvalidRequest.WithHint("prompt=none cannot be combined with other values."))
		return
	}
	now := i.cfg.Now()
	requestedAt := ar.GetRequestedAt()

	// Who is signed in, and is that recent enough?
	s, v, tok, serr := i.cfg.Flows.SessionFromRequest(ctx, r, p.slug)
	if serr != nil && !errors.Is(serr, session.ErrNoSession) {
		i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(serr))
		return
	}
	signedIn := serr == nil
	fresh := false
	if after, err := strconv.ParseInt(form.Get(paramAuthAfter), 10, 64); err == nil && signedIn {
		at := time.Unix(after, 0)
		if !s.AuthTime.Before(at) {
			fresh = true
			requestedAt = at
		}
	}
	needLogin := !signedIn || (slices.Contains(pr, "login") && !fresh)
	if ma := form.Get("max_age"); ma != "" && signedIn && !fresh {
		sec, err := strconv.ParseInt(ma, 10, 64)
		if err != nil || sec < 0 {
			i.authorizeError(ctx, w, p, ar, fosite.ErrInvalidRequest.WithHint("max_age must be a non-negative integer."))
			return
		}
		if s.AuthTime.Add(time.Duration(sec) * time.Second).Before(now) {
			needLogin = true
		}
	}
	if needLogin {
		if none {
			i.authorizeError(ctx, w, p, ar, fosite.ErrLoginRequired.WithHint("The user must sign in."))
			return
		}
		uri, err := i.push(ctx, ar, func(f url.Values) {
			f.Set("prompt", strings.Join(slices.DeleteFunc(slices.Clone(pr), func(s string) bool { return s == "login" }), " "))
			f.Set(paramAuthAfter, strconv.FormatInt(now.Unix(), 10))
		})
		if err != nil {
			i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		back := "/t/" + url.PathEscape(p.slug) + "/oauth2/authorize?" + url.Values{"client_id": {c.ID}, "request_uri": {uri}}.Encode()
		q := url.Values{"return_to": {back}}
		if h := form.Get("login_hint"); h != "" {
			q.Set("login_hint", h)
		}
		http.Redirect(w, r, "/t/"+url.PathEscape(p.slug)+"/signin?"+q.Encode(), http.StatusSeeOther)
		return
	}

	// acr_values=2 asks for a second factor (OIDC Core 3.1.2.1: voluntary,
	// so a person with no second factor goes on at acr 1, and the ID token
	// says so). A session without one is sent to step up.
	if slices.Contains(strings.Fields(form.Get("acr_values")), "2") && !slices.Contains(s.Amr, "mfa") {
		methods, err := i.cfg.Flows.SecondFactorsOf(viewer.AsSystem(ctx, "acr step-up"), v.ID)
		if err != nil {
			i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		if len(methods) > 0 {
			if none {
				i.authorizeError(ctx, w, p, ar, fosite.ErrInteractionRequired.WithHint("The user must confirm with a second factor."))
				return
			}
			uri, err := i.push(ctx, ar, func(f url.Values) {})
			if err != nil {
				i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
				return
			}
			back := "/t/" + url.PathEscape(p.slug) + "/oauth2/authorize?" + url.Values{"client_id": {c.ID}, "request_uri": {uri}}.Encode()
			q := url.Values{"return_to": {back}, "step_up": {"mfa"}, "methods": {strings.Join(methods, " ")}}
			http.Redirect(w, r, "/t/"+url.PathEscape(p.slug)+"/signin?"+q.Encode(), http.StatusSeeOther)
			return
		}
	}

	u, err := i.cfg.Client.User.Get(viewer.AsSystem(ctx, "authorize"), v.ID)
	if err != nil {
		i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	uctx := viewer.NewContext(ctx, v)

	// Consent: remembered per user and client, asked again for new scopes
	// or when the client says prompt=consent. An agent is different: the
	// person delegates, for a time they pick, and only scopes their role
	// holds; an active grant that covers the request is reused.
	scopes := []string(ar.GetRequestedScopes())
	var agentInfo *AgentInfo
	var grant *ent.DelegationGrant
	var agentDetails json.RawMessage
	if c.Agent {
		if agentInfo, err = i.agentFor(ctx, c); err != nil {
			i.authorizeError(ctx, w, p, ar, err)
			return
		}
		if err := i.withinRole(ctx, u.ID, scopes); err != nil {
			i.authorizeError(ctx, w, p, ar, err)
			return
		}
		details, derr := parseDetails(form.Get("authorization_details"))
		if derr != nil {
			i.authorizeError(ctx, w, p, ar, derr)
			return
		}
		// RFC 9396 section 5: only the types the workspace declares, each
		// as its schema says.
		if details != nil {
			if _, err := p.settings.CheckDetails(details); err != nil {
				i.authorizeError(ctx, w, p, ar, rfcError("invalid_authorization_details", http.StatusBadRequest, err.Error()))
				return
			}
		}
		agentDetails = details
		// A grant with constraints is always asked for anew.
		if details == nil {
			if grant, err = i.activeGrant(ctx, u.ID, agentInfo.ID, scopes); err != nil {
				i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
				return
			}
		}
	}
	needConsent := slices.Contains(pr, "consent")
	if !needConsent && c.Agent {
		needConsent = grant == nil
	} else if !needConsent {
		granted, err := i.consented(uctx, u.ID, c.ID)
		if err != nil {
			i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		for _, sc := range scopes {
			if !slices.Contains(granted, sc) {
				needConsent = true
			}
		}
	}
	sess := i.userSession(p, c, s, u, requestedAt, scopes)
	if decision := r.PostForm.Get(paramConsent); r.Method == http.MethodPost && decision != "" {
		if !i.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get(paramCSRF)), []byte(session.CSRFFor(tok))) != 1 {
			i.authorizeError(ctx, w, p, ar, fosite.ErrRequestForbidden.WithHint("The consent did not come from this server's page."))
			return
		}
		if decision != "approve" {
			i.authorizeError(ctx, w, p, ar, fosite.ErrAccessDenied.WithHint("The user denied the request."))
			return
		}
		if c.Agent {
			d := p.settings.GrantLimit()
			if n, err := strconv.Atoi(r.PostForm.Get("expiry")); err == nil && n >= 0 && n < len(grantDurations) {
				d = grantDurations[n].D
			}
			sess.AuthorizationDetails = agentDetails
			err = i.store.inTx(uctx, func(tx *ent.Tx) error { return i.delegate(uctx, tx, p, agentInfo, u.ID, scopes, d, sess) })
			grant = nil
		} else {
			err = i.remember(uctx, u.ID, c.ID, scopes)
		}
		if err != nil {
			i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		needConsent = false
	}
	if needConsent {
		if none {
			i.authorizeError(ctx, w, p, ar, fosite.ErrConsentRequired.WithHint("The user must consent."))
			return
		}
		uri, err := i.push(ctx, ar, func(f url.Values) {
			f.Set("prompt", strings.Join(slices.DeleteFunc(slices.Clone(pr), func(s string) bool { return s == "consent" || s == "login" }), " "))
		})
		if err != nil {
			i.authorizeError(ctx, w, p, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		i.renderConsent(w, p, c, u, scopes, ar.GetRequestedAudience(), uri, session.CSRFFor(tok), agentInfo, agentDetails)
		return
	}
	if grant != nil {
		sess.GrantID, sess.GrantExpires, sess.Act = grant.ID, grant.ExpiresAt, []string{agentInfo.ClientID}
	}
	for _, sc := range scopes {
		ar.GrantScope(sc)
	}
	for _, a := range ar.GetRequestedAudience() {
		ar.GrantAudience(a)
	}
	resp, err := p.oauth.NewAuthorizeResponse(uctx, ar, sess)
	if err != nil {
		i.authorizeError(ctx, w, p, ar, err)
		return
	}
	resp.AddParameter("iss", p.issuer)
	p.oauth.WriteAuthorizeResponse(uctx, w, ar, resp)
}

// agentFor returns an agent client's agent, refusing an inactive one.
func (i *Issuer) agentFor(ctx context.Context, c *Client) (*AgentInfo, error) {
	if i.cfg.Authority == nil {
		return nil, fosite.ErrServerError.WithHint("Agents are not configured.")
	}
	a, err := i.cfg.Authority.Agent(ctx, c.ID)
	if err != nil {
		return nil, fosite.ErrServerError.WithWrap(err)
	}
	if a == nil || !a.Active {
		return nil, fosite.ErrAccessDenied.WithHint("The agent is not active.")
	}
	return a, nil
}

// withinRole refuses to delegate a scope the person's role does not hold.
func (i *Issuer) withinRole(ctx context.Context, userID int, scopes []string) error {
	human, err := i.cfg.Authority.HumanScopes(ctx, userID)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	for _, sc := range scopes {
		if !slices.Contains(human, sc) {
			return fosite.ErrInvalidScope.WithHintf("You cannot delegate scope %q: your role does not hold it.", sc)
		}
	}
	return nil
}

// activeGrant finds an active, unexpired grant of the person to the agent
// that covers scopes.
func (i *Issuer) activeGrant(ctx context.Context, userID, agentID int, scopes []string) (*ent.DelegationGrant, error) {
	gs, err := i.cfg.Client.DelegationGrant.Query().Where(delegationgrant.UserID(userID), delegationgrant.AgentID(agentID),
		delegationgrant.StatusEQ(delegationgrant.StatusActive), delegationgrant.ExpiresAtGT(i.cfg.Now())).
		Order(ent.Desc(delegationgrant.FieldExpiresAt)).All(viewer.AsSystem(ctx, "find grant"))
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		covers := true
		for _, sc := range scopes {
			covers = covers && slices.Contains(g.Scopes, sc)
		}
		if covers {
			return g, nil
		}
	}
	return nil, nil
}

// sameOrigin accepts a browser post only from our own pages.
func (i *Issuer) sameOrigin(r *http.Request) bool {
	return httpx.SameOrigin(r, originOf(i.cfg.BaseURL))
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// push keeps a copy of the authorization request server-side while the
// user signs in or consents, and returns its request_uri.
func (i *Issuer) push(ctx context.Context, ar fosite.AuthorizeRequester, change func(url.Values)) (string, error) {
	orig, ok := ar.(*fosite.AuthorizeRequest)
	if !ok {
		return "", errors.New("issuer: unexpected authorize request type")
	}
	cp := *orig
	cp.Form = url.Values{}
	for k, v := range orig.Form {
		cp.Form[k] = slices.Clone(v)
	}
	for _, k := range []string{"request_uri", paramConsent, paramCSRF} {
		cp.Form.Del(k)
	}
	change(cp.Form)
	uri := parPrefix + randomID()
	ctx = context.WithValue(ctx, parExpiryKey{}, i.cfg.Now().Add(interactionLifetime))
	return uri, i.store.CreatePARSession(ctx, uri, &cp)
}

// sid is the ID token's session id for a browser session: stable for the
// session, and not its database id.
func (p *provider) sid(sessionID int) string {
	return base64.RawURLEncoding.EncodeToString(p.mac("sid", strconv.Itoa(sessionID))[:18])
}

// acr reports the assurance of a session from how it authenticated.
func acr(amr []string) string {
	if slices.Contains(amr, "mfa") {
		return "2"
	}
	return "1"
}

func (i *Issuer) userSession(p *provider, c *Client, s *ent.Session, u *ent.User, requestedAt time.Time, scopes []string) *Session {
	sess := NewSession()
	sess.Subject = subject(u.ID)
	sess.UserID = u.ID
	sess.SID = p.sid(s.ID)
	cl := sess.Claims
	cl.Subject = sess.Subject
	cl.Issuer = p.issuer
	cl.AuthTime = s.AuthTime.UTC().Truncate(time.Second)
	cl.RequestedAt = requestedAt.UTC()
	if cl.RequestedAt.Before(cl.AuthTime) && cl.RequestedAt.Add(time.Second).After(cl.AuthTime) {
		cl.RequestedAt = cl.AuthTime
	}
	cl.AuthenticationMethodsReferences = s.Amr
	cl.AuthenticationContextClassReference = acr(s.Amr)
	cl.Extra = userClaims(u, scopes)
	cl.Extra["sid"] = sess.SID
	sess.Headers.Extra["alg"] = headerAlg(c.SigningAlg)
	return sess
}

// consented returns the scopes the user already let the client have.
func (i *Issuer) consented(ctx context.Context, userID int, clientID string) ([]string, error) {
	row, err := i.cfg.Client.OAuthConsent.Query().
		Where(oauthconsent.UserID(userID), oauthconsent.ClientID(clientID)).Only(viewer.AsSystem(ctx, "read consent"))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return row.Scopes, nil
}

// remember records the user's consent (adding to what they gave before)
// and audits it in the same transaction.
func (i *Issuer) remember(ctx context.Context, userID int, clientID string, scopes []string) error {
	tx, err := i.cfg.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := i.rememberTx(ctx, tx, userID, clientID, scopes); err != nil {
		return err
	}
	if _, err := i.cfg.Audit.Record(ctx, tx, auditEvent("consent.given", "oauth_client", clientID, clientID,
		map[string]string{"scope": strings.Join(scopes, " ")})); err != nil {
		return err
	}
	return tx.Commit()
}

// rememberTx stores a consent inside tx.
func (i *Issuer) rememberTx(ctx context.Context, tx *ent.Tx, userID int, clientID string, scopes []string) error {
	sys := viewer.AsSystem(ctx, "record consent")
	row, err := tx.OAuthConsent.Query().Where(oauthconsent.UserID(userID), oauthconsent.ClientID(clientID)).Only(sys)
	switch {
	case ent.IsNotFound(err):
		err = tx.OAuthConsent.Create().SetUserID(userID).SetClientID(clientID).SetScopes(scopes).Exec(sys)
	case err == nil:
		merged := slices.Clone(row.Scopes)
		for _, s := range scopes {
			if !slices.Contains(merged, s) {
				merged = append(merged, s)
			}
		}
		err = tx.OAuthConsent.UpdateOne(row).SetScopes(merged).Exec(sys)
	}
	return apperr.Wrap(err, "consent")
}

func auditEvent(action, targetType, targetID, clientID string, details map[string]string) audit.Event {
	return audit.Event{Action: action, TargetType: targetType, TargetID: targetID, ClientID: clientID, Details: details}
}
