package reference

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
)

// billingAPI is a third-party billing API that knows nothing of Mandate:
// every call needs its API key (X-Api-Key), which only the workspace's
// vault holds. Agents reach it through Mandate's tool gateway, which
// checks their authority, injects the key and, for an approved refund,
// says what the person approved (Mandate-Authorization-Details).
type billingAPI struct {
	*http.Server
	URL string
	key string

	mu       sync.Mutex
	keyed    int  // calls that carried the key
	tokens   bool // whether a Mandate token ever reached the API
	executed int
}

// apiKeyHeader carries the billing API's key.
const apiKeyHeader = "X-Api-Key"

func startBillingAPI() (*billingAPI, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	api := &billingAPI{URL: "http://" + ln.Addr().String(), key: "bk_" + base64.RawURLEncoding.EncodeToString(b)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /invoices", func(w http.ResponseWriter, _ *http.Request) {
		// A careless API echoes the key: the gateway scrubs it.
		w.Header().Set("X-Api-Key-Echo", api.key)
		fmt.Fprintln(w, "3 invoices: INV-1001 42.00 EUR, INV-1002 18.50 EUR, INV-1003 7.00 EUR")
	})
	mux.HandleFunc("POST /refunds/preview", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "refund preview for invoice INV-1001: 42.00 EUR")
	})
	mux.HandleFunc("POST /refunds/execute", api.execute)
	api.Server = &http.Server{Handler: api.requireKey(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = api.Serve(ln) }()
	return api, nil
}

// requireKey refuses a call without the API key.
func (a *billingAPI) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		if r.Header.Get("Authorization") != "" || r.Header.Get("Mandate-Approval") != "" {
			a.tokens = true
		}
		a.mu.Unlock()
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(apiKeyHeader)), []byte(a.key)) != 1 {
			http.Error(w, "a valid "+apiKeyHeader+" is required", http.StatusUnauthorized)
			return
		}
		a.mu.Lock()
		a.keyed++
		a.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// execute executes one refund: the body names it, and the gateway's
// Mandate-Authorization-Details must be the person's approval of exactly
// that refund (the API checks for itself what the gateway checked).
func (a *billingAPI) execute(w http.ResponseWriter, r *http.Request) {
	var want refundDetail
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&want); err != nil {
		http.Error(w, "the body names the refund: {invoice, amount, currency}", http.StatusBadRequest)
		return
	}
	want.Type = "refund"
	if !approves(json.RawMessage(r.Header.Get("Mandate-Authorization-Details")), want) {
		http.Error(w, "no approval of this refund", http.StatusForbidden)
		return
	}
	a.mu.Lock()
	a.executed++
	a.mu.Unlock()
	fmt.Fprintf(w, "refund %s executed, as approved\n", want)
}

// approves says whether details (RFC 9396 authorization_details) are
// exactly one object, the refund want, with no other field.
func approves(details json.RawMessage, want refundDetail) bool {
	var got []map[string]any
	if json.Unmarshal(details, &got) != nil || len(got) != 1 {
		return false
	}
	b, _ := json.Marshal(want)
	var exact map[string]any
	_ = json.Unmarshal(b, &exact)
	return reflect.DeepEqual(got[0], exact)
}

// stats is what the API saw: calls with its key, whether a Mandate token
// reached it, refunds executed.
func (a *billingAPI) stats() (keyed int, tokens bool, executed int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keyed, a.tokens, a.executed
}

// billingOperations are the billing tool's operations: the scope each
// needs, and which need a person's approval.
const billingOperations = `[
  {"method": "GET", "path": "/invoices", "scope": "invoices:read"},
  {"method": "POST", "path": "/refunds/preview", "scope": "refunds:preview"},
  {"method": "POST", "path": "/refunds/execute", "scope": "refunds:execute", "approval": true}
]`

// registerTool is the admin's part: the API key goes into the vault
// (write-only: no answer ever carries it again) and the billing tool is
// registered to inject it. The tool is internal: its upstream is on
// loopback, which the gateway otherwise refuses. A tool named billing
// from an earlier play is pointed at this play's API and key.
func (p *player) registerTool(ctx context.Context, api *billingAPI, suffix string) error {
	var cred struct {
		CreateCredential struct{ ID string } `json:"createCredential"`
	}
	if err := p.graphql(ctx, p.cfg.AdminToken, `mutation($in: CreateCredentialInput!) { createCredential(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "billing API key " + suffix, "kind": "api_key", "token": api.key}}, &cred); err != nil {
		return fmt.Errorf("store the billing API's key: %w", err)
	}
	in := map[string]any{"name": "billing", "description": "the billing API", "upstreamURL": api.URL, "injection": "header",
		"headerName": apiKeyHeader, "headerTemplate": "{secret}", "credentialSource": "workspace", "credentialID": cred.CreateCredential.ID,
		"operations": billingOperations, "internal": true, "disabled": false}
	var tools struct {
		Tools []struct{ ID, Name string }
	}
	if err := p.graphql(ctx, p.cfg.AdminToken, `{ tools { id name } }`, nil, &tools); err != nil {
		return fmt.Errorf("list the tools: %w", err)
	}
	var out struct{ CreateTool, UpdateTool struct{ ID string } }
	query, vars := `mutation($in: ToolInput!) { createTool(input: $in) { id } }`, map[string]any{"in": in}
	for _, t := range tools.Tools {
		if t.Name == "billing" {
			query, vars = `mutation($id: ID!, $in: ToolInput!) { updateTool(id: $id, input: $in) { id } }`, map[string]any{"id": t.ID, "in": in}
		}
	}
	if err := p.graphql(ctx, p.cfg.AdminToken, query, vars, &out); err != nil {
		return fmt.Errorf("register the billing tool: %w", err)
	}
	p.say("the admin stored the billing API's key in the vault (credential %s) and registered the tool billing (internal: %s)",
		cred.CreateCredential.ID, api.URL)
	return nil
}

// gatewayURL is where agents call the billing tool.
func (p *player) gatewayURL(path string) string { return p.issuer + "/gateway/billing" + path }

// viaGateway calls the billing tool as billing: its on-behalf-of token as
// the bearer, and, for an approved operation, its approval token in
// Mandate-Approval. Everything billing receives is kept, to check it
// never held the API's key.
func (p *player) viaGateway(ctx context.Context, method, path, bearer, approvalTok string, body any) (int, http.Header, string, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, p.gatewayURL(path), rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	if approvalTok != "" {
		req.Header.Set("Mandate-Approval", approvalTok)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	for k, vs := range resp.Header {
		p.received = append(p.received, k+": "+strings.Join(vs, ", "))
	}
	p.received = append(p.received, string(b))
	p.answers++
	return resp.StatusCode, resp.Header, strings.TrimSpace(string(b)), nil
}

// checkKeyStayedHome checks the API saw its key on every call billing
// made, and nothing billing received carries it, in any form the gateway
// scrubs.
func (p *player) checkKeyStayedHome(api *billingAPI) error {
	keyed, tokens, _ := api.stats()
	if keyed == 0 {
		return fmt.Errorf("the billing API never saw its key")
	}
	if tokens {
		return fmt.Errorf("a Mandate token reached the billing API")
	}
	all := strings.Join(p.received, "\n")
	for _, form := range []string{api.key, base64.StdEncoding.EncodeToString([]byte(api.key))} {
		if strings.Contains(all, form) {
			return fmt.Errorf("billing received the billing API's key")
		}
	}
	p.say("the billing API saw its key on %d calls and no Mandate token; billing received none of the key in %d answers",
		keyed, p.answers)
	return nil
}
