package graph

import (
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/graph/model"
	"github.com/mandatehq/mandate/internal/apperr"
)

// WithSocial wires identity providers and linked accounts.
func (h *Handler) WithSocial(s *social.Service) *Handler {
	h.resolver.social = s
	return h
}

func (r *Resolver) socialOrErr() (*social.Service, error) {
	if r.social == nil {
		return nil, apperr.New(apperr.Internal, "social sign-in is not configured")
	}
	return r.social, nil
}

func newProviderInput(in model.CreateIdentityProviderInput) social.NewProvider {
	out := social.NewProvider{Slug: in.Slug, Kind: in.Kind, DisplayName: deref(in.DisplayName), ClientID: in.ClientID,
		ClientSecret: deref(in.ClientSecret), Issuer: deref(in.Issuer), Scopes: in.Scopes, Enabled: in.Enabled}
	if in.LinkVerifiedEmail != nil {
		out.LinkVerifiedEmail = *in.LinkVerifiedEmail
	}
	if in.AllowSignUp != nil {
		out.AllowSignUp = *in.AllowSignUp
	}
	return out
}

func providerUpdate(in model.UpdateIdentityProviderInput) social.ProviderUpdate {
	return social.ProviderUpdate{DisplayName: in.DisplayName, ClientID: in.ClientID, ClientSecret: in.ClientSecret, Issuer: in.Issuer,
		Scopes: optStrings(in.Scopes), Enabled: in.Enabled, LinkVerifiedEmail: in.LinkVerifiedEmail, AllowSignUp: in.AllowSignUp}
}
