package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/password"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Demo workspace facts.
const (
	demoSlug  = "demo"
	demoOwner = "admin@demo.test"
)

// seedDemo makes sure the demo workspace and its owner exist, then issues a
// fresh API token to sign in with and prints how. Running it again keeps
// what is there.
func (a *app) seedDemo(ctx context.Context, base string) error {
	ctx = audit.WithRequest(ctx, audit.Request{UserAgent: "mandate-demo"})
	sys := viewer.AsSystem(ctx, "demo seed")
	if _, err := a.tenants.TenantBySlug(ctx, demoSlug); apperr.KindOf(err) == apperr.NotFound {
		if _, err := a.tenants.CreateTenant(sys, demoSlug, "Demo"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	tctx, err := a.asOperator(ctx, demoSlug, "demo seed")
	if err != nil {
		return err
	}
	pw := ""
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	generated := base64.RawURLEncoding.EncodeToString(b)
	hash, err := password.Hash(generated, password.Default)
	if err != nil {
		return err
	}
	_, err = a.tenants.AddMember(tctx, tenants.NewMember{
		Email: demoOwner, Name: "Demo Admin", Role: viewer.RoleOwner, PasswordHash: hash, EmailVerified: true,
	})
	switch {
	case err == nil:
		pw = generated
	case apperr.KindOf(err) != apperr.Conflict: // Conflict: seeded before
		return err
	}
	_, tok, err := a.tenants.CreateAPIToken(tctx, tenants.NewAPIToken{Name: "demo sign-in", Role: viewer.RoleOwner})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.err, "\nDemo workspace %q is ready.\n", demoSlug)
	fmt.Fprintf(a.err, "  Sign in:    %s/t/%s/signin\n", base, demoSlug)
	if pw != "" {
		fmt.Fprintf(a.err, "  Owner:      %s / %s   (shown on the first start only)\n", demoOwner, pw)
	} else {
		fmt.Fprintf(a.err, "  Owner:      %s (password printed on the first start; or use the token)\n", demoOwner)
	}
	fmt.Fprintf(a.err, "  Workspace:  %s\n", demoSlug)
	fmt.Fprintf(a.err, "  API token:  %s   (owner, for scripts or %s/signin/token; shown once)\n", tok, base)
	fmt.Fprintln(a.err)
	return nil
}
