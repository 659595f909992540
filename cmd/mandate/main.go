// Command mandate is the one Mandate binary: the server and the operator's
// CLI. This package is wiring only: configuration, construction and the
// commands; everything it runs lives in the domain packages.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/mandatehq/mandate/internal/apperr"
)

func main() {
	if err := newRootCmd(os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "mandate: "+describe(err))
		os.Exit(1)
	}
}

// describe returns one line for an operator: a domain error's message, or
// the cause of an internal one.
func describe(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind == apperr.Internal {
		if c := errors.Unwrap(ae); c != nil {
			return "internal error: " + c.Error()
		}
	}
	return err.Error()
}
