package graph

import (
	"context"

	"github.com/mandatehq/mandate/auth/passkey"
	"github.com/mandatehq/mandate/ent"
)

// passkeysOrErr is the passkey service over the resolver's client and
// account flows: listing, renaming and removing need no relying party.
func (r *Resolver) passkeysOrErr() (*passkey.Service, error) {
	f, err := r.accountsOrErr()
	if err != nil {
		return nil, err
	}
	return passkey.New(passkey.Config{Client: r.client, Flows: f}), nil
}

// removePasskey removes one of the viewer's passkeys, judging recency by
// the session the viewer acts through (STEP_UP_REQUIRED when it is not).
func (r *Resolver) removePasskey(ctx context.Context, id int) error {
	s, err := r.passkeysOrErr()
	if err != nil {
		return err
	}
	cur, err := s.SessionOf(ctx)
	if err != nil {
		return err
	}
	return securityError(s.Remove(ctx, cur, id))
}

// myPasskeys lists the viewer's passkeys.
func (r *Resolver) myPasskeys(ctx context.Context) ([]*ent.Passkey, error) {
	s, err := r.passkeysOrErr()
	if err != nil {
		return nil, err
	}
	return s.List(ctx)
}
