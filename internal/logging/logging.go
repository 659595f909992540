// Package logging builds the process's slog logger: text or JSON, request
// and tenant ids taken from the context, and personal data and secrets
// dropped by key whatever the caller logs.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// redactedKeys are attribute keys whose values never reach a log.
var redactedKeys = map[string]bool{
	"password": true, "token": true, "secret": true, "authorization": true,
	"cookie": true, "email": true, "client_secret": true, "access_token": true,
	"refresh_token": true, "id_token": true, "code": true,
}

// Redacted is what a redacted value is replaced with.
const Redacted = "[redacted]"

// New returns a logger writing to w in format "text" or "json".
func New(format string, w io.Writer, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}
	var h slog.Handler
	switch format {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format must be text or json, not %q", format)
	}
	return slog.New(contextHandler{h}), nil
}

func redact(_ []string, a slog.Attr) slog.Attr {
	if redactedKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	return a
}

type ctxKey struct{}

// Fields are the request-scoped attributes added to every record.
type Fields struct {
	RequestID string
	Tenant    string
}

// WithFields returns ctx whose log records carry f.
func WithFields(ctx context.Context, f Fields) context.Context {
	return context.WithValue(ctx, ctxKey{}, f)
}

// FieldsFrom returns the request-scoped fields in ctx.
func FieldsFrom(ctx context.Context) Fields {
	f, _ := ctx.Value(ctxKey{}).(Fields)
	return f
}

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	f := FieldsFrom(ctx)
	if f.RequestID != "" {
		r.AddAttrs(slog.String("request_id", f.RequestID))
	}
	if f.Tenant != "" {
		r.AddAttrs(slog.String("tenant", f.Tenant))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
