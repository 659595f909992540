package main

import (
	"context"
	"fmt"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// resealAll re-seals, under masters[0], every value sealed with a master
// secret directly (TOTP secrets, social providers' client secrets,
// webhook secrets and pending CIBA ping tokens, signing keys) that is
// still under one of masters[1:]: the second half of `mandate keys
// rotate-master`, after the vault's data keys. Each owning package does
// its own kind; the counts are by kind.
func (a *app) resealAll(ctx context.Context, masters [][]byte) (map[string]int, error) {
	cur, prev := masters[0], masters[1:]
	out := map[string]int{}
	flows, err := a.signinFlows(a.cfg.EffectiveBaseURL())
	if err != nil {
		return out, err
	}
	factors, err := mfa.New(mfa.Config{Client: a.db.Client, Flows: flows, Audit: audit.NewRecorder(),
		MasterSecret: cur, PreviousSecrets: prev, Log: a.log})
	if err != nil {
		return out, err
	}
	socials, err := social.New(social.Config{Client: a.db.Client, Tenants: a.tenants, Audit: audit.NewRecorder(),
		MasterSecret: cur, PreviousSecrets: prev, BaseURL: a.cfg.EffectiveBaseURL(), Log: a.log})
	if err != nil {
		return out, err
	}
	hooks, err := webhooks.New(webhooks.Config{Client: a.db.Client, Audit: audit.NewRecorder(),
		MasterSecret: cur, PreviousSecrets: prev, Log: a.log})
	if err != nil {
		return out, err
	}
	signing, err := keys.NewManager(a.db.Client, cur, audit.NewRecorder(), prev...)
	if err != nil {
		return out, err
	}
	for _, k := range []struct {
		name   string
		reseal func(context.Context) (int, error)
	}{
		{"totp_secrets", factors.Reseal},
		{"identity_provider_secrets", socials.Reseal},
		{"webhook_secrets", hooks.Reseal},
		{"signing_keys", signing.Reseal},
	} {
		n, err := k.reseal(ctx)
		out[k.name] = n
		if err != nil {
			return out, fmt.Errorf("%s: %w", k.name, err)
		}
	}
	return out, nil
}
