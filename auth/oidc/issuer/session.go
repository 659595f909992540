package issuer

import (
	"encoding/json"
	"time"

	"github.com/mohae/deepcopy"
	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"
)

// Session is what an authorization carries from the authorize endpoint to
// every token issued under it: the ID token's claims and header, the
// expiries, and who signed in through which browser session.
type Session struct {
	Claims    *jwt.IDTokenClaims             `json:"id_token_claims"`
	Headers   *jwt.Headers                   `json:"headers"`
	ExpiresAt map[fosite.TokenType]time.Time `json:"expires_at"`
	Subject   string                         `json:"subject"`
	// UserID is the signed-in user; 0 for a client acting for itself.
	UserID int `json:"user_id,omitempty"`
	// SID is the browser session, the ID token's sid.
	SID string `json:"sid,omitempty"`
	// JTI identifies the access token issued last, for the audit trail.
	JTI string `json:"jti,omitempty"`
	// GrantID is the delegation grant the token acts under (0: none).
	GrantID int `json:"grant_id,omitempty"`
	// GrantExpires bounds every token of the grant.
	GrantExpires time.Time `json:"grant_expires,omitempty"`
	// Act is the chain of agents acting for the subject, by client_id,
	// the current actor first (RFC 8693 act, nested).
	Act []string `json:"act,omitempty"`
	// Chain is, for an agent's own token, the agent and its ancestors (by
	// client_id): the token stops when any of them is suspended.
	Chain []string `json:"chain,omitempty"`
	// AuthorizationDetails are the RFC 9396 constraints of the grant, as
	// JSON (an array of objects, each with a type).
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	// Run and ParentRun name the agent run a token serves: a recorded
	// AgentRun of the token's agent, and the run that started it.
	Run       string `json:"run,omitempty"`
	ParentRun string `json:"parent_run,omitempty"`
	// MayAct pins an on-behalf-of token to the one agent (by client_id)
	// that may exchange it next (RFC 8693 section 4.4 may_act).
	MayAct string `json:"may_act,omitempty"`
	// ApprovalID names the approved CIBA request a single-use token was
	// issued for ("" for every other token).
	ApprovalID string `json:"approval_id,omitempty"`
}

// MayActClaim is the RFC 8693 may_act claim, {sub: agent}; nil when the
// token is not pinned.
func (s *Session) MayActClaim() map[string]any {
	if s.MayAct == "" {
		return nil
	}
	return map[string]any{"sub": s.MayAct}
}

// ActClaim is the RFC 8693 act claim for the chain: {sub: actor, act:
// {sub: its parent, …}}; nil without actors.
func (s *Session) ActClaim() map[string]any {
	var act map[string]any
	for i := len(s.Act) - 1; i >= 0; i-- {
		next := map[string]any{"sub": s.Act[i]}
		if act != nil {
			next["act"] = act
		}
		act = next
	}
	return act
}

// NewSession returns an empty session.
func NewSession() *Session {
	return &Session{Claims: &jwt.IDTokenClaims{}, Headers: jwt.NewHeaders()}
}

// SetExpiresAt implements fosite.Session.
func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.ExpiresAt == nil {
		s.ExpiresAt = map[fosite.TokenType]time.Time{}
	}
	s.ExpiresAt[key] = exp
}

// GetExpiresAt implements fosite.Session.
func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time {
	return s.ExpiresAt[key]
}

// GetUsername implements fosite.Session.
func (s *Session) GetUsername() string { return "" }

// SetSubject implements fosite.Session.
func (s *Session) SetSubject(sub string) { s.Subject = sub }

// GetSubject implements fosite.Session.
func (s *Session) GetSubject() string {
	if s == nil {
		return ""
	}
	return s.Subject
}

// Clone implements fosite.Session.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	return deepcopy.Copy(s).(*Session)
}

// IDTokenClaims implements openid.Session.
func (s *Session) IDTokenClaims() *jwt.IDTokenClaims {
	if s.Claims == nil {
		s.Claims = &jwt.IDTokenClaims{}
	}
	return s.Claims
}

// IDTokenHeaders implements openid.Session.
func (s *Session) IDTokenHeaders() *jwt.Headers {
	if s.Headers == nil {
		s.Headers = jwt.NewHeaders()
	}
	return s.Headers
}
