package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ory/fosite"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// maxForm caps a protocol request's body.
const maxForm = 64 << 10

// Mount adds every issuer endpoint to mux.
func (i *Issuer) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /t/{slug}/.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/t/{slug}", i.discovery)
	mux.HandleFunc("GET /t/{slug}/oauth2/authorize", i.authorize)
	mux.HandleFunc("POST /t/{slug}/oauth2/authorize", i.authorize)
	mux.HandleFunc("POST /t/{slug}/oauth2/token", i.token)
	mux.HandleFunc("POST /t/{slug}/oauth2/par", i.par)
	mux.HandleFunc("POST /t/{slug}/oauth2/introspect", i.introspect)
	mux.HandleFunc("POST /t/{slug}/oauth2/revoke", i.revoke)
	mux.HandleFunc("GET /t/{slug}/oauth2/userinfo", i.userinfo)
	mux.HandleFunc("POST /t/{slug}/oauth2/userinfo", i.userinfo)
	mux.HandleFunc("GET /t/{slug}/oauth2/logout", i.endSession)
	mux.HandleFunc("POST /t/{slug}/oauth2/logout", i.endSession)
	mux.HandleFunc("POST /t/{slug}/oauth2/device_authorization", i.deviceAuthorization)
	mux.HandleFunc("POST /t/{slug}/oauth2/bc-authorize", i.backchannelAuthentication)
	mux.HandleFunc("POST /t/{slug}/oauth2/register", i.register)
	mux.HandleFunc("/t/{slug}/oauth2/register/{client_id}", i.registration)
	mux.HandleFunc("GET /t/{slug}/jwks.json", i.jwks)
	mux.HandleFunc("GET /t/{slug}/device", i.devicePage)
	mux.HandleFunc("POST /t/{slug}/device", i.devicePage)
}

// bind resolves the workspace and binds the request to it. It answers 404
// itself for an unknown workspace.
func (i *Issuer) bind(w http.ResponseWriter, r *http.Request) (*provider, context.Context, bool) {
	p, err := i.provider(r.Context(), r.PathValue("slug"))
	if err != nil {
		if ent.IsNotFound(err) || strings.Contains(err.Error(), "not found") {
			httpx.WriteCodedProblem(w, r, http.StatusNotFound, "not_found", "workspace not found")
		} else {
			i.cfg.Log.ErrorContext(r.Context(), "issuer", "err", err)
			httpx.WriteProblem(w, r, http.StatusInternalServerError, "internal error")
		}
		return nil, nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return p, viewer.ForTenant(r.Context(), p.tenantID), true
}

// rfcError builds a protocol error fosite can write.
func rfcError(code string, status int, description string) *fosite.RFC6749Error {
	return &fosite.RFC6749Error{ErrorField: code, DescriptionField: description, CodeField: status}
}

// resourcesToAudience implements RFC 8707 on a parsed form: every
// resource must be an absolute URI without a fragment, and becomes a
// requested audience.
func resourcesToAudience(form url.Values) error {
	res := form["resource"]
	if len(res) == 0 {
		return nil
	}
	for _, raw := range res {
		u, err := url.Parse(raw)
		if err != nil || !u.IsAbs() || u.Fragment != "" || u.Host == "" {
			return rfcError("invalid_target", http.StatusBadRequest, "The resource parameter must be an absolute URI without a fragment.")
		}
	}
	form["audience"] = append([]string(nil), res...)
	return nil
}

// asInvalidTarget turns fosite's refusal of an audience into RFC 8707's
// invalid_target when the audience came from a resource parameter.
func asInvalidTarget(form url.Values, err error) error {
	var e *fosite.RFC6749Error
	if len(form["resource"]) > 0 && errors.As(err, &e) && strings.Contains(e.HintField, "audience") {
		return rfcError("invalid_target", http.StatusBadRequest, "The requested resource is not one this client may ask tokens for.")
	}
	return err
}

func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	sess := NewSession()
	if err := r.ParseForm(); err != nil {
		p.oauth.WriteAccessError(ctx, w, nil, fosite.ErrInvalidRequest.WithHint("The request body could not be parsed."))
		return
	}
	if err := resourcesToAudience(r.PostForm); err != nil {
		p.oauth.WriteAccessError(ctx, w, nil, err)
		return
	}
	r.Form = r.PostForm
	ar, err := p.oauth.NewAccessRequest(ctx, r, sess)
	if err != nil {
		// No client (fosite leaves an empty one): its authentication failed.
		if ar == nil || ar.GetClient() == nil || ar.GetClient().GetID() == "" {
			err = asInvalidClient(err)
		}
		if ar == nil && errors.Is(err, fosite.ErrInvalidRequest) {
			// fosite's answer when no handler takes the grant type.
			err = fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not supported.", r.PostForm.Get("grant_type"))
		}
		if fosite.ErrorToRFC6749Error(err).ErrorField == "invalid_client" {
			// RFC 6749 section 5.2: a 401 carries a challenge.
			w.Header().Set("WWW-Authenticate", `Basic realm="mandate", charset="UTF-8"`)
		}
		p.oauth.WriteAccessError(ctx, w, ar, asInvalidTarget(r.PostForm, err))
		return
	}
	if ar.GetGrantTypes().ExactOne("client_credentials") {
		if c, ok := ar.GetClient().(*Client); ok && c.Agent {
			// An agent acts for itself only while it and every ancestor are
			// active; its token names that chain so it stops with them.
			a, err := i.agentFor(ctx, c)
			if err != nil {
				p.oauth.WriteAccessError(ctx, w, ar, fosite.ErrInvalidClient.WithHint("The agent is not active."))
				return
			}
			sess.Chain = a.Chain
		}
		sess.Subject = ar.GetClient().GetID()
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		for _, a := range ar.GetRequestedAudience() {
			ar.GrantAudience(a)
		}
	}
	resp, err := p.oauth.NewAccessResponse(ctx, ar)
	if err != nil {
		p.oauth.WriteAccessError(ctx, w, ar, err)
		return
	}
	p.oauth.WriteAccessResponse(ctx, w, ar, resp)
}

func (i *Issuer) par(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.oauth.WritePushedAuthorizeError(ctx, w, nil, fosite.ErrInvalidRequest)
		return
	}
	if err := resourcesToAudience(r.PostForm); err != nil {
		p.oauth.WritePushedAuthorizeError(ctx, w, nil, err)
		return
	}
	r.Form = r.PostForm
	ar, err := p.oauth.NewPushedAuthorizeRequest(ctx, r)
	if err != nil {
		p.oauth.WritePushedAuthorizeError(ctx, w, ar, asInvalidTarget(r.PostForm, err))
		return
	}
	resp, err := p.oauth.NewPushedAuthorizeResponse(ctx, ar, NewSession())
	if err != nil {
		p.oauth.WritePushedAuthorizeError(ctx, w, ar, err)
		return
	}
	p.oauth.WritePushedAuthorizeResponse(ctx, w, ar, resp)
}

// introspect is RFC 7662. The caller authenticates as a client, and sees
// only tokens issued to it or meant for it (it is in their audience);
// anything else is simply inactive.
func (i *Issuer) introspect(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.oauth.WriteIntrospectionError(ctx, w, fosite.ErrInvalidRequest)
		return
	}
	caller, err := p.oauth.AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		writeClientError(w, err)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		p.oauth.WriteIntrospectionError(ctx, w, fosite.ErrInvalidRequest.WithHint("The token parameter is missing."))
		return
	}
	use := fosite.AccessToken
	if r.PostForm.Get("token_type_hint") == "refresh_token" {
		use = fosite.RefreshToken
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	tu, ar, err := p.oauth.IntrospectToken(ctx, token, use, NewSession())
	if err != nil || !mayIntrospect(caller, ar) {
		_, _ = w.Write([]byte(`{"active":false}`))
		return
	}
	sess := ar.GetSession().(*Session)
	if !i.stillValid(ctx, sess, ar.GetGrantedScopes()...) {
		if sess.ApprovalID != "" {
			i.cfg.Audit.RecordAlone(ctx, i.cfg.Client, i.cfg.Log, i.approvalEvent(sess, "approval.reuse_refused", audit.Denied,
				map[string]string{"by": caller.GetID()}))
		}
		_, _ = w.Write([]byte(`{"active":false}`))
		return
	}
	// A single-use approval token is spent by its first introspection.
	if sess.ApprovalID != "" && (tu != fosite.AccessToken || !i.consumeApproval(ctx, sess, caller.GetID())) {
		_, _ = w.Write([]byte(`{"active":false}`))
		return
	}
	out := map[string]any{
		"active": true, "client_id": ar.GetClient().GetID(), "iss": p.issuer,
		"iat": ar.GetRequestedAt().Unix(),
	}
	if sub := sess.GetSubject(); sub != "" {
		out["sub"] = sub
	}
	if sc := ar.GetGrantedScopes(); len(sc) > 0 {
		out["scope"] = strings.Join(sc, " ")
	}
	aud := []string(ar.GetGrantedAudience())
	if len(aud) == 0 {
		aud = []string{ar.GetClient().GetID()}
	}
	out["aud"] = aud
	if tu == fosite.AccessToken {
		out["token_type"] = "Bearer"
		if exp := sess.GetExpiresAt(fosite.AccessToken); !exp.IsZero() {
			out["exp"] = exp.Unix()
		}
		if sess.JTI != "" {
			out["jti"] = sess.JTI
		}
	} else {
		out["token_type"] = "refresh_token"
		if exp := sess.GetExpiresAt(fosite.RefreshToken); !exp.IsZero() {
			out["exp"] = exp.Unix()
		}
	}
	if sess.UserID != 0 && sess.Claims != nil {
		out["auth_time"] = sess.Claims.AuthTime.Unix()
		if sess.Claims.AuthenticationContextClassReference != "" {
			out["acr"] = sess.Claims.AuthenticationContextClassReference
		}
		if len(sess.Claims.AuthenticationMethodsReferences) > 0 {
			out["amr"] = sess.Claims.AuthenticationMethodsReferences
		}
	}
	if act := sess.ActClaim(); act != nil {
		out["act"] = act
	}
	if sess.GrantID != 0 {
		out["grant_id"] = strconv.Itoa(sess.GrantID)
	}
	if sess.Run != "" {
		out["run"] = sess.Run
	}
	if m := sess.MayActClaim(); m != nil {
		out["may_act"] = m
	}
	if len(sess.AuthorizationDetails) > 0 {
		out["authorization_details"] = sess.AuthorizationDetails
	}
	if sess.ApprovalID != "" {
		out["approval_id"] = sess.ApprovalID
	}
	_ = json.NewEncoder(w).Encode(out)
}

// asInvalidClient gives a failed client authentication RFC 6749's
// invalid_client where fosite does not: a replayed assertion comes out as
// jti_known, and an expired one as a bare error (a 500).
func asInvalidClient(err error) error {
	var e *fosite.RFC6749Error
	switch {
	case errors.As(err, &e) && e.ErrorField == "invalid_request" && strings.Contains(e.DebugField+e.HintField, "could not be found"):
		// An assertion signed by a key the client does not (or no longer)
		// publish: its authentication failed (RFC 7523 section 3.2).
		return fosite.ErrInvalidClient.WithHint("The client assertion is signed with a key the client has not registered.").WithWrap(err)
	case errors.As(err, &e) && e.ErrorField == "server_error" && strings.Contains(e.HintField+e.DebugField, "Unable to fetch JSON Web Keys"):
		// The client's jwks_uri did not give a key set (or points at an
		// address the issuer does not fetch from): its authentication
		// failed, which is no server error.
		return fosite.ErrInvalidClient.WithHint("The client's key set could not be fetched from its jwks_uri.").WithWrap(err)
	case errors.As(err, &e) && e.ErrorField == "invalid_request" && strings.Contains(e.HintField, "Client credentials missing"):
		// No client authentication at all (RFC 6749 section 5.2).
		return fosite.ErrInvalidClient.WithHint("The client did not authenticate.").WithWrap(err)
	case errors.As(err, &e) && e.ErrorField != fosite.ErrJTIKnown.ErrorField:
		return err
	}
	return fosite.ErrInvalidClient.WithHint("The client assertion expired or was already used.").WithWrap(err)
}

// mayIntrospect: a client sees the tokens issued to it, and those meant for
// it: whose audience is its client_id or one of the resources it is
// registered for (a resource server registers its own resource URI).
func mayIntrospect(caller fosite.Client, ar fosite.Requester) bool {
	if ar.GetClient().GetID() == caller.GetID() {
		return true
	}
	aud := ar.GetGrantedAudience()
	if aud.Has(caller.GetID()) {
		return true
	}
	for _, a := range caller.GetAudience() {
		if aud.Has(a) {
			return true
		}
	}
	return false
}

// writeClientError answers a failed client authentication: 401 with
// WWW-Authenticate, as RFC 6749 section 5.2 asks.
func writeClientError(w http.ResponseWriter, err error) {
	e := fosite.ErrorToRFC6749Error(asInvalidClient(err))
	status := e.CodeField
	if e.ErrorField == "invalid_client" {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="mandate", charset="UTF-8"`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": e.ErrorField, "error_description": e.GetDescription()})
}

func (i *Issuer) revoke(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	ctx = context.WithValue(ctx, revokingKey{}, true)
	ctx, err := i.store.BeginTX(ctx)
	if err != nil {
		p.oauth.WriteRevocationResponse(ctx, w, fosite.ErrServerError)
		return
	}
	err = p.oauth.NewRevocationRequest(ctx, r)
	if err == nil {
		err = i.recordRevocation(ctx, r)
	}
	if err != nil {
		_ = i.store.Rollback(ctx)
	} else if cerr := i.store.Commit(ctx); cerr != nil {
		err = fosite.ErrServerError
	}
	p.oauth.WriteRevocationResponse(ctx, w, err)
}

func (i *Issuer) recordRevocation(ctx context.Context, r *http.Request) error {
	clientID, _, ok := r.BasicAuth()
	if !ok {
		clientID = r.PostForm.Get("client_id")
	}
	v := viewer.FromContext(ctx)
	v.Kind, v.Label = viewer.Client, clientID
	_, err := i.cfg.Audit.Record(viewer.NewContext(ctx, v), txFrom(ctx), auditEvent("token.revoked", "oauth_token", "",
		clientID, map[string]string{"token_type_hint": r.PostForm.Get("token_type_hint")}))
	return err
}

// userinfo is OpenID Connect's UserInfo endpoint: the claims the granted
// scopes allow, read fresh from the account.
func (i *Issuer) userinfo(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	tok := ""
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		tok = strings.TrimSpace(h[7:])
	} else if r.Method == http.MethodPost && r.ParseForm() == nil {
		tok = r.PostForm.Get("access_token")
	}
	bearerError := func(status int, code, desc string) {
		v := `Bearer realm="` + p.issuer + `"`
		if code != "" {
			v += `, error="` + code + `", error_description="` + desc + `"`
		}
		w.Header().Set("WWW-Authenticate", v)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		body := map[string]string{"error": code, "error_description": desc}
		if code == "" {
			body["error"] = "invalid_request"
		}
		_ = json.NewEncoder(w).Encode(body)
	}
	if tok == "" {
		bearerError(http.StatusUnauthorized, "", "an access token is required")
		return
	}
	_, ar, err := p.oauth.IntrospectToken(ctx, tok, fosite.AccessToken, NewSession())
	if err != nil {
		bearerError(http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked")
		return
	}
	sess := ar.GetSession().(*Session)
	if !i.stillValid(ctx, sess, ar.GetGrantedScopes()...) {
		bearerError(http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked")
		return
	}
	if sess.UserID == 0 || !ar.GetGrantedScopes().Has("openid") {
		bearerError(http.StatusForbidden, "insufficient_scope", "the token was not issued for the openid scope")
		return
	}
	u, err := i.cfg.Client.User.Query().Where(user.ID(sess.UserID)).Only(viewer.AsSystem(ctx, "userinfo"))
	if err != nil || u.Disabled {
		bearerError(http.StatusUnauthorized, "invalid_token", "the account no longer exists")
		return
	}
	claims := userClaims(u, ar.GetGrantedScopes())
	claims["sub"] = sess.GetSubject()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(claims)
}

// userClaims are the profile and email claims the scopes allow.
func userClaims(u *ent.User, scopes fosite.Arguments) map[string]any {
	c := map[string]any{}
	if scopes.Has("email") {
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
	}
	if scopes.Has("profile") {
		if u.Name != "" {
			c["name"] = u.Name
		}
		c["preferred_username"] = u.Email
		c["updated_at"] = u.UpdatedAt.Unix()
	}
	return c
}

// subject is a user's stable subject identifier in every workspace token.
func subject(userID int) string { return strconv.Itoa(userID) }

// jwks serves the workspace's published keys. Binding builds the
// workspace's provider first, which makes its first key: a new
// workspace's JWKS is never empty.
func (i *Issuer) jwks(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	set, err := i.cfg.Keys.JWKS(ctx)
	if err != nil {
		i.cfg.Log.ErrorContext(ctx, "jwks", "err", err, "tenant", p.tenantID)
		httpx.WriteProblem(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(keys.JWKSMaxAge.Seconds())))
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(set)
}
