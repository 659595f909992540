// Package settings holds the typed per-tenant policy stored as JSON on the
// tenant row. It is a leaf so the schema can use it as a field type; the
// rules that read it live with the capabilities they govern.
package settings

import "fmt"

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
