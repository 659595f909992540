package passkey

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/httpx"
)

// Handler serves /t/{slug}/auth/passkeys/…. Each ceremony is a begin, which
// answers the options for navigator.credentials.create or .get (the
// PublicKeyCredentialCreationOptions or RequestOptions JSON, under
// "publicKey") and sets an HttpOnly cookie naming the ceremony, and a
// finish, whose body is the credential exactly as the browser returned it
// (PublicKeyCredential.toJSON(), or @simplewebauthn/browser's result).
type Handler struct {
	s    *Service
	auth *signin.Handler
}

// NewHandler returns the HTTP edge of s; auth is the sign-in handler whose
// wrappers (workspace, origin, session and CSRF checks) and answers it
// shares.
func NewHandler(s *Service, auth *signin.Handler) *Handler {
	return &Handler{s: s, auth: auth}
}

// Mount adds the routes to mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	p := "/t/{slug}/auth/passkeys/"
	mux.HandleFunc("POST "+p+"register/begin", h.auth.Public(h.registerBegin))
	mux.HandleFunc("POST "+p+"register/finish", h.auth.Public(h.registerFinish))
	mux.HandleFunc("POST "+p+"login/begin", h.auth.Public(h.loginBegin))
	mux.HandleFunc("POST "+p+"login/finish", h.auth.Public(h.loginFinish))
	mux.HandleFunc("POST "+p+"second-factor/begin", h.auth.Public(h.secondFactorBegin))
	mux.HandleFunc("POST "+p+"second-factor/finish", h.auth.Public(h.secondFactorFinish))
	mux.HandleFunc("POST "+p+"step-up/begin", h.auth.SignedIn(h.stepUpBegin))
	mux.HandleFunc("POST "+p+"step-up/finish", h.auth.SignedIn(h.stepUpFinish))
	mux.HandleFunc("POST "+p+"invitation/begin", h.auth.Public(h.invitationBegin))
	mux.HandleFunc("POST "+p+"invitation/finish", h.auth.Public(h.invitationFinish))
	mux.HandleFunc("GET /t/{slug}/auth/passkeys", h.auth.SignedIn(h.list))
	mux.HandleFunc("POST "+p+"rename", h.auth.SignedIn(h.rename))
	mux.HandleFunc("POST "+p+"remove", h.auth.SignedIn(h.remove))
}

// cookieName names the cookie of a ceremony kind in workspace slug.
func (h *Handler) cookieName(slug, kind string) string {
	return h.s.flows.SessionManager().CookieName(slug) + "_" + strings.TrimPrefix(kind, "webauthn_")
}

func (h *Handler) setCeremony(w http.ResponseWriter, r *http.Request, c *Ceremony) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(r.PathValue("slug"), c.Kind), Value: c.Token, Path: "/",
		MaxAge: int(CeremonyTTL.Seconds()), HttpOnly: true, Secure: h.s.flows.SessionManager().Secure, SameSite: http.SameSiteStrictMode})
	h.auth.WriteJSON(w, http.StatusOK, c.Options)
}

// ceremony returns the ceremony cookie of kind and clears it: a finish
// spends the ceremony whatever its outcome.
func (h *Handler) ceremony(w http.ResponseWriter, r *http.Request, kind string) string {
	name := h.cookieName(r.PathValue("slug"), kind)
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: h.s.flows.SessionManager().Secure, SameSite: http.SameSiteStrictMode})
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// fail maps this package's errors to problem JSON with a stable code, and
// the rest as every sign-in endpoint does.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNoCeremony):
		httpx.WriteCodedProblem(w, r, http.StatusBadRequest, "passkey_ceremony_expired", ErrNoCeremony.Message)
	case errors.Is(err, ErrRejected):
		httpx.WriteCodedProblem(w, r, http.StatusBadRequest, "passkey_rejected", ErrRejected.Message)
	case errors.Is(err, ErrLastMethod):
		httpx.WriteCodedProblem(w, r, http.StatusConflict, "last_signin_method", ErrLastMethod.Message)
	case errors.Is(err, ErrAlreadyRegistered):
		httpx.WriteCodedProblem(w, r, http.StatusConflict, "passkey_already_registered", ErrAlreadyRegistered.Message)
	case errors.Is(err, errNoPasskey):
		httpx.WriteCodedProblem(w, r, http.StatusBadRequest, "no_passkey", errNoPasskey.Message)
	default:
		h.auth.Fail(w, r, err)
	}
}

// maxBody bounds a finish body (the signin wrappers bound it further).
const maxBody = 64 << 10

// readBody reads a finish body: the credential JSON.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(b) > maxBody {
		return nil, apperr.New(apperr.Invalid, "the request body is too large or unreadable")
	}
	return b, nil
}

// input is what a begin, rename or remove reads.
type input struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Token       string `json:"token"`
	PasskeyName string `json:"passkeyName"`
}

// decode parses a small JSON body (an empty one is all defaults).
func decode(r *http.Request) (input, error) {
	var in input
	b, err := readBody(r)
	if err != nil {
		return in, err
	}
	if strings.TrimSpace(string(b)) == "" {
		return in, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.More() {
		return input{}, apperr.New(apperr.Invalid, "send a JSON object with the expected fields")
	}
	return in, nil
}

// enrolling returns the pending sign-in cookie when it names a live
// "enroll" sign-in: registration then serves the enrollment instead of a
// signed-in person.
func (h *Handler) enrolling(r *http.Request) string {
	tok := h.s.flows.PendingFromRequest(r, r.PathValue("slug"))
	if tok == "" {
		return ""
	}
	if _, err := h.s.enrolling(r.Context(), tok); err != nil {
		return ""
	}
	return tok
}

func (h *Handler) registerBegin(w http.ResponseWriter, r *http.Request) {
	if pending := h.enrolling(r); pending != "" {
		in, err := decode(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		c, err := h.s.BeginEnrollment(r.Context(), pending, in.Name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.setCeremony(w, r, c)
		return
	}
	h.auth.SignedIn(func(w http.ResponseWriter, r *http.Request, cur *ent.Session) {
		in, err := decode(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		c, err := h.s.BeginRegistration(r.Context(), cur, in.Name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.setCeremony(w, r, c)
	})(w, r)
}

func (h *Handler) registerFinish(w http.ResponseWriter, r *http.Request) {
	if pending := h.enrolling(r); pending != "" {
		body, err := readBody(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		res, err := h.s.FinishEnrollment(r.Context(), pending, h.ceremony(w, r, KindRegister), body)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.auth.SignedInAs(w, r, res)
		return
	}
	h.auth.SignedIn(func(w http.ResponseWriter, r *http.Request, cur *ent.Session) {
		body, err := readBody(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		k, err := h.s.FinishRegistration(r.Context(), cur, h.ceremony(w, r, KindRegister), body)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.auth.WriteJSON(w, http.StatusCreated, map[string]any{"passkey": passkeyJSON(k)})
	})(w, r)
}

func (h *Handler) loginBegin(w http.ResponseWriter, r *http.Request) {
	if err := h.s.flows.CountCeremony(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.s.BeginLogin(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setCeremony(w, r, c)
}

func (h *Handler) loginFinish(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.s.FinishLogin(r.Context(), h.ceremony(w, r, KindLogin), body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.SignedInAs(w, r, res)
}

func (h *Handler) secondFactorBegin(w http.ResponseWriter, r *http.Request) {
	c, err := h.s.BeginSecondFactor(r.Context(), h.s.flows.PendingFromRequest(r, r.PathValue("slug")))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setCeremony(w, r, c)
}

func (h *Handler) secondFactorFinish(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.s.FinishSecondFactor(r.Context(), h.s.flows.PendingFromRequest(r, r.PathValue("slug")), h.ceremony(w, r, KindSecondFactor), body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.SignedInAs(w, r, res)
}

func (h *Handler) stepUpBegin(w http.ResponseWriter, r *http.Request, cur *ent.Session) {
	c, err := h.s.BeginStepUp(r.Context(), cur)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setCeremony(w, r, c)
}

func (h *Handler) stepUpFinish(w http.ResponseWriter, r *http.Request, cur *ent.Session) {
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.s.FinishStepUp(r.Context(), cur, h.ceremony(w, r, KindStepUp), body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.s.signedIn(r.Context(), st)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The new session replaces the old: its cookie, CSRF token and amr.
	h.auth.SignedInAs(w, r, res)
}

func (h *Handler) invitationBegin(w http.ResponseWriter, r *http.Request) {
	in, err := decode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.s.BeginInvitation(r.Context(), in.Token, in.Name, in.PasskeyName)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setCeremony(w, r, c)
}

func (h *Handler) invitationFinish(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.s.FinishInvitation(r.Context(), h.ceremony(w, r, KindInvitation), body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.SignedInAs(w, r, res)
}

// passkeyJSON is what a person sees of a passkey: never its key.
func passkeyJSON(k *ent.Passkey) map[string]any {
	transports := k.Transports
	if transports == nil {
		transports = []string{}
	}
	return map[string]any{
		"id": strconv.Itoa(k.ID), "name": k.Name, "createdAt": k.CreatedAt, "lastUsedAt": k.LastUsedAt,
		"attachment": k.Attachment, "backupEligible": k.BackupEligible, "backupState": k.BackupState,
		"transports": transports, "cloneWarning": k.CloneWarning,
	}
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, _ *ent.Session) {
	ks, err := h.s.List(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(ks))
	for _, k := range ks {
		out = append(out, passkeyJSON(k))
	}
	h.auth.WriteJSON(w, http.StatusOK, map[string]any{"passkeys": out})
}

// passkeyID parses a passkey id as a not-found when it is not one.
func passkeyID(s string) (int, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

func (h *Handler) rename(w http.ResponseWriter, r *http.Request, _ *ent.Session) {
	in, err := decode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := passkeyID(in.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	k, err := h.s.Rename(r.Context(), id, in.Name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.auth.WriteJSON(w, http.StatusOK, map[string]any{"passkey": passkeyJSON(k)})
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request, cur *ent.Session) {
	in, err := decode(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := passkeyID(in.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.s.Remove(r.Context(), cur, id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
