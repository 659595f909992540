// Package settings holds the typed per-tenant policy stored as JSON on the
// tenant row. It is a leaf so the schema can use it as a field type; the
// rules that read it live with the capabilities they govern.
package settings

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// SignUpMode says who may create an account in a workspace.
type SignUpMode string

// The sign-up modes.
const (
	SignUpOpen       SignUpMode = "open"
	SignUpInviteOnly SignUpMode = "invite_only"
	SignUpClosed     SignUpMode = "closed"
)

// Tenant is a workspace's policy.
type Tenant struct {
	// SignUpMode governs self-service sign-up.
	SignUpMode SignUpMode `json:"signUpMode"`
	// SessionLifetimeMinutes bounds a human session, however active.
	SessionLifetimeMinutes int `json:"sessionLifetimeMinutes"`
	// SessionIdleMinutes ends a session unused for that long.
	SessionIdleMinutes int `json:"sessionIdleMinutes"`
	// AuditRetentionDays is how long audit events are kept; 0 keeps them forever.
	AuditRetentionDays int `json:"auditRetentionDays"`
	// Token lifetimes of the workspace's issuer; 0 means the default.
	AccessTokenMinutes int `json:"accessTokenMinutes,omitempty"`
	RefreshTokenDays   int `json:"refreshTokenDays,omitempty"`
	IDTokenMinutes     int `json:"idTokenMinutes,omitempty"`
	// Scopes is the workspace's scope catalog: what its apps and agents may
	// ask for, described to the people asked to consent.
	Scopes []Scope `json:"scopes,omitempty"`
	// Agents: the lifetime of an agent's own tokens (default 5 minutes),
	// how deep subagents may nest (default 3), the longest delegation a
	// person may give (default 30 days), and whether agents may use a
	// shared secret instead of keys (default no).
	AgentTokenMinutes int  `json:"agentTokenMinutes,omitempty"`
	MaxAgentDepth     int  `json:"maxAgentDepth,omitempty"`
	MaxGrantDays      int  `json:"maxGrantDays,omitempty"`
	AllowAgentSecrets bool `json:"allowAgentSecrets,omitempty"`
	// ClientRegistration is the dynamic client registration policy
	// (RFC 7591): off (the default), token (an admin's API token serves as
	// the initial access token) or open.
	ClientRegistration string `json:"clientRegistration,omitempty"`
	// MFAPolicy says who must use a second factor: off (the default),
	// admins (admins and owners) or everyone.
	MFAPolicy MFAPolicy `json:"mfaPolicy,omitempty"`
	// StepUpMinutes is how recent an authentication must be for sensitive
	// operations (change password or email, add or remove a factor,
	// approve an agent's action); 0 means the default of 10.
	StepUpMinutes int `json:"stepUpMinutes,omitempty"`
	// PasskeyRPID is the WebAuthn relying-party id ("" means the base
	// URL's host) and PasskeyOrigins the origins allowed in ceremonies
	// (empty means the base URL's origin).
	PasskeyRPID    string   `json:"passkeyRpId,omitempty"`
	PasskeyOrigins []string `json:"passkeyOrigins,omitempty"`
	// DetailTypes are the RFC 9396 authorization_details types agents may
	// ask for, each with a JSON Schema and, where a human must approve, an
	// approval rule (see approval.go).
	DetailTypes []DetailType `json:"detailTypes,omitempty"`
}

// MFAPolicy is a workspace's second-factor rule.
type MFAPolicy string

// The MFA policies.
const (
	MFAOff      MFAPolicy = "off"
	MFAAdmins   MFAPolicy = "admins"
	MFAEveryone MFAPolicy = "everyone"
)

// MFARequired says whether a member with role must use a second factor.
func (s Tenant) MFARequired(role string) bool {
	switch s.MFAPolicy {
	case MFAEveryone:
		return true
	case MFAAdmins:
		return role == "admin" || role == "owner"
	}
	return false
}

// StepUpWindow is how recent an authentication must be for a sensitive
// operation.
func (s Tenant) StepUpWindow() time.Duration {
	if s.StepUpMinutes == 0 {
		return 10 * time.Minute
	}
	return time.Duration(s.StepUpMinutes) * time.Minute
}

// Default is the policy of a new workspace: secure by default.
func Default() Tenant {
	return Tenant{SignUpMode: SignUpInviteOnly, SessionLifetimeMinutes: 12 * 60, SessionIdleMinutes: 2 * 60}
}

// IdleMinutes is the idle timeout, defaulting for workspaces created before
// it existed.
func (s Tenant) IdleMinutes() int {
	if s.SessionIdleMinutes == 0 {
		return min(Default().SessionIdleMinutes, s.SessionLifetimeMinutes)
	}
	return s.SessionIdleMinutes
}

// Validate reports every problem with s at once.
func (s Tenant) Validate() error {
	var problems []string
	switch s.SignUpMode {
	case SignUpOpen, SignUpInviteOnly, SignUpClosed:
	default:
		problems = append(problems, fmt.Sprintf("signUpMode must be open, invite_only or closed, not %q", s.SignUpMode))
	}
	if s.SessionLifetimeMinutes < 5 || s.SessionLifetimeMinutes > 60*24*90 {
		problems = append(problems, "sessionLifetimeMinutes must be between 5 and 129600")
	}
	if s.SessionIdleMinutes < 5 || s.SessionIdleMinutes > s.SessionLifetimeMinutes {
		problems = append(problems, "sessionIdleMinutes must be at least 5 and at most sessionLifetimeMinutes")
	}
	if s.AccessTokenMinutes < 0 || s.AccessTokenMinutes > 24*60 {
		problems = append(problems, "accessTokenMinutes must be between 1 and 1440 (0 for the default)")
	}
	if s.RefreshTokenDays < 0 || s.RefreshTokenDays > 365 {
		problems = append(problems, "refreshTokenDays must be between 1 and 365 (0 for the default)")
	}
	if s.IDTokenMinutes < 0 || s.IDTokenMinutes > 24*60 {
		problems = append(problems, "idTokenMinutes must be between 1 and 1440 (0 for the default)")
	}
	if s.AgentTokenMinutes < 0 || s.AgentTokenMinutes > 60 {
		problems = append(problems, "agentTokenMinutes must be between 1 and 60 (0 for the default)")
	}
	if s.MaxAgentDepth < 0 || s.MaxAgentDepth > 10 {
		problems = append(problems, "maxAgentDepth must be between 1 and 10 (0 for the default)")
	}
	if s.MaxGrantDays < 0 || s.MaxGrantDays > 365 {
		problems = append(problems, "maxGrantDays must be between 1 and 365 (0 for the default)")
	}
	switch s.ClientRegistration {
	case "", "off", "token", "open":
	default:
		problems = append(problems, fmt.Sprintf("clientRegistration must be off, token or open, not %q", s.ClientRegistration))
	}
	switch s.MFAPolicy {
	case "", MFAOff, MFAAdmins, MFAEveryone:
	default:
		problems = append(problems, fmt.Sprintf("mfaPolicy must be off, admins or everyone, not %q", s.MFAPolicy))
	}
	if s.StepUpMinutes < 0 || s.StepUpMinutes > 24*60 {
		problems = append(problems, "stepUpMinutes must be between 1 and 1440 (0 for the default)")
	}
	if s.PasskeyRPID != "" && !rpID.MatchString(s.PasskeyRPID) {
		problems = append(problems, fmt.Sprintf("passkeyRpId %q must be a host name (no scheme, port or path)", s.PasskeyRPID))
	}
	if len(s.PasskeyOrigins) > 20 {
		problems = append(problems, "at most 20 passkeyOrigins")
	}
	for _, o := range s.PasskeyOrigins {
		if !origin.MatchString(o) {
			problems = append(problems, fmt.Sprintf("passkeyOrigins: %q must be an origin such as https://id.example.com", o))
		}
	}
	seen := map[string]bool{}
	if len(s.Scopes) > 500 {
		problems = append(problems, "the scope catalog holds at most 500 scopes")
	}
	for _, sc := range s.Scopes {
		if !scopeName.MatchString(sc.Name) {
			problems = append(problems, fmt.Sprintf("scope %q must be a letter then letters, digits or _.:/- (at most 100)", sc.Name))
		}
		if len(sc.Description) > 300 {
			problems = append(problems, fmt.Sprintf("scope %q: the description is longer than 300 characters", sc.Name))
		}
		switch sc.MinRole {
		case "", "member", "admin", "owner":
		default:
			problems = append(problems, fmt.Sprintf("scope %q: minRole must be member, admin or owner", sc.Name))
		}
		if seen[sc.Name] {
			problems = append(problems, fmt.Sprintf("scope %q is listed twice", sc.Name))
		}
		seen[sc.Name] = true
	}
	problems = append(problems, s.validateDetailTypes()...)
	if s.AuditRetentionDays < 0 {
		problems = append(problems, "auditRetentionDays must not be negative")
	}
	if len(problems) == 0 {
		return nil
	}
	return &Error{Problems: problems}
}

// Error lists what is wrong with a settings value.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	msg := "invalid settings: "
	for i, p := range e.Problems {
		if i > 0 {
			msg += "; "
		}
		msg += p
	}
	return msg
}

// Default issuer lifetimes.
const (
	DefaultAccessToken  = 15 * time.Minute
	DefaultRefreshToken = 30 * 24 * time.Hour
	DefaultIDToken      = time.Hour
)

// AccessTokenLifetime is how long the issuer's access tokens live.
func (s Tenant) AccessTokenLifetime() time.Duration {
	if s.AccessTokenMinutes == 0 {
		return DefaultAccessToken
	}
	return time.Duration(s.AccessTokenMinutes) * time.Minute
}

// RefreshTokenLifetime is how long the issuer's refresh tokens live.
func (s Tenant) RefreshTokenLifetime() time.Duration {
	if s.RefreshTokenDays == 0 {
		return DefaultRefreshToken
	}
	return time.Duration(s.RefreshTokenDays) * 24 * time.Hour
}

// IDTokenLifetime is how long the issuer's ID tokens live.
func (s Tenant) IDTokenLifetime() time.Duration {
	if s.IDTokenMinutes == 0 {
		return DefaultIDToken
	}
	return time.Duration(s.IDTokenMinutes) * time.Minute
}

// Scope is one entry of a workspace's scope catalog.
type Scope struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// MinRole is the least role that holds the scope (member when empty):
	// a person can delegate to an agent only scopes their role holds.
	MinRole string `json:"minRole,omitempty"`
	// Approval, when set, means no token carries the scope without a
	// human's approval of the one action it is for (OpenID CIBA).
	Approval *ApprovalRule `json:"approval,omitempty"`
}

var (
	rpID   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*$`)
	origin = regexp.MustCompile(`^https?://[a-z0-9.-]+(:[0-9]{1,5})?$`)
)

var scopeName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.:/-]{0,99}$`)

// StandardScopes are the OpenID Connect scopes every workspace has.
var StandardScopes = []Scope{
	{Name: "openid", Description: "Know who you are (your account identifier)"},
	{Name: "profile", Description: "See your name"},
	{Name: "email", Description: "See your email address"},
	{Name: "offline_access", Description: "Stay connected when you are not using it"},
}

// ScopeDescription describes a scope from the catalog, else the standard
// scopes; "" when neither knows it.
func (s Tenant) ScopeDescription(name string) string {
	for _, sc := range s.Scopes {
		if sc.Name == name {
			return sc.Description
		}
	}
	for _, sc := range StandardScopes {
		if sc.Name == name {
			return sc.Description
		}
	}
	return ""
}

// KnowsScope says whether a scope is standard or in the catalog.
func (s Tenant) KnowsScope(name string) bool {
	for _, sc := range StandardScopes {
		if sc.Name == name {
			return true
		}
	}
	for _, sc := range s.Scopes {
		if sc.Name == name {
			return true
		}
	}
	return false
}

// AgentTokenLifetime is how long an agent's own and on-behalf-of access
// tokens live.
func (s Tenant) AgentTokenLifetime() time.Duration {
	if s.AgentTokenMinutes == 0 {
		return 5 * time.Minute
	}
	return time.Duration(s.AgentTokenMinutes) * time.Minute
}

// AgentDepthLimit is how deep subagents may nest below a top-level agent.
func (s Tenant) AgentDepthLimit() int {
	if s.MaxAgentDepth == 0 {
		return 3
	}
	return s.MaxAgentDepth
}

// GrantLimit is the longest delegation a person may give an agent.
func (s Tenant) GrantLimit() time.Duration {
	if s.MaxGrantDays == 0 {
		return 30 * 24 * time.Hour
	}
	return time.Duration(s.MaxGrantDays) * 24 * time.Hour
}

var roleRank = map[string]int{"member": 1, "admin": 2, "owner": 3}

// ScopesForRole are the scopes a member with role holds: every standard
// scope and each catalog scope whose minRole the role reaches.
func (s Tenant) ScopesForRole(role string) []string {
	out := make([]string, 0, len(StandardScopes)+len(s.Scopes))
	for _, sc := range StandardScopes {
		out = append(out, sc.Name)
	}
	have := roleRank[role]
	for _, sc := range s.Scopes {
		min := sc.MinRole
		if min == "" {
			min = "member"
		}
		if have > 0 && have >= roleRank[min] && !slices.Contains(out, sc.Name) {
			out = append(out, sc.Name)
		}
	}
	return out
}
