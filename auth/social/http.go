package social

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Messages are the texts the hosted pages show for each error code a
// federated sign-in can land on (also served with the provider list).
var Messages = map[string]string{
	CodeAccessDenied:        "The sign-in was cancelled at the provider.",
	CodeProviderError:       "The provider could not sign you in. Try again.",
	CodeProviderUnavailable: "The provider cannot be reached right now. Try again later.",
	CodeInvalidState:        "This sign-in expired, was already used, or was started in another browser. Start again.",
	CodeUnknownProvider:     "This sign-in provider is not available.",
	CodeInvalidToken:        "The provider's answer could not be verified, so you were not signed in.",
	CodeNoEmail:             "The provider did not share an email address, which a new account needs.",
	CodeRateLimited:         "Too many sign-ins were started from your network: wait a few minutes and try again.",
	CodeUnverifiedEmail:     "The provider has not verified your email address, which a new account needs: verify it there, or ask to be invited.",
	CodeLinkRequired:        "An account with this email address already exists. Sign in to it, then link the provider from your account page.",
	CodeNoAccount:           "No account is linked to this identity. Sign in another way, then link the provider from your account page.",
	CodeAccountDisabled:     "This account is disabled. Ask an admin of the workspace.",
	CodeLinkedElsewhere:     "This identity is already linked to another account.",
	CodeAlreadyLinked:       "Your account is already linked to another identity at this provider. Unlink it first.",
	CodeInternal:            "Something went wrong. Try again.",
}

// Handler serves /t/{slug}/auth/social/….
type Handler struct {
	svc *Service
}

// NewHandler returns the HTTP edge of s.
func NewHandler(s *Service) *Handler { return &Handler{svc: s} }

// Mount adds the routes to mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	p := "/t/{slug}/auth/social/"
	mux.HandleFunc("GET "+p+"providers", h.providers)
	mux.HandleFunc("GET "+p+"{provider}/start", h.start)
	mux.HandleFunc("GET "+p+"{provider}/callback", h.callback)
	mux.HandleFunc("GET "+p+"{provider}/link", h.link)
	mux.HandleFunc("GET "+p+"{provider}/connect", h.connect)
	mux.HandleFunc("POST "+p+"{provider}/connect", h.connect)
}

// bind resolves the workspace in the path and binds the context to it.
func (h *Handler) bind(w http.ResponseWriter, r *http.Request) (*http.Request, *ent.Tenant, bool) {
	tid, err := h.svc.tenants.TenantIDBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		httpx.WriteCodedProblem(w, r, http.StatusNotFound, "not_found", "workspace not found")
		return r, nil, false
	}
	ctx := viewer.ForTenant(r.Context(), tid)
	t, err := h.svc.client.Tenant.Get(ctx, tid)
	if err != nil {
		httpx.WriteCodedProblem(w, r, http.StatusNotFound, "not_found", "workspace not found")
		return r, nil, false
	}
	return r.WithContext(ctx), t, true
}

// providers answers GET /auth/social/providers: the enabled providers'
// buttons for the sign-in page (no session needed), and the texts for the
// error codes a sign-in can come back with.
func (h *Handler) providers(w http.ResponseWriter, r *http.Request) {
	r, _, ok := h.bind(w, r)
	if !ok {
		return
	}
	ps, err := h.svc.EnabledProviders(r.Context())
	if err != nil {
		h.svc.log.ErrorContext(r.Context(), "list providers", "err", err)
		httpx.WriteCodedProblem(w, r, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"providers": ps, "errors": Messages})
}

// cookieName names the cookie binding a dance to the browser.
func (h *Handler) cookieName(slug string) string {
	return h.svc.flows.SessionManager().CookieName(slug) + "_social"
}

func (h *Handler) setBinding(w http.ResponseWriter, slug, value string) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(slug), Value: value, Path: "/", MaxAge: int(challengeTTL.Seconds()),
		HttpOnly: true, Secure: h.svc.flows.SessionManager().Secure, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearBinding(w http.ResponseWriter, slug string) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(slug), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.svc.flows.SessionManager().Secure, SameSite: http.SameSiteLaxMode})
}

// safeReturn accepts only a path on this server (no scheme, host or
// protocol-relative trick); anything else is "".
func safeReturn(raw string) string {
	if raw == "" || len(raw) > 2000 || raw[0] != '/' || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\x00\r\n\t") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return raw
}

func pagePath(slug, page string) string { return "/t/" + url.PathEscape(slug) + "/" + page }

// fail lands the browser on page (signin or account) with the error's
// code, logging what the person is not shown.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, page string, err error) {
	code := Code(err)
	cause := err
	if c := errors.Unwrap(err); c != nil {
		cause = c
	}
	switch {
	case code == CodeInternal:
		h.svc.log.ErrorContext(r.Context(), "social sign-in", "provider", r.PathValue("provider"), "err", cause)
	case code != CodeAccessDenied:
		h.svc.log.WarnContext(r.Context(), "social sign-in refused", "provider", r.PathValue("provider"), "error_code", code, "err", cause)
	}
	q := url.Values{"error": {code}}
	if p := r.PathValue("provider"); p != "" && len(p) <= 40 {
		q.Set("provider", p)
	}
	http.Redirect(w, r, pagePath(r.PathValue("slug"), page)+"?"+q.Encode(), http.StatusSeeOther)
}

// start answers GET /auth/social/{provider}/start?return_to=…: the
// browser goes to the provider.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	r, _, ok := h.bind(w, r)
	if !ok {
		return
	}
	slug := r.PathValue("slug")
	if err := h.svc.flows.CountCeremony(r.Context()); err != nil {
		h.fail(w, r, "signin", err)
		return
	}
	st, err := h.svc.begin(r.Context(), slug, r.PathValue("provider"), modeLogin, safeReturn(r.URL.Query().Get("return_to")), 0, 0, nil)
	if err != nil {
		h.fail(w, r, "signin", err)
		return
	}
	h.setBinding(w, slug, st.Binding)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.RedirectURL, http.StatusSeeOther)
}

// link answers GET /auth/social/{provider}/link?return_to=…: a signed-in
// person who authenticated recently goes to the provider to link it.
func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	r, _, ok := h.bind(w, r)
	if !ok {
		return
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		httpx.WriteCodedProblem(w, r, http.StatusForbidden, "csrf", "cross-site request refused")
		return
	}
	slug := r.PathValue("slug")
	ctx := r.Context()
	s, v, ok := h.signedIn(w, r, slug, "account")
	if !ok {
		return
	}
	here := requestPath(r)
	ctx = viewer.NewContext(ctx, v)
	if err := h.svc.flows.RequireRecent(ctx, s, false); err != nil {
		if errors.Is(err, signin.ErrStepUp) {
			http.Redirect(w, r, pagePath(slug, "signin")+"?"+url.Values{"step_up": {"login"}, "return_to": {here}}.Encode(), http.StatusSeeOther)
			return
		}
		h.fail(w, r, "account", err)
		return
	}
	rt := safeReturn(r.URL.Query().Get("return_to"))
	st, err := h.svc.begin(ctx, slug, r.PathValue("provider"), modeLink, rt, v.ID, s.ID, nil)
	if err != nil {
		h.fail(w, r, "account", err)
		return
	}
	h.setBinding(w, slug, st.Binding)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.RedirectURL, http.StatusSeeOther)
}

// callback answers GET /auth/social/{provider}/callback: the provider
// sends the browser back with a code (or an error).
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	r, t, ok := h.bind(w, r)
	if !ok {
		return
	}
	slug := r.PathValue("slug")
	ctx := r.Context()
	q := r.URL.Query()
	cookie := ""
	if c, err := r.Cookie(h.cookieName(slug)); err == nil {
		cookie = c.Value
	}
	h.clearBinding(w, slug)
	w.Header().Set("Cache-Control", "no-store")
	cb, err := h.svc.finish(ctx, slug, r.PathValue("provider"), q.Get("state"), cookie, q.Get("code"), q.Get("error"))
	page := "signin"
	if cb != nil && cb.data.Mode == modeLink {
		page = "account"
	}
	if cb != nil && cb.data.Mode == modeConnect {
		page = "security"
	}
	if err != nil {
		h.fail(w, r, page, err)
		return
	}
	if cb.data.Mode == modeLink {
		h.finishLink(w, r, cb)
		return
	}
	if cb.data.Mode == modeConnect {
		h.finishConnect(w, r, cb)
		return
	}
	u, err := h.svc.resolve(ctx, t, cb.provider, cb.identity)
	if err != nil {
		h.fail(w, r, page, err)
		return
	}
	res, err := h.svc.flows.FirstFactor(ctx, u, []string{"fed"}, "federated:"+cb.provider.Slug)
	if err != nil {
		if errors.Is(err, signin.ErrInvalidCredentials) {
			err = &loginError{code: CodeAccountDisabled, msg: "this account is disabled", cause: err}
		}
		h.fail(w, r, page, err)
		return
	}
	if res.Pending != nil {
		// The second step happens on the sign-in page, as after a password.
		h.svc.flows.SetPendingCookie(w, slug, res.Pending)
		step := "mfa"
		if res.Pending.Kind == signin.PendingEnroll {
			step = "enroll"
		}
		next := url.Values{"step": {step}}
		if cb.data.ReturnTo != "" {
			next.Set("return_to", cb.data.ReturnTo)
		}
		http.Redirect(w, r, pagePath(slug, "signin")+"?"+next.Encode(), http.StatusSeeOther)
		return
	}
	h.svc.flows.SessionManager().SetCookie(w, slug, res.Session)
	if h.svc.flows.PendingFromRequest(r, slug) != "" {
		h.svc.flows.ClearPendingCookie(w, slug)
	}
	dest := cb.data.ReturnTo
	if dest == "" {
		dest = pagePath(slug, "account")
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// finishLink links the identity to the account whose session started the
// dance, if that session is still this browser's.
func (h *Handler) finishLink(w http.ResponseWriter, r *http.Request, cb *callback) {
	slug := r.PathValue("slug")
	s, v, _, err := h.svc.flows.SessionFromRequest(r.Context(), r, slug)
	if err != nil || s.ID != cb.challenge.SessionID || v.ID != cb.challenge.UserID {
		h.fail(w, r, "account", errInvalidState)
		return
	}
	if _, err := h.svc.link(viewer.NewContext(r.Context(), v), cb.provider, cb.identity); err != nil {
		h.fail(w, r, "account", err)
		return
	}
	dest := cb.data.ReturnTo
	if dest == "" {
		dest = pagePath(slug, "account") + "?" + url.Values{"linked": {cb.provider.Slug}}.Encode()
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// requestPath is the request's path and query, to come back to.
func requestPath(r *http.Request) string {
	if r.URL.RawQuery != "" {
		return r.URL.Path + "?" + r.URL.RawQuery
	}
	return r.URL.Path
}

// signedIn returns the session a link or connect request comes with; with
// none it sends the browser to sign in and back (a failure lands on page).
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, slug, page string) (*ent.Session, viewer.Viewer, bool) {
	s, v, _, err := h.svc.flows.SessionFromRequest(r.Context(), r, slug)
	if err != nil {
		if !errors.Is(err, session.ErrNoSession) {
			h.fail(w, r, page, err)
			return nil, viewer.Viewer{}, false
		}
		http.Redirect(w, r, pagePath(slug, "signin")+"?"+url.Values{"return_to": {requestPath(r)}}.Encode(), http.StatusSeeOther)
		return nil, viewer.Viewer{}, false
	}
	return s, v, true
}
