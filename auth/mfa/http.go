package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/membership"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Handler serves the authenticator app and recovery codes over HTTP, on
// the sign-in edge's wrappers (workspace binding, origin and CSRF checks,
// the answers of sign-in steps).
type Handler struct {
	svc  *Service
	auth *signin.Handler
}

// NewHandler returns the HTTP edge of s.
func NewHandler(s *Service, auth *signin.Handler) *Handler {
	return &Handler{svc: s, auth: auth}
}

// Mount adds the routes to mux:
//
//	GET  /t/{slug}/auth/mfa                        the signed-in person's factors
//	POST /t/{slug}/auth/mfa/totp/begin             set up an app (session)
//	POST /t/{slug}/auth/mfa/totp/confirm {code}    activate it → recovery codes
//	POST /t/{slug}/auth/mfa/totp/disable           remove it (recent session)
//	POST /t/{slug}/auth/mfa/recovery/regenerate    a new set of codes (recent session)
//	POST /t/{slug}/auth/mfa/enroll/totp/begin      set up an app during a sign-in that requires one
//	POST /t/{slug}/auth/mfa/enroll/totp/confirm {code}  activate it and finish signing in
//	POST /t/{slug}/auth/mfa/totp {code}            second step of a sign-in
//	POST /t/{slug}/auth/mfa/recovery {code}        second step with a recovery code
//	POST /t/{slug}/auth/step-up/totp {code}        re-authenticate the session
func (h *Handler) Mount(mux *http.ServeMux) {
	p := "/t/{slug}/auth/"
	mux.HandleFunc("GET "+p+"mfa", h.auth.SignedIn(h.status))
	mux.HandleFunc("POST "+p+"mfa/totp/begin", h.auth.SignedIn(h.begin))
	mux.HandleFunc("POST "+p+"mfa/totp/confirm", h.auth.SignedIn(h.confirm))
	mux.HandleFunc("POST "+p+"mfa/totp/disable", h.auth.SignedIn(h.disable))
	mux.HandleFunc("POST "+p+"mfa/recovery/regenerate", h.auth.SignedIn(h.regenerate))
	mux.HandleFunc("POST "+p+"mfa/enroll/totp/begin", h.auth.Public(h.enrollBegin))
	mux.HandleFunc("POST "+p+"mfa/enroll/totp/confirm", h.auth.Public(h.enrollConfirm))
	mux.HandleFunc("POST "+p+"mfa/totp", h.auth.Public(h.signInTOTP))
	mux.HandleFunc("POST "+p+"mfa/recovery", h.auth.Public(h.signInRecovery))
	mux.HandleFunc("POST "+p+"step-up/totp", h.auth.SignedIn(h.stepUp))
}

// codeForm is the one body these endpoints read.
type codeForm struct {
	Code string `json:"code"`
}

// maxBody bounds a body: a code is a few characters.
const maxBody = 4 << 10

var errBadBody = apperr.New(apperr.Invalid, `send a JSON object such as {"code":"123456"} or a form`)

// decodeCode parses {"code": …} from JSON or a form; an empty body is an
// empty code.
func decodeCode(r *http.Request) (string, error) {
	if r.Body == nil {
		return "", nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return "", errBadBody
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return "", errBadBody
		}
		return vals.Get("code"), nil
	case "application/json", "":
		if strings.TrimSpace(string(body)) == "" {
			return "", nil
		}
		var f codeForm
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil || dec.More() {
			return "", errBadBody
		}
		return f.Code, nil
	}
	return "", apperr.New(apperr.Invalid, "unsupported content type: send application/json or a form")
}

// fail answers a wrong code as 401 invalid_code, anything else as every
// auth endpoint does (step_up_required, rate_limited, no_pending_signin…).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrWrongCode) {
		httpx.WriteCodedProblem(w, r, http.StatusUnauthorized, "invalid_code", ErrWrongCode.Message)
		return
	}
	h.auth.Fail(w, r, err)
}

func statusJSON(st *Status) map[string]any {
	return map[string]any{
		"totp":                   map[string]any{"enabled": st.TOTPEnabled, "confirmedAt": st.TOTPConfirmedAt},
		"recoveryCodesRemaining": st.RecoveryCodesRemaining,
		"recentlyAuthenticated":  st.Recent,
		"stepUpMinutes":          int(st.StepUpWindow.Minutes()),
		"mfaRequired":            st.MFARequired,
		"hasPassword":            st.HasPassword,
		"session":                map[string]any{"amr": st.Session.Amr, "authTime": st.Session.AuthTime},
	}
}

func enrollmentJSON(e *Enrollment) map[string]any {
	return map[string]any{"otpauthURI": e.URI, "qrCodePNG": e.QRCodePNG, "secret": e.Secret}
}

func codesJSON(codes []string) map[string]any {
	if codes == nil {
		codes = []string{}
	}
	return map[string]any{"recoveryCodes": codes}
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request, _ *ent.Session) {
	st, err := h.svc.Status(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.WriteJSON(w, http.StatusOK, statusJSON(st))
}

func (h *Handler) begin(w http.ResponseWriter, r *http.Request, _ *ent.Session) {
	e, err := h.svc.BeginTOTP(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.WriteJSON(w, http.StatusOK, enrollmentJSON(e))
}

func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, _ *ent.Session) {
	code, err := decodeCode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	codes, err := h.svc.ConfirmTOTP(r.Context(), code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.WriteJSON(w, http.StatusOK, codesJSON(codes))
}

func (h *Handler) disable(w http.ResponseWriter, r *http.Request, _ *ent.Session) {
	if err := h.svc.DisableTOTP(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) regenerate(w http.ResponseWriter, r *http.Request, _ *ent.Session) {
	codes, err := h.svc.RegenerateRecoveryCodes(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.WriteJSON(w, http.StatusOK, codesJSON(codes))
}

// pendingToken is this browser's pending sign-in cookie.
func (h *Handler) pendingToken(r *http.Request) string {
	return h.svc.flows.PendingFromRequest(r, r.PathValue("slug"))
}

func (h *Handler) enrollBegin(w http.ResponseWriter, r *http.Request) {
	ctx, _, err := h.svc.ForEnrollment(r.Context(), h.pendingToken(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.svc.BeginTOTP(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.WriteJSON(w, http.StatusOK, enrollmentJSON(e))
}

// enrollConfirm activates the app and answers the new session with the
// recovery codes, shown this once.
func (h *Handler) enrollConfirm(w http.ResponseWriter, r *http.Request) {
	code, err := decodeCode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, codes, err := h.svc.ConfirmEnrollment(r.Context(), h.pendingToken(r), code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.SignedInAs(w, r, res, codesJSON(codes))
}

func (h *Handler) signInTOTP(w http.ResponseWriter, r *http.Request) {
	h.secondStep(w, r, h.svc.CompleteWithTOTP)
}

func (h *Handler) signInRecovery(w http.ResponseWriter, r *http.Request) {
	h.secondStep(w, r, h.svc.CompleteWithRecoveryCode)
}

func (h *Handler) secondStep(w http.ResponseWriter, r *http.Request, complete func(ctx context.Context, token, code string) (*signin.SignInResult, error)) {
	code, err := decodeCode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := complete(r.Context(), h.pendingToken(r), code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.SignedInAs(w, r, res)
}

// stepUp re-authenticates the session with a code: the answer is the new
// session, its cookie replacing the old one.
func (h *Handler) stepUp(w http.ResponseWriter, r *http.Request, cur *ent.Session) {
	code, err := decodeCode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.svc.StepUpTOTP(r.Context(), cur, code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := viewer.FromContext(r.Context())
	u, err := h.svc.client.User.Get(r.Context(), v.ID)
	if err != nil {
		h.fail(w, r, apperr.Wrap(err, "user"))
		return
	}
	h.auth.SignedInAs(w, r, &signin.SignInResult{User: u, Role: membership.Role(v.Role), Session: st})
}
