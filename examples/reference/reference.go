// Package reference plays the reference scenario of Mandate's design
// against a running server, with golang.org/x/oauth2 for every OAuth step:
// Ann delegates to a planner agent for a day; the planner registers a
// support subagent, which registers a billing subagent; each exchanges the
// token above it (RFC 8693) and can only narrow it. Billing works with a
// small billing API that needs an API key no agent ever holds: an admin
// stores the key in Mandate's vault and registers the API as the tool
// "billing", and billing calls it through Mandate's tool gateway, which
// checks billing's token, scope and tools, injects the key and scrubs it
// from every answer. Billing reads invoices and previews a refund on Ann's
// behalf; executing the refund needs Ann's approval of that one refund
// (OpenID CIBA with RFC 9396 authorization_details): billing asks, Ann
// approves in her browser after stepping up with an authenticator app,
// billing gets a single-use approval token, and the gateway executes the
// refund once and refuses the same approval the second time.
//
// Run it with `go run ./examples/reference/cmd -base http://127.0.0.1:8080
// -tenant acme -email ann@acme.example -password … -token mdt_…` (an admin
// API token of the workspace registers the planner, stores the key and
// registers the tool). The workspace needs the scopes invoices:read,
// refunds:preview and refunds:execute, refunds:execute requiring approval,
// and the refund authorization_details type (README: "Human approval
// (CIBA)").
package reference

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// Config says where to play the scenario.
type Config struct {
	Base, Tenant    string
	Email, Password string // Ann, who may manage billing
	AdminToken      string // an admin API token of the workspace
}

// Scopes of the scenario: what Ann delegates, and the agents' ceiling,
// which adds refunds:execute, issued only with Ann's approval of one
// refund.
var (
	scopes  = []string{"openid", "invoices:read", "refunds:preview"}
	ceiling = []string{"openid", "invoices:read", "refunds:preview", "refunds:execute"}
)

type agentKey struct {
	clientID string
	key      *ecdsa.PrivateKey
	kid      string
}

func newKey() (*agentKey, []byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	kid := base64.RawURLEncoding.EncodeToString(b)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"}}})
	return &agentKey{key: k, kid: kid}, set, err
}

// assertion is the agent's private_key_jwt client assertion.
func (a *agentKey) assertion(aud string) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: a.key, KeyID: a.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	now := time.Now()
	return jwt.Signed(s).Claims(jwt.Claims{Issuer: a.clientID, Subject: a.clientID, Audience: jwt.Audience{aud},
		ID: base64.RawURLEncoding.EncodeToString(b), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}).Serialize()
}

// authParams are the token request parameters that authenticate the agent.
func (a *agentKey) authParams(tokenURL string) (url.Values, error) {
	as, err := a.assertion(tokenURL)
	if err != nil {
		return nil, err
	}
	return url.Values{"client_id": {a.clientID}, "client_assertion": {as},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}, nil
}

type player struct {
	cfg    Config
	out    io.Writer
	issuer string
	http   *http.Client

	received []string // every header and body billing got from the gateway
	answers  int
}

func (p *player) say(format string, args ...any) { fmt.Fprintf(p.out, format+"\n", args...) }

// graphql calls the workspace's API with a bearer token.
func (p *player) graphql(ctx context.Context, bearer, query string, vars map[string]any, into any) error {
	return p.graphqlWith(ctx, p.http, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+bearer) }, query, vars, into)
}

// graphQLError is the first error of a GraphQL answer, with its code.
type graphQLError struct{ Code, Message string }

func (e *graphQLError) Error() string { return "graphql: " + e.Code + ": " + e.Message }

// graphqlWith calls the workspace's API through client, with the
// credentials auth sets on the request.
func (p *player) graphqlWith(ctx context.Context, client *http.Client, auth func(*http.Request), query string, vars map[string]any, into any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.Base+"/t/"+p.cfg.Tenant+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	auth(req)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("graphql: %d: %w", resp.StatusCode, err)
	}
	if len(out.Errors) > 0 {
		return &graphQLError{Code: out.Errors[0].Extensions.Code, Message: out.Errors[0].Message}
	}
	return json.Unmarshal(out.Data, into)
}

// token posts a token request authenticated by the agent's key.
func (p *player) token(ctx context.Context, a *agentKey, form url.Values) (map[string]any, error) {
	tokenURL := p.issuer + "/oauth2/token"
	auth, err := a.authParams(tokenURL)
	if err != nil {
		return nil, err
	}
	for k, v := range auth {
		form[k] = v
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token: %d %v: %v", resp.StatusCode, out["error"], out["error_description"])
	}
	return out, nil
}

// Run plays the scenario and writes what happens to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	p := &player{cfg: cfg, out: out, issuer: cfg.Base + "/t/" + cfg.Tenant, http: &http.Client{Timeout: 30 * time.Second}}

	// The billing API, with a key only the vault will hold.
	api, err := startBillingAPI()
	if err != nil {
		return err
	}
	defer api.Close()

	// 1. An admin registers the planner agent, sponsored by Ann.
	planner, jwks, err := newKey()
	if err != nil {
		return err
	}
	callback := "http://127.0.0.1:9/callback"
	var created struct {
		CreateAgent struct{ ClientID string } `json:"createAgent"`
	}
	if err := p.graphql(ctx, cfg.AdminToken, `mutation($in: CreateAgentInput!) { createAgent(input: $in) { clientID } }`,
		map[string]any{"in": map[string]any{"name": "planner", "role": "plans Ann's billing work", "sponsorEmail": cfg.Email,
			"scopes": ceiling, "tools": []string{"billing"}, "jwks": string(jwks), "redirectUris": []string{callback},
			"audience": []string{billingResource}}}, &created); err != nil {
		return fmt.Errorf("register the planner: %w", err)
	}
	planner.clientID = created.CreateAgent.ClientID
	p.say("planner registered: %s", planner.clientID)

	// 2. Ann delegates to the planner in the browser, for a day.
	conf := oauth2.Config{ClientID: planner.clientID, RedirectURL: callback, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.issuer + "/oauth2/authorize", TokenURL: p.issuer + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	code, err := p.annDelegates(ctx, conf.AuthCodeURL("reference-state", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("resource", billingResource)))
	if err != nil {
		return fmt.Errorf("Ann delegates: %w", err)
	}
	auth, err := planner.authParams(conf.Endpoint.TokenURL)
	if err != nil {
		return err
	}
	// The planner names its run: the runs of its subagents start under it,
	// and the trace reads the tree back. A run belongs to the agent that
	// first named it, so each play of the scenario names its own runs.
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	run := func(agent string) string { return fmt.Sprintf("run-%s-%x", agent, suffix) }
	if err := p.registerTool(ctx, api, fmt.Sprintf("%x", suffix)); err != nil {
		return err
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("run", run("planner"))}
	for k, v := range auth {
		opts = append(opts, oauth2.SetAuthURLParam(k, v[0]))
	}
	delegated, err := conf.Exchange(ctx, code, opts...)
	if err != nil {
		return fmt.Errorf("the planner's delegated token: %w", err)
	}
	p.say("Ann delegated %v to the planner for a day", scopes)

	// 3. The planner registers support; support registers billing.
	support, err := p.registerSubagent(ctx, planner, "support", ceiling)
	if err != nil {
		return err
	}
	billing, err := p.registerSubagent(ctx, support, "billing", ceiling[1:])
	if err != nil {
		return err
	}

	// 4. Each exchanges the token above it, narrowing as it goes.
	exchange := func(a *agentKey, subject, scope, run string) (string, error) {
		res, err := p.token(ctx, a, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token": {subject}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
			"scope": {scope}, "run": {run}})
		if err != nil {
			return "", err
		}
		tok, _ := res["access_token"].(string)
		return tok, nil
	}
	supportTok, err := exchange(support, delegated.AccessToken, "invoices:read refunds:preview", run("support"))
	if err != nil {
		return fmt.Errorf("support's exchange: %w", err)
	}
	billingTok, err := exchange(billing, supportTok, "invoices:read refunds:preview", run("billing"))
	if err != nil {
		return fmt.Errorf("billing's exchange: %w", err)
	}
	if _, err := exchange(billing, supportTok, "refunds:execute", run("billing-widening")); err == nil {
		return errors.New("billing widened its scope to refunds:execute")
	}
	p.say("billing may not widen to refunds:execute: refused")

	// 5. Billing reads invoices and previews a refund on Ann's behalf,
	// through the gateway: it never holds the API's key.
	for _, call := range []struct{ method, path string }{{"GET", "/invoices"}, {"POST", "/refunds/preview"}} {
		status, h, body, err := p.viaGateway(ctx, call.method, call.path, billingTok, "", nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("%s %s through the gateway: %d %s", call.method, call.path, status, body)
		}
		p.say("billing %s /t/%s/gateway/billing%s: %s", call.method, cfg.Tenant, call.path, body)
		if echo := h.Get("X-Api-Key-Echo"); echo != "" {
			p.say("the API echoed its key in a header; billing saw %q", echo)
		}
	}

	// 6. Billing executes the refund, once, with Ann's approval of it.
	if err := p.executeRefund(ctx, billing, billingTok, api); err != nil {
		return err
	}
	if err := p.checkKeyStayedHome(api); err != nil {
		return err
	}

	// 7. The trace of the planner's run shows support's run below it, and
	// billing's below support's (each exchange's parent run defaults to
	// its subject token's run), with Ann's approval and billing's gateway
	// calls, each audited with the whole act chain.
	var trace struct {
		AgentTrace traceNode `json:"agentTrace"`
	}
	const node = `run agent { name tools } scope approval actions { action agentChain details } `
	if err := p.graphql(ctx, cfg.AdminToken, `query($run: String!) { agentTrace(run: $run) { `+node+
		` children { `+node+` children { `+node+` } } } }`,
		map[string]any{"run": run("planner")}, &trace); err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	p.say("trace:")
	trace.AgentTrace.print(p, "  ")
	return nil
}

type traceNode struct {
	Run   string
	Agent *struct {
		Name  string
		Tools []string
	}
	Scope    []string
	Approval string
	Actions  []struct {
		Action     string
		AgentChain []string
		Details    map[string]string
	}
	Children []traceNode
}

func (n traceNode) print(p *player, indent string) {
	name := "(an application)"
	if n.Agent != nil {
		name = n.Agent.Name + " tools " + strings.Join(n.Agent.Tools, ",")
	}
	acts := make([]string, len(n.Actions))
	for i, a := range n.Actions {
		acts[i] = a.Action
		if strings.HasPrefix(a.Action, "gateway.") {
			what := a.Details["method"] + " " + a.Details["path"] + " " + a.Details["upstream_status"]
			if r := a.Details["reason"]; r != "" {
				what = a.Details["method"] + " " + a.Details["path"] + " " + r
			}
			acts[i] += " (" + what + " by " + strings.Join(a.AgentChain, " ← ") + ")"
		}
	}
	p.say("%s%s: %s, scope %s, approval %s, actions %s", indent, n.Run, name, strings.Join(n.Scope, " "), n.Approval, strings.Join(acts, ", "))
	for _, c := range n.Children {
		c.print(p, indent+"  ")
	}
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// annDelegates plays Ann's browser: sign in, consent for a day, and return
// the code the redirect carries.
func (p *player) annDelegates(ctx context.Context, authURL string) (string, error) {
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(r.URL.String(), p.cfg.Base+"/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	body, _ := json.Marshal(map[string]string{"email": p.cfg.Email, "password": p.cfg.Password})
	resp, err := browser.Post(p.issuer+"/auth/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign-in: %d", resp.StatusCode)
	}
	resp, err = browser.Get(authURL)
	if err != nil {
		return "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"consent": {"approve"}, "expiry": {"1"}} // 1: a day
	for _, m := range hiddenField.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.issuer+"/oauth2/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.cfg.Base)
	resp, err = browser.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("consent ended with %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), nil
}

// registerSubagent: the parent gets its own token and registers a child.
func (p *player) registerSubagent(ctx context.Context, parent *agentKey, name string, ceiling []string) (*agentKey, error) {
	own, err := p.token(ctx, parent, url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		return nil, fmt.Errorf("%s's parent token: %w", name, err)
	}
	child, jwks, err := newKey()
	if err != nil {
		return nil, err
	}
	var made struct {
		RegisterSubagent struct{ ClientID string } `json:"registerSubagent"`
	}
	if err := p.graphql(ctx, own["access_token"].(string), `mutation($in: RegisterSubagentInput!) { registerSubagent(input: $in) { clientID } }`,
		map[string]any{"in": map[string]any{"name": name, "scopes": ceiling, "tools": []string{"billing"}, "jwks": string(jwks),
			"audience": []string{billingResource}}}, &made); err != nil {
		return nil, fmt.Errorf("register %s: %w", name, err)
	}
	child.clientID = made.RegisterSubagent.ClientID
	p.say("%s registered under %s: %s", name, parent.clientID, child.clientID)
	return child, nil
}

// billingResource names the billing API as a resource (RFC 8707): the
// tokens for it carry it as their audience.
const billingResource = "https://billing.example/api"
