package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/onetimetoken"
	entsession "github.com/mandatehq/mandate/ent/session"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Token lifetimes.
const (
	VerifyTTL = 24 * time.Hour
	ResetTTL  = time.Hour
)

// Errors a caller must tell apart. Each is deliberately vague where detail
// would reveal whether an account exists.
var (
	ErrInvalidCredentials = apperr.New(apperr.Unauthenticated, "wrong email address or password")
	ErrEmailNotVerified   = apperr.New(apperr.Forbidden, "verify your email address first: we sent you a link")
	ErrSignUpClosed       = apperr.New(apperr.Forbidden, "this workspace does not accept sign-ups")
	ErrInviteOnly         = apperr.New(apperr.Forbidden, "this workspace is invitation-only: ask an admin to invite you")
	ErrBadLink            = apperr.New(apperr.Invalid, "this link is invalid, expired or already used")
)

// LockedError says to come back later.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return "too many attempts; try again later"
}

// Flows runs the sign-in flows.
type Flows struct {
	client   *ent.Client
	tenants  *tenants.Service
	audit    *audit.Recorder
	sessions *session.Manager
	limiter  *ratelimit.Limiter
	mail     mail.Sender
	log      *slog.Logger
	baseURL  string
	hashing  password.Params
	// hashSlots bounds the argon2id computations running at once to the
	// cores: each holds 19 MiB, so a flood of sign-ins queues here instead
	// of growing the heap by 19 MiB a request.
	hashSlots chan struct{}
	now       func() time.Time
	factors   Factors
	// sendAsync delivers mail after answering, so the answer takes the same
	// time whether or not a message goes out. Tests may turn it off.
	sendAsync bool
}

// Config assembles Flows.
type Config struct {
	Client   *ent.Client
	Tenants  *tenants.Service
	Audit    *audit.Recorder
	Sessions *session.Manager
	Limiter  *ratelimit.Limiter
	Mail     mail.Sender
	Log      *slog.Logger
	BaseURL  string
	Hashing  password.Params
}

// New returns the flows. Client, Tenants, Audit and BaseURL are required;
// the rest default: sessions (Secure when BaseURL is https) and the limiter
// on Client and the audit clock, the dev outbox for mail, a silent log, and
// password.Default hashing.
func New(c Config) *Flows {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Sessions == nil {
		c.Sessions = session.New(c.Client, c.Audit.Now, strings.HasPrefix(c.BaseURL, "https://"))
	}
	if c.Limiter == nil {
		c.Limiter = ratelimit.New(c.Client, c.Audit.Now)
	}
	if c.Mail == nil {
		c.Mail = &mail.Outbox{Client: c.Client, Log: c.Log}
	}
	if c.Hashing == (password.Params{}) {
		c.Hashing = password.Default
	}
	return &Flows{
		client: c.Client, tenants: c.Tenants, audit: c.Audit, sessions: c.Sessions,
		limiter: c.Limiter, mail: c.Mail, log: c.Log, baseURL: c.BaseURL, hashing: c.Hashing,
		hashSlots: make(chan struct{}, runtime.GOMAXPROCS(0)),
		now:       c.Audit.Now, sendAsync: true,
	}
}

// slot runs fn holding one of the hashing slots.
func (f *Flows) slot(fn func()) {
	f.hashSlots <- struct{}{}
	defer func() { <-f.hashSlots }()
	fn()
}

func (f *Flows) hash(pw string) (h string, err error) {
	f.slot(func() { h, err = password.Hash(pw, f.hashing) })
	return h, err
}

func (f *Flows) verify(pw, encoded string) (err error) {
	f.slot(func() { err = password.Verify(pw, encoded) })
	return err
}

func (f *Flows) verifyDummy(pw string) (err error) {
	f.slot(func() { err = password.VerifyDummy(pw, f.hashing) })
	return err
}

func (f *Flows) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return entx.InTx(ctx, f.client, fn)
}

// record appends an audit event in its own transaction: for outcomes that
// change nothing else (a failed sign-in).
func (f *Flows) record(ctx context.Context, e audit.Event) {
	f.audit.RecordAlone(ctx, f.client, f.log, e)
}

func (f *Flows) workspace(ctx context.Context) (*ent.Tenant, error) {
	t, err := f.client.Tenant.Get(ctx, viewer.FromContext(ctx).TenantID)
	return t, apperr.Wrap(err, "workspace")
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newLinkToken stores a single-use token for purpose and returns the secret.
func (f *Flows) newLinkToken(ctx context.Context, tx *ent.Tx, p onetimetoken.Purpose, u *ent.User, email string, ttl time.Duration) (string, error) {
	secret, err := randomSecret()
	if err != nil {
		return "", err
	}
	err = tx.OneTimeToken.Create().
		SetPurpose(p).SetTokenHash(hashSecret(secret)).SetUserID(u.ID).SetEmail(email).
		SetExpiresAt(f.now().UTC().Add(ttl).Truncate(time.Microsecond)).
		Exec(ctx)
	return secret, err
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// consume spends a link token of purpose inside tx and returns it.
func (f *Flows) consume(ctx context.Context, tx *ent.Tx, p onetimetoken.Purpose, secret string) (*ent.OneTimeToken, error) {
	if secret == "" || len(secret) > 100 {
		return nil, ErrBadLink
	}
	// The update is the check: only an unused, unexpired token of this
	// purpose changes, so a link works once even under concurrent clicks.
	now := f.now().UTC().Truncate(time.Microsecond)
	n, err := tx.OneTimeToken.Update().
		Where(onetimetoken.TokenHash(hashSecret(secret)), onetimetoken.PurposeEQ(p),
			onetimetoken.UsedAtIsNil(), onetimetoken.ExpiresAtGT(now)).
		SetUsedAt(now).Save(ctx)
	if err != nil {
		return nil, apperr.Wrap(err, "link")
	}
	if n != 1 {
		return nil, ErrBadLink
	}
	t, err := tx.OneTimeToken.Query().Where(onetimetoken.TokenHash(hashSecret(secret))).Only(ctx)
	return t, apperr.Wrap(err, "link")
}

// link builds a hosted-page URL carrying a secret.
func (f *Flows) link(slug, page, secret string) string {
	return f.baseURL + "/t/" + url.PathEscape(slug) + "/" + page + "?token=" + url.QueryEscape(secret)
}

// send renders and delivers a message, after the answer when async.
func (f *Flows) send(ctx context.Context, k mail.Kind, to string, d mail.Data) {
	deliver := func(ctx context.Context) {
		m, err := mail.Render(k, to, d)
		if err == nil {
			err = f.mail.Send(ctx, m)
		}
		if err != nil {
			f.log.ErrorContext(ctx, "send email", "kind", string(k), "err", err)
		}
	}
	if !f.sendAsync {
		deliver(ctx)
		return
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		deliver(ctx)
	}()
}

// mailGate counts a request that may send mail to email, per client
// address (over the limit: 429, which says nothing about any account) and
// per address (over the limit: nothing more is sent, and the answer is the
// same). It returns whether a message may go to email.
func (f *Flows) mailGate(ctx context.Context, email string) (bool, error) {
	ipKey := ratelimit.MailIPKey(audit.RequestFrom(ctx).IP)
	if wait, err := f.limiter.Locked(ctx, ipKey); err != nil {
		return false, apperr.Wrap(err, "throttle")
	} else if wait > 0 {
		return false, &LockedError{RetryAfter: wait}
	}
	acctKey := ratelimit.MailAccountKey(email)
	wait, err := f.limiter.Locked(ctx, acctKey)
	if err != nil {
		return false, apperr.Wrap(err, "throttle")
	}
	if _, err := f.limiter.Fail(ctx, ipKey, acctKey); err != nil {
		return false, apperr.Wrap(err, "throttle")
	}
	return wait == 0, nil
}

// SignUpInput is a self-service sign-up.
type SignUpInput struct {
	Email    string
	Password string
	Name     string
}

// SignUp creates an unverified account and mails a verification link. If
// the address already has an account, it mails the owner instead and
// answers exactly as for a new account.
func (f *Flows) SignUp(ctx context.Context, in SignUpInput) error {
	t, err := f.workspace(ctx)
	if err != nil {
		return err
	}
	switch t.Settings.SignUpMode {
	case settings.SignUpClosed:
		return ErrSignUpClosed
	case settings.SignUpInviteOnly:
		return ErrInviteOnly
	}
	email, err := tenants.NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	if err := password.Check(in.Password, email); err != nil {
		return apperr.InvalidField("password", "%s", err.Error())
	}
	if len(in.Name) > 200 {
		return apperr.InvalidField("name", "name must be at most 200 characters")
	}
	mayMail, err := f.mailGate(ctx, email)
	if err != nil {
		return err
	}
	// Hash before knowing whether the account exists: both answers cost one hash.
	hash, err := f.hash(in.Password)
	if err != nil {
		return apperr.Wrap(err, "password")
	}
	existing, err := f.client.User.Query().Where(user.Email(email)).Only(ctx)
	if err == nil {
		if !mayMail {
			return nil
		}
		f.send(ctx, mail.AccountExists, existing.Email, mail.Data{Workspace: t.Name, Link: f.baseURL + "/t/" + t.Slug + "/signin"})
		f.record(ctx, audit.Event{Action: "user.signup_existing", TargetType: "user", TargetID: strconv.Itoa(existing.ID), Outcome: audit.Failure,
			Details: map[string]string{"reason": "address already has an account"}})
		return nil
	}
	if !ent.IsNotFound(err) {
		return apperr.Wrap(err, "user")
	}
	var secret string
	var u *ent.User
	err = f.inTx(ctx, func(tx *ent.Tx) error {
		u, err = tx.User.Create().SetEmail(email).SetName(in.Name).SetPasswordHash(hash).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "user")
		}
		if err := tx.Membership.Create().SetUserID(u.ID).SetRole(membership.RoleMember).Exec(ctx); err != nil {
			return apperr.Wrap(err, "membership")
		}
		if secret, err = f.newLinkToken(ctx, tx, onetimetoken.PurposeVerifyEmail, u, email, VerifyTTL); err != nil {
			return apperr.Wrap(err, "link")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "user.signed_up", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"email": email, "role": "member"}})
		return apperr.Wrap(err, "audit event")
	})
	if apperr.KindOf(err) == apperr.Conflict {
		return nil // a concurrent sign-up for the same address: same answer
	}
	if err != nil {
		return err
	}
	if mayMail {
		f.send(ctx, mail.VerifyEmail, email, mail.Data{Workspace: t.Name, Link: f.link(t.Slug, "verify-email", secret), ExpiresIn: VerifyTTL})
	}
	return nil
}

// SignInResult is an opened session, or a sign-in waiting for a second
// step (Pending set, no session yet).
type SignInResult struct {
	User    *ent.User
	Role    membership.Role
	Session session.Started
	Pending *Pending
}

// SignIn checks an address and password and opens a session. Unknown
// addresses, wrong passwords and disabled accounts get the same answer in
// about the same time; failures count against the address and the client.
func (f *Flows) SignIn(ctx context.Context, emailIn, pw string) (*SignInResult, error) {
	t, err := f.workspace(ctx)
	if err != nil {
		return nil, err
	}
	email, _ := tenants.NormalizeEmail(emailIn)
	if email == "" {
		email = emailIn
	}
	keys := []ratelimit.Key{ratelimit.AccountKey(email), ratelimit.IPKey(audit.RequestFrom(ctx).IP)}
	if wait, err := f.limiter.Locked(ctx, keys...); err != nil {
		return nil, apperr.Wrap(err, "throttle")
	} else if wait > 0 {
		// Locked: answer before touching the account, so a lock-out says
		// nothing about whether it exists.
		return nil, &LockedError{RetryAfter: wait}
	}
	u, err := f.client.User.Query().Where(user.Email(email)).WithMembership().Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, apperr.Wrap(err, "user")
	}
	reason := ""
	switch {
	case u == nil:
		_ = f.verifyDummy(pw)
		reason = "unknown account"
	case u.PasswordHash == "":
		_ = f.verifyDummy(pw)
		reason = "account has no password"
	case f.verify(pw, u.PasswordHash) != nil:
		reason = "wrong password"
	case u.Disabled || u.Edges.Membership == nil:
		reason = "account disabled"
	}
	if reason != "" {
		wait, ferr := f.limiter.Fail(ctx, keys...)
		if ferr != nil {
			return nil, apperr.Wrap(ferr, "throttle")
		}
		e := audit.Event{Action: "signin.failed", Outcome: audit.Failure, Details: map[string]string{"reason": reason, "email": email}}
		if u != nil {
			e.TargetType, e.TargetID = "user", strconv.Itoa(u.ID)
		}
		f.record(ctx, e)
		if wait > 0 {
			f.record(ctx, audit.Event{Action: "signin.locked", TargetType: e.TargetType, TargetID: e.TargetID, Outcome: audit.Denied,
				Details: map[string]string{"email": email, "retry_after_seconds": strconv.Itoa(int(wait.Seconds()))}})
		}
		return nil, ErrInvalidCredentials
	}
	if !u.EmailVerified {
		return nil, ErrEmailNotVerified
	}
	_ = f.limiter.Reset(ctx, keys[0])
	if password.NeedsRehash(u.PasswordHash, f.hashing) {
		uctx := viewer.NewContext(ctx, viewer.Viewer{TenantID: t.ID, Kind: viewer.Human, ID: u.ID, Label: u.Email, Role: viewer.Role(u.Edges.Membership.Role)})
		h, err := f.hash(pw)
		if err != nil {
			return nil, apperr.Wrap(err, "password")
		}
		if err := f.client.User.UpdateOneID(u.ID).SetPasswordHash(h).Exec(uctx); err != nil {
			return nil, apperr.Wrap(err, "user")
		}
	}
	return f.FirstFactor(ctx, u, []string{"pwd"}, "password")
}

// Authenticate returns the viewer behind a session cookie value.
func (f *Flows) Authenticate(ctx context.Context, token string) (*ent.Session, viewer.Viewer, error) {
	t, err := f.workspace(ctx)
	if err != nil {
		return nil, viewer.Viewer{}, err
	}
	sys := viewer.AsSystem(ctx, "authenticate session")
	s, u, err := f.sessions.Authenticate(sys, token, time.Duration(t.Settings.IdleMinutes())*time.Minute)
	if err != nil {
		return nil, viewer.Viewer{}, err
	}
	m, err := f.client.Membership.Query().Where(membership.UserID(u.ID)).Only(sys)
	if err != nil {
		return nil, viewer.Viewer{}, session.ErrNoSession
	}
	return s, viewer.Viewer{TenantID: t.ID, Kind: viewer.Human, ID: u.ID, Label: u.Email, Role: viewer.Role(m.Role), SessionID: s.ID}, nil
}

// SignOut ends the viewer's session.
func (f *Flows) SignOut(ctx context.Context, s *ent.Session) error {
	return f.inTx(ctx, func(tx *ent.Tx) error {
		if err := f.sessions.End(ctx, tx, s.ID, "signed out"); err != nil && !ent.IsNotFound(err) {
			return apperr.Wrap(err, "session")
		}
		_, err := f.audit.Record(ctx, tx, audit.Event{Action: "signout", TargetType: "session", TargetID: strconv.Itoa(s.ID)})
		return apperr.Wrap(err, "audit event")
	})
}

// VerifyEmail spends a verification link.
func (f *Flows) VerifyEmail(ctx context.Context, secret string) error {
	return f.inTx(ctx, func(tx *ent.Tx) error {
		t, err := f.consume(ctx, tx, onetimetoken.PurposeVerifyEmail, secret)
		if err != nil {
			return err
		}
		u, err := tx.User.Get(ctx, t.UserID)
		if err != nil || u.Email != t.Email {
			return ErrBadLink
		}
		if err := tx.User.UpdateOne(u).SetEmailVerified(true).Exec(ctx); err != nil {
			return apperr.Wrap(err, "user")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "user.email_verified", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"email": u.Email}})
		return apperr.Wrap(err, "audit event")
	})
}

// ResendVerification mails a new verification link to an unverified
// account; it answers the same whatever the address.
func (f *Flows) ResendVerification(ctx context.Context, emailIn string) error {
	return f.mailLink(ctx, emailIn, onetimetoken.PurposeVerifyEmail, func(u *ent.User) bool { return !u.EmailVerified },
		mail.VerifyEmail, "verify-email", VerifyTTL, "user.verification_sent")
}

// ForgotPassword mails a reset link to an existing, enabled account; it
// answers the same whatever the address.
func (f *Flows) ForgotPassword(ctx context.Context, emailIn string) error {
	return f.mailLink(ctx, emailIn, onetimetoken.PurposeResetPassword, func(u *ent.User) bool { return !u.Disabled },
		mail.ResetPassword, "reset-password", ResetTTL, "user.password_reset_requested")
}

func (f *Flows) mailLink(ctx context.Context, emailIn string, p onetimetoken.Purpose, wanted func(*ent.User) bool,
	k mail.Kind, page string, ttl time.Duration, action string) error {
	t, err := f.workspace(ctx)
	if err != nil {
		return err
	}
	email, err := tenants.NormalizeEmail(emailIn)
	if err != nil {
		return err
	}
	mayMail, err := f.mailGate(ctx, email)
	if err != nil {
		return err
	}
	u, err := f.client.User.Query().Where(user.Email(email)).Only(ctx)
	if ent.IsNotFound(err) || (err == nil && !wanted(u)) || !mayMail {
		return nil
	}
	if err != nil {
		return apperr.Wrap(err, "user")
	}
	var secret string
	err = f.inTx(ctx, func(tx *ent.Tx) error {
		if secret, err = f.newLinkToken(ctx, tx, p, u, email, ttl); err != nil {
			return apperr.Wrap(err, "link")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: action, TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"email": email}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return err
	}
	f.send(ctx, k, email, mail.Data{Workspace: t.Name, Link: f.link(t.Slug, page, secret), ExpiresIn: ttl})
	return nil
}

// ResetPassword spends a reset link, sets the new password and ends every
// session of the account.
func (f *Flows) ResetPassword(ctx context.Context, secret, newPassword string) error {
	return f.inTx(ctx, func(tx *ent.Tx) error {
		t, err := f.consume(ctx, tx, onetimetoken.PurposeResetPassword, secret)
		if err != nil {
			return err
		}
		u, err := tx.User.Get(ctx, t.UserID)
		if err != nil || u.Email != t.Email || u.Disabled {
			return ErrBadLink
		}
		if err := password.Check(newPassword, u.Email); err != nil {
			return apperr.InvalidField("password", "%s", err.Error())
		}
		h, err := f.hash(newPassword)
		if err != nil {
			return apperr.Wrap(err, "password")
		}
		// Following the link proves control of the inbox.
		if err := tx.User.UpdateOne(u).SetPasswordHash(h).SetEmailVerified(true).Exec(ctx); err != nil {
			return apperr.Wrap(err, "user")
		}
		n, err := f.sessions.EndAllOf(ctx, tx, u.ID, 0, "password reset")
		if err != nil {
			return apperr.Wrap(err, "sessions")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "user.password_reset", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"email": u.Email, "sessions_ended": strconv.Itoa(n)}})
		return apperr.Wrap(err, "audit event")
	})
}

// Sessions lists the viewer's live sessions, newest first: not revoked,
// not past their lifetime, and not idle for longer than the workspace allows.
func (f *Flows) Sessions(ctx context.Context) ([]*ent.Session, error) {
	v := viewer.FromContext(ctx)
	t, err := f.workspace(ctx)
	if err != nil {
		return nil, err
	}
	now := f.now()
	idleSince := now.Add(-time.Duration(t.Settings.IdleMinutes()) * time.Minute)
	ss, err := f.client.Session.Query().
		Where(entsession.UserID(v.ID), entsession.RevokedAtIsNil(), entsession.ExpiresAtGT(now),
			entsession.LastSeenAtGTE(idleSince)).
		Order(ent.Desc(entsession.FieldCreatedAt)).All(ctx)
	return ss, apperr.Wrap(err, "sessions")
}

// RevokeSession ends one of the viewer's own sessions.
func (f *Flows) RevokeSession(ctx context.Context, id int) error {
	v := viewer.FromContext(ctx)
	return f.inTx(ctx, func(tx *ent.Tx) error {
		s, err := tx.Session.Query().Where(entsession.ID(id), entsession.UserID(v.ID)).Only(ctx)
		if err != nil {
			return apperr.Wrap(err, "session")
		}
		if err := f.sessions.End(ctx, tx, s.ID, "revoked by the user"); err != nil && !ent.IsNotFound(err) {
			return apperr.Wrap(err, "session")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "session.revoked", TargetType: "session", TargetID: strconv.Itoa(s.ID)})
		return apperr.Wrap(err, "audit event")
	})
}

// RevokeOtherSessions ends every session of the viewer but keep.
func (f *Flows) RevokeOtherSessions(ctx context.Context, keep int) (int, error) {
	v := viewer.FromContext(ctx)
	var n int
	err := f.inTx(ctx, func(tx *ent.Tx) error {
		var err error
		if n, err = f.sessions.EndAllOf(ctx, tx, v.ID, keep, "revoked by the user"); err != nil {
			return apperr.Wrap(err, "sessions")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "session.revoked_others", TargetType: "user", TargetID: strconv.Itoa(v.ID),
			Details: map[string]string{"sessions_ended": strconv.Itoa(n)}})
		return apperr.Wrap(err, "audit event")
	})
	return n, err
}

// SessionFromRequest returns the live session behind r's cookie for the
// workspace slug, its viewer, and the cookie value (from which the
// session's CSRF token derives). ctx must be bound to that workspace.
func (f *Flows) SessionFromRequest(ctx context.Context, r *http.Request, slug string) (*ent.Session, viewer.Viewer, string, error) {
	tok := f.sessions.FromRequest(r, slug)
	if tok == "" {
		return nil, viewer.Viewer{}, "", session.ErrNoSession
	}
	s, v, err := f.Authenticate(ctx, tok)
	return s, v, tok, err
}

// ClearSessionCookie removes the workspace's session cookie.
func (f *Flows) ClearSessionCookie(w http.ResponseWriter, slug string) {
	f.sessions.ClearCookie(w, slug)
}
