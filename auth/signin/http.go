package signin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// CSRFHeader carries the session's CSRF token on cookie-authenticated
// changes.
const CSRFHeader = "X-CSRF-Token"

// maxForm bounds an auth request body.
const maxForm = 16 << 10

// Handler serves /t/{slug}/auth/….
type Handler struct {
	flows   *Flows
	tenants *tenants.Service
	origin  string // scheme://host of the base URL
}

// NewHandler returns the HTTP edge of f.
func NewHandler(f *Flows, ts *tenants.Service) *Handler {
	origin := f.baseURL
	if u, err := url.Parse(f.baseURL); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	return &Handler{flows: f, tenants: ts, origin: origin}
}

// Mount adds the routes to mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	p := "/t/{slug}/auth/"
	mux.HandleFunc("POST "+p+"signup", h.public(h.signUp))
	mux.HandleFunc("POST "+p+"signin", h.public(h.signIn))
	mux.HandleFunc("GET "+p+"pending", h.public(h.pending))
	mux.HandleFunc("POST "+p+"verify-email", h.public(h.verifyEmail))
	mux.HandleFunc("POST "+p+"resend-verification", h.public(h.resend))
	mux.HandleFunc("POST "+p+"forgot-password", h.public(h.forgot))
	mux.HandleFunc("POST "+p+"reset-password", h.public(h.reset))
	mux.HandleFunc("GET "+p+"session", h.signedIn(h.current))
	mux.HandleFunc("POST "+p+"signout", h.signedIn(h.signOut))
	mux.HandleFunc("GET "+p+"sessions", h.signedIn(h.listSessions))
	mux.HandleFunc("POST "+p+"sessions/revoke", h.signedIn(h.revoke))
	mux.HandleFunc("POST "+p+"change-password", h.signedIn(h.changePassword))
	mux.HandleFunc("POST "+p+"change-email", h.signedIn(h.changeEmail))
	mux.HandleFunc("POST "+p+"step-up/password", h.signedIn(h.stepUpPassword))
	mux.HandleFunc("POST "+p+"confirm-email", h.public(h.confirmEmail))
	mux.HandleFunc("POST "+p+"accept-invitation", h.public(h.acceptInvitation))
	mux.HandleFunc("POST "+p+"delete-account", h.signedIn(h.deleteAccount))
}

// form is every field any auth endpoint reads, parsed once from JSON or a
// form body.
type form struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	NewPassword string `json:"newPassword"`
	NewEmail    string `json:"newEmail"`
	Name        string `json:"name"`
	Token       string `json:"token"`
	SessionID   string `json:"id"`
	Others      bool   `json:"others"`
}

// errBadBody is the answer to a body that is not the expected shape.
var errBadBody = apperr.New(apperr.Invalid, "send a JSON object or a form with the expected fields")

// decodeForm parses the request body of an auth endpoint.
func decodeForm(r *http.Request) (form, error) {
	var f form
	if r.Body == nil {
		return f, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil || len(body) > maxForm {
		return f, errBadBody
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return f, errBadBody
		}
		f = form{
			Email: vals.Get("email"), Password: vals.Get("password"), NewPassword: vals.Get("newPassword"), NewEmail: vals.Get("newEmail"),
			Name: vals.Get("name"), Token: vals.Get("token"), SessionID: vals.Get("id"), Others: vals.Get("others") == "true",
		}
	case "application/json", "":
		if len(strings.TrimSpace(string(body))) == 0 {
			return f, nil
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil || dec.More() {
			return form{}, errBadBody
		}
	default:
		return f, apperr.New(apperr.Invalid, "unsupported content type: send application/json or a form")
	}
	return f, nil
}

type publicFunc func(w http.ResponseWriter, r *http.Request, f form)

// public wraps an endpoint that needs no session: resolve the workspace,
// refuse cross-site posts (login CSRF), parse the body.
func (h *Handler) public(fn publicFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok := h.bind(w, r)
		if !ok {
			return
		}
		if !h.sameOrigin(r) {
			httpx.WriteCodedProblem(w, r, http.StatusForbidden, "csrf", "cross-site request refused")
			return
		}
		f, err := decodeForm(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		fn(w, r, f)
	}
}

type signedInFunc func(w http.ResponseWriter, r *http.Request, s *ent.Session, f form)

// signedIn wraps an endpoint that needs the session cookie; any request but
// GET must also carry the session's CSRF token and come from our origin.
func (h *Handler) signedIn(fn signedInFunc) http.HandlerFunc {
	return h.signedInRaw(func(w http.ResponseWriter, r *http.Request, s *ent.Session) {
		f, err := decodeForm(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		fn(w, r, s, f)
	})
}

// signedInRaw authenticates the session and checks CSRF, leaving the body.
func (h *Handler) signedInRaw(fn func(w http.ResponseWriter, r *http.Request, s *ent.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok := h.bind(w, r)
		if !ok {
			return
		}
		slug := r.PathValue("slug")
		s, v, err := h.flows.Authenticate(r.Context(), h.flows.sessions.FromRequest(r, slug))
		if err != nil {
			if errors.Is(err, session.ErrNoSession) {
				h.flows.sessions.ClearCookie(w, slug)
				httpx.WriteCodedProblem(w, r, http.StatusUnauthorized, "no_session", "sign in first")
				return
			}
			h.fail(w, r, err)
			return
		}
		if r.Method != http.MethodGet && (!h.sameOrigin(r) || !session.CSRFValid(s, r.Header.Get(CSRFHeader))) {
			httpx.WriteCodedProblem(w, r, http.StatusForbidden, "csrf", errCSRF.Message)
			return
		}
		fn(w, r.WithContext(viewer.NewContext(r.Context(), v)), s)
	}
}

// errCSRF refuses a cookie-authenticated change without proof that it comes
// from our own pages.
var errCSRF = apperr.New(apperr.Forbidden, "missing or wrong "+CSRFHeader+", or a foreign origin")

// ViewerFromSession authenticates r by its session cookie for the workspace
// ctx is bound to, requiring the CSRF token and a same-origin request for
// anything but GET and HEAD. It serves the GraphQL endpoint.
func (h *Handler) ViewerFromSession(ctx context.Context, r *http.Request) (viewer.Viewer, error) {
	tok := h.flows.sessions.FromRequest(r, r.PathValue("slug"))
	if tok == "" {
		return viewer.Viewer{}, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	s, v, err := h.flows.Authenticate(ctx, tok)
	if errors.Is(err, session.ErrNoSession) {
		return viewer.Viewer{}, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	if err != nil {
		return viewer.Viewer{}, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead &&
		(!h.sameOrigin(r) || !session.CSRFValid(s, r.Header.Get(CSRFHeader))) {
		return viewer.Viewer{}, errCSRF
	}
	return v, nil
}

// bind resolves the workspace in the path and binds the context to it.
func (h *Handler) bind(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	tid, err := h.tenants.TenantIDBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		httpx.WriteCodedProblem(w, r, http.StatusNotFound, "not_found", "workspace not found")
		return r, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.WithContext(viewer.ForTenant(r.Context(), tid)), true
}

// sameOrigin is the strict origin check: a browser's Origin (or, failing
// that, Sec-Fetch-Site) must say the request comes from our own pages.
// Non-browser clients send neither and pass.
func (h *Handler) sameOrigin(r *http.Request) bool {
	return httpx.SameOrigin(r, h.origin)
}

// fail maps a flow error to problem JSON.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var locked *LockedError
	if errors.As(err, &locked) {
		secs := int(locked.RetryAfter.Round(time.Second).Seconds())
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		httpx.WriteCodedProblem(w, r, http.StatusTooManyRequests, "rate_limited", locked.Error())
		return
	}
	status, code := http.StatusInternalServerError, "internal"
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		status, code = http.StatusUnauthorized, "invalid_credentials"
	case errors.Is(err, ErrEmailNotVerified):
		status, code = http.StatusForbidden, "email_not_verified"
	case errors.Is(err, ErrSignUpClosed):
		status, code = http.StatusForbidden, "signup_closed"
	case errors.Is(err, ErrInviteOnly):
		status, code = http.StatusForbidden, "invite_only"
	case errors.Is(err, ErrBadLink):
		status, code = http.StatusBadRequest, "invalid_link"
	case errors.Is(err, ErrStepUp):
		status, code = http.StatusForbidden, "step_up_required"
	case errors.Is(err, ErrNoPending):
		status, code = http.StatusUnauthorized, "no_pending_signin"
	default:
		switch apperr.KindOf(err) {
		case apperr.Invalid:
			status, code = http.StatusBadRequest, "invalid_input"
		case apperr.NotFound:
			status, code = http.StatusNotFound, "not_found"
		case apperr.Forbidden:
			status, code = http.StatusForbidden, "forbidden"
		case apperr.Conflict:
			status, code = http.StatusConflict, "conflict"
		case apperr.Unauthenticated:
			status, code = http.StatusUnauthorized, "unauthenticated"
		default:
			h.flows.log.ErrorContext(r.Context(), "auth endpoint", "path", r.URL.Path, "err", err)
		}
	}
	httpx.WriteCodedProblem(w, r, status, code, apperr.Public(err))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// accepted is the one answer of every flow that must not reveal whether an
// account exists.
func accepted(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted", "message": message})
}

func (h *Handler) signUp(w http.ResponseWriter, r *http.Request, f form) {
	if err := h.flows.SignUp(r.Context(), SignUpInput{Email: f.Email, Password: f.Password, Name: f.Name}); err != nil {
		h.fail(w, r, err)
		return
	}
	accepted(w, "Check your inbox: we sent a link to finish signing up.")
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request, f form) {
	res, err := h.flows.SignIn(r.Context(), f.Email, f.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.signedInAs(w, r, res)
}

// signedInAs answers a first or second sign-in step: the session, or the
// pending sign-in and what completes it. extra fields join the session
// answer (the recovery codes of an enrollment at sign-in).
func (h *Handler) signedInAs(w http.ResponseWriter, r *http.Request, res *SignInResult, extra ...map[string]any) {
	slug := r.PathValue("slug")
	if res.Pending != nil {
		h.flows.SetPendingCookie(w, slug, res.Pending)
		writeJSON(w, http.StatusOK, pendingJSON(res.Pending))
		return
	}
	h.flows.sessions.SetCookie(w, slug, res.Session)
	if h.flows.PendingFromRequest(r, slug) != "" {
		h.flows.ClearPendingCookie(w, slug)
	}
	out := sessionJSON(res.Session.Session, res.User.ID, res.User.Email, res.User.Name, string(res.Role), res.Session.CSRF)
	for _, x := range extra {
		for k, v := range x {
			if _, taken := out[k]; !taken {
				out[k] = v
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// pendingJSON tells the sign-in page what the second step is.
func pendingJSON(p *Pending) map[string]any {
	status := "mfa_required"
	if p.Kind == PendingEnroll {
		status = "enrollment_required"
	}
	methods := p.Methods
	if methods == nil {
		methods = []string{}
	}
	return map[string]any{"status": status, "methods": methods, "amr": p.AMR, "email": p.User.Email}
}

// pending answers GET /auth/pending: the pending sign-in of this browser.
func (h *Handler) pending(w http.ResponseWriter, r *http.Request, _ form) {
	p, err := h.flows.PendingSignIn(r.Context(), h.flows.PendingFromRequest(r, r.PathValue("slug")))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pendingJSON(p))
}

// SignedInAs writes the answer of a sign-in step for the factor packages'
// endpoints: the session cookie and JSON, or the pending sign-in. extra
// fields join the session JSON (never replacing its own).
func (h *Handler) SignedInAs(w http.ResponseWriter, r *http.Request, res *SignInResult, extra ...map[string]any) {
	h.signedInAs(w, r, res, extra...)
}

// WriteJSON answers a factor package's endpoint the way every auth
// endpoint does (no caching).
func (h *Handler) WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// Fail writes err as problem JSON, the way every auth endpoint does.
func (h *Handler) Fail(w http.ResponseWriter, r *http.Request, err error) { h.fail(w, r, err) }

// Public wraps an endpoint of a factor package that needs no session: the
// workspace bound, cross-site posts refused. The body is left unread.
func (h *Handler) Public(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok := h.bind(w, r)
		if !ok {
			return
		}
		if r.Method != http.MethodGet && !h.sameOrigin(r) {
			httpx.WriteCodedProblem(w, r, http.StatusForbidden, "csrf", "cross-site request refused")
			return
		}
		fn(w, r)
	}
}

// SignedIn wraps an endpoint of a factor package that needs the session:
// the viewer in the context, the CSRF token and origin checked for
// anything but GET. The body is left unread.
func (h *Handler) SignedIn(fn func(w http.ResponseWriter, r *http.Request, s *ent.Session)) http.HandlerFunc {
	return h.signedInRaw(fn)
}

// StepUpRequired answers a sensitive operation on a session that is not
// recent enough: 403 with code step_up_required.
func (h *Handler) StepUpRequired(w http.ResponseWriter, r *http.Request) {
	httpx.WriteCodedProblem(w, r, http.StatusForbidden, "step_up_required", ErrStepUp.Message)
}

func (h *Handler) verifyEmail(w http.ResponseWriter, r *http.Request, f form) {
	if err := h.flows.VerifyEmail(r.Context(), f.Token); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "verified"})
}

func (h *Handler) resend(w http.ResponseWriter, r *http.Request, f form) {
	if err := h.flows.ResendVerification(r.Context(), f.Email); err != nil && apperr.KindOf(err) != apperr.Invalid {
		h.fail(w, r, err)
		return
	}
	accepted(w, "If that address has an unverified account, we sent it a new link.")
}

func (h *Handler) forgot(w http.ResponseWriter, r *http.Request, f form) {
	if err := h.flows.ForgotPassword(r.Context(), f.Email); err != nil && apperr.KindOf(err) != apperr.Invalid {
		h.fail(w, r, err)
		return
	}
	accepted(w, "If that address has an account, we sent it a link to reset the password.")
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request, f form) {
	pw := f.NewPassword
	if pw == "" {
		pw = f.Password
	}
	if err := h.flows.ResetPassword(r.Context(), f.Token, pw); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "password_reset"})
}

// current answers who is signed in, with the CSRF token for the page's
// changes (a cross-origin page cannot read this answer).
func (h *Handler) current(w http.ResponseWriter, r *http.Request, s *ent.Session, _ form) {
	v := viewer.FromContext(r.Context())
	u, err := h.flows.me(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	csrf := session.CSRFFor(h.flows.sessions.FromRequest(r, r.PathValue("slug")))
	writeJSON(w, http.StatusOK, sessionJSON(s, v.ID, u.Email, u.Name, string(v.Role), csrf))
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, s *ent.Session, _ form) {
	if err := h.flows.SignOut(r.Context(), s); err != nil {
		h.fail(w, r, err)
		return
	}
	h.flows.sessions.ClearCookie(w, r.PathValue("slug"))
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request, cur *ent.Session, _ form) {
	ss, err := h.flows.Sessions(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, map[string]any{
			"id": strconv.Itoa(s.ID), "current": s.ID == cur.ID, "createdAt": s.CreatedAt, "lastSeenAt": s.LastSeenAt,
			"expiresAt": s.ExpiresAt, "ip": s.IP, "userAgent": s.UserAgent, "amr": s.Amr, "authTime": s.AuthTime,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, cur *ent.Session, f form) {
	if f.Others {
		n, err := h.flows.RevokeOtherSessions(r.Context(), cur.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
		return
	}
	id, err := strconv.Atoi(f.SessionID)
	if err != nil {
		h.fail(w, r, apperr.InvalidField("id", "id must be a session id"))
		return
	}
	if err := h.flows.RevokeSession(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	if id == cur.ID {
		h.flows.sessions.ClearCookie(w, r.PathValue("slug"))
	}
	writeJSON(w, http.StatusOK, map[string]any{"revoked": 1})
}

func sessionJSON(s *ent.Session, userID int, email, name, role, csrf string) map[string]any {
	out := map[string]any{
		"user":    map[string]any{"id": strconv.Itoa(userID), "email": email, "name": name, "role": role},
		"session": map[string]any{"id": strconv.Itoa(s.ID), "amr": s.Amr, "authTime": s.AuthTime, "expiresAt": s.ExpiresAt},
	}
	if csrf != "" {
		out["csrfToken"] = csrf
	}
	return out
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, cur *ent.Session, f form) {
	st, err := h.flows.ChangePassword(r.Context(), cur, f.Password, f.NewPassword)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.flows.sessions.SetCookie(w, r.PathValue("slug"), st)
	writeJSON(w, http.StatusOK, map[string]string{"status": "password_changed", "csrfToken": st.CSRF})
}

// stepUpPassword re-authenticates the session with its password: the
// answer is the new session, its cookie replacing the old one.
func (h *Handler) stepUpPassword(w http.ResponseWriter, r *http.Request, cur *ent.Session, f form) {
	v := viewer.FromContext(r.Context())
	st, err := h.flows.StepUpPassword(r.Context(), cur, f.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.flows.me(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.signedInAs(w, r, &SignInResult{User: u, Role: membership.Role(v.Role), Session: st})
}

func (h *Handler) changeEmail(w http.ResponseWriter, r *http.Request, cur *ent.Session, f form) {
	if err := h.flows.ChangeEmail(r.Context(), cur, f.NewEmail, f.Password); err != nil {
		h.fail(w, r, err)
		return
	}
	accepted(w, "We sent a link to the new address: your address changes when you follow it.")
}

func (h *Handler) confirmEmail(w http.ResponseWriter, r *http.Request, f form) {
	if err := h.flows.ConfirmEmail(r.Context(), f.Token); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "email_changed"})
}

// acceptInvitation joins and, with the password just chosen, signs in: the
// answer is the sign-in's, cookie included.
func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request, f form) {
	email, err := h.flows.AcceptInvitation(r.Context(), f.Token, f.Password, f.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.flows.SignIn(r.Context(), email, f.Password)
	if err != nil {
		// Joined, but not signed in (e.g. the client is locked out): the
		// sign-in page takes it from here.
		writeJSON(w, http.StatusOK, map[string]string{"status": "joined"})
		return
	}
	h.signedInAs(w, r, res)
}

func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request, s *ent.Session, f form) {
	if err := h.flows.DeleteAccount(r.Context(), s, f.Password); err != nil {
		h.fail(w, r, err)
		return
	}
	h.flows.sessions.ClearCookie(w, r.PathValue("slug"))
	w.WriteHeader(http.StatusNoContent)
}
