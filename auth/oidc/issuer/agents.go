package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/delegationgrant"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Authority is what the issuer asks the agent registry (agents/registry,
// wired by the binary): the issuer sits below the agents in the layering.
type Authority interface {
	// Agent returns the agent behind an OAuth client, nil for an app.
	Agent(ctx context.Context, clientID string) (*AgentInfo, error)
	// ActiveChain reports whether every agent named by client_id is active.
	ActiveChain(ctx context.Context, clientIDs []string) (bool, error)
	// HumanScopes are the scopes a person may hold now; nil when they are
	// no longer an active member.
	HumanScopes(ctx context.Context, userID int) ([]string, error)
	// RegisterSubagent registers a subagent of the agent ctx's viewer is,
	// and returns its client_id.
	RegisterSubagent(ctx context.Context, req SubagentRequest) (string, error)
}

// SubagentRequest is a subagent registered through RFC 7591 by its parent.
type SubagentRequest struct {
	Name, Role, ParentRun   string
	Scopes, Tools, Audience []string
	JWKS                    []byte
	JWKSURI                 string
	// CIBANotify makes the subagent a CIBA ping client.
	CIBANotify string
}

// AgentInfo is an agent as the issuer needs it.
type AgentInfo struct {
	ID       int
	ClientID string
	Name     string
	Sponsor  string // the sponsor's email, for the consent page
	Ceiling  []string
	Active   bool
	// Chain is the agent then its ancestors, by client_id.
	Chain []string
}

// Token types of RFC 8693.
const (
	grantTokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	tokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// stillValid checks what a stored token cannot know by itself: the grant
// it acts under is active and unexpired and still holds every scope the
// token carries (a narrowed grant), every agent in its chain is active, and
// the person it acts for is still an active member. It is asked on every
// introspection, userinfo, refresh and exchange, so revoking or narrowing
// anything in the chain stops the token at once. It also brings the
// session's grant expiry up to date, so a token minted from it (refresh,
// exchange) never outlives a grant that was shortened since.
func (i *Issuer) stillValid(ctx context.Context, sess *Session, scopes ...string) bool {
	sys := viewer.AsSystem(ctx, "token validity")
	if sess.ApprovalID != "" && !i.approvalUsable(ctx, sess.ApprovalID) {
		return false
	}
	if len(sess.Chain) > 0 {
		if i.cfg.Authority == nil {
			return false
		}
		if ok, err := i.cfg.Authority.ActiveChain(ctx, sess.Chain); err != nil || !ok {
			return false
		}
	}
	if sess.GrantID == 0 && len(sess.Act) == 0 {
		// A person's token for an app: they must still be an active member.
		if sess.UserID == 0 {
			return true
		}
		ok, err := i.cfg.Client.User.Query().Where(user.ID(sess.UserID), user.Disabled(false), user.HasMembership()).Exist(sys)
		return err == nil && ok
	}
	if i.cfg.Authority == nil {
		return false
	}
	if sess.GrantID != 0 {
		g, err := i.cfg.Client.DelegationGrant.Get(sys, sess.GrantID)
		if err != nil || g.Status != delegationgrant.StatusActive || !g.ExpiresAt.After(i.cfg.Now()) {
			return false
		}
		// An approval token's scopes come from the approval, not the
		// grant; the grant must still stand.
		for _, sc := range scopes {
			if sess.ApprovalID == "" && !slices.Contains(g.Scopes, sc) {
				return false
			}
		}
		if sess.GrantExpires.IsZero() || g.ExpiresAt.Before(sess.GrantExpires) {
			sess.GrantExpires = g.ExpiresAt
		}
	}
	if ok, err := i.cfg.Authority.ActiveChain(ctx, sess.Act); err != nil || !ok {
		return false
	}
	if sess.UserID != 0 {
		if scopes, err := i.cfg.Authority.HumanScopes(ctx, sess.UserID); err != nil || scopes == nil {
			return false
		}
	}
	return true
}

// delegate records a person's grant to an agent, in tx, with its audit
// event; the session then acts under it.
func (i *Issuer) delegate(ctx context.Context, tx *ent.Tx, p *provider, a *AgentInfo, userID int, scopes []string, d time.Duration, sess *Session) error {
	if d <= 0 || d > p.settings.GrantLimit() {
		d = p.settings.GrantLimit()
	}
	exp := i.cfg.Now().Add(d).UTC().Truncate(time.Second)
	g, err := tx.DelegationGrant.Create().SetUserID(userID).SetAgentID(a.ID).SetScopes(scopes).SetExpiresAt(exp).
		SetAuthorizationDetails(string(sess.AuthorizationDetails)).Save(viewer.AsSystem(ctx, "delegation grant"))
	if err != nil {
		return err
	}
	sess.GrantID, sess.GrantExpires, sess.Act = g.ID, exp, []string{a.ClientID}
	_, err = i.cfg.Audit.Record(ctx, tx, audit.Event{Action: "grant.given", TargetType: "delegation_grant",
		TargetID: strconv.Itoa(g.ID), ClientID: a.ClientID, AgentChain: a.Chain, GrantID: strconv.Itoa(g.ID), Scope: scopes,
		Details: map[string]string{"agent": a.Name, "expires_at": exp.Format(time.RFC3339)}})
	return err
}

// grantDurations are the expiries a person may pick on the consent page.
var grantDurations = []struct {
	Label string
	D     time.Duration
}{{"1 hour", time.Hour}, {"1 day", 24 * time.Hour}, {"7 days", 7 * 24 * time.Hour}, {"30 days", 30 * 24 * time.Hour}}

// exchangeGrant is RFC 8693 token exchange, which fosite lacks: an agent
// presents the token of the agent above it (subject_token) and receives a
// token for the same person with itself added to the act chain, narrowed
// to what every link allows. An agent may also exchange its own
// on-behalf-of token (it is the token's current actor): the act chain
// stays, and scope, audience and lifetime only narrow.
//
// may_act (RFC 8693 section 4.4): the requesting agent may pin the token
// it receives to one of its direct subagents (the may_act parameter, a
// client_id); the token then carries may_act {"sub": that agent}, and only
// that agent may exchange it.
type exchangeGrant struct {
	i        *Issuer
	p        *provider
	strategy oauth2.CoreStrategy
}

var _ fosite.TokenEndpointHandler = (*exchangeGrant)(nil)

func (g *exchangeGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (g *exchangeGrant) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	return r.GetGrantTypes().ExactOne(grantTokenExchange)
}

// refuse audits a refused exchange and returns its error.
func (g *exchangeGrant) refuse(ctx context.Context, c *Client, chain []string, err *fosite.RFC6749Error, why string) error {
	v := viewer.FromContext(ctx)
	v.Kind, v.Label = viewer.Client, c.ID
	actx := viewer.NewContext(ctx, v)
	_ = g.i.store.inTx(actx, func(tx *ent.Tx) error {
		_, e := g.i.cfg.Audit.Record(actx, tx, audit.Event{Action: "token.exchange_refused", TargetType: "oauth_client",
			TargetID: c.ID, ClientID: c.ID, AgentChain: chain, Outcome: audit.Denied,
			Details: map[string]string{"error": err.ErrorField, "reason": why}})
		return e
	})
	return err.WithHint(why)
}

func (g *exchangeGrant) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	c := r.GetClient().(*Client)
	form := r.GetRequestForm()
	if !slices.Contains(c.GrantTypes, grantTokenExchange) || !c.Agent || g.i.cfg.Authority == nil {
		return fosite.ErrUnauthorizedClient.WithHint("Only an agent may exchange tokens.")
	}
	me, err := g.i.cfg.Authority.Agent(ctx, c.ID)
	if err != nil || me == nil || !me.Active {
		return fosite.ErrUnauthorizedClient.WithHint("This agent is not active.")
	}
	if t := form.Get("requested_token_type"); t != "" && t != tokenTypeAccessToken {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidRequest, "Only access tokens are issued by exchange.")
	}
	subject := form.Get("subject_token")
	if subject == "" || (form.Get("subject_token_type") != tokenTypeAccessToken && form.Get("subject_token_type") != tokenTypeJWT) {
		return fosite.ErrInvalidRequest.WithHint("subject_token and a subject_token_type of access_token are required.")
	}
	_, sar, err := g.p.oauth.IntrospectToken(ctx, subject, fosite.AccessToken, NewSession())
	if err != nil {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "The subject token is not active.")
	}
	ss := sar.GetSession().(*Session)
	if ss.ApprovalID != "" {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "An approval token is single-use: it cannot be exchanged.")
	}
	if !g.i.stillValid(ctx, ss, sar.GetGrantedScopes()...) {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "The subject token's grant or chain is no longer active.")
	}
	if ss.UserID == 0 || ss.GrantID == 0 || len(ss.Act) == 0 {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "The subject token does not act for a person under a grant.")
	}
	// A pinned token goes to the one agent its may_act names, and to no
	// one else: not another subagent of the actor, not the actor itself.
	if ss.MayAct != "" && ss.MayAct != c.ID {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "The subject token's may_act names another agent.")
	}
	// Only the actor's own subagent may take the token one hop further
	// down (every parent stays in the act chain), or the actor itself
	// narrow it (the chain stays as it is).
	actor := ss.Act[0]
	self := actor == c.ID
	if idx := slices.Index(me.Chain, actor); idx != 1 && !self {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "This agent is not a registered subagent of the token's actor.")
	}
	if at := form.Get("actor_token"); at != "" {
		_, aar, err := g.p.oauth.IntrospectToken(ctx, at, fosite.AccessToken, NewSession())
		if err != nil || aar.GetClient().GetID() != c.ID || aar.GetSession().(*Session).UserID != 0 {
			return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "The actor token must be this agent's own access token.")
		}
		if ss.MayAct != "" && aar.GetClient().GetID() != ss.MayAct {
			return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "The actor token is not that of the agent the subject token's may_act names.")
		}
	}
	// may_act pins the new token to one direct subagent of this agent.
	mayAct := form.Get("may_act")
	if len(mayAct) > 200 {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidRequest, "may_act must name an active direct subagent of this agent.")
	}
	if mayAct != "" {
		sub, err := g.i.cfg.Authority.Agent(ctx, mayAct)
		if err != nil {
			return fosite.ErrServerError.WithWrap(err)
		}
		if sub == nil || !sub.Active || len(sub.Chain) < 2 || sub.Chain[1] != c.ID {
			return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidRequest, "may_act must name an active direct subagent of this agent.")
		}
	}
	human, err := g.i.cfg.Authority.HumanScopes(ctx, ss.UserID)
	if err != nil || human == nil {
		return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidGrant, "The person is no longer an active member.")
	}
	allowed := []string{}
	for _, s := range sar.GetGrantedScopes() {
		if slices.Contains(me.Ceiling, s) && slices.Contains(human, s) {
			allowed = append(allowed, s)
		}
	}
	requested := strings.Fields(form.Get("scope"))
	if len(requested) == 0 {
		requested = allowed
	}
	for _, s := range requested {
		if !slices.Contains(allowed, s) {
			return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidScope, "Scope "+strconv.Quote(s)+" would widen the subject token (or exceed this agent's ceiling or the person's role).")
		}
	}
	// Audience: never wider than the subject token's. A subject token
	// without one is meant for its own client only, so no resource may be
	// added to it.
	subAud := sar.GetGrantedAudience()
	for _, a := range r.GetRequestedAudience() {
		if !subAud.Has(a) {
			return g.refuse(ctx, c, me.Chain, rfcError("invalid_target", 400, ""), "Resource "+strconv.Quote(a)+" is outside the subject token's audience.")
		}
	}
	now := g.i.cfg.Now()
	exp := now.Add(g.p.settings.AgentTokenLifetime())
	if se := ss.GetExpiresAt(fosite.AccessToken); !se.IsZero() && se.Before(exp) {
		exp = se
	}
	if !ss.GrantExpires.IsZero() && ss.GrantExpires.Before(exp) {
		exp = ss.GrantExpires
	}
	// The run this token serves; a new one's parent defaults to the
	// subject token's run.
	run, parentRun, err := g.i.resolveRun(ctx, me, form, ss.Run)
	if err != nil {
		var rfc *fosite.RFC6749Error
		if errors.As(err, &rfc) && rfc.ErrorField == fosite.ErrInvalidRequest.ErrorField {
			return g.refuse(ctx, c, me.Chain, fosite.ErrInvalidRequest, rfc.HintField)
		}
		return err
	}
	sess := r.GetSession().(*Session)
	*sess = *ss.Clone().(*Session)
	if !self {
		sess.Act = append([]string{c.ID}, ss.Act...)
	}
	sess.Run, sess.ParentRun, sess.MayAct = run, parentRun, mayAct
	sess.ExpiresAt = nil
	sess.SetExpiresAt(fosite.AccessToken, exp.UTC().Round(time.Second))
	for _, s := range requested {
		r.GrantScope(s)
	}
	aud := r.GetRequestedAudience()
	if len(aud) == 0 {
		aud = sar.GetGrantedAudience()
	}
	for _, a := range aud {
		r.GrantAudience(a)
	}
	return nil
}

func (g *exchangeGrant) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	helper := &oauth2.HandleHelper{AccessTokenStrategy: g.strategy, AccessTokenStorage: g.i.store, Config: g.p.config}
	if _, err := helper.IssueAccessToken(ctx, g.p.settings.AgentTokenLifetime(), r, resp); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	resp.SetExtra("issued_token_type", tokenTypeAccessToken)
	return nil
}

// AgentViewer authenticates an agent by its own access token (one it got
// with client_credentials, acting for itself), for the APIs an agent calls
// directly, such as registering a subagent.
func (i *Issuer) AgentViewer(ctx context.Context, slug, token string) (viewer.Viewer, error) {
	bad := apperr.New(apperr.Unauthenticated, "the access token is invalid, expired or revoked")
	p, err := i.provider(ctx, slug)
	if err != nil || i.cfg.Authority == nil {
		return viewer.Viewer{}, bad
	}
	tctx := viewer.ForTenant(ctx, p.tenantID)
	_, ar, err := p.oauth.IntrospectToken(tctx, token, fosite.AccessToken, NewSession())
	if err != nil {
		return viewer.Viewer{}, bad
	}
	sess := ar.GetSession().(*Session)
	c, ok := ar.GetClient().(*Client)
	if !ok || !c.Agent || sess.UserID != 0 || !i.stillValid(tctx, sess) {
		return viewer.Viewer{}, apperr.New(apperr.Forbidden, "only an agent's own access token (client_credentials) is accepted here")
	}
	a, err := i.cfg.Authority.Agent(tctx, c.ID)
	if err != nil || a == nil || !a.Active {
		return viewer.Viewer{}, bad
	}
	return viewer.Viewer{TenantID: p.tenantID, Kind: viewer.Agent, ID: a.ID, Label: a.Name}, nil
}

// maxDetails bounds an authorization_details parameter.
const maxDetails = 8 << 10

// parseDetails validates RFC 9396 authorization_details: a JSON array of
// objects, each with a non-empty string type. Empty input is none.
func parseDetails(raw string) (json.RawMessage, error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > maxDetails {
		return nil, rfcError("invalid_authorization_details", 400, "authorization_details is too long.")
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(raw), &items); err != nil || len(items) == 0 {
		return nil, rfcError("invalid_authorization_details", 400, "authorization_details must be a JSON array of objects.")
	}
	for _, it := range items {
		if t, ok := it["type"].(string); !ok || t == "" {
			return nil, rfcError("invalid_authorization_details", 400, "Every authorization_details object needs a type.")
		}
	}
	out, _ := json.Marshal(items)
	return out, nil
}
