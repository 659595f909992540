package graph

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/privacy"
	"github.com/mandatehq/mandate/graph/generated"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Limits on one operation.
const (
	MaxDepth      = 12
	MaxComplexity = 2000
)

// Handler serves /t/{slug}/graphql.
type Handler struct {
	resolver *Resolver
	tenants  *tenants.Service
	exec     *handler.Server
	log      *slog.Logger
	sessions SessionAuthenticator
}

// SessionAuthenticator authenticates a browser by its session cookie,
// including the CSRF check, for requests that carry no bearer token.
type SessionAuthenticator interface {
	// ViewerFromSession returns the signed-in viewer of the workspace ctx is
	// bound to, or an error of kind Unauthenticated (no or bad session) or
	// Forbidden (missing or wrong CSRF token, foreign origin).
	ViewerFromSession(ctx context.Context, r *http.Request) (viewer.Viewer, error)
}

// WithIssuer wires the issuer's applications, keys and connected apps.
func (h *Handler) WithIssuer(s *IssuerServices) *Handler {
	h.resolver.issuer = s
	return h
}

// WithAccounts wires the account management mutations (invitations,
// disabling, deletion, sessions) to the sign-in flows.
func (h *Handler) WithAccounts(f *signin.Flows) *Handler {
	h.resolver.accounts = f
	return h
}

// WithSessions lets browsers use the API with their session cookie.
func (h *Handler) WithSessions(s SessionAuthenticator) *Handler {
	h.sessions = s
	return h
}

// NewHandler returns the GraphQL handler.
func NewHandler(client *ent.Client, ts *tenants.Service, log *slog.Logger) *Handler {
	res := NewResolver(client, ts)
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: res}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(MaxComplexity))
	srv.Use(depthLimit{max: MaxDepth})
	srv.AroundRootFields(agentFieldsOnly)
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql panic", "panic", p)
		return apperr.New(apperr.Internal, "internal error")
	})
	return &Handler{resolver: res, tenants: ts, exec: srv, log: log}
}

// ServeHTTP resolves the workspace from the path, authenticates the bearer
// token in it, and runs the operation as that viewer.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tid, err := h.tenants.TenantIDBySlug(ctx, r.PathValue("slug"))
	if err != nil {
		writeError(w, http.StatusNotFound, apperr.New(apperr.NotFound, "workspace not found"))
		return
	}
	raw, ok := bearer(r)
	if !ok && h.sessions != nil && r.Header.Get("Authorization") == "" {
		v, err := h.sessions.ViewerFromSession(viewer.ForTenant(ctx, tid), r)
		if err == nil {
			h.exec.ServeHTTP(w, r.WithContext(viewer.NewContext(ctx, v)))
			return
		}
		if apperr.KindOf(err) == apperr.Forbidden {
			writeError(w, http.StatusForbidden, err)
			return
		}
		if apperr.KindOf(err) != apperr.Unauthenticated {
			h.log.ErrorContext(ctx, "authenticate session", "err", err)
			writeError(w, http.StatusInternalServerError, err)
			return
		}
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mandate"`)
		writeError(w, http.StatusUnauthorized, apperr.New(apperr.Unauthenticated, "sign in, or send an API token as Authorization: Bearer <token>"))
		return
	}
	var v viewer.Viewer
	if !strings.HasPrefix(raw, tenants.TokenPrefix) && h.resolver.issuer != nil && h.resolver.issuer.Issuer != nil {
		// An agent acting with its own access token (it registers subagents).
		v, err = h.resolver.issuer.Issuer.AgentViewer(ctx, r.PathValue("slug"), raw)
	} else {
		v, err = h.tenants.AuthenticateAPIToken(ctx, tid, raw)
	}
	if err != nil {
		status := http.StatusUnauthorized
		switch apperr.KindOf(err) {
		case apperr.Unauthenticated:
		case apperr.Forbidden:
			// A valid token that is not an agent's own (an app's, or one
			// acting for a person): refused, not a server fault.
			writeError(w, http.StatusForbidden, err)
			return
		default:
			h.log.ErrorContext(ctx, "authenticate bearer token", "err", err)
			status = http.StatusInternalServerError
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="mandate", error="invalid_token"`)
		writeError(w, status, err)
		return
	}
	h.exec.ServeHTTP(w, r.WithContext(viewer.NewContext(ctx, v)))
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	return strings.TrimSpace(h[len(p):]), true
}

// writeError answers a request that never reached GraphQL execution in
// GraphQL's own error shape.
func writeError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{
			"message":    apperr.Public(err),
			"extensions": map[string]any{"code": string(apperr.KindOf(err))},
		}},
	})
}

// presentError maps every resolver error to a code once: domain errors by
// kind, privacy denials as FORBIDDEN, rows filtered out as NOT_FOUND, and
// anything else as INTERNAL with no detail shown (it is logged).
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var ge *gqlerror.Error
		if errors.As(err, &ge) && ge.Extensions != nil && ge.Extensions["code"] != nil {
			return gerr // gqlgen's own parse, validation and limit errors
		}
		var (
			kind apperr.Kind
			msg  string
		)
		var ae *apperr.Error
		switch {
		case errors.As(err, &ae):
			kind, msg = ae.Kind, apperr.Public(err)
			if ae.Field != "" {
				if gerr.Extensions == nil {
					gerr.Extensions = map[string]any{}
				}
				gerr.Extensions["field"] = ae.Field
			}
		case errors.Is(err, privacy.Deny):
			kind, msg = apperr.Forbidden, "not allowed"
		case ent.IsNotFound(err):
			kind, msg = apperr.NotFound, "not found"
		case ent.IsValidationError(err):
			kind, msg = apperr.Invalid, "invalid input"
		default:
			kind, msg = apperr.Internal, "internal error"
		}
		if kind == apperr.Internal {
			log.ErrorContext(ctx, "graphql internal error", "err", err, "path", gerr.Path.String())
		}
		gerr.Message = msg
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		gerr.Extensions["code"] = string(kind)
		if errors.Is(err, signin.ErrStepUp) {
			// Any sensitive field: the client re-authenticates and retries.
			gerr.Extensions["code"] = stepUpCode
		}
		return gerr
	}
}

// depthLimit refuses operations nested deeper than max, before execution.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > d.max {
		err := gqlerror.Errorf("operation is nested %d levels deep; the limit is %d", depth, d.max)
		err.Extensions = map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"}
		return err
	}
	return nil
}

// selectionDepth returns the deepest field nesting in set. Fragment spreads
// are followed; visits bounds the walk against fragment cycles (which validation also
// rejects).
func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, visits int) int {
	if visits > 64 {
		return visits
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + selectionDepth(s.SelectionSet, frags, visits+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, visits+1)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, visits+1)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}

// agentFields are what an agent's own token may call: its identity, its
// subagents, and the status of agents below it. Everything about people
// (members, sessions, audit, tokens) stays out of an agent's reach.
var agentFields = map[string]bool{
	"viewer": true, "registerSubagent": true, "suspendAgent": true, "resumeAgent": true, "revokeAgent": true, "setAgentKeys": true,
	"__typename": true, "__schema": true, "__type": true,
}

func agentFieldsOnly(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	if viewer.FromContext(ctx).Kind == viewer.Agent {
		if f := graphql.GetRootFieldContext(ctx); f != nil && !agentFields[f.Field.Name] {
			graphql.AddError(ctx, apperr.New(apperr.Forbidden, "an agent's token may call only viewer, registerSubagent, setAgentKeys, suspendAgent, resumeAgent and revokeAgent"))
			return graphql.Null
		}
	}
	return next(ctx)
}
