package graph

import (
	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/graph/model"
	"github.com/mandatehq/mandate/internal/apperr"
)

// WithTools wires the tools registry.
func (h *Handler) WithTools(s *gateway.Service) *Handler {
	h.resolver.tools = s
	return h
}

func (r *Resolver) toolsOrErr() (*gateway.Service, error) {
	if r.tools == nil {
		return nil, apperr.New(apperr.Internal, "tools are not configured")
	}
	return r.tools, nil
}

// toolInput parses GraphQL input into the registry's.
func toolInput(in model.ToolInput) gateway.ToolInput {
	out := gateway.ToolInput{Name: in.Name, Description: deref(in.Description), UpstreamURL: in.UpstreamURL,
		Injection: tool.Injection(in.Injection), HeaderName: deref(in.HeaderName), HeaderTemplate: deref(in.HeaderTemplate),
		QueryParam: deref(in.QueryParam), CredentialSource: tool.CredentialSourceWorkspace, Provider: deref(in.Provider),
		Operations: in.Operations, Redaction: deref(in.Redaction)}
	if in.CredentialSource != nil {
		out.CredentialSource = tool.CredentialSource(*in.CredentialSource)
	}
	if in.CredentialID != nil {
		out.CredentialID = *in.CredentialID
	}
	if in.Internal != nil {
		out.Internal = *in.Internal
	}
	if in.TimeoutMs != nil {
		out.TimeoutMs = *in.TimeoutMs
	}
	if in.MaxBodyBytes != nil {
		out.MaxBodyBytes = int64(*in.MaxBodyBytes)
	}
	if in.Disabled != nil {
		out.Disabled = *in.Disabled
	}
	if out.Redaction == "" {
		out.Redaction = "{}"
	}
	return out
}
