package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/tool"
	"github.com/mandatehq/mandate/internal/apperr"
)

// Connected opens the connected account a person holds at a provider,
// renewed first when its access token has expired (vault.Connections).
type Connected interface {
	OpenConnection(ctx context.Context, userID int, provider string) (vault.Secret, *ent.Credential, error)
}

// credential picks and opens the call's credential: the tool's own, or,
// for a tool whose credential_source is connected, the connected account
// at the tool's provider of the person the agent acts for. The refusal's
// reason is audited with the call; no token is in any of them.
func (g *Gateway) credential(ctx context.Context, c *call) (vault.Secret, *refusal) {
	t := c.tool
	if t.CredentialSource == tool.CredentialSourceConnected {
		if c.p.UserID == 0 {
			return vault.Secret{}, refuse(http.StatusForbidden, "not_connected", "the tool uses a person's connected account: the agent must act for a person")
		}
		if g.cfg.Connected == nil {
			return vault.Secret{}, refuse(http.StatusForbidden, "not_connected", "connected accounts are not available on this server")
		}
		sec, cred, err := g.cfg.Connected.OpenConnection(ctx, c.p.UserID, t.Provider)
		c.cred = cred
		switch {
		case errors.Is(err, vault.ErrNotConnected):
			return vault.Secret{}, refuse(http.StatusForbidden, "not_connected", "the person has not connected an account at "+t.Provider)
		case err != nil:
			g.cfg.Log.WarnContext(ctx, "gateway connected account", "tool", t.Name, "provider", t.Provider, "err", apperr.Public(err))
			return vault.Secret{}, refuse(http.StatusBadGateway, "credential_unavailable", "the person's connected account is unavailable: they may need to connect it again")
		}
		return sec, nil
	}
	sec, cred, err := g.cfg.Vault.Open(ctx, t.CredentialID)
	c.cred = cred
	if err != nil {
		if apperr.KindOf(err) == apperr.Forbidden {
			return vault.Secret{}, refuse(http.StatusForbidden, "credential_revoked", "the tool's credential is revoked")
		}
		g.cfg.Log.WarnContext(ctx, "gateway credential", "tool", t.Name, "err", apperr.Public(err))
		return vault.Secret{}, refuse(http.StatusBadGateway, "credential_unavailable", "the tool's credential is unavailable")
	}
	return sec, nil
}
