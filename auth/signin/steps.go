package signin

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/ratelimit"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/authchallenge"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// A sign-in may take more than one step. The first factor (a password, a
// federated login) either opens a session at once or leaves a pending
// sign-in, held server-side as an AuthChallenge and named by a cookie:
//
//   - kind "mfa": the person has a second factor; one of Methods must
//     complete the sign-in (CompletePending).
//   - kind "enroll": the workspace requires a second factor and the person
//     has none; they enroll one (the factor packages accept the pending
//     sign-in as proof of the first factor) and then complete it.
//
// Passkey sign-in with user verification is itself multi-factor and opens
// a session at once.

// Factors is what sign-in asks the factor packages (auth/mfa,
// auth/passkey), wired by the binary. Nil means nobody has factors.
type Factors interface {
	// SecondFactors lists the second factors a person can complete a
	// sign-in with now: "totp", "recovery", "passkey".
	SecondFactors(ctx context.Context, userID int) ([]string, error)
}

// Pending kinds.
const (
	PendingMFA    = "mfa"
	PendingEnroll = "enroll"
)

// pendingTTL bounds a pending sign-in.
const pendingTTL = 10 * time.Minute

// Pending is a sign-in waiting for its second step.
type Pending struct {
	Token   string   // the cookie value, once
	Kind    string   // PendingMFA or PendingEnroll
	Methods []string // what completes it (PendingMFA)
	AMR     []string // what is already done
	User    *ent.User
	Role    membership.Role
	// ID is the challenge row, for auditing.
	ID int
}

// ErrNoPending answers a second step without a live pending sign-in.
var ErrNoPending = apperr.New(apperr.Unauthenticated, "this sign-in has expired or was already completed: sign in again")

// ErrStepUp asks for a fresh authentication before a sensitive operation.
var ErrStepUp = apperr.New(apperr.Forbidden, "confirm it is you: authenticate again to continue")

// SetFactors wires the factor packages (the binary does it once; they
// depend on Flows for sessions, so they cannot be passed to New).
func (f *Flows) SetFactors(fs Factors) { f.factors = fs }

// SessionManager returns the session manager.
func (f *Flows) SessionManager() *session.Manager { return f.sessions }

// Now is the flows' clock.
func (f *Flows) Now() time.Time { return f.now() }

// Limiter is the flows' failure counter, shared with the factor packages
// so that wrong codes and wrong passwords lock out alike.
func (f *Flows) Limiter() *ratelimit.Limiter { return f.limiter }

// Notify mails a person a notice about their account (a recovery code
// used, factors reset) from the flows' sender, with the workspace's name
// and a link to the account page unless d says otherwise. Like every mail
// of the flows it goes out after the answer, unless MailNow was called.
func (f *Flows) Notify(ctx context.Context, k mail.Kind, to string, d mail.Data) {
	if d.Workspace == "" || d.Link == "" {
		t, err := f.workspace(ctx)
		if err != nil {
			f.log.ErrorContext(ctx, "send email", "kind", string(k), "err", err)
			return
		}
		if d.Workspace == "" {
			d.Workspace = t.Name
		}
		if d.Link == "" {
			d.Link = f.baseURL + "/t/" + t.Slug + "/account"
		}
	}
	f.send(ctx, k, to, d)
}

// MailNow makes the flows deliver mail before answering: for the CLI,
// which exits as soon as a command returns.
func (f *Flows) MailNow() { f.sendAsync = false }

// FirstFactor is called once a person has proved a first factor (amr so
// far, e.g. ["pwd"] or ["fed"]): it opens a session, or a pending sign-in
// when a second factor is due. credential names the factor for the audit
// event ("password", "federated:github", "passkey").
func (f *Flows) FirstFactor(ctx context.Context, u *ent.User, amr []string, credential string) (*SignInResult, error) {
	t, err := f.workspace(ctx)
	if err != nil {
		return nil, err
	}
	m := u.Edges.Membership
	if m == nil {
		if m, err = f.client.Membership.Query().Where(membership.UserID(u.ID)).Only(viewer.AsSystem(ctx, "sign-in membership")); err != nil {
			return nil, ErrInvalidCredentials
		}
	}
	if u.Disabled {
		return nil, ErrInvalidCredentials
	}
	uctx := viewer.NewContext(ctx, viewer.Viewer{TenantID: t.ID, Kind: viewer.Human, ID: u.ID, Label: u.Email, Role: viewer.Role(m.Role)})
	if !slices.Contains(amr, "mfa") {
		var methods []string
		if f.factors != nil {
			if methods, err = f.factors.SecondFactors(uctx, u.ID); err != nil {
				return nil, apperr.Wrap(err, "factors")
			}
		}
		kind := ""
		switch {
		case len(methods) > 0:
			kind = PendingMFA
		case t.Settings.MFARequired(string(m.Role)):
			kind = PendingEnroll
		}
		if kind != "" {
			p, err := f.newPending(uctx, kind, u, m.Role, amr, methods)
			if err != nil {
				return nil, err
			}
			return &SignInResult{User: u, Role: m.Role, Pending: p}, nil
		}
	}
	return f.open(uctx, t.Settings.SessionLifetimeMinutes, u, m.Role, amr, credential)
}

// open starts a session with amr and audits the sign-in.
func (f *Flows) open(uctx context.Context, lifetimeMinutes int, u *ent.User, role membership.Role, amr []string, credential string) (*SignInResult, error) {
	var res SignInResult
	err := f.inTx(uctx, func(tx *ent.Tx) error {
		st, err := f.sessions.Start(uctx, tx, u, amr, time.Duration(lifetimeMinutes)*time.Minute)
		if err != nil {
			return apperr.Wrap(err, "session")
		}
		res = SignInResult{User: u, Role: role, Session: st}
		_, err = f.audit.Record(uctx, tx, audit.Event{Action: "signin.succeeded", TargetType: "session", TargetID: strconv.Itoa(st.Session.ID),
			CredentialType: credential, Details: map[string]string{"amr": joinAMR(amr)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func (f *Flows) newPending(ctx context.Context, kind string, u *ent.User, role membership.Role, amr, methods []string) (*Pending, error) {
	tok, err := randomSecret()
	if err != nil {
		return nil, apperr.Wrap(err, "random")
	}
	var c *ent.AuthChallenge
	err = f.inTx(ctx, func(tx *ent.Tx) error {
		c, err = tx.AuthChallenge.Create().SetKind(kind).SetTokenHash(hashSecret(tok)).SetUserID(u.ID).SetAmr(amr).
			SetExpiresAt(f.now().Add(pendingTTL).UTC()).Save(viewer.AsSystem(ctx, "pending sign-in"))
		if err != nil {
			return apperr.Wrap(err, "pending sign-in")
		}
		_, err = f.audit.Record(ctx, tx, audit.Event{Action: "signin.second_factor_required", TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Details: map[string]string{"kind": kind, "amr": joinAMR(amr), "methods": joinAMR(methods)}})
		return apperr.Wrap(err, "audit event")
	})
	if err != nil {
		return nil, err
	}
	return &Pending{Token: tok, Kind: kind, Methods: methods, AMR: amr, User: u, Role: role, ID: c.ID}, nil
}

// PendingSignIn returns the live pending sign-in token names, with its
// user; ErrNoPending when there is none.
func (f *Flows) PendingSignIn(ctx context.Context, token string) (*Pending, error) {
	if token == "" {
		return nil, ErrNoPending
	}
	sys := viewer.AsSystem(ctx, "pending sign-in")
	c, err := f.client.AuthChallenge.Query().Where(authchallenge.TokenHash(hashSecret(token)),
		authchallenge.KindIn(PendingMFA, PendingEnroll), authchallenge.UsedAtIsNil(), authchallenge.ExpiresAtGT(f.now())).Only(sys)
	if err != nil {
		return nil, ErrNoPending
	}
	u, err := f.client.User.Query().Where(user.ID(c.UserID), user.Disabled(false)).WithMembership().Only(sys)
	if err != nil || u.Edges.Membership == nil {
		return nil, ErrNoPending
	}
	var methods []string
	if f.factors != nil {
		if methods, err = f.factors.SecondFactors(sys, u.ID); err != nil {
			return nil, apperr.Wrap(err, "factors")
		}
	}
	return &Pending{Kind: c.Kind, Methods: methods, AMR: c.Amr, User: u, Role: u.Edges.Membership.Role, ID: c.ID}, nil
}

// PendingViewer is the viewer a pending sign-in stands for, for the factor
// packages' enrollment (which the "enroll" kind allows before any
// session exists).
func (p *Pending) Viewer(tenantID int) viewer.Viewer {
	return viewer.Viewer{TenantID: tenantID, Kind: viewer.Human, ID: p.User.ID, Label: p.User.Email, Role: viewer.Role(p.Role)}
}

// CompletePending spends a pending sign-in once its second step is done
// (method is that step's amr: "otp", "hwk", "swk"…) and opens the session,
// whose amr then says "mfa". The caller has verified the factor.
func (f *Flows) CompletePending(ctx context.Context, token, method, credential string) (*SignInResult, error) {
	t, err := f.workspace(ctx)
	if err != nil {
		return nil, err
	}
	p, err := f.PendingSignIn(ctx, token)
	if err != nil {
		return nil, err
	}
	// Spend it first: two completions racing get one session.
	n, err := f.client.AuthChallenge.Update().Where(authchallenge.TokenHash(hashSecret(token)), authchallenge.UsedAtIsNil()).
		SetUsedAt(f.now().UTC()).Save(viewer.AsSystem(ctx, "complete sign-in"))
	if err != nil {
		return nil, apperr.Wrap(err, "pending sign-in")
	}
	if n != 1 {
		return nil, ErrNoPending
	}
	amr := mergeAMR(p.AMR, method)
	uctx := viewer.NewContext(ctx, p.Viewer(t.ID))
	return f.open(uctx, t.Settings.SessionLifetimeMinutes, p.User, p.Role, amr, credential)
}

// mergeAMR adds method to amr, and "mfa" once two kinds of factor are in.
func mergeAMR(amr []string, methods ...string) []string {
	out := slices.Clone(amr)
	for _, m := range methods {
		if m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	kinds := 0
	for _, m := range out {
		switch m {
		case "pwd", "fed", "otp", "hwk", "swk":
			kinds++
		}
	}
	if kinds >= 2 && !slices.Contains(out, "mfa") {
		out = append(out, "mfa")
	}
	return out
}

func joinAMR(amr []string) string {
	out := ""
	for i, a := range amr {
		if i > 0 {
			out += " "
		}
		out += a
	}
	return out
}

// Recent says whether the session authenticated within the workspace's
// step-up window; strong also asks for a second factor or a passkey in
// its amr.
func (f *Flows) Recent(ctx context.Context, s *ent.Session, strong bool) (bool, error) {
	t, err := f.workspace(ctx)
	if err != nil {
		return false, err
	}
	if f.now().Sub(s.AuthTime) > t.Settings.StepUpWindow() {
		return false, nil
	}
	if strong && !slices.ContainsFunc(s.Amr, func(m string) bool { return m == "otp" || m == "hwk" || m == "swk" || m == "mfa" }) {
		return false, nil
	}
	return true, nil
}

// RequireRecent is ErrStepUp unless the session authenticated recently.
func (f *Flows) RequireRecent(ctx context.Context, s *ent.Session, strong bool) error {
	ok, err := f.Recent(ctx, s, strong)
	if err != nil {
		return err
	}
	if !ok {
		return ErrStepUp
	}
	return nil
}

// StepUp replaces the session after a fresh authentication (method is its
// amr): a new session id (so nothing earlier can ride the stronger
// session), auth_time now, and the methods joined. The old session ends.
func (f *Flows) StepUp(ctx context.Context, cur *ent.Session, method, credential string) (session.Started, error) {
	t, err := f.workspace(ctx)
	if err != nil {
		return session.Started{}, err
	}
	sys := viewer.AsSystem(ctx, "step-up")
	u, err := f.client.User.Get(sys, cur.UserID)
	if err != nil {
		return session.Started{}, apperr.Wrap(err, "user")
	}
	// The amr describes the authentication at auth_time: the earlier
	// methods join the fresh one only while they are themselves within the
	// step-up window, so an old second factor never makes a fresh password
	// look strong.
	amr := mergeAMR(nil, method)
	if f.now().Sub(cur.AuthTime) <= t.Settings.StepUpWindow() {
		amr = mergeAMR(cur.Amr, method)
	}
	// A step-up proves the person again but does not extend the session's
	// absolute lifetime.
	lifetime := cur.ExpiresAt.Sub(f.now())
	if lifetime <= 0 {
		return session.Started{}, session.ErrNoSession
	}
	var st session.Started
	err = f.inTx(ctx, func(tx *ent.Tx) error {
		if err := f.sessions.End(ctx, tx, cur.ID, "stepped up"); err != nil {
			return apperr.Wrap(err, "session")
		}
		if st, err = f.sessions.Start(ctx, tx, u, amr, lifetime); err != nil {
			return apperr.Wrap(err, "session")
		}
		_, err := f.audit.Record(ctx, tx, audit.Event{Action: "signin.step_up", TargetType: "session", TargetID: strconv.Itoa(st.Session.ID),
			CredentialType: credential, Details: map[string]string{"amr": joinAMR(amr), "previous_session": strconv.Itoa(cur.ID)}})
		return apperr.Wrap(err, "audit event")
	})
	return st, err
}

// pendingCookie names the pending sign-in cookie of a workspace.
func (f *Flows) pendingCookie(slug string) string { return f.sessions.CookieName(slug) + "_pending" }

// SetPendingCookie hands the browser a pending sign-in.
func (f *Flows) SetPendingCookie(w http.ResponseWriter, slug string, p *Pending) {
	http.SetCookie(w, &http.Cookie{Name: f.pendingCookie(slug), Value: p.Token, Path: "/", MaxAge: int(pendingTTL.Seconds()),
		HttpOnly: true, Secure: f.sessions.Secure, SameSite: http.SameSiteLaxMode})
}

// ClearPendingCookie removes it.
func (f *Flows) ClearPendingCookie(w http.ResponseWriter, slug string) {
	http.SetCookie(w, &http.Cookie{Name: f.pendingCookie(slug), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: f.sessions.Secure, SameSite: http.SameSiteLaxMode})
}

// PendingFromRequest returns the pending sign-in cookie's value, or "".
func (f *Flows) PendingFromRequest(r *http.Request, slug string) string {
	c, err := r.Cookie(f.pendingCookie(slug))
	if err != nil {
		return ""
	}
	return c.Value
}

// FactorList asks several factor packages and joins their answers.
type FactorList []Factors

// SecondFactors joins what each package says.
func (l FactorList) SecondFactors(ctx context.Context, userID int) ([]string, error) {
	var out []string
	for _, f := range l {
		ms, err := f.SecondFactors(ctx, userID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// SecondFactorsOf lists the second factors a person can use now (none
// when no factor package is wired).
func (f *Flows) SecondFactorsOf(ctx context.Context, userID int) ([]string, error) {
	if f.factors == nil {
		return nil, nil
	}
	return f.factors.SecondFactors(ctx, userID)
}

// CountCeremony counts a sign-in ceremony started without a session (a
// passkey sign-in, a social login) against the client's address, and is a
// *LockedError once it has started too many: each one keeps a row
// server-side until it expires.
func (f *Flows) CountCeremony(ctx context.Context) error {
	k := ratelimit.CeremonyIPKey(audit.RequestFrom(ctx).IP)
	if wait, err := f.limiter.Locked(ctx, k); err != nil {
		return apperr.Wrap(err, "throttle")
	} else if wait > 0 {
		return &LockedError{RetryAfter: wait}
	}
	if _, err := f.limiter.Fail(ctx, k); err != nil {
		return apperr.Wrap(err, "throttle")
	}
	return nil
}
