package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	fjwt "github.com/ory/fosite/token/jwt"

	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Token prefixes: they make a leaked token recognisable to secret scanners
// and tell an opaque token from a JWT at a glance.
const (
	prefixAccess  = "mnd_at_"
	prefixRefresh = "mnd_rt_"
	prefixCode    = "mnd_ac_"
)

// jwtSigner signs with the workspace's keys (the one for alg that signs
// now) and verifies against every published key. Parsed keys are cached by
// keys.Manager, and go-jose signers here, so issuing reads no key from the
// database.
type jwtSigner struct {
	keys    *keys.Manager
	signers sync.Map // kid+typ → jose.Signer
}

func (s *jwtSigner) sign(ctx context.Context, alg, typ string, claims any) (string, error) {
	if alg == "" {
		alg = keys.ES256
	}
	k, err := s.keys.Signer(ctx, alg)
	if errors.Is(err, keys.ErrNoKey) && txFrom(ctx) == nil {
		// A client registered since the provider was built may use an
		// algorithm the workspace has no key for yet. fosite signs before
		// it opens its transaction, so ensure may open its own (inside one
		// it would wait for itself).
		if err = s.ensure(ctx, alg); err == nil {
			k, err = s.keys.Signer(ctx, alg)
		}
	}
	if err != nil {
		return "", err
	}
	cacheKey := k.KID + "|" + typ
	var signer jose.Signer
	if v, ok := s.signers.Load(cacheKey); ok {
		signer = v.(jose.Signer)
	} else {
		opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
		signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Alg),
			Key: jose.JSONWebKey{Key: k.Private, KeyID: k.KID, Algorithm: k.Alg}}, opts)
		if err != nil {
			return "", err
		}
		s.signers.Store(cacheKey, signer)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// ensure makes the workspace's first key for alg if it has none. It must
// not run inside a transaction (it opens its own).
func (s *jwtSigner) ensure(ctx context.Context, alg string) error {
	if _, err := s.keys.Signer(ctx, alg); !errors.Is(err, keys.ErrNoKey) {
		return err
	}
	sys := viewer.AsSystem(ctx, "first signing key for "+alg)
	_, err := s.keys.Rotate(sys, alg, 0, keys.DefaultTokenLifetime)
	return err
}

// verify checks a JWT signed by the workspace and returns its claims.
func (s *jwtSigner) verify(ctx context.Context, token string) (map[string]any, error) {
	claims, _, err := s.verifyKID(ctx, token)
	return claims, err
}

// verifyKID is verify, also naming the key that signed.
func (s *jwtSigner) verifyKID(ctx context.Context, token string) (map[string]any, string, error) {
	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
	if err != nil {
		return nil, "", err
	}
	if len(obj.Signatures) != 1 {
		return nil, "", errors.New("issuer: one signature expected")
	}
	set, err := s.keys.JWKS(ctx)
	if err != nil {
		return nil, "", err
	}
	kid := obj.Signatures[0].Header.KeyID
	ks := set.Key(kid)
	if len(ks) == 0 {
		return nil, "", errors.New("issuer: unknown key")
	}
	payload, err := obj.Verify(ks[0])
	if err != nil {
		return nil, "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, "", err
	}
	return claims, kid, nil
}

// published says whether the workspace still publishes the key kid.
func (s *jwtSigner) published(ctx context.Context, kid string) bool {
	set, err := s.keys.JWKS(ctx)
	return err == nil && len(set.Key(kid)) > 0
}

// maxVerifiedJWTs bounds verifiedJWTs (about 100 bytes an entry).
const maxVerifiedJWTs = 10000

// verifiedJWTs remembers JWT access tokens whose signature has been
// verified, so that a token introspected or exchanged again costs a
// SHA-256 instead of a signature check (an ES256 verify is 65-125 µs).
// An entry is keyed by the hash of the whole token, header and payload
// included: any other string, such as the same signature under an altered
// payload, is verified afresh. It is trusted only while the key that
// signed is still published, which is what a fresh verification would
// check; a given kid never names other key material. Whether the token is
// still active is not remembered: its row and its authority are read on
// every request.
type verifiedJWTs struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]verifiedJWT
}

type verifiedJWT struct {
	kid string
	exp int64
}

func verifiedKey(tenantID int, token string) [sha256.Size]byte {
	h := sha256.New()
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(tenantID))
	h.Write(t[:])
	h.Write([]byte(token))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// lookup returns the remembered verification of key, if its signing key
// is still published.
func (v *verifiedJWTs) lookup(key [sha256.Size]byte, published func(kid string) bool) (verifiedJWT, bool) {
	v.mu.Lock()
	e, ok := v.m[key]
	v.mu.Unlock()
	if !ok || !published(e.kid) {
		return verifiedJWT{}, false
	}
	return e, true
}

func (v *verifiedJWTs) remember(key [sha256.Size]byte, e verifiedJWT) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerifiedJWTs {
		v.m = make(map[[sha256.Size]byte]verifiedJWT)
	}
	v.m[key] = e
}

// edDSAHeader stands for EdDSA in a session's ID token header. fosite
// computes at_hash with the hash named by the alg's digits (SHA-256 unless
// they say 384 or 512); Ed25519 ID tokens take SHA-512 (OpenID Connect
// Core errata, and go-oidc), so EdDSA is carried as a name ending in 512.
// The header written into the token is our signer's own: this name never
// leaves the server.
const edDSAHeader = "Ed512"

// headerAlg is the alg a session's ID token header carries for a client.
func headerAlg(alg string) string {
	switch alg {
	case "":
		return keys.ES256
	case keys.EdDSA:
		return edDSAHeader
	}
	return alg
}

// idTokenSigner adapts jwtSigner to fosite's jwt.Signer for ID tokens: the
// header's alg (set per client in the session) picks the key.
type idTokenSigner struct{ *jwtSigner }

func (s idTokenSigner) Generate(ctx context.Context, claims fjwt.MapClaims, header fjwt.Mapper) (string, string, error) {
	// Read with Get: fosite's Headers.ToMap drops alg.
	alg, _ := header.Get("alg").(string)
	if alg == edDSAHeader {
		alg = keys.EdDSA
	}
	tok, err := s.sign(ctx, alg, "JWT", map[string]any(claims))
	if err != nil {
		return "", "", err
	}
	return tok, tok[strings.LastIndexByte(tok, '.')+1:], nil
}

func (s idTokenSigner) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return token[strings.LastIndexByte(token, '.')+1:], nil
}

// Decode verifies an ID token we issued (an id_token_hint). An expired one
// is returned with a ValidationErrorExpired, as fosite expects.
func (s idTokenSigner) Decode(ctx context.Context, token string) (*fjwt.Token, error) {
	claims, err := s.verify(ctx, token)
	if err != nil {
		return nil, &fjwt.ValidationError{Errors: fjwt.ValidationErrorSignatureInvalid}
	}
	t := &fjwt.Token{Claims: fjwt.MapClaims(claims)}
	if exp, ok := claims["exp"].(float64); ok && time.Unix(int64(exp), 0).Before(time.Now()) {
		return t, &fjwt.ValidationError{Errors: fjwt.ValidationErrorExpired}
	}
	return t, nil
}

func (s idTokenSigner) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	return parts[2], nil
}

func (s idTokenSigner) Hash(_ context.Context, in []byte) ([]byte, error) {
	h := sha256.Sum256(in)
	return h[:], nil
}

func (s idTokenSigner) GetSigningMethodLength(context.Context) int { return sha256.Size }

// tokenStrategy issues opaque (HMAC) codes and refresh tokens, and access
// tokens that are opaque or RFC 9068 JWTs as the client is registered.
// Either kind is also stored, so revocation and introspection see it at
// once.
type tokenStrategy struct {
	hmac     *oauth2.HMACSHAStrategyUnPrefixed
	jwt      *jwtSigner
	issuer   func(ctx context.Context) string
	now      func() time.Time
	verified verifiedJWTs
}

func isJWT(token string) bool { return strings.Count(token, ".") == 2 }

func (t *tokenStrategy) AccessTokenSignature(ctx context.Context, token string) string {
	if isJWT(token) {
		return token[strings.LastIndexByte(token, '.')+1:]
	}
	return t.hmac.AccessTokenSignature(ctx, strings.TrimPrefix(token, prefixAccess))
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (t *tokenStrategy) GenerateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	sess, ok := r.GetSession().(*Session)
	if !ok {
		return "", "", errors.New("issuer: unexpected session type")
	}
	sess.JTI = randomID()
	clampToGrant(sess, fosite.AccessToken)
	takeRun(r, sess)
	c, ok := r.GetClient().(*Client)
	// A single-use approval token is opaque: only introspection (which
	// spends it) can tell it is active.
	if !ok || c.TokenFormat != "jwt" || sess.ApprovalID != "" {
		tok, sig, err := t.hmac.GenerateAccessToken(ctx, r)
		return prefixAccess + tok, sig, err
	}
	tok, err := t.jwt.sign(ctx, c.SigningAlg, "at+jwt", accessTokenClaims(t.issuer(ctx), r, sess, t.now()))
	if err != nil {
		return "", "", err
	}
	return tok, tok[strings.LastIndexByte(tok, '.')+1:], nil
}

// accessTokenClaims are RFC 9068's: aud is always set (the granted
// resources, else the client itself).
func accessTokenClaims(iss string, r fosite.Requester, sess *Session, now time.Time) map[string]any {
	aud := []string(r.GetGrantedAudience())
	if len(aud) == 0 {
		aud = []string{r.GetClient().GetID()}
	}
	exp := sess.GetExpiresAt(fosite.AccessToken)
	if exp.IsZero() {
		exp = now.Add(time.Hour)
	}
	claims := map[string]any{
		"iss": iss, "sub": sess.GetSubject(), "aud": aud, "client_id": r.GetClient().GetID(),
		"iat": now.Unix(), "exp": exp.Unix(), "jti": sess.JTI,
	}
	if sc := r.GetGrantedScopes(); len(sc) > 0 {
		claims["scope"] = strings.Join(sc, " ")
	}
	if sess.UserID != 0 && sess.Claims != nil {
		claims["auth_time"] = sess.Claims.AuthTime.Unix()
		if sess.Claims.AuthenticationContextClassReference != "" {
			claims["acr"] = sess.Claims.AuthenticationContextClassReference
		}
		if len(sess.Claims.AuthenticationMethodsReferences) > 0 {
			claims["amr"] = sess.Claims.AuthenticationMethodsReferences
		}
		if sess.SID != "" {
			claims["sid"] = sess.SID
		}
	}
	if act := sess.ActClaim(); act != nil {
		claims["act"] = act
	}
	if sess.GrantID != 0 {
		claims["grant_id"] = strconv.Itoa(sess.GrantID)
	}
	if sess.Run != "" {
		claims["run"] = sess.Run
	}
	if m := sess.MayActClaim(); m != nil {
		claims["may_act"] = m
	}
	if len(sess.AuthorizationDetails) > 0 {
		claims["authorization_details"] = sess.AuthorizationDetails
	}
	return claims
}

// ValidateAccessToken checks an access token found by its signature: an
// opaque token's HMAC, or a JWT's signature (remembered, see verifiedJWTs)
// and expiry.
func (t *tokenStrategy) ValidateAccessToken(ctx context.Context, r fosite.Requester, token string) error {
	if !isJWT(token) {
		return t.hmac.ValidateAccessToken(ctx, r, strings.TrimPrefix(token, prefixAccess))
	}
	key := verifiedKey(viewer.FromContext(ctx).TenantID, token)
	e, ok := t.verified.lookup(key, func(kid string) bool { return t.jwt.published(ctx, kid) })
	if !ok {
		claims, kid, err := t.jwt.verifyKID(ctx, token)
		if err != nil {
			return fosite.ErrTokenSignatureMismatch.WithWrap(err)
		}
		exp, ok := claims["exp"].(float64)
		if !ok {
			return fosite.ErrTokenExpired.WithHint("The access token expired.")
		}
		e = verifiedJWT{kid: kid, exp: int64(exp)}
		t.verified.remember(key, e)
	}
	if !time.Unix(e.exp, 0).After(t.now()) {
		return fosite.ErrTokenExpired.WithHint("The access token expired.")
	}
	return nil
}

func (t *tokenStrategy) RefreshTokenSignature(ctx context.Context, token string) string {
	return t.hmac.RefreshTokenSignature(ctx, strings.TrimPrefix(token, prefixRefresh))
}

// clampToGrant: a token never outlives the grant it acts under.
func clampToGrant(sess *Session, tt fosite.TokenType) {
	if sess.GrantExpires.IsZero() {
		return
	}
	if exp := sess.GetExpiresAt(tt); exp.IsZero() || exp.After(sess.GrantExpires) {
		sess.SetExpiresAt(tt, sess.GrantExpires)
	}
}

func (t *tokenStrategy) GenerateRefreshToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	if sess, ok := r.GetSession().(*Session); ok {
		clampToGrant(sess, fosite.RefreshToken)
	}
	tok, sig, err := t.hmac.GenerateRefreshToken(ctx, r)
	return prefixRefresh + tok, sig, err
}

func (t *tokenStrategy) ValidateRefreshToken(ctx context.Context, r fosite.Requester, token string) error {
	return t.hmac.ValidateRefreshToken(ctx, r, strings.TrimPrefix(token, prefixRefresh))
}

func (t *tokenStrategy) AuthorizeCodeSignature(ctx context.Context, token string) string {
	return t.hmac.AuthorizeCodeSignature(ctx, strings.TrimPrefix(token, prefixCode))
}

func (t *tokenStrategy) GenerateAuthorizeCode(ctx context.Context, r fosite.Requester) (string, string, error) {
	tok, sig, err := t.hmac.GenerateAuthorizeCode(ctx, r)
	return prefixCode + tok, sig, err
}

func (t *tokenStrategy) ValidateAuthorizeCode(ctx context.Context, r fosite.Requester, token string) error {
	return t.hmac.ValidateAuthorizeCode(ctx, r, strings.TrimPrefix(token, prefixCode))
}
