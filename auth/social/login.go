package social

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/authchallenge"
	"github.com/mandatehq/mandate/ent/identityprovider"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// ChallengeKind is the AuthChallenge kind of a login dance.
const ChallengeKind = "social"

// Error codes a failed login lands on the sign-in (or account) page with,
// as ?error=CODE. The page shows its own text for each.
const (
	CodeAccessDenied        = "access_denied"        // the person cancelled at the provider
	CodeProviderError       = "provider_error"       // the provider answered with an error
	CodeProviderUnavailable = "provider_unavailable" // the provider could not be reached or discovered
	CodeInvalidState        = "invalid_state"        // unknown, expired, reused or foreign login (state or cookie)
	CodeUnknownProvider     = "unknown_provider"     // no such enabled provider
	CodeInvalidToken        = "invalid_token"        // the ID token did not verify (signature, issuer, audience, expiry, nonce)
	CodeNoEmail             = "no_email"             // the provider shared no address to create an account with
	CodeUnverifiedEmail     = "unverified_email"     // the provider did not verify the address a new account would have
	CodeLinkRequired        = "link_required"        // an account has this address: sign in and link from the account page
	CodeNoAccount           = "no_account"           // no linked account, and sign-up through this provider is not allowed
	CodeAccountDisabled     = "account_disabled"     // the linked account is disabled
	CodeLinkedElsewhere     = "linked_elsewhere"     // linking: that identity belongs to another account
	CodeAlreadyLinked       = "already_linked"       // linking: the account has another identity at that provider
	CodeRateLimited         = "rate_limited"         // this client started too many sign-ins: wait
	CodeInternal            = "internal"             // anything else (logged)
)

// loginError is a failed login: a code for the page, a message safe to
// show, and the cause for the log.
type loginError struct {
	code  string
	msg   string
	cause error
}

func (e *loginError) Error() string { return e.msg }
func (e *loginError) Unwrap() error { return e.cause }

// Code returns the page's error code for err.
func Code(err error) string {
	var le *loginError
	if errors.As(err, &le) {
		return le.code
	}
	var locked *signin.LockedError
	if errors.As(err, &locked) {
		return CodeRateLimited
	}
	return CodeInternal
}

var (
	errInvalidState    = &loginError{code: CodeInvalidState, msg: "this sign-in expired, was already used or was started in another browser: start again"}
	errUnknownProvider = &loginError{code: CodeUnknownProvider, msg: "this sign-in provider is not available"}
)

// Modes of a login dance.
const (
	modeLogin   = "login"
	modeLink    = "link"
	modeConnect = "connect"
)

// challengeData is what a dance keeps server-side between the redirect to
// the provider and the callback.
type challengeData struct {
	Mode       string `json:"mode"`
	ProviderID int    `json:"provider_id"`
	Provider   string `json:"provider"`
	Verifier   string `json:"verifier"`
	Nonce      string `json:"nonce"`
	ReturnTo   string `json:"return_to"`
	// Scopes are what a connect dance asked for (beyond the provider's).
	Scopes []string `json:"scopes,omitempty"`
	// Binding is the hash of the browser cookie's value.
	Binding string `json:"binding"`
}

// started is a dance begun: where to send the browser, and the value its
// binding cookie must carry back.
type started struct {
	RedirectURL string
	Binding     string
}

// begin starts a dance for the workspace ctx is bound to: a challenge
// named by a fresh state, holding the PKCE verifier, the nonce and where
// to return, and bound to a fresh browser value. userID and sessionID are
// set when linking or connecting; scopes, when connecting, are asked for
// beside the provider's own.
func (s *Service) begin(ctx context.Context, tenantSlug, providerSlug, mode, returnTo string, userID, sessionID int, scopes []string) (started, error) {
	sys := viewer.AsSystem(ctx, "social sign-in")
	p, err := s.client.IdentityProvider.Query().Where(identityprovider.Slug(providerSlug), identityprovider.Enabled(true)).Only(sys)
	if err != nil {
		if ent.IsNotFound(err) {
			return started{}, errUnknownProvider
		}
		return started{}, apperr.Wrap(err, "identity provider")
	}
	prov, err := s.provider(ctx, tenantSlug, p)
	if err != nil {
		return started{}, s.unavailable(p, err)
	}
	state, err := randomValue()
	if err != nil {
		return started{}, err
	}
	binding, err := randomValue()
	if err != nil {
		return started{}, err
	}
	nonce, err := randomValue()
	if err != nil {
		return started{}, err
	}
	verifier := oauth2.GenerateVerifier()
	if mode == modeConnect {
		scopes = connectScopes(p.Scopes, scopes)
	}
	data, err := json.Marshal(challengeData{Mode: mode, ProviderID: p.ID, Provider: p.Slug, Verifier: verifier, Nonce: nonce,
		ReturnTo: returnTo, Scopes: scopes, Binding: hashValue(binding)})
	if err != nil {
		return started{}, err
	}
	now := s.now().UTC()
	// Dances nobody finished are of no use past their lifetime.
	if _, err := s.client.AuthChallenge.Delete().Where(authchallenge.Kind(ChallengeKind), authchallenge.ExpiresAtLT(now.Add(-time.Hour))).Exec(sys); err != nil {
		s.log.WarnContext(ctx, "sweep social challenges", "err", err)
	}
	err = s.client.AuthChallenge.Create().SetKind(ChallengeKind).SetTokenHash(hashValue(state)).SetUserID(userID).SetSessionID(sessionID).
		SetData(string(data)).SetExpiresAt(now.Add(challengeTTL)).Exec(sys)
	if err != nil {
		return started{}, apperr.Wrap(err, "sign-in challenge")
	}
	u, err := prov.authURL(state, oauth2.S256ChallengeFromVerifier(verifier), nonce)
	if err == nil && mode == modeConnect {
		u, err = connectURL(u, string(p.Kind), scopes)
	}
	if err != nil {
		return started{}, s.unavailable(p, err)
	}
	return started{RedirectURL: u, Binding: binding}, nil
}

// unavailable answers for a provider that could not be used with a
// message that says nothing of its configuration (the cause is logged
// where the refusal is).
func (s *Service) unavailable(p *ent.IdentityProvider, err error) error {
	var le *loginError
	if errors.As(err, &le) {
		return err
	}
	if apperr.KindOf(err) != apperr.Internal {
		return err
	}
	return &loginError{code: CodeProviderUnavailable, msg: p.DisplayName + " cannot be used right now: try again later", cause: err}
}

// callback is a dance come back.
type callback struct {
	data      challengeData
	challenge *ent.AuthChallenge
	provider  *ent.IdentityProvider
	identity  Identity
}

// finish checks a callback against its challenge (state, browser cookie,
// provider, lifetime, single use), spends it, and turns the code into a
// verified identity. providerErr is the provider's error parameter.
func (s *Service) finish(ctx context.Context, tenantSlug, providerSlug, state, cookie, code, providerErr string) (*callback, error) {
	if state == "" || len(state) > 200 || cookie == "" || len(cookie) > 200 {
		return nil, errInvalidState
	}
	sys := viewer.AsSystem(ctx, "social sign-in")
	c, err := s.client.AuthChallenge.Query().Where(authchallenge.TokenHash(hashValue(state)), authchallenge.Kind(ChallengeKind)).Only(sys)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, errInvalidState
		}
		return nil, apperr.Wrap(err, "sign-in challenge")
	}
	var d challengeData
	if err := json.Unmarshal([]byte(c.Data), &d); err != nil {
		return nil, errInvalidState
	}
	if subtle.ConstantTimeCompare([]byte(hashValue(cookie)), []byte(d.Binding)) != 1 || d.Provider != providerSlug {
		return nil, errInvalidState
	}
	now := s.now().UTC()
	// Spend it first: a callback replayed, or raced, finds it used.
	n, err := s.client.AuthChallenge.Update().Where(authchallenge.ID(c.ID), authchallenge.UsedAtIsNil(), authchallenge.ExpiresAtGT(now)).
		SetUsedAt(now).Save(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "sign-in challenge")
	}
	if n != 1 {
		return nil, errInvalidState
	}
	out := &callback{data: d, challenge: c}
	p, err := s.client.IdentityProvider.Query().Where(identityprovider.ID(d.ProviderID), identityprovider.Enabled(true)).Only(sys)
	if err != nil {
		if ent.IsNotFound(err) {
			return out, errUnknownProvider
		}
		return out, apperr.Wrap(err, "identity provider")
	}
	out.provider = p
	switch {
	case providerErr == "access_denied":
		return out, &loginError{code: CodeAccessDenied, msg: "the sign-in with " + p.DisplayName + " was cancelled"}
	case providerErr != "":
		return out, &loginError{code: CodeProviderError, msg: p.DisplayName + " could not sign you in: try again",
			cause: errors.New("provider error: " + providerErr)}
	case code == "":
		return out, &loginError{code: CodeProviderError, msg: p.DisplayName + " sent no authorization code", cause: errors.New("no code")}
	}
	prov, err := s.provider(ctx, tenantSlug, p)
	if err != nil {
		return out, s.unavailable(p, err)
	}
	id, err := prov.identity(ctx, code, d.Verifier, d.Nonce)
	if err != nil {
		if Code(err) == CodeInvalidToken {
			// Someone may be replaying or forging tokens: keep a trace.
			why := ""
			if c := errors.Unwrap(err); c != nil {
				why = truncate(c.Error(), 300)
			}
			s.record(ctx, audit.Event{Action: "signin.federated", Outcome: audit.Denied, CredentialType: "federated:" + p.Slug,
				Details: map[string]string{"provider": p.Slug, "reason": CodeInvalidToken, "error": why}})
		}
		return out, err
	}
	if id.Subject == "" || len(id.Subject) > 255 {
		return out, &loginError{code: CodeInvalidToken, msg: p.DisplayName + " did not say who signed in", cause: errors.New("no subject")}
	}
	if len(id.Email) > 320 {
		id.Email = ""
	}
	id.Name = truncate(id.Name, 200)
	out.identity = id
	return out, nil
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
