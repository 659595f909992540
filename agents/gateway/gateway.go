package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/mandatehq/mandate/internal/netguard"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Tokens is what the gateway needs of the issuer: who a token speaks for,
// and spending a single-use approval token.
type Tokens interface {
	PrincipalOf(ctx context.Context, slug, token string) (*issuer.Principal, error)
	ConsumeApprovalToken(ctx context.Context, slug, token, caller string) (approvalID string, details json.RawMessage, scopes []string, ok bool)
}

// Vault opens a credential for injection.
type Vault interface {
	Open(ctx context.Context, id int) (vault.Secret, *ent.Credential, error)
}

// Workspaces resolves a slug.
type Workspaces interface {
	TenantIDBySlug(ctx context.Context, slug string) (int, error)
}

// Config wires a Gateway.
type Config struct {
	Client  *ent.Client
	Tenants Workspaces
	Tokens  Tokens
	Vault   Vault
	// Connected opens people's connected accounts, for tools whose
	// credential_source is connected; nil refuses those tools.
	Connected Connected
	Audit     *audit.Recorder
	// Batch appends the gateway's audit events, many calls' to a
	// transaction; nil makes one on Client and Audit.
	Batch *audit.Batcher
	Now   func() time.Time
	Log   *slog.Logger
}

// Gateway is the HTTP edge agents call tools through.
type Gateway struct {
	cfg      Config
	external *http.Client // public addresses only
	internal *http.Client // any address: for tools marked internal
	checks   checks       // what calls checked, by token and tool (cache.go)
	// touched is when this replica last recorded each credential's last
	// use, by id: it records it at most once a second.
	touched sync.Map
}

// ApprovalHeader carries a single-use approval token beside the caller's
// own bearer token.
const ApprovalHeader = "Mandate-Approval"

// errAddress is a dial refused because the address is not public.
var errAddress = netguard.ErrAddress

// New returns the gateway.
func New(cfg Config) *Gateway {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.NewRecorder()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Batch == nil {
		cfg.Batch = audit.NewBatcher(cfg.Audit, cfg.Client, cfg.Log)
	}
	return &Gateway{cfg: cfg, external: newClient(false), internal: newClient(true)}
}

func newClient(internal bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !internal {
		d.Control = netguard.Control
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0, // the tool's timeout bounds the call
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Mount adds the gateway's route.
func (g *Gateway) Mount(mux *http.ServeMux) {
	mux.Handle("/t/{slug}/gateway/{tool}/{path...}", g)
}

// Guard routes every /t/{slug}/gateway/… request to the gateway before
// the mux sees it: the mux would answer a path with ./.. or // segments
// with a redirect to its clean form, where the gateway refuses it.
func (g *Gateway) Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, rest, ok := strings.Cut(r.URL.EscapedPath(), "/t/"); ok && strings.HasPrefix(r.URL.EscapedPath(), "/t/") {
			if _, after, ok := strings.Cut(rest, "/"); ok && strings.HasPrefix(after, "gateway/") {
				g.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// call is one gateway call as it is checked, forwarded and audited.
type call struct {
	r        *http.Request
	slug     string
	toolName string
	rawPath  string // the escaped path below the tool, from /
	path     string // its decoded form, for matching
	tenantID int
	p        *issuer.Principal
	agentRow *ent.Agent
	tool     *ent.Tool
	op       *Operation
	red      Redaction // the tool's redaction rules
	sc       *scrubber // replaces the credential's secret in answers
	approval string
	cred     *ent.Credential
	status   int
	bytesIn  int64
	bytesOut int64
}

// refusal is an answer the gateway gives itself.
type refusal struct {
	status int
	code   string
	detail string
}

func refuse(status int, code, detail string) *refusal { return &refusal{status, code, detail} }

// splitPath takes /t/{slug}/gateway/{tool}{/path} apart on the escaped
// path and refuses every trick: dot segments, empty segments, encoded
// slashes or backslashes, control characters.
func splitPath(escaped string) (slug, name, raw, decoded string, bad *refusal) {
	rest, ok := strings.CutPrefix(escaped, "/t/")
	if !ok {
		return "", "", "", "", refuse(http.StatusNotFound, "not_found", "no such endpoint")
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) < 3 || parts[1] != "gateway" {
		return "", "", "", "", refuse(http.StatusNotFound, "not_found", "no such endpoint")
	}
	slug = parts[0]
	name, err := url.PathUnescape(parts[2])
	if err != nil || !toolName.MatchString(name) {
		return slug, "", "", "", refuse(http.StatusNotFound, "no_such_tool", "no such tool")
	}
	raw = "/"
	if len(parts) == 4 {
		raw = "/" + parts[3]
	}
	bad = refuse(http.StatusBadRequest, "invalid_path", "the path must be plain: no dot segments, empty segments, encoded slashes, backslashes or control characters")
	low := strings.ToLower(raw)
	if strings.Contains(low, "%2f") || strings.Contains(low, "%5c") || strings.Contains(low, "%00") || strings.Contains(raw, "\\") {
		return slug, name, "", "", bad
	}
	decoded, err = url.PathUnescape(raw)
	if err != nil {
		return slug, name, "", "", bad
	}
	for _, c := range decoded {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return slug, name, "", "", bad
		}
	}
	segs := strings.Split(decoded[1:], "/")
	for i, s := range segs {
		if s == "." || s == ".." || s == "" && i != len(segs)-1 {
			return slug, name, "", "", bad
		}
	}
	return slug, name, raw, decoded, nil
}

// matchPath matches a decoded path against an operation's pattern.
func matchPath(pattern, path string) bool {
	ps := strings.Split(pattern[1:], "/")
	xs := strings.Split(path[1:], "/")
	for i, p := range ps {
		if p == "**" {
			return len(xs) >= i
		}
		if i >= len(xs) {
			return false
		}
		if p == "*" {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return len(xs) == len(ps)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// ServeHTTP checks, forwards and audits one call.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r}
	var bad *refusal
	c.slug, c.toolName, c.rawPath, c.path, bad = splitPath(r.URL.EscapedPath())
	if c.slug != "" {
		id, err := g.cfg.Tenants.TenantIDBySlug(r.Context(), c.slug)
		if err != nil {
			httpx.WriteCodedProblem(w, r, http.StatusNotFound, "not_found", "workspace not found")
			return
		}
		c.tenantID = id
	}
	if bad == nil {
		bad = g.serve(w, c)
	}
	if bad != nil {
		if bad.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		httpx.WriteCodedProblem(w, r, bad.status, bad.code, bad.detail)
	}
	if c.tenantID != 0 {
		g.record(c, bad)
	}
}

// serve runs the checks and the upstream call; a refusal is answered by
// ServeHTTP.
func (g *Gateway) serve(w http.ResponseWriter, c *call) *refusal {
	r := c.r
	ctx := viewer.AsSystem(viewer.ForTenant(r.Context(), c.tenantID), "tool gateway")
	r.Header.Del(DetailsHeader) // only the gateway says what was approved
	tok := bearer(r)
	if tok == "" {
		return refuse(http.StatusUnauthorized, "invalid_token", "an agent's access token is required (Authorization: Bearer)")
	}
	// What earlier calls with this token checked, while nothing in the
	// workspace was revoked since (cache.go).
	version, verr := g.authorityVersion(ctx, c.tenantID)
	var hit *checked
	if verr == nil {
		hit = g.checks.get(keyOf(c.tenantID, tok, c.toolName), version, g.cfg.Now())
	}
	var ops []Operation
	if hit != nil {
		c.p, c.agentRow, c.tool, ops, c.red = hit.p, hit.agent, hit.tool, hit.ops, hit.red
	} else {
		var bad *refusal
		if ops, bad = g.check(ctx, c, tok); bad != nil {
			return bad
		}
	}
	p, a := c.p, c.agentRow
	var err error
	for i := range ops {
		if strings.EqualFold(ops[i].Method, r.Method) && matchPath(ops[i].Path, c.path) {
			c.op = &ops[i]
			break
		}
	}
	if c.op == nil {
		return refuse(http.StatusForbidden, "operation_not_allowed", "the tool has no such operation")
	}
	// The approval, for an operation that needs one: the bearer itself
	// when it is an approval token, else the Mandate-Approval header.
	var approvalTok string
	var ap *issuer.Principal
	if c.op.Approval {
		switch {
		case p.ApprovalID != "":
			approvalTok, ap = tok, p
		case r.Header.Get(ApprovalHeader) != "":
			approvalTok = strings.TrimSpace(r.Header.Get(ApprovalHeader))
			ap, err = g.cfg.Tokens.PrincipalOf(r.Context(), c.slug, approvalTok)
			if errors.Is(err, issuer.ErrApprovalSpent) {
				return refuse(http.StatusForbidden, "approval_used", "the approval token was already used")
			}
			if err != nil || ap.ApprovalID == "" {
				return refuse(http.StatusForbidden, "approval_required", "the approval token is not active (or already used)")
			}
			if ap.Agent() != p.Agent() {
				return refuse(http.StatusForbidden, "approval_required", "the approval token was issued to another agent")
			}
		default:
			return refuse(http.StatusForbidden, "approval_required", "this operation needs a person's approval: present the approval token")
		}
		c.approval = ap.ApprovalID
		if !slices.Contains(ap.Scopes, c.op.Scope) {
			return refuse(http.StatusForbidden, "insufficient_scope", "the approval does not cover "+c.op.Scope)
		}
		// The approval is for one action: the call must be that action.
		if bad := c.bindApproval(w, ap); bad != nil {
			return bad
		}
	} else if !slices.Contains(p.Scopes, c.op.Scope) {
		return refuse(http.StatusForbidden, "insufficient_scope", "the token lacks the scope "+c.op.Scope)
	}
	// The credential.
	var sec vault.Secret
	if hit != nil && hit.cred != nil {
		sec, c.cred, c.sc = hit.sec, hit.cred, hit.sc
	} else {
		var bad *refusal
		if sec, bad = g.credential(ctx, c); bad != nil {
			return bad
		}
		c.sc = newScrubber(sec)
		if verr == nil {
			g.keep(c, version, tok, ops, sec)
		}
	}
	// Spend the approval last, when nothing else can refuse the call.
	if approvalTok != "" {
		if _, _, _, ok := g.cfg.Tokens.ConsumeApprovalToken(r.Context(), c.slug, approvalTok, a.ClientID); !ok {
			return refuse(http.StatusForbidden, "approval_used", "the approval token was already used")
		}
	}
	return g.forward(w, c, sec)
}

// check finds who the token speaks for and that it may use the tool: the
// token active and its authority standing, the agent active and allowed
// the tool, the tool enabled and its operations sound.
func (g *Gateway) check(ctx context.Context, c *call, tok string) ([]Operation, *refusal) {
	p, err := g.cfg.Tokens.PrincipalOf(c.r.Context(), c.slug, tok)
	if errors.Is(err, issuer.ErrApprovalSpent) {
		return nil, refuse(http.StatusForbidden, "approval_used", "the approval token was already used")
	}
	if err != nil {
		return nil, refuse(http.StatusUnauthorized, "invalid_token", "the access token is not active")
	}
	c.p = p
	a, err := g.cfg.Client.Agent.Query().Where(agent.ClientID(p.Agent())).Only(ctx)
	if err != nil {
		return nil, refuse(http.StatusForbidden, "not_an_agent", "only an agent calls tools through the gateway")
	}
	c.agentRow = a
	if a.Status != agent.StatusActive {
		return nil, refuse(http.StatusForbidden, "agent_inactive", "the agent is "+string(a.Status))
	}
	t, err := g.cfg.Client.Tool.Query().Where(tool.Name(c.toolName)).Only(ctx)
	if err != nil || t.Disabled {
		return nil, refuse(http.StatusNotFound, "no_such_tool", "no such tool")
	}
	c.tool = t
	if !slices.Contains(a.Tools, t.Name) {
		return nil, refuse(http.StatusForbidden, "tool_not_allowed", "the agent may not use this tool")
	}
	ops, err := ParseOperations(t.Operations)
	if err != nil {
		return nil, refuse(http.StatusBadGateway, "tool_misconfigured", "the tool's operations do not parse")
	}
	c.red, _ = ParseRedaction(t.Redaction)
	return ops, nil
}

// scrubber replaces every copy of the secret, in the forms an upstream
// could echo it in.
type scrubber struct {
	olds [][]byte
	max  int
}

const redacted = "[redacted]"

func newScrubber(sec vault.Secret) *scrubber {
	s := &scrubber{}
	add := func(v string) {
		if len(v) < 4 {
			return
		}
		for _, o := range s.olds {
			if string(o) == v {
				return
			}
		}
		s.olds = append(s.olds, []byte(v))
		s.max = max(s.max, len(v))
	}
	for _, v := range sec.Values() {
		add(v)
		add(base64.StdEncoding.EncodeToString([]byte(v)))
		add(base64.RawURLEncoding.EncodeToString([]byte(v)))
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
		if b, err := json.Marshal(v); err == nil {
			add(string(b[1 : len(b)-1]))
		}
	}
	// Longest first, so a value is replaced whole before its parts.
	slices.SortFunc(s.olds, func(a, b []byte) int { return len(b) - len(a) })
	return s
}

func (s *scrubber) bytes(b []byte) []byte {
	for _, o := range s.olds {
		if bytes.Contains(b, o) {
			b = bytes.ReplaceAll(b, o, []byte(redacted))
		}
	}
	return b
}

func (s *scrubber) string(v string) string { return string(s.bytes([]byte(v))) }

// scrubWriter streams a body, scrubbed, holding back just enough bytes
// for a secret split across two reads.
type scrubWriter struct {
	s       *scrubber
	w       io.Writer
	pending []byte
	n       int64
}

func (sw *scrubWriter) Write(b []byte) (int, error) {
	sw.pending = sw.s.bytes(append(sw.pending, b...))
	keep := max(sw.s.max-1, 0)
	if len(sw.pending) > keep {
		out := sw.pending[:len(sw.pending)-keep]
		n, err := sw.w.Write(out)
		sw.n += int64(n)
		if err != nil {
			return 0, err
		}
		sw.pending = append(sw.pending[:0], sw.pending[len(sw.pending)-keep:]...)
	}
	return len(b), nil
}

func (sw *scrubWriter) Close() error {
	n, err := sw.w.Write(sw.pending)
	sw.n += int64(n)
	sw.pending = nil
	return err
}

// connectionHeaders removes hop-by-hop headers, and those the Connection
// header names.
func connectionHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}

// countingReader counts a request body's bytes. The transport may still
// be writing the body when the answer arrives, so the count is atomic.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// forward makes the upstream call and streams the answer back, scrubbed.
func (g *Gateway) forward(w http.ResponseWriter, c *call, sec vault.Secret) *refusal {
	r, t := c.r, c.tool
	base, err := url.Parse(t.UpstreamURL)
	if err != nil {
		return refuse(http.StatusBadGateway, "tool_misconfigured", "the tool's upstream URL does not parse")
	}
	target := &url.URL{Scheme: base.Scheme, Host: base.Host}
	target.Path = strings.TrimSuffix(base.Path, "/") + c.path
	target.RawPath = strings.TrimSuffix(base.EscapedPath(), "/") + c.rawPath
	q := r.URL.Query()
	q.Del("access_token")
	if t.Injection == tool.InjectionQuery {
		q.Del(t.QueryParam)
	}
	if r.ContentLength > t.MaxBodyBytes {
		return refuse(http.StatusRequestEntityTooLarge, "body_too_large", "the request body exceeds the tool's limit")
	}
	var body io.Reader
	var counted *countingReader
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		counted = &countingReader{r: http.MaxBytesReader(w, r.Body, t.MaxBodyBytes)}
		body = counted
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(t.TimeoutMs)*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, target.String(), body)
	if err != nil {
		return refuse(http.StatusBadRequest, "invalid_path", "the path does not make a URL")
	}
	req.ContentLength = r.ContentLength
	req.Header = r.Header.Clone()
	connectionHeaders(req.Header)
	for _, h := range []string{"Authorization", "Cookie", ApprovalHeader, "Accept-Encoding", "Forwarded",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Proxy-Authorization"} {
		req.Header.Del(h)
	}
	switch t.Injection {
	case tool.InjectionHeader:
		req.Header.Set(t.HeaderName, strings.ReplaceAll(t.HeaderTemplate, "{secret}", secretValue(sec)))
	case tool.InjectionBearer:
		req.Header.Set("Authorization", "Bearer "+secretValue(sec))
	case tool.InjectionBasic:
		req.SetBasicAuth(sec.Username, sec.Password)
	case tool.InjectionQuery:
		q.Set(t.QueryParam, secretValue(sec))
	}
	req.URL.RawQuery = q.Encode()
	client := g.external
	if t.Internal {
		client = g.internal
	}
	resp, err := client.Do(req)
	if counted != nil {
		c.bytesIn = counted.n.Load()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return refuse(http.StatusRequestEntityTooLarge, "body_too_large", "the request body exceeds the tool's limit")
		case errors.Is(err, errAddress):
			return refuse(http.StatusBadGateway, "upstream_refused", "the upstream address is not public and the tool is not internal")
		case errors.Is(err, context.DeadlineExceeded):
			return refuse(http.StatusGatewayTimeout, "upstream_timeout", "the upstream did not answer in time")
		}
		return refuse(http.StatusBadGateway, "upstream_unreachable", "the upstream could not be reached")
	}
	defer resp.Body.Close()
	c.status = resp.StatusCode
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		to, err := req.URL.Parse(loc)
		if err != nil || to.Scheme != base.Scheme || !strings.EqualFold(to.Host, base.Host) {
			return refuse(http.StatusBadGateway, "redirect_refused", "the upstream redirected to another host")
		}
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return refuse(http.StatusBadGateway, "upstream_encoding", "the upstream answered with an encoding the gateway cannot scrub")
	}
	red, sc := c.red, c.sc
	h := w.Header()
	for k, vs := range resp.Header {
		if isHopByHop(k) || strings.EqualFold(k, "Content-Length") {
			continue
		}
		if slices.ContainsFunc(red.Headers, func(x string) bool { return strings.EqualFold(x, k) }) {
			continue
		}
		for _, v := range vs {
			h.Add(k, sc.string(v))
		}
	}
	connectionHeaders(h)
	h.Set("Cache-Control", "no-store")
	if len(red.JSONFields) > 0 && isJSON(resp.Header.Get("Content-Type")) {
		raw, err := io.ReadAll(io.LimitReader(resp.Body, t.MaxBodyBytes+1))
		if err != nil {
			return refuse(http.StatusBadGateway, "upstream_unreachable", "the upstream's answer broke off")
		}
		if int64(len(raw)) > t.MaxBodyBytes {
			return refuse(http.StatusBadGateway, "upstream_too_large", "the upstream's answer exceeds the tool's limit")
		}
		out, ok := dropFields(raw, red.JSONFields)
		if !ok {
			return refuse(http.StatusBadGateway, "upstream_unparsable", "the upstream's JSON answer does not parse")
		}
		out = sc.bytes(out)
		w.WriteHeader(resp.StatusCode)
		n, _ := w.Write(out)
		c.bytesOut = int64(n)
		return nil
	}
	w.WriteHeader(resp.StatusCode)
	sw := &scrubWriter{s: sc, w: w}
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := sw.Write(buf[:n]); werr != nil {
				break
			}
			_ = rc.Flush()
		}
		if err != nil {
			break
		}
	}
	_ = sw.Close()
	c.bytesOut = sw.n
	return nil
}

func secretValue(s vault.Secret) string {
	if s.Token != "" {
		return s.Token
	}
	return s.AccessToken
}

func isJSON(ct string) bool {
	ct, _, _ = strings.Cut(strings.ToLower(ct), ";")
	ct = strings.TrimSpace(ct)
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// dropFields removes the named fields at any depth of a JSON document.
func dropFields(raw []byte, fields []string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for _, f := range fields {
				delete(x, f)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	return out, err == nil
}

// record audits the call, allowed or refused, with the credential's last
// use. The event needs the upstream's answer, so it is written after the
// call whatever the order; it is committed with other calls' events
// (audit.Batcher) while the answer goes back, instead of before: a
// reader of the trail settles the pending events first (audit.Settle),
// and the server waits for them when it stops.
func (g *Gateway) record(c *call, bad *refusal) {
	ctx := viewer.ForTenant(c.r.Context(), c.tenantID)
	actor := viewer.FromContext(ctx)
	if c.agentRow != nil {
		actor.Kind, actor.ID, actor.Label = viewer.Agent, c.agentRow.ID, c.agentRow.ClientID
	}
	ctx = viewer.NewContext(ctx, actor)
	ev := audit.Event{Action: "gateway.call", TargetType: "tool", TargetID: c.toolName, Outcome: audit.Success, At: g.cfg.Now(),
		Details: map[string]string{"method": c.r.Method, "path": c.path, "upstream_status": strconv.Itoa(c.status),
			"bytes_in": strconv.FormatInt(c.bytesIn, 10), "bytes_out": strconv.FormatInt(c.bytesOut, 10)}}
	if c.path == "" {
		ev.Details["path"] = "(refused)"
	}
	if bad != nil {
		ev.Action, ev.Outcome = "gateway.refused", audit.Denied
		ev.Details["reason"] = bad.code
	}
	if c.p != nil {
		ev.ClientID = c.p.Agent()
		ev.AgentChain = c.p.Act
		if len(ev.AgentChain) == 0 {
			ev.AgentChain = c.p.Chain
		}
		if c.p.GrantID != 0 {
			ev.GrantID = strconv.Itoa(c.p.GrantID)
		}
		ev.RunID = c.p.Run
		if c.p.Subject != "" {
			ev.Details["subject"] = c.p.Subject
		}
	}
	if c.op != nil {
		ev.Scope = []string{c.op.Scope}
		ev.ApprovalRequired = c.op.Approval
		ev.ApprovalID = c.approval
	}
	if c.tool != nil {
		ev.TargetID = strconv.Itoa(c.tool.ID)
		ev.Details["tool"] = c.tool.Name
	} else {
		ev.Details["tool"] = c.toolName
	}
	if c.cred != nil {
		ev.CredentialType, ev.CredentialID = string(c.cred.Kind), strconv.Itoa(c.cred.ID)
	}
	var also audit.Also
	if bad == nil && c.cred != nil {
		also = g.touch(c.cred.ID)
	}
	g.cfg.Batch.Go(ctx, ev, also)
}

// Wait returns once the events of every call answered so far are
// committed: the server calls it when it stops.
func (g *Gateway) Wait() { g.cfg.Batch.Wait() }

// touch returns the write of a credential's last use, or nil when this
// replica wrote it less than a second ago: under load a credential's
// row is written once a second, not once a call.
func (g *Gateway) touch(id int) audit.Also {
	now := g.cfg.Now().UTC()
	if last, ok := g.touched.Load(id); ok && now.Sub(last.(time.Time)) < time.Second {
		return nil
	}
	g.touched.Store(id, now)
	return func(ctx context.Context, tx *ent.Tx) error {
		return tx.Credential.Update().Where(credential.ID(id)).SetLastUsedAt(now).
			Exec(viewer.AsSystem(ctx, "gateway credential use"))
	}
}

// maxApprovedBody bounds the body of a call made under an approval: it is
// read whole, to compare it with what the person approved.
const maxApprovedBody = 1 << 20

// bindApproval holds a call made under an approval to exactly what the
// person approved (RFC 9396 authorization_details): the call's JSON body
// must carry, at its top level, every field of one approved object (but
// its type) with the same value, so another amount or invoice is never
// covered. The approved details also go upstream, in
// Mandate-Authorization-Details, for the API to check for itself. An
// approval without details binds nothing more than its scope.
func (c *call) bindApproval(w http.ResponseWriter, ap *issuer.Principal) *refusal {
	r := c.r
	if len(ap.AuthorizationDetails) == 0 {
		return nil
	}
	var approved []map[string]json.RawMessage
	if err := json.Unmarshal(ap.AuthorizationDetails, &approved); err != nil || len(approved) == 0 {
		return refuse(http.StatusForbidden, "approval_mismatch", "the approval's details do not parse")
	}
	limit := min(c.tool.MaxBodyBytes, maxApprovedBody)
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return refuse(http.StatusRequestEntityTooLarge, "body_too_large", "the request body exceeds the limit of an approved call")
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(raw)), int64(len(raw))
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return refuse(http.StatusForbidden, "approval_mismatch", "a call under an approval sends the approved action as a JSON object")
	}
	for _, obj := range approved {
		if sameFields(obj, body) {
			r.Header.Set(DetailsHeader, string(ap.AuthorizationDetails))
			return nil
		}
	}
	return refuse(http.StatusForbidden, "approval_mismatch", "the call is not the action the person approved")
}

// sameFields says whether body holds every field of the approved object
// (but its type) with an equal JSON value.
func sameFields(approved, body map[string]json.RawMessage) bool {
	for k, want := range approved {
		if k == "type" {
			continue
		}
		got, ok := body[k]
		if !ok || !jsonEqual(want, got) {
			return false
		}
	}
	return true
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// DetailsHeader carries, upstream, the authorization_details a person
// approved for the call.
const DetailsHeader = "Mandate-Authorization-Details"
