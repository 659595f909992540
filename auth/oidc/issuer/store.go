package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Store keeps fosite's state in the database through ent. Every query runs
// as the workspace the request is bound to, so one workspace's codes and
// tokens are never found through another's endpoints. Inside a fosite
// transaction (code to token, refresh rotation) every call uses that
// transaction.
type Store struct {
	client  *ent.Client
	clients *clientCache
	audit   *audit.Recorder
	now     func() time.Time
	// valid says whether the authority behind a session still stands (its
	// grant, its agents, its person): a code or refresh token whose
	// authority is gone is not found.
	valid func(ctx context.Context, sess *Session, scopes ...string) bool
}

type txKey struct{}

func txFrom(ctx context.Context) *ent.Tx {
	tx, _ := ctx.Value(txKey{}).(*ent.Tx)
	return tx
}

func (s *Store) db(ctx context.Context) *ent.Client {
	if tx := txFrom(ctx); tx != nil {
		return tx.Client()
	}
	return s.client
}

// BeginTX starts the transaction fosite wraps a grant's writes in.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if txFrom(ctx) != nil {
		return ctx, nil
	}
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, txKey{}, tx), nil
}

// Commit commits the transaction in ctx.
func (s *Store) Commit(ctx context.Context) error {
	tx := txFrom(ctx)
	if tx == nil {
		return errors.New("issuer: no transaction to commit")
	}
	return tx.Commit()
}

// Rollback rolls the transaction in ctx back.
func (s *Store) Rollback(ctx context.Context) error {
	tx := txFrom(ctx)
	if tx == nil {
		return nil
	}
	err := tx.Rollback()
	if errors.Is(err, ent.ErrTxStarted) || (err != nil && strings.Contains(err.Error(), "already been committed or rolled back")) {
		return nil
	}
	return err
}

// inTx runs fn in the transaction in ctx, or in a new one.
func (s *Store) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	if tx := txFrom(ctx); tx != nil {
		return fn(tx)
	}
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// stored is a fosite request as kept in the data column.
type stored struct {
	ID                string     `json:"id"`
	RequestedAt       time.Time  `json:"requested_at"`
	ClientID          string     `json:"client_id"`
	RequestedScope    []string   `json:"requested_scope,omitempty"`
	GrantedScope      []string   `json:"granted_scope,omitempty"`
	RequestedAudience []string   `json:"requested_audience,omitempty"`
	GrantedAudience   []string   `json:"granted_audience,omitempty"`
	Form              url.Values `json:"form,omitempty"`
	Session           *Session   `json:"session"`
	// Authorize is kept for pushed authorization requests.
	Authorize *authorizeExtra `json:"authorize,omitempty"`
}

// sensitiveForm are the request parameters never written down.
var sensitiveForm = []string{"client_secret", "client_assertion", "code", "refresh_token", "code_verifier", "password", "token"}

func encode(r fosite.Requester) ([]byte, *Session, error) {
	sess, ok := r.GetSession().(*Session)
	if !ok || sess == nil {
		if r.GetSession() != nil && !ok {
			return nil, nil, fmt.Errorf("issuer: unexpected session type %T", r.GetSession())
		}
		sess = NewSession()
	}
	form := url.Values{}
	for k, v := range r.GetRequestForm() {
		form[k] = v
	}
	for _, k := range sensitiveForm {
		form.Del(k)
	}
	st := stored{
		ID: r.GetID(), RequestedAt: r.GetRequestedAt(), ClientID: r.GetClient().GetID(),
		RequestedScope: r.GetRequestedScopes(), GrantedScope: r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(), GrantedAudience: r.GetGrantedAudience(),
		Form: form, Session: sess,
	}
	if ar, ok := r.(fosite.AuthorizeRequester); ok {
		st.Authorize = &authorizeExtra{ResponseTypes: ar.GetResponseTypes(), State: ar.GetState(),
			ResponseMode: string(ar.GetResponseMode()), DefaultResponseMode: string(ar.GetDefaultResponseMode())}
		if ar.GetRedirectURI() != nil {
			st.Authorize.RedirectURI = ar.GetRedirectURI().String()
		}
	}
	b, err := json.Marshal(st)
	return b, sess, err
}

func (s *Store) decode(ctx context.Context, data []byte, into fosite.Session) (*fosite.Request, error) {
	var st stored
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("issuer: stored request: %w", err)
	}
	c, err := s.GetClient(ctx, st.ClientID)
	if err != nil {
		return nil, err
	}
	if st.Session == nil {
		st.Session = NewSession()
	}
	var sess fosite.Session = st.Session
	if target, ok := into.(*Session); ok && target != nil {
		// As json.Unmarshal into the live session would: stored values
		// win, but expiries set on it and not stored stay. fosite sets the
		// new tokens' expiries and then reads the code's session again.
		set := target.ExpiresAt
		*target = *st.Session
		for k, v := range set {
			if _, ok := target.ExpiresAt[k]; !ok {
				target.SetExpiresAt(k, v)
			}
		}
		sess = target
	}
	return &fosite.Request{
		ID: st.ID, RequestedAt: st.RequestedAt, Client: c,
		RequestedScope: st.RequestedScope, GrantedScope: st.GrantedScope,
		RequestedAudience: st.RequestedAudience, GrantedAudience: st.GrantedAudience,
		Form: st.Form, Session: sess,
	}, nil
}

func (s *Store) create(ctx context.Context, kind oauthtoken.Kind, signature string, r fosite.Requester, expires time.Time) error {
	data, sess, err := encode(r)
	if err != nil {
		return err
	}
	if expires.IsZero() {
		expires = s.now().Add(24 * time.Hour)
	}
	return s.db(ctx).OAuthToken.Create().SetKind(kind).SetSignature(signature).SetRequestID(r.GetID()).
		SetClientID(r.GetClient().GetID()).SetSubject(sess.GetSubject()).SetSid(sess.SID).SetGrantID(sess.GrantID).
		SetRequestedAt(r.GetRequestedAt()).SetExpiresAt(expires.UTC()).SetData(data).Exec(ctx)
}

// get finds a row by kind and signature. An inactive row is returned with
// fosite.ErrInactiveToken (or ErrInvalidatedAuthorizeCode for codes), as
// fosite expects for reuse detection.
func (s *Store) get(ctx context.Context, kind oauthtoken.Kind, signature string, into fosite.Session) (fosite.Requester, error) {
	// Only what is used: the stored request and whether it is active (the
	// expiry is in the stored session). Every introspection runs this.
	row, err := s.db(ctx).OAuthToken.Query().Where(oauthtoken.KindEQ(kind), oauthtoken.Signature(signature)).
		Select(oauthtoken.FieldData, oauthtoken.FieldActive).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	req, err := s.decode(ctx, row.Data, into)
	if err != nil {
		return nil, err
	}
	if !row.Active {
		if kind == oauthtoken.KindCode {
			return req, fosite.ErrInvalidatedAuthorizeCode
		}
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

func (s *Store) remove(ctx context.Context, kind oauthtoken.Kind, signature string) error {
	_, err := s.db(ctx).OAuthToken.Delete().Where(oauthtoken.KindEQ(kind), oauthtoken.Signature(signature)).Exec(ctx)
	return err
}

// Authorization codes.

func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.create(ctx, oauthtoken.KindCode, code, r, r.GetSession().GetExpiresAt(fosite.AuthorizeCode))
}

func (s *Store) GetAuthorizeCodeSession(ctx context.Context, code string, sess fosite.Session) (fosite.Requester, error) {
	r, err := s.get(ctx, oauthtoken.KindCode, code, sess)
	return s.stillValid(ctx, r, err)
}

// stillValid hides a code or refresh token whose grant, agent chain or
// person is gone: nothing new is minted from it.
func (s *Store) stillValid(ctx context.Context, r fosite.Requester, err error) (fosite.Requester, error) {
	if err != nil || s.valid == nil {
		return r, err
	}
	if sess, ok := r.GetSession().(*Session); ok && !s.valid(ctx, sess, r.GetGrantedScopes()...) {
		return nil, fosite.ErrNotFound
	}
	return r, nil
}

func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	n, err := s.db(ctx).OAuthToken.Update().Where(oauthtoken.KindEQ(oauthtoken.KindCode), oauthtoken.Signature(code), oauthtoken.Active(true)).
		SetActive(false).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		// Another request spent the code between our read and this write.
		return fosite.ErrSerializationFailure
	}
	return nil
}

// Access tokens. Issuing one writes the "token.issued" audit event in the
// same transaction.

func (s *Store) CreateAccessTokenSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.inTx(ctx, func(tx *ent.Tx) error {
		txc := context.WithValue(ctx, txKey{}, tx)
		if err := s.create(txc, oauthtoken.KindAccess, signature, r, r.GetSession().GetExpiresAt(fosite.AccessToken)); err != nil {
			return err
		}
		if err := s.recordRun(txc, tx, r); err != nil {
			return err
		}
		sess, _ := r.GetSession().(*Session)
		if err := s.markIssued(txc, tx, sess); err != nil {
			return err
		}
		grant := r.GetRequestForm().Get("grant_type")
		if grant == "" {
			grant = "authorization_code"
		}
		ev := audit.Event{Action: "token.issued", TargetType: "oauth_token", TargetID: sess.JTI,
			ClientID: r.GetClient().GetID(), Scope: r.GetGrantedScopes(), AgentChain: sess.Act, RunID: sess.Run,
			Details: map[string]string{"grant": grant, "request_id": r.GetID()}}
		if sess.GetSubject() != "" && sess.GetSubject() != r.GetClient().GetID() {
			ev.Details["subject"] = sess.GetSubject()
		}
		if sess.GrantID != 0 {
			ev.GrantID = strconv.Itoa(sess.GrantID)
		}
		if sess.ParentRun != "" {
			ev.Details["parent_run"] = sess.ParentRun
		}
		if sess.ApprovalID != "" {
			ev.ApprovalRequired, ev.ApprovalID = true, sess.ApprovalID
			ev.Details["authorization_details"] = string(sess.AuthorizationDetails)
		}
		_, err := s.audit.Record(auditContext(ctx, r), tx, ev)
		return err
	})
}

func (s *Store) GetAccessTokenSession(ctx context.Context, signature string, sess fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, oauthtoken.KindAccess, signature, sess)
}

func (s *Store) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.remove(ctx, oauthtoken.KindAccess, signature)
}

// Refresh tokens. A refresh token and every token derived from it share
// the request id: that is the family a reused refresh token revokes.

func (s *Store) CreateRefreshTokenSession(ctx context.Context, signature, _ string, r fosite.Requester) error {
	return s.create(ctx, oauthtoken.KindRefresh, signature, r, r.GetSession().GetExpiresAt(fosite.RefreshToken))
}

func (s *Store) GetRefreshTokenSession(ctx context.Context, signature string, sess fosite.Session) (fosite.Requester, error) {
	r, err := s.get(ctx, oauthtoken.KindRefresh, signature, sess)
	return s.stillValid(ctx, r, err)
}

func (s *Store) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.remove(ctx, oauthtoken.KindRefresh, signature)
}

// RotateRefreshToken marks the used refresh token inactive (kept, so a
// second use is recognised as reuse) and ends the access tokens issued
// with it.
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	n, err := s.db(ctx).OAuthToken.Update().
		Where(oauthtoken.KindEQ(oauthtoken.KindRefresh), oauthtoken.Signature(signature), oauthtoken.Active(true)).
		SetActive(false).Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fosite.ErrSerializationFailure
	}
	_, err = s.db(ctx).OAuthToken.Delete().
		Where(oauthtoken.KindEQ(oauthtoken.KindAccess), oauthtoken.RequestID(requestID)).Exec(ctx)
	return err
}

// RevokeRefreshToken ends every refresh token of the family. fosite calls
// it for a reused refresh token, and the revocation endpoint calls it with
// revokingKey set: outside the endpoint it is a detected reuse, audited.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.inTx(ctx, func(tx *ent.Tx) error {
		rows, err := tx.OAuthToken.Query().Where(oauthtoken.KindEQ(oauthtoken.KindRefresh), oauthtoken.RequestID(requestID)).All(ctx)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return fosite.ErrNotFound
		}
		if _, err := tx.OAuthToken.Update().Where(oauthtoken.KindEQ(oauthtoken.KindRefresh), oauthtoken.RequestID(requestID)).
			SetActive(false).Save(ctx); err != nil {
			return err
		}
		if revoking, _ := ctx.Value(revokingKey{}).(bool); !revoking {
			_, err = s.audit.Record(ctx, tx, audit.Event{Action: "token.refresh_reuse", TargetType: "oauth_grant", TargetID: requestID,
				Outcome: audit.Denied, ClientID: rows[0].ClientID,
				Details: map[string]string{"subject": rows[0].Subject, "revoked_refresh_tokens": fmt.Sprint(len(rows))}})
			return err
		}
		return nil
	})
}

// RevokeRefreshTokenMaybeGracePeriod is RevokeRefreshToken: no grace.
func (s *Store) RevokeRefreshTokenMaybeGracePeriod(ctx context.Context, requestID, _ string) error {
	return s.RevokeRefreshToken(ctx, requestID)
}

// RevokeAccessToken ends every access token of the family.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	_, err := s.db(ctx).OAuthToken.Delete().
		Where(oauthtoken.KindEQ(oauthtoken.KindAccess), oauthtoken.RequestID(requestID)).Exec(ctx)
	return err
}

// OpenID Connect requests, keyed by the code's signature.

func (s *Store) CreateOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.create(ctx, oauthtoken.KindOidc, code, r, r.GetSession().GetExpiresAt(fosite.AuthorizeCode))
}

func (s *Store) GetOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) (fosite.Requester, error) {
	req, err := s.get(ctx, oauthtoken.KindOidc, code, r.GetSession())
	if errors.Is(err, fosite.ErrInactiveToken) {
		return nil, fosite.ErrNotFound
	}
	return req, err
}

func (s *Store) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return s.remove(ctx, oauthtoken.KindOidc, code)
}

// PKCE requests, keyed by the code's signature.

func (s *Store) CreatePKCERequestSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.create(ctx, oauthtoken.KindPkce, code, r, r.GetSession().GetExpiresAt(fosite.AuthorizeCode))
}

func (s *Store) GetPKCERequestSession(ctx context.Context, code string, sess fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, oauthtoken.KindPkce, code, sess)
}

func (s *Store) DeletePKCERequestSession(ctx context.Context, code string) error {
	return s.remove(ctx, oauthtoken.KindPkce, code)
}

// Pushed authorization requests, keyed by request_uri.

func (s *Store) CreatePARSession(ctx context.Context, requestURI string, r fosite.AuthorizeRequester) error {
	exp := s.now().Add(parLifetime)
	if e, ok := ctx.Value(parExpiryKey{}).(time.Time); ok {
		exp = e
	}
	return s.create(ctx, oauthtoken.KindPar, requestURI, r, exp)
}

func (s *Store) GetPARSession(ctx context.Context, requestURI string) (fosite.AuthorizeRequester, error) {
	row, err := s.db(ctx).OAuthToken.Query().Where(oauthtoken.KindEQ(oauthtoken.KindPar), oauthtoken.Signature(requestURI)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !row.Active || !row.ExpiresAt.After(s.now()) {
		return nil, fosite.ErrNotFound
	}
	req, err := s.decode(ctx, row.Data, nil)
	if err != nil {
		return nil, err
	}
	var st stored
	_ = json.Unmarshal(row.Data, &st)
	if st.Authorize == nil {
		return nil, fosite.ErrNotFound
	}
	ar := &fosite.AuthorizeRequest{Request: *req, ResponseTypes: st.Authorize.ResponseTypes, State: st.Authorize.State,
		HandledResponseTypes: fosite.Arguments{}, ResponseMode: fosite.ResponseModeType(st.Authorize.ResponseMode),
		DefaultResponseMode: fosite.ResponseModeType(st.Authorize.DefaultResponseMode)}
	if st.Authorize.RedirectURI != "" {
		u, err := url.Parse(st.Authorize.RedirectURI)
		if err != nil {
			return nil, err
		}
		ar.RedirectURI = u
	}
	return ar, nil
}

func (s *Store) DeletePARSession(ctx context.Context, requestURI string) error {
	return s.remove(ctx, oauthtoken.KindPar, requestURI)
}

// authorizeExtra is what a pushed request keeps beyond a plain request.
type authorizeExtra struct {
	ResponseTypes       []string `json:"response_types"`
	RedirectURI         string   `json:"redirect_uri"`
	State               string   `json:"state"`
	ResponseMode        string   `json:"response_mode"`
	DefaultResponseMode string   `json:"default_response_mode"`
}

// Client assertions: a private_key_jwt assertion's jti is kept until the
// assertion expires, and a second use is refused.

// ClientAssertionJWTValid says yes: SetClientAssertionJWT's insert is the
// check (the unique index refuses a jti seen before), one write instead of
// a read and two writes on every private_key_jwt request.
func (s *Store) ClientAssertionJWTValid(context.Context, string) error { return nil }

// SetClientAssertionJWT records an assertion's jti until it expires; a jti
// already recorded is refused. A row left by an expired assertion is
// cleared and the jti accepted again.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	db := s.db(ctx)
	insert := func() error {
		return db.OAuthToken.Create().SetKind(oauthtoken.KindJti).SetSignature(jti).SetRequestID(jti).SetClientID("").
			SetRequestedAt(s.now().UTC()).SetExpiresAt(exp.UTC()).SetData([]byte("{}")).Exec(ctx)
	}
	err := insert()
	if !ent.IsConstraintError(err) {
		return err
	}
	if txFrom(ctx) != nil {
		// Inside a transaction a failed insert spoils it on PostgreSQL:
		// refuse rather than retry.
		return fosite.ErrJTIKnown
	}
	n, derr := db.OAuthToken.Delete().Where(oauthtoken.KindEQ(oauthtoken.KindJti), oauthtoken.Signature(jti),
		oauthtoken.ExpiresAtLT(s.now())).Exec(ctx)
	if derr != nil {
		return derr
	}
	if n == 0 {
		return fosite.ErrJTIKnown
	}
	if err := insert(); ent.IsConstraintError(err) {
		return fosite.ErrJTIKnown
	} else if err != nil {
		return err
	}
	return nil
}

type revokingKey struct{}

// parExpiryKey overrides a pushed request's lifetime (an interaction in
// the middle of an authorization lasts longer than a client's push).
type parExpiryKey struct{}

// auditContext makes the client the actor of a token event when no user
// acts.
func auditContext(ctx context.Context, r fosite.Requester) context.Context {
	v := viewer.FromContext(ctx)
	if v.Kind == viewer.Anonymous || v.Kind == viewer.System {
		v.Kind = viewer.Client
		v.Label = r.GetClient().GetID()
		return viewer.NewContext(ctx, v)
	}
	return ctx
}
