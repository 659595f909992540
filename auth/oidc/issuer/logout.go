package issuer

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/session"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/tenants/viewer"
)

const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// endSession is OpenID Connect RP-Initiated Logout 1.0. A request with a
// valid id_token_hint for the signed-in session logs out at once;
// otherwise the user confirms on a page (a bare link must not sign anyone
// out). post_logout_redirect_uri must be registered by the client the
// request names, exactly.
func (i *Issuer) endSession(w http.ResponseWriter, r *http.Request) {
	p, ctx, ok := i.bind(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		logoutPage(w, http.StatusBadRequest, p, "The request could not be parsed.", nil)
		return
	}
	f := r.Form
	clientID := f.Get("client_id")
	var hint map[string]any
	if h := f.Get("id_token_hint"); h != "" {
		claims, err := i.signer.verify(ctx, h)
		if err != nil || claims["iss"] != p.issuer || !idTokenType(h) {
			logoutPage(w, http.StatusBadRequest, p, "The id_token_hint was not issued by this workspace.", nil)
			return
		}
		hint = claims
		aud := audiences(claims["aud"])
		if clientID == "" && len(aud) > 0 {
			clientID = aud[0]
		} else if clientID != "" && !slices.Contains(aud, clientID) {
			logoutPage(w, http.StatusBadRequest, p, "client_id does not match the id_token_hint.", nil)
			return
		}
	}
	redirect := f.Get("post_logout_redirect_uri")
	if redirect != "" {
		if clientID == "" {
			logoutPage(w, http.StatusBadRequest, p, "post_logout_redirect_uri needs client_id or id_token_hint.", nil)
			return
		}
		fc, err := i.store.GetClient(ctx, clientID)
		if err != nil || !slices.Contains(fc.(*Client).PostLogoutRedirectURIs, redirect) {
			logoutPage(w, http.StatusBadRequest, p, "post_logout_redirect_uri is not registered for this client.", nil)
			return
		}
		if st := f.Get("state"); st != "" {
			u, _ := url.Parse(redirect)
			q := u.Query()
			q.Set("state", st)
			u.RawQuery = q.Encode()
			redirect = u.String()
		}
	}
	done := func() {
		if redirect != "" {
			http.Redirect(w, r, redirect, http.StatusSeeOther)
			return
		}
		logoutPage(w, http.StatusOK, p, "You are signed out.", nil)
	}
	s, v, tok, err := i.cfg.Flows.SessionFromRequest(ctx, r, p.slug)
	if err != nil {
		done()
		return
	}
	confirmed := hint != nil && hint["sid"] == p.sid(s.ID)
	if r.Method == http.MethodPost && f.Get("confirm") == "yes" {
		if !i.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(f.Get(paramCSRF)), []byte(session.CSRFFor(tok))) != 1 {
			logoutPage(w, http.StatusForbidden, p, "This form did not come from this page.", nil)
			return
		}
		confirmed = true
	}
	if !confirmed {
		fields := url.Values{paramCSRF: {session.CSRFFor(tok)}, "confirm": {"yes"}}
		for _, k := range []string{"client_id", "post_logout_redirect_uri", "state"} {
			if f.Get(k) != "" {
				fields.Set(k, f.Get(k))
			}
		}
		if clientID != "" {
			fields.Set("client_id", clientID)
		}
		logoutPage(w, http.StatusOK, p, "", fields, originOf(f.Get("post_logout_redirect_uri")))
		return
	}
	if err := i.logout(viewer.NewContext(ctx, v), p, s); err != nil {
		i.cfg.Log.ErrorContext(ctx, "logout", "err", err)
		logoutPage(w, http.StatusInternalServerError, p, "Signing out failed. Try again.", nil)
		return
	}
	i.cfg.Flows.ClearSessionCookie(w, p.slug)
	done()
}

func audiences(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// logout ends the browser session, revokes the tokens issued through it,
// and tells every client that registered a back-channel logout URI.
func (i *Issuer) logout(ctx context.Context, p *provider, s *ent.Session) error {
	sid := p.sid(s.ID)
	sys := viewer.AsSystem(ctx, "logout")
	clientIDs, err := i.cfg.Client.OAuthToken.Query().Where(oauthtoken.Sid(sid)).
		Unique(true).Select(oauthtoken.FieldClientID).Strings(sys)
	if err != nil {
		return err
	}
	if err := i.cfg.Flows.SignOut(ctx, s); err != nil {
		return err
	}
	err = i.store.inTx(ctx, func(tx *ent.Tx) error {
		if _, err := clients.EndTokens(sys, tx, oauthtoken.Sid(sid)); err != nil {
			return err
		}
		_, err := i.cfg.Audit.Record(ctx, tx, auditEvent("oauth.logout", "session", sid, "",
			map[string]string{"clients": strings.Join(clientIDs, " ")}))
		return err
	})
	if err != nil {
		return err
	}
	i.backchannel(ctx, p, s, sid, clientIDs)
	return nil
}

// backchannel POSTs a signed logout_token to each client's
// backchannel_logout_uri (OpenID Connect Back-Channel Logout 1.0), in
// parallel, each bounded by the HTTP client's timeout.
func (i *Issuer) backchannel(ctx context.Context, p *provider, s *ent.Session, sid string, clientIDs []string) {
	var wg sync.WaitGroup
	for _, id := range clientIDs {
		fc, err := i.store.GetClient(ctx, id)
		if err != nil {
			continue
		}
		c := fc.(*Client)
		if c.BackchannelLogoutURI == "" {
			continue
		}
		now := i.cfg.Now()
		tok, err := i.signer.sign(ctx, c.SigningAlg, "logout+jwt", map[string]any{
			"iss": p.issuer, "aud": c.ID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
			"jti": randomID(), "sub": subject(s.UserID), "sid": sid,
			"events": map[string]any{backchannelEvent: map[string]any{}},
		})
		if err != nil {
			i.cfg.Log.WarnContext(ctx, "logout token", "client_id", c.ID, "err", err)
			continue
		}
		wg.Add(1)
		go func(uri string) {
			defer wg.Done()
			resp, err := i.cfg.HTTPClient.PostForm(uri, url.Values{"logout_token": {tok}})
			if err != nil {
				i.cfg.Log.WarnContext(ctx, "back-channel logout", "client_id", c.ID, "err", err)
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
				i.cfg.Log.WarnContext(ctx, "back-channel logout", "client_id", c.ID, "status", resp.StatusCode)
			}
		}(c.BackchannelLogoutURI)
	}
	wg.Wait()
}

func logoutPage(w http.ResponseWriter, status int, p *provider, message string, confirm url.Values, formTarget ...string) {
	renderPage(w, status, "logout", strings.Join(formTarget, " "), map[string]any{"Title": "Sign out", "Workspace": p.slug, "Message": message,
		"Confirm": confirm, "Action": "/t/" + p.slug + "/oauth2/logout"})
}
