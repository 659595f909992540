package main

// The OAuth 2.0 scenarios, against the issuer at -url: RFC 6749's token
// endpoint (client_credentials, refresh_token, authorization_code with
// PKCE), RFC 8693's token exchange and RFC 7662's introspection, the
// client authenticating with client_secret_basic or private_key_jwt (RFC
// 7523, a fresh ES256 assertion and jti per request).

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Endpoints, relative to the issuer URL.
const (
	tokenPath      = "/oauth2/token"
	introspectPath = "/oauth2/introspect"
	authorizePath  = "/oauth2/authorize"
	registerPath   = "/oauth2/register"
	signInPath     = "/auth/signin"
)

// RFC 8693's names.
const (
	grantTokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// introspectionPool is how many distinct access tokens the introspect
// scenario issues first and then introspects in turn.
const introspectionPool = 256

// oauthClient is the registered client the scenario acts as.
type oauthClient struct {
	http   *http.Client
	issuer string
	addr   string // the issuer's host:port
	prefix string // the issuer's path
	id     string
	secret string
	basic  string      // the Authorization header line of client_secret_basic
	key    jose.Signer // private_key_jwt; nil for client_secret_basic
}

func oauthSenders(ctx context.Context, c config, client *http.Client, workers int) ([]sender, error) {
	u, err := url.Parse(strings.TrimSuffix(c.url, "/"))
	if err != nil {
		return nil, err
	}
	o := &oauthClient{http: client, issuer: u.String(), addr: u.Host, prefix: u.EscapedPath(), id: c.clientID, secret: c.clientSecret}
	if o.secret != "" {
		// RFC 6749 section 2.3.1: both parts form-encoded first.
		req := http.Request{Header: http.Header{}}
		req.SetBasicAuth(url.QueryEscape(o.id), url.QueryEscape(o.secret))
		o.basic = "Authorization: " + req.Header.Get("Authorization") + "\r\n"
	}
	if c.clientKey != "" {
		if o.key, err = loadSigner(c.clientKey); err != nil {
			return nil, err
		}
	}
	// Each worker has its own connection: -c connections in all.
	senders := make([]sender, workers)
	switch c.scenario {
	case scenarioClientCredentials:
		for i := range senders {
			via := newRawConn(o.addr)
			senders[i] = func(ctx context.Context) error {
				_, err := o.token(ctx, via, url.Values{"grant_type": {"client_credentials"}})
				return err
			}
		}
	case scenarioIntrospect:
		pool := make([]string, introspectionPool)
		for i := range pool {
			tok, err := o.token(ctx, nil, url.Values{"grant_type": {"client_credentials"}})
			if err != nil {
				return nil, fmt.Errorf("issuing the tokens to introspect: %w", err)
			}
			pool[i] = tok.AccessToken
		}
		for i := range senders {
			next, via := i*17, newRawConn(o.addr)
			senders[i] = func(ctx context.Context) error {
				next++
				return o.introspect(ctx, via, pool[next%len(pool)])
			}
		}
	case scenarioExchange:
		// The client is an agent (the planner). It registers a subagent
		// with its own token (RFC 7591); the user delegates to the planner
		// once per worker (a code flow with consent); then each request is
		// the subagent exchanging one of those delegated tokens for its
		// own on-behalf-of token.
		sub, err := o.registerSubagent(ctx, c.scope)
		if err != nil {
			return nil, fmt.Errorf("registering a subagent: %w", err)
		}
		subjects, err := o.codeFlowTokens(ctx, c, workers, "openid "+c.scope, false)
		if err != nil {
			return nil, err
		}
		for i := range senders {
			subject, via := subjects[i], newRawConn(o.addr)
			senders[i] = func(ctx context.Context) error {
				return sub.exchange(ctx, via, subject, c.scope)
			}
		}
	case scenarioRefresh:
		chains, err := o.codeFlowTokens(ctx, c, workers, "openid", true)
		if err != nil {
			return nil, err
		}
		for i := range senders {
			rt, via := chains[i], newRawConn(o.addr)
			senders[i] = func(ctx context.Context) error {
				tok, err := o.token(ctx, via, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
				if err != nil {
					return err
				}
				if tok.RefreshToken == "" || tok.RefreshToken == rt {
					return errors.New("the refresh token was not rotated")
				}
				rt = tok.RefreshToken
				return nil
			}
		}
	}
	// One request before any measurement: a refusal (a misregistered
	// client, a broken grant) is reported once instead of n times.
	if err := senders[0](ctx); err != nil {
		return nil, fmt.Errorf("first request: %w", err)
	}
	return senders, nil
}

// tokenResponse is what the scenarios read of RFC 6749's token response.
type tokenResponse struct {
	AccessToken     string `json:"access_token"`
	TokenType       string `json:"token_type"`
	RefreshToken    string `json:"refresh_token"`
	Scope           string `json:"scope"`
	IssuedTokenType string `json:"issued_token_type"`
}

// exchange is one RFC 8693 token exchange: the client (a subagent) trades
// the subject token for its own on-behalf-of token narrowed to scope.
func (o *oauthClient) exchange(ctx context.Context, via *rawConn, subject, scope string) error {
	tok, err := o.token(ctx, via, url.Values{"grant_type": {grantTokenExchange}, "subject_token": {subject},
		"subject_token_type": {tokenTypeAccessToken}, "scope": {scope}})
	if err != nil {
		return err
	}
	if tok.IssuedTokenType != tokenTypeAccessToken || tok.Scope != scope {
		return fmt.Errorf("unexpected exchange response: issued_token_type %q, scope %q", tok.IssuedTokenType, tok.Scope)
	}
	return nil
}

// registerSubagent registers a subagent of the client (an agent) through
// RFC 7591 with the client's own access token, with a new ES256 key kept
// in memory, and returns it as a client of its own.
func (o *oauthClient) registerSubagent(ctx context.Context, scope string) (*oauthClient, error) {
	own, err := o.token(ctx, nil, url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		return nil, fmt.Errorf("the agent's own token: %w", err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	k := jose.JSONWebKey{Key: priv, KeyID: "loadgen-sub-" + randomString(6), Algorithm: string(jose.ES256), Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]any{"client_name": "loadgen subagent", "scope": scope,
		"token_endpoint_auth_method": "private_key_jwt", "jwks": jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.Public()}}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.issuer+registerPath, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+own.AccessToken)
	resp, err := o.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, snippet(raw))
	}
	var out struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ClientID == "" {
		return nil, fmt.Errorf("no client_id in %s", snippet(raw))
	}
	sub := *o
	sub.id, sub.secret, sub.basic, sub.key = out.ClientID, "", "", signer
	return &sub, nil
}

// token posts a token request, authenticated as the client, and checks
// that the answer carries an access token.
func (o *oauthClient) token(ctx context.Context, via *rawConn, form url.Values) (tokenResponse, error) {
	var out tokenResponse
	body, err := o.post(ctx, via, tokenPath, form)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" || out.TokenType == "" {
		return out, fmt.Errorf("not a token response: %s", snippet(body))
	}
	return out, nil
}

var activeTrue = regexp.MustCompile(`"active"\s*:\s*true`)

func (o *oauthClient) introspect(ctx context.Context, via *rawConn, token string) error {
	body, err := o.post(ctx, via, introspectPath, url.Values{"token": {token}, "token_type_hint": {"access_token"}})
	if err != nil {
		return err
	}
	if !activeTrue.Match(body) {
		return fmt.Errorf("the token is not active: %s", snippet(body))
	}
	return nil
}

// post sends a form to an endpoint of the issuer with the client's
// authentication, through via (a measured request) or net/http (setup),
// and returns the body of a 200 answer.
func (o *oauthClient) post(ctx context.Context, via *rawConn, path string, form url.Values) ([]byte, error) {
	if o.key != nil {
		assertion, err := o.assertion()
		if err != nil {
			return nil, err
		}
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	}
	var (
		status int
		body   []byte
		err    error
	)
	if via != nil {
		status, body, err = via.post(ctx, o.prefix+path, o.basic, form.Encode())
		if err != nil {
			return nil, err
		}
	} else {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.issuer+path, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		if o.basic != "" {
			req.SetBasicAuth(url.QueryEscape(o.id), url.QueryEscape(o.secret))
		}
		resp, err := o.http.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err != nil {
			return nil, fmt.Errorf("read response: %w", err)
		}
		status = resp.StatusCode
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", status, snippet(body))
	}
	return body, nil
}

// assertion is a client assertion for the token endpoint (RFC 7523
// section 3), valid for a minute, with a fresh jti.
func (o *oauthClient) assertion() (string, error) {
	now := time.Now()
	payload, err := json.Marshal(map[string]any{"iss": o.id, "sub": o.id, "aud": o.issuer + tokenPath,
		"jti": randomString(16), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	if err != nil {
		return "", err
	}
	obj, err := o.key.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadSigner reads a private ES256 JWK and returns a signer that names it
// by its kid.
func loadSigner(path string) (jose.Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-client-key: %w", err)
	}
	var k jose.JSONWebKey
	if err := json.Unmarshal(raw, &k); err != nil || k.IsPublic() {
		return nil, fmt.Errorf("-client-key %s: not a private JWK", path)
	}
	if _, ok := k.Key.(*ecdsa.PrivateKey); !ok {
		return nil, fmt.Errorf("-client-key %s: an ES256 (P-256) key is expected", path)
	}
	return jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
}

// writeNewKey writes a new private ES256 JWK to path (readable by its
// owner only) and its public JWK set to out, for `mandate client create
// --jwks-file`.
func writeNewKey(path string, out io.Writer) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	k := jose.JSONWebKey{Key: priv, KeyID: "loadgen-" + randomString(6), Algorithm: string(jose.ES256), Use: "sig"}
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.Public()}})
}

// codeFlowTokens signs the user in once and runs the authorization code
// flow with PKCE n times for scope (consenting when asked), returning n
// refresh tokens (refresh) or n access tokens: one per worker.
func (o *oauthClient) codeFlowTokens(ctx context.Context, c config, n int, scope string, refresh bool) ([]string, error) {
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Transport: o.http.Transport, Jar: jar, CheckRedirect: o.http.CheckRedirect}
	cred, _ := json.Marshal(map[string]string{"email": c.username, "password": c.password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.issuer+signInPath, strings.NewReader(string(cred)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := browser.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sign-in: status %d: %s", resp.StatusCode, snippet(body))
	}
	out := make([]string, n)
	for i := range out {
		verifier := randomString(32)
		sum := sha256.Sum256([]byte(verifier))
		q := url.Values{"response_type": {"code"}, "client_id": {o.id}, "redirect_uri": {c.redirectURI},
			"scope": {scope}, "state": {randomString(12)},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		code, err := o.authorize(ctx, browser, o.issuer+authorizePath+"?"+q.Encode(), c.redirectURI)
		if err != nil {
			return nil, fmt.Errorf("authorization code flow: %w", err)
		}
		tok, err := o.token(ctx, nil, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {c.redirectURI}, "code_verifier": {verifier}})
		if err != nil {
			return nil, fmt.Errorf("code exchange: %w", err)
		}
		if !refresh {
			out[i] = tok.AccessToken
			continue
		}
		if tok.RefreshToken == "" {
			return nil, errors.New("code exchange: no refresh token (is the client registered for refresh_token?)")
		}
		out[i] = tok.RefreshToken
	}
	return out, nil
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
)

// authorize follows the issuer's redirects from an authorization request,
// approves the consent page if one is shown, and returns the code of the
// redirect to the client.
func (o *oauthClient) authorize(ctx context.Context, browser *http.Client, start, redirectURI string) (string, error) {
	origin, _ := url.Parse(o.issuer)
	origin.Path, origin.RawQuery = "", ""
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, start, nil)
	for hop := 0; hop < 10; hop++ {
		resp, err := browser.Do(req)
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil {
				return "", err
			}
			if strings.HasPrefix(loc.String(), redirectURI) {
				if code := loc.Query().Get("code"); code != "" {
					return code, nil
				}
				return "", fmt.Errorf("redirected to the client with %s: %s", loc.Query().Get("error"), loc.Query().Get("error_description"))
			}
			if loc.Host != origin.Host {
				return "", fmt.Errorf("redirected off the issuer to %s", loc.Redacted())
			}
			req, _ = http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
		case resp.StatusCode == http.StatusOK && formAction.Match(body):
			action, err := req.URL.Parse(html.UnescapeString(string(formAction.FindSubmatch(body)[1])))
			if err != nil {
				return "", err
			}
			// expiry: a delegation to an agent for a day (index 1 of the
			// consent page's choices); an app's consent ignores it.
			form := url.Values{"consent": {"approve"}, "expiry": {"1"}}
			for _, m := range hiddenInput.FindAllSubmatch(body, -1) {
				form.Set(string(m[1]), html.UnescapeString(string(m[2])))
			}
			req, _ = http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", origin.String())
		default:
			return "", fmt.Errorf("%s: status %d: %s", req.URL.Path, resp.StatusCode, snippet(body))
		}
	}
	return "", errors.New("too many redirects")
}
