// Package session owns human sessions: a random 256-bit id in a cookie,
// stored only as its hash, with the idle and absolute timeouts of the
// workspace, how and when the user authenticated (amr, auth_time), and a
// CSRF token for every change made with the cookie. It does not check
// passwords; the sign-in flows do, then call Start.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/user"
)

// ErrNoSession is returned for a missing, unknown, expired or revoked
// session: callers cannot tell which.
var ErrNoSession = errors.New("no valid session")

// touchEvery limits last_seen writes to one a minute per session.
const touchEvery = time.Minute

// Manager starts, checks and ends sessions.
type Manager struct {
	client *ent.Client
	now    func() time.Time
	// Secure marks cookies Secure with the __Host- prefix (https base URL).
	Secure bool
}

// New returns a manager.
func New(client *ent.Client, now func() time.Time, secure bool) *Manager {
	return &Manager{client: client, now: now, Secure: secure}
}

// CookieName is the session cookie's name for workspace slug: one cookie
// per workspace, so signing in to one does not sign out of another.
func (m *Manager) CookieName(slug string) string {
	if m.Secure {
		return "__Host-mandate_" + slug
	}
	return "mandate_" + slug
}

func random() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Started is a new session and the secrets that go to the browser once.
type Started struct {
	Session *ent.Session
	Token   string // the cookie value
	CSRF    string // sent back in X-CSRF-Token
}

// Start opens a session for u inside tx (the sign-in's transaction), always
// with a fresh id so that no earlier id can be fixed on the user.
func (m *Manager) Start(ctx context.Context, tx *ent.Tx, u *ent.User, amr []string, lifetime time.Duration) (Started, error) {
	tok, err := random()
	if err != nil {
		return Started{}, err
	}
	csrf := CSRFFor(tok)
	now := m.now().UTC().Truncate(time.Microsecond)
	req := audit.RequestFrom(ctx)
	s, err := tx.Session.Create().
		SetIDHash(hash(tok)).
		SetCsrfHash(hash(csrf)).
		SetUserID(u.ID).
		SetLastSeenAt(now).
		SetExpiresAt(now.Add(lifetime)).
		SetIP(req.IP).
		SetUserAgent(req.UserAgent).
		SetAmr(amr).
		SetAuthTime(now).
		Save(ctx)
	if err != nil {
		return Started{}, err
	}
	return Started{Session: s, Token: tok, CSRF: csrf}, nil
}

// Authenticate returns the live session behind a cookie value and its user,
// ending it if it sat idle for longer than idle.
func (m *Manager) Authenticate(ctx context.Context, token string, idle time.Duration) (*ent.Session, *ent.User, error) {
	if len(token) != 43 {
		return nil, nil, ErrNoSession
	}
	h := hash(token)
	s, err := m.client.Session.Query().Where(session.IDHash(h)).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	now := m.now()
	if subtle.ConstantTimeCompare([]byte(s.IDHash), []byte(h)) != 1 ||
		s.RevokedAt != nil || !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) > idle ||
		s.Edges.User == nil || s.Edges.User.Disabled {
		return nil, nil, ErrNoSession
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		_ = m.client.Session.UpdateOne(s).SetLastSeenAt(now.UTC().Truncate(time.Microsecond)).Exec(ctx)
	}
	return s, s.Edges.User, nil
}

// CSRFFor derives the CSRF token of the session whose cookie value is
// token. Only a page that can read the cookie's own answers (same origin)
// learns it; storing just its hash keeps it useless from a database copy.
func CSRFFor(token string) string {
	sum := sha256.Sum256([]byte("mandate csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CSRFValid reports whether header is the session's CSRF token.
func CSRFValid(s *ent.Session, header string) bool {
	return header != "" && subtle.ConstantTimeCompare([]byte(hash(header)), []byte(s.CsrfHash)) == 1
}

// End revokes one session of the workspace in ctx, inside tx.
func (m *Manager) End(ctx context.Context, tx *ent.Tx, id int, reason string) error {
	return tx.Session.UpdateOneID(id).Where(session.RevokedAtIsNil()).
		SetRevokedAt(m.now().UTC().Truncate(time.Microsecond)).SetRevokeReason(reason).Exec(ctx)
}

// EndAllOf revokes every live session of a user except keep (0 for none)
// and returns how many it ended.
func (m *Manager) EndAllOf(ctx context.Context, tx *ent.Tx, userID, keep int, reason string) (int, error) {
	return tx.Session.Update().
		Where(session.HasUserWith(user.ID(userID)), session.RevokedAtIsNil(), session.IDNEQ(keep)).
		SetRevokedAt(m.now().UTC().Truncate(time.Microsecond)).SetRevokeReason(reason).Save(ctx)
}

// SetCookie gives the browser the session cookie: HttpOnly, SameSite=Lax,
// and Secure with the __Host- prefix over https.
func (m *Manager) SetCookie(w http.ResponseWriter, slug string, st Started) {
	http.SetCookie(w, &http.Cookie{
		Name:     m.CookieName(slug),
		Value:    st.Token,
		Path:     "/",
		Expires:  st.Session.ExpiresAt,
		HttpOnly: true,
		Secure:   m.Secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie removes the session cookie.
func (m *Manager) ClearCookie(w http.ResponseWriter, slug string) {
	http.SetCookie(w, &http.Cookie{
		Name: m.CookieName(slug), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: m.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// FromRequest returns the cookie value for slug, or "".
func (m *Manager) FromRequest(r *http.Request, slug string) string {
	c, err := r.Cookie(m.CookieName(slug))
	if err != nil {
		return ""
	}
	return c.Value
}
