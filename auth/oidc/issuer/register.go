package issuer

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Dynamic client registration: RFC 7591 (register) and RFC 7592 (read,
// update, delete with the registration access token). The workspace
// decides: off (the default), token (an admin's API token is the initial
// access token) or open.

// clientMetadata is RFC 7591 section 2, as far as Mandate supports it.
type clientMetadata struct {
	RedirectURIs           []string        `json:"redirect_uris,omitempty"`
	TokenEndpointAuth      string          `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes             []string        `json:"grant_types,omitempty"`
	ResponseTypes          []string        `json:"response_types,omitempty"`
	ClientName             string          `json:"client_name,omitempty"`
	Scope                  string          `json:"scope,omitempty"`
	JWKS                   json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                string          `json:"jwks_uri,omitempty"`
	PostLogoutRedirectURIs []string        `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI   string          `json:"backchannel_logout_uri,omitempty"`
	IDTokenAlg             string          `json:"id_token_signed_response_alg,omitempty"`
	RequirePAR             bool            `json:"require_pushed_authorization_requests,omitempty"`
	// Read-only fields a client may echo back on update.
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

func registrationError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// metadataError maps a validation failure to RFC 7591's error codes.
func metadataError(w http.ResponseWriter, err error) {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind == apperr.Invalid {
		code := "invalid_client_metadata"
		if ae.Field == "redirect_uri" {
			code = "invalid_redirect_uri"
		}
		registrationError(w, http.StatusBadRequest, code, ae.Message)
		return
	}
	registrationError(w, http.StatusInternalServerError, "server_error", "registration failed")
}

func (i *Issuer) register(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	// An agent registering a subagent with its own access token: always
	// allowed, within the registry's rules (ceiling, tools, depth).
	if tok := bearer(r); tok != "" && !strings.HasPrefix(tok, tenants.TokenPrefix) {
		v, err := i.AgentViewer(ctx, p.slug, tok)
		if err != nil {
			registrationError(w, http.StatusUnauthorized, "invalid_token", "the access token is invalid, or not an agent's own")
			return
		}
		i.registerSubagent(w, r, p, viewer.NewContext(ctx, v))
		return
	}
	switch p.settings.ClientRegistration {
	case "token":
		v, err := i.cfg.Tenants.AuthenticateAPIToken(ctx, p.tenantID, bearer(r))
		if err != nil || !v.Role.AtLeast(viewer.RoleAdmin) {
			registrationError(w, http.StatusUnauthorized, "invalid_token", "an initial access token (an admin's API token) is required")
			return
		}
	case "open":
	default:
		registrationError(w, http.StatusForbidden, "access_denied", "this workspace does not accept dynamic client registration")
		return
	}
	var md clientMetadata
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&md); err != nil {
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "the body must be a JSON object of client metadata")
		return
	}
	in, err := p.newClientFrom(md)
	if err != nil {
		metadataError(w, err)
		return
	}
	regToken := prefixRegistration + randomID() + randomID()
	in.RegistrationTokenHash = clients.HashSecret(regToken)
	sys := viewer.AsSystem(ctx, "dynamic client registration")
	c, secret, err := i.clientService().Create(sys, in)
	if err != nil {
		metadataError(w, err)
		return
	}
	out := i.metadataOf(p, c)
	if secret != "" {
		out["client_secret"] = secret
		out["client_secret_expires_at"] = 0
	}
	out["registration_access_token"] = regToken
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(out)
}

const prefixRegistration = "mnd_reg_"

func (i *Issuer) clientService() *clients.Service { return i.clients }

// newClientFrom validates metadata into a registration.
func (p *provider) newClientFrom(md clientMetadata) (clients.NewClient, error) {
	in := clients.NewClient{Name: strings.TrimSpace(md.ClientName), RedirectURIs: md.RedirectURIs,
		GrantTypes: md.GrantTypes, PostLogoutRedirectURIs: md.PostLogoutRedirectURIs,
		BackchannelLogoutURI: md.BackchannelLogoutURI, SigningAlg: md.IDTokenAlg, RequirePAR: md.RequirePAR,
		JWKSURI: md.JWKSURI}
	if in.Name == "" {
		in.Name = "Dynamically registered client"
	}
	if len(in.GrantTypes) == 0 {
		in.GrantTypes = []string{clients.GrantAuthorizationCode}
	}
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			return in, apperr.InvalidField("response_types", "only the code response type is supported")
		}
	}
	if len(md.JWKS) > 0 && string(md.JWKS) != "null" {
		in.JWKS = md.JWKS
	}
	switch md.TokenEndpointAuth {
	case "", clients.AuthSecretBasic, clients.AuthSecretPost:
		in.AuthMethod = md.TokenEndpointAuth
		if len(in.JWKS) > 0 || in.JWKSURI != "" {
			return in, apperr.InvalidField("token_endpoint_auth_method", "a client with keys authenticates with private_key_jwt")
		}
	case clients.AuthNone:
		in.Public = true
	case clients.AuthPrivateKeyJWT:
		if len(in.JWKS) == 0 && in.JWKSURI == "" {
			return in, apperr.InvalidField("jwks", "private_key_jwt needs jwks or jwks_uri")
		}
	default:
		return in, apperr.InvalidField("token_endpoint_auth_method", "token_endpoint_auth_method must be client_secret_basic, client_secret_post, private_key_jwt or none")
	}
	for _, s := range strings.Fields(md.Scope) {
		if !p.settings.KnowsScope(s) {
			return in, apperr.InvalidField("scope", "scope %q is not in this workspace's catalog", s)
		}
		in.Scopes = append(in.Scopes, s)
	}
	return in, nil
}

// metadataOf is a client's registration as RFC 7591 returns it.
func (i *Issuer) metadataOf(p *provider, c *ent.OAuthClient) map[string]any {
	out := map[string]any{
		"client_id":                             c.ClientID,
		"client_id_issued_at":                   c.CreatedAt.Unix(),
		"client_name":                           c.Name,
		"redirect_uris":                         nonNil(c.RedirectUris),
		"grant_types":                           c.GrantTypes,
		"response_types":                        nonNil(c.ResponseTypes),
		"token_endpoint_auth_method":            c.TokenEndpointAuthMethod,
		"scope":                                 strings.Join(c.Scopes, " "),
		"id_token_signed_response_alg":          string(c.SigningAlg),
		"require_pushed_authorization_requests": c.RequirePar,
		"post_logout_redirect_uris":             nonNil(c.PostLogoutRedirectUris),
		"registration_client_uri":               p.issuer + "/oauth2/register/" + c.ClientID,
	}
	if c.JwksURI != "" {
		out["jwks_uri"] = c.JwksURI
	}
	if c.Jwks != "" {
		out["jwks"] = json.RawMessage(c.Jwks)
	}
	if c.BackchannelLogoutURI != "" {
		out["backchannel_logout_uri"] = c.BackchannelLogoutURI
	}
	if c.BackchannelTokenDeliveryMode != "" {
		out["backchannel_token_delivery_mode"] = c.BackchannelTokenDeliveryMode
	}
	if c.BackchannelClientNotificationEndpoint != "" {
		out["backchannel_client_notification_endpoint"] = c.BackchannelClientNotificationEndpoint
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// registered authenticates an RFC 7592 request by its registration access
// token and returns the client.
func (i *Issuer) registered(ctx context.Context, w http.ResponseWriter, r *http.Request) (*ent.OAuthClient, bool) {
	tok := bearer(r)
	sys := viewer.AsSystem(ctx, "client configuration")
	c, err := i.cfg.Client.OAuthClient.Query().Where(oauthclient.ClientID(r.PathValue("client_id"))).Only(sys)
	if err != nil || tok == "" || c.RegistrationTokenHash == "" || c.DisabledAt != nil ||
		subtle.ConstantTimeCompare([]byte(clients.HashSecret(tok)), []byte(c.RegistrationTokenHash)) != 1 {
		registrationError(w, http.StatusUnauthorized, "invalid_token", "a valid registration access token is required")
		return nil, false
	}
	return c, true
}

func (i *Issuer) registration(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	c, ok := i.registered(ctx, w, r)
	if !ok {
		return
	}
	sys := viewer.AsSystem(ctx, "client configuration")
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		if _, err := i.clientService().SetDisabled(sys, c.ClientID, true); err != nil {
			registrationError(w, http.StatusInternalServerError, "server_error", "deleting the client failed")
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPut:
		var md clientMetadata
		if err := json.NewDecoder(r.Body).Decode(&md); err != nil {
			registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "the body must be a JSON object of client metadata")
			return
		}
		if md.ClientID != c.ClientID {
			registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "client_id must be the client's own")
			return
		}
		if md.TokenEndpointAuth != "" && md.TokenEndpointAuth != c.TokenEndpointAuthMethod ||
			len(md.GrantTypes) > 0 && !slices.Equal(sorted(md.GrantTypes), sorted(c.GrantTypes)) {
			registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "the authentication method and grant types cannot change: register a new client")
			return
		}
		in, err := p.newClientFrom(md)
		if err != nil {
			metadataError(w, err)
			return
		}
		alg := in.SigningAlg
		if alg == "" {
			alg = "ES256"
		}
		name := in.Name
		ch := clients.Change{Name: &name, RedirectURIs: in.RedirectURIs, SetRedirectURIs: true,
			PostLogoutRedirectURIs: in.PostLogoutRedirectURIs, SetPostLogoutRedirectURIs: true,
			BackchannelLogoutURI: &in.BackchannelLogoutURI, SigningAlg: &alg, RequirePAR: &in.RequirePAR}
		if len(in.Scopes) > 0 {
			ch.Scopes, ch.SetScopes = in.Scopes, true
		}
		if c, err = i.clientService().Update(sys, c.ClientID, ch); err != nil {
			metadataError(w, err)
			return
		}
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		registrationError(w, http.StatusMethodNotAllowed, "invalid_request", "use GET, PUT or DELETE")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(i.metadataOf(p, c))
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// subagentMetadata is RFC 7591 metadata plus what a subagent needs.
type subagentMetadata struct {
	clientMetadata
	Role      string   `json:"role,omitempty"`
	Tools     []string `json:"tools,omitempty"`
	Audience  []string `json:"audience,omitempty"`
	ParentRun string   `json:"parent_run,omitempty"`
	// OpenID CIBA client metadata: poll (the default) or ping, with the
	// endpoint a ping goes to.
	CIBAMode   string `json:"backchannel_token_delivery_mode,omitempty"`
	CIBANotify string `json:"backchannel_client_notification_endpoint,omitempty"`
}

func (i *Issuer) registerSubagent(w http.ResponseWriter, r *http.Request, p *provider, ctx context.Context) {
	var md subagentMetadata
	if err := json.NewDecoder(r.Body).Decode(&md); err != nil {
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "the body must be a JSON object of client metadata")
		return
	}
	if md.TokenEndpointAuth != "" && md.TokenEndpointAuth != clients.AuthPrivateKeyJWT {
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "a subagent authenticates with private_key_jwt")
		return
	}
	switch {
	case md.CIBAMode == "ping" && md.CIBANotify == "":
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "ping mode needs backchannel_client_notification_endpoint")
		return
	case md.CIBAMode != "" && md.CIBAMode != "poll" && md.CIBAMode != "ping":
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "backchannel_token_delivery_mode is poll or ping")
		return
	case md.CIBAMode != "ping" && md.CIBANotify != "":
		registrationError(w, http.StatusBadRequest, "invalid_client_metadata", "only ping mode has a notification endpoint")
		return
	}
	req := SubagentRequest{Name: md.ClientName, Role: md.Role, ParentRun: md.ParentRun, Scopes: strings.Fields(md.Scope),
		Tools: md.Tools, Audience: md.Audience, JWKSURI: md.JWKSURI, CIBANotify: md.CIBANotify}
	if len(md.JWKS) > 0 && string(md.JWKS) != "null" {
		req.JWKS = md.JWKS
	}
	clientID, err := i.cfg.Authority.RegisterSubagent(ctx, req)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind == apperr.Forbidden {
			registrationError(w, http.StatusForbidden, "access_denied", ae.Message)
			return
		}
		metadataError(w, err)
		return
	}
	c, err := i.cfg.Client.OAuthClient.Query().Where(oauthclient.ClientID(clientID)).Only(viewer.AsSystem(ctx, "subagent metadata"))
	if err != nil {
		registrationError(w, http.StatusInternalServerError, "server_error", "registration failed")
		return
	}
	out := i.metadataOf(p, c)
	delete(out, "registration_client_uri") // an agent's client is the registry's, not RFC 7592's
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(out)
}
