// Package gateway owns the tools registry and the tool gateway: the
// upstream APIs agents may call (where they are, which vault credential is
// injected and how, the scope each operation needs, which need a person's
// approval, what is redacted from answers) and the HTTP edge at
// /t/{slug}/gateway/{tool}/{path...} that checks an agent's authority on
// every call, injects the credential, forwards the request to the
// registered upstream only, scrubs the secret from the answer and audits
// the call. The agent never sees the credential.
package gateway

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Operation is one call a tool allows: a method and a path pattern (/ then
// segments; * is one segment, a final ** the rest), the scope it needs, and
// whether it needs a person's single-use approval.
type Operation struct {
	Method   string `json:"method"`
	Path     string `json:"path"`
	Scope    string `json:"scope"`
	Approval bool   `json:"approval"`
}

// Redaction is what the gateway removes from upstream answers beyond the
// secret itself: response headers and top-level-or-nested JSON fields.
type Redaction struct {
	Headers    []string `json:"headers,omitempty"`
	JSONFields []string `json:"json_fields,omitempty"`
}

// ToolInput is a tool to create, or a tool's new definition.
type ToolInput struct {
	Name             string
	Description      string
	UpstreamURL      string
	Injection        tool.Injection
	HeaderName       string
	HeaderTemplate   string
	QueryParam       string
	CredentialSource tool.CredentialSource
	CredentialID     int
	Provider         string
	Operations       string // JSON [Operation]
	Redaction        string // JSON Redaction
	Internal         bool
	TimeoutMs        int
	MaxBodyBytes     int64
	Disabled         bool
}

// Service manages the workspace's tools.
type Service struct {
	client *ent.Client
	audit  *audit.Recorder
}

// NewService returns the tools registry.
func NewService(client *ent.Client, rec *audit.Recorder) *Service {
	if rec == nil {
		rec = audit.NewRecorder()
	}
	return &Service{client: client, audit: rec}
}

var (
	toolName   = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,100}$`)
	headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
	queryName  = regexp.MustCompile(`^[A-Za-z0-9_.~-]{1,100}$`)
	methods    = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}
	// hopByHop are the connection's own headers, never forwarded.
	hopByHop = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade"}
)

func isHopByHop(name string) bool {
	for _, h := range hopByHop {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// mayAdmin: tools are an admin's (or the system's, for a workspace).
func mayAdmin(v viewer.Viewer) error {
	if !v.HasTenant() {
		return apperr.New(apperr.Unauthenticated, "no workspace")
	}
	if v.IsSystem() || v.Kind != viewer.Agent && v.Role.AtLeast(viewer.RoleAdmin) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only an admin can manage tools")
}

// ParseOperations reads a tool's operations.
func ParseOperations(raw string) ([]Operation, error) {
	var ops []Operation
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ops); err != nil {
		return nil, apperr.InvalidField("operations", "operations must be a JSON list of {method, path, scope, approval}")
	}
	return ops, nil
}

// ParseRedaction reads a tool's redaction rules.
func ParseRedaction(raw string) (Redaction, error) {
	var r Redaction
	if strings.TrimSpace(raw) == "" {
		return r, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, apperr.InvalidField("redaction", `redaction must be JSON {"headers":[…],"json_fields":[…]}`)
	}
	return r, nil
}

func validPattern(p string) bool {
	if !strings.HasPrefix(p, "/") || len(p) > 500 {
		return false
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		switch {
		case s == "**" && i != len(segs)-1:
			return false
		case s == "." || s == ".." || strings.ContainsAny(s, "\\%?#\x00\r\n"):
			return false
		case s == "" && i != len(segs)-1:
			return false
		case s != "*" && s != "**" && strings.Contains(s, "*"):
			return false
		}
	}
	return true
}

// validate checks a tool's definition against the workspace.
func (s *Service) validate(ctx context.Context, in *ToolInput) error {
	in.Name = strings.TrimSpace(in.Name)
	if !toolName.MatchString(in.Name) {
		return apperr.InvalidField("name", "a tool name is 1-100 letters, digits and _ . : - /")
	}
	if len(in.Description) > 500 {
		return apperr.InvalidField("description", "a description is at most 500 characters")
	}
	u, err := url.Parse(in.UpstreamURL)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" || len(in.UpstreamURL) > 2000 {
		return apperr.InvalidField("upstreamUrl", "the upstream URL must be an absolute https URL")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && in.Internal) {
		return apperr.InvalidField("upstreamUrl", "the upstream URL must use https (http only for an internal tool)")
	}
	if u.User != nil || u.Fragment != "" || u.RawQuery != "" || u.ForceQuery || u.Opaque != "" {
		return apperr.InvalidField("upstreamUrl", "the upstream URL has no credentials, query or fragment")
	}
	if strings.Contains(u.Path, "..") || strings.Contains(u.Path, "//") {
		return apperr.InvalidField("upstreamUrl", "the upstream URL's path must be clean")
	}
	switch in.Injection {
	case tool.InjectionHeader:
		if !headerName.MatchString(in.HeaderName) || isHopByHop(in.HeaderName) ||
			strings.EqualFold(in.HeaderName, "Host") || strings.EqualFold(in.HeaderName, "Authorization") ||
			strings.EqualFold(in.HeaderName, "Cookie") || strings.EqualFold(in.HeaderName, "Content-Length") {
			return apperr.InvalidField("headerName", "the header must be a valid name, not a hop-by-hop, Host, Cookie, Content-Length or Authorization header (use bearer or basic)")
		}
		if !strings.Contains(in.HeaderTemplate, "{secret}") || strings.ContainsAny(in.HeaderTemplate, "\r\n\x00") || len(in.HeaderTemplate) > 200 {
			return apperr.InvalidField("headerTemplate", "the header template contains {secret}, on one line")
		}
	case tool.InjectionQuery:
		if !queryName.MatchString(in.QueryParam) {
			return apperr.InvalidField("queryParam", "the query parameter must be a plain name")
		}
	case tool.InjectionBearer, tool.InjectionBasic:
	default:
		return apperr.InvalidField("injection", "injection must be header, bearer, basic or query")
	}
	switch in.CredentialSource {
	case "", tool.CredentialSourceWorkspace:
		in.CredentialSource = tool.CredentialSourceWorkspace
		c, err := s.client.Credential.Query().Where(credential.ID(in.CredentialID), credential.RevokedAtIsNil()).
			Only(viewer.AsSystem(ctx, "tool credential"))
		if err != nil {
			return apperr.InvalidField("credentialId", "no such credential in the vault (or it is revoked)")
		}
		if in.Injection == tool.InjectionBasic && c.Kind != credential.KindBasic {
			return apperr.InvalidField("credentialId", "basic injection needs a basic credential")
		}
	case tool.CredentialSourceConnected:
		if in.Provider == "" {
			return apperr.InvalidField("provider", "a connected-account tool names its provider")
		}
		in.CredentialID = 0
	default:
		return apperr.InvalidField("credentialSource", "credential source must be workspace or connected")
	}
	ops, err := ParseOperations(in.Operations)
	if err != nil {
		return err
	}
	if len(ops) == 0 || len(ops) > 200 {
		return apperr.InvalidField("operations", "a tool has 1-200 operations")
	}
	t, err := s.client.Tenant.Get(viewer.AsSystem(ctx, "tool scopes"), viewer.FromContext(ctx).TenantID)
	if err != nil {
		return apperr.Wrap(err, "workspace")
	}
	for n, op := range ops {
		op.Method = strings.ToUpper(op.Method)
		ops[n] = op
		if !methods[op.Method] {
			return apperr.InvalidField("operations", "operation %d: method must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS", n+1)
		}
		if !validPattern(op.Path) {
			return apperr.InvalidField("operations", "operation %d: the path pattern starts with / and uses * for a segment, a final ** for the rest", n+1)
		}
		if op.Scope == "" || !t.Settings.KnowsScope(op.Scope) {
			return apperr.InvalidField("operations", "operation %d: %q is not a scope in the workspace's catalog", n+1, op.Scope)
		}
	}
	b, _ := json.Marshal(ops)
	in.Operations = string(b)
	red, err := ParseRedaction(in.Redaction)
	if err != nil {
		return err
	}
	for _, h := range red.Headers {
		if !headerName.MatchString(h) {
			return apperr.InvalidField("redaction", "%q is not a header name", h)
		}
	}
	for _, f := range red.JSONFields {
		if f == "" || len(f) > 200 {
			return apperr.InvalidField("redaction", "a JSON field name is 1-200 characters")
		}
	}
	b, _ = json.Marshal(red)
	in.Redaction = string(b)
	if in.TimeoutMs == 0 {
		in.TimeoutMs = 10000
	}
	if in.TimeoutMs < 100 || in.TimeoutMs > 300000 {
		return apperr.InvalidField("timeoutMs", "the timeout is 100 ms to 5 minutes")
	}
	if in.MaxBodyBytes == 0 {
		in.MaxBodyBytes = 10 << 20
	}
	if in.MaxBodyBytes < 1 || in.MaxBodyBytes > 100<<20 {
		return apperr.InvalidField("maxBodyBytes", "the body limit is 1 byte to 100 MiB")
	}
	return nil
}

func toolEvent(action string, t *ent.Tool) audit.Event {
	ev := audit.Event{Action: action, TargetType: "tool", TargetID: strconv.Itoa(t.ID),
		Details: map[string]string{"name": t.Name, "upstream": t.UpstreamURL, "injection": string(t.Injection),
			"credential_source": string(t.CredentialSource), "internal": strconv.FormatBool(t.Internal),
			"disabled": strconv.FormatBool(t.Disabled)}}
	if t.CredentialID != 0 {
		ev.CredentialID = strconv.Itoa(t.CredentialID)
	}
	return ev
}

// CreateTool registers a tool.
func (s *Service) CreateTool(ctx context.Context, in ToolInput) (*ent.Tool, error) {
	if err := mayAdmin(viewer.FromContext(ctx)); err != nil {
		return nil, err
	}
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	var out *ent.Tool
	err := entx.InTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		out, err = tx.Tool.Create().SetName(in.Name).SetDescription(in.Description).SetUpstreamURL(in.UpstreamURL).
			SetInjection(in.Injection).SetHeaderName(in.HeaderName).SetHeaderTemplate(in.HeaderTemplate).
			SetQueryParam(in.QueryParam).SetCredentialSource(in.CredentialSource).SetCredentialID(in.CredentialID).
			SetProvider(in.Provider).SetOperations(in.Operations).SetRedaction(in.Redaction).SetInternal(in.Internal).
			SetTimeoutMs(in.TimeoutMs).SetMaxBodyBytes(in.MaxBodyBytes).SetDisabled(in.Disabled).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "tool")
		}
		_, err = s.audit.Record(ctx, tx, toolEvent("tool.created", out))
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// UpdateTool replaces a tool's definition.
func (s *Service) UpdateTool(ctx context.Context, id int, in ToolInput) (*ent.Tool, error) {
	if err := mayAdmin(viewer.FromContext(ctx)); err != nil {
		return nil, err
	}
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	var out *ent.Tool
	err := entx.InTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		out, err = tx.Tool.UpdateOneID(id).SetName(in.Name).SetDescription(in.Description).SetUpstreamURL(in.UpstreamURL).
			SetInjection(in.Injection).SetHeaderName(in.HeaderName).SetHeaderTemplate(in.HeaderTemplate).
			SetQueryParam(in.QueryParam).SetCredentialSource(in.CredentialSource).SetCredentialID(in.CredentialID).
			SetProvider(in.Provider).SetOperations(in.Operations).SetRedaction(in.Redaction).SetInternal(in.Internal).
			SetTimeoutMs(in.TimeoutMs).SetMaxBodyBytes(in.MaxBodyBytes).SetDisabled(in.Disabled).Save(ctx)
		if err != nil {
			return apperr.Wrap(err, "tool")
		}
		_, err = s.audit.Record(ctx, tx, toolEvent("tool.updated", out))
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// SetDisabled turns a tool off (the gateway refuses it at once) or back on.
func (s *Service) SetDisabled(ctx context.Context, id int, disabled bool) (*ent.Tool, error) {
	if err := mayAdmin(viewer.FromContext(ctx)); err != nil {
		return nil, err
	}
	var out *ent.Tool
	err := entx.InTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if out, err = tx.Tool.UpdateOneID(id).SetDisabled(disabled).Save(ctx); err != nil {
			return apperr.Wrap(err, "tool")
		}
		_, err = s.audit.Record(ctx, tx, toolEvent("tool.updated", out))
		return apperr.Wrap(err, "audit event")
	})
	return out, err
}

// DeleteTool removes a tool.
func (s *Service) DeleteTool(ctx context.Context, id int) error {
	if err := mayAdmin(viewer.FromContext(ctx)); err != nil {
		return err
	}
	return entx.InTx(ctx, s.client, func(tx *ent.Tx) error {
		t, err := tx.Tool.Get(ctx, id)
		if err != nil {
			return apperr.Wrap(err, "tool")
		}
		if err := tx.Tool.DeleteOne(t).Exec(ctx); err != nil {
			return apperr.Wrap(err, "tool")
		}
		_, err = s.audit.Record(ctx, tx, toolEvent("tool.deleted", t))
		return apperr.Wrap(err, "audit event")
	})
}

// ListTools lists the workspace's tools by name.
func (s *Service) ListTools(ctx context.Context) ([]*ent.Tool, error) {
	if err := mayAdmin(viewer.FromContext(ctx)); err != nil {
		return nil, err
	}
	out, err := s.client.Tool.Query().Order(ent.Asc(tool.FieldName)).All(ctx)
	return out, apperr.Wrap(err, "tools")
}

// Tool returns the workspace's tool by name.
func (s *Service) Tool(ctx context.Context, name string) (*ent.Tool, error) {
	if err := mayAdmin(viewer.FromContext(ctx)); err != nil {
		return nil, err
	}
	out, err := s.client.Tool.Query().Where(tool.Name(name)).Only(ctx)
	return out, apperr.Wrap(err, "tool")
}
