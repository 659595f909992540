// Package apperr defines the kinds of error a domain service returns, so
// that each edge (GraphQL, OAuth, problem JSON, the CLI) maps them to its own
// protocol once. Messages are written for the caller: they never carry
// internal details, secrets or another tenant's data.
package apperr

import (
	"errors"
	"fmt"

	"github.com/mandatehq/mandate/ent"
)

// Kind classifies an error for the edges.
type Kind string

// The kinds.
const (
	Internal        Kind = "INTERNAL"
	Invalid         Kind = "BAD_USER_INPUT"
	NotFound        Kind = "NOT_FOUND"
	Forbidden       Kind = "FORBIDDEN"
	Unauthenticated Kind = "UNAUTHENTICATED"
	Conflict        Kind = "CONFLICT"
)

// Error is a domain error with a kind and a message safe to show.
type Error struct {
	Kind    Kind
	Message string
	// Field names the input at fault, for Invalid.
	Field string
	cause error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying cause, for logs.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error of kind k.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// InvalidField returns an Invalid error about one input field.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies a storage error: a missing or filtered-out row is
// NotFound, a unique or foreign-key violation a Conflict, a validation
// failure Invalid; anything else is Internal, with the cause kept for logs
// but not shown.
func Wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	switch {
	case ent.IsNotFound(err):
		return &Error{Kind: NotFound, Message: what + " not found", cause: err}
	case ent.IsConstraintError(err):
		return &Error{Kind: Conflict, Message: what + " conflicts with an existing one", cause: err}
	case ent.IsValidationError(err):
		var ve *ent.ValidationError
		errors.As(err, &ve)
		return &Error{Kind: Invalid, Field: ve.Name, Message: fmt.Sprintf("invalid %s: %s", what, ve.Name), cause: err}
	}
	return &Error{Kind: Internal, Message: "internal error", cause: err}
}

// KindOf returns the kind of err, Internal for an unclassified error.
func KindOf(err error) Kind {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Kind
	}
	return Internal
}

// Public returns the message of err safe to show a caller.
func Public(err error) string {
	var ae *Error
	if errors.As(err, &ae) && ae.Kind != Internal {
		return ae.Message
	}
	return "internal error"
}
