package issuer

import (
	"context"
	"strconv"
	"time"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/ent/oauthconsent"
	"github.com/mandatehq/mandate/ent/oauthtoken"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// scopeNames are the scopes the workspace advertises: the standard ones
// and its catalog.
func (p *provider) scopeNames() []string {
	out := make([]string, 0, len(settings.StandardScopes)+len(p.settings.Scopes))
	for _, s := range settings.StandardScopes {
		out = append(out, s.Name)
	}
	for _, s := range p.settings.Scopes {
		if !isStandard(s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

func isStandard(name string) bool {
	for _, s := range settings.StandardScopes {
		if s.Name == name {
			return true
		}
	}
	return false
}

// ConnectedApp is an application a user let into their account.
type ConnectedApp struct {
	ClientID  string
	Name      string
	Scopes    []string
	GrantedAt time.Time
}

func signedInUser(ctx context.Context) (viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v.Kind != viewer.Human || v.ID == 0 {
		return v, apperr.New(apperr.Forbidden, "only a signed-in person has connected apps")
	}
	return v, nil
}

// ConnectedApps lists the apps the signed-in user consented to.
func (i *Issuer) ConnectedApps(ctx context.Context) ([]ConnectedApp, error) {
	v, err := signedInUser(ctx)
	if err != nil {
		return nil, err
	}
	sys := viewer.AsSystem(ctx, "connected apps")
	rows, err := i.cfg.Client.OAuthConsent.Query().Where(oauthconsent.UserID(v.ID)).
		Order(ent.Desc(oauthconsent.FieldUpdatedAt)).All(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "consents")
	}
	ids := make([]string, len(rows))
	for n, r := range rows {
		ids[n] = r.ClientID
	}
	cs, err := i.cfg.Client.OAuthClient.Query().Where(oauthclient.ClientIDIn(ids...)).All(sys)
	if err != nil {
		return nil, apperr.Wrap(err, "clients")
	}
	names := map[string]string{}
	for _, c := range cs {
		names[c.ClientID] = c.Name
	}
	out := make([]ConnectedApp, 0, len(rows))
	for _, r := range rows {
		out = append(out, ConnectedApp{ClientID: r.ClientID, Name: names[r.ClientID], Scopes: r.Scopes, GrantedAt: r.UpdatedAt})
	}
	return out, nil
}

// RevokeConnectedApp withdraws the signed-in user's consent to an app and
// ends every token the app holds for them, in one transaction with its
// audit event. The app must ask for consent again.
func (i *Issuer) RevokeConnectedApp(ctx context.Context, clientID string) error {
	v, err := signedInUser(ctx)
	if err != nil {
		return err
	}
	sys := viewer.AsSystem(ctx, "revoke connected app")
	return i.store.inTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.OAuthConsent.Delete().Where(oauthconsent.UserID(v.ID), oauthconsent.ClientID(clientID)).Exec(sys)
		if err != nil {
			return apperr.Wrap(err, "consent")
		}
		if n == 0 {
			return apperr.New(apperr.NotFound, "you have not connected that app")
		}
		revoked, err := clients.EndTokens(sys, tx, oauthtoken.ClientID(clientID), oauthtoken.Subject(subject(v.ID)))
		if err != nil {
			return err
		}
		_, err = i.cfg.Audit.Record(ctx, tx, auditEvent("consent.revoked", "oauth_client", clientID, clientID,
			map[string]string{"revoked_refresh_tokens": strconv.Itoa(revoked)}))
		return err
	})
}
