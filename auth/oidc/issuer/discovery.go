package issuer

import (
	"encoding/json"
	"net/http"
)

// discovery serves OpenID Connect Discovery 1.0 at
// {issuer}/.well-known/openid-configuration and RFC 8414 metadata at
// {base}/.well-known/oauth-authorization-server/t/{slug}: the same
// document, advertising exactly what is implemented.
func (i *Issuer) discovery(w http.ResponseWriter, r *http.Request) {
	p, _, ok := i.bind(w, r)
	if !ok {
		return
	}
	iss := p.issuer
	authMethods := []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	assertionAlgs := []string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/oauth2/authorize",
		"token_endpoint":                        iss + "/oauth2/token",
		"userinfo_endpoint":                     iss + "/oauth2/userinfo",
		"jwks_uri":                              iss + "/jwks.json",
		"introspection_endpoint":                iss + "/oauth2/introspect",
		"revocation_endpoint":                   iss + "/oauth2/revoke",
		"pushed_authorization_request_endpoint": iss + "/oauth2/par",
		"device_authorization_endpoint":         iss + "/oauth2/device_authorization",
		"end_session_endpoint":                  iss + "/oauth2/logout",
		"scopes_supported":                      p.scopeNames(),
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported": []string{"authorization_code", "refresh_token", "client_credentials",
			grantDeviceCode, grantTokenExchange, grantCIBA},
		"backchannel_authentication_endpoint":                      iss + "/oauth2/bc-authorize",
		"backchannel_token_delivery_modes_supported":               []string{"poll", "ping"},
		"backchannel_user_code_parameter_supported":                false,
		"authorization_details_types_supported":                    p.settings.DetailTypeNames(),
		"subject_types_supported":                                  []string{"public"},
		"id_token_signing_alg_values_supported":                    []string{"ES256", "RS256", "EdDSA"},
		"token_endpoint_auth_methods_supported":                    append(authMethods, "none"),
		"token_endpoint_auth_signing_alg_values_supported":         assertionAlgs,
		"introspection_endpoint_auth_methods_supported":            authMethods,
		"introspection_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"revocation_endpoint_auth_methods_supported":               append(authMethods, "none"),
		"revocation_endpoint_auth_signing_alg_values_supported":    assertionAlgs,
		"code_challenge_methods_supported":                         []string{"S256"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr",
			"sid", "at_hash", "email", "email_verified", "name", "preferred_username", "updated_at"},
		"prompt_values_supported":                        []string{"none", "login", "consent"},
		"acr_values_supported":                           []string{"1", "2"},
		"authorization_response_iss_parameter_supported": true,
		"require_pushed_authorization_requests":          false,
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"claims_parameter_supported":                     false,
	}
	if p.settings.ClientRegistration == "token" || p.settings.ClientRegistration == "open" {
		doc["registration_endpoint"] = iss + "/oauth2/register"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_ = json.NewEncoder(w).Encode(doc)
}
