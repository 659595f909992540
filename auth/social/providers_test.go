package social_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// The rules for configuring a provider, as a table.
func TestProviderConfigurationRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		ctx := w.sys("acme")
		cases := []struct {
			name  string
			in    social.NewProvider
			field string // the field refused, "" when accepted
		}{
			{"github with a secret", social.NewProvider{Slug: "github", Kind: "github", ClientID: "c", ClientSecret: "s"}, ""},
			{"github without a secret", social.NewProvider{Slug: "gh-nosecret", Kind: "github", ClientID: "c"}, "clientSecret"},
			{"google with an issuer", social.NewProvider{Slug: "google", Kind: "google", ClientID: "c", ClientSecret: "s", Issuer: "https://x.example"}, "issuer"},
			{"microsoft of one tenant", social.NewProvider{Slug: "ms", Kind: "microsoft", ClientID: "c", ClientSecret: "s",
				Issuer: "https://login.microsoftonline.com/0000/v2.0"}, ""},
			{"oidc without an issuer", social.NewProvider{Slug: "corp", Kind: "oidc", DisplayName: "Corp", ClientID: "c"}, "issuer"},
			{"oidc without a name", social.NewProvider{Slug: "corp", Kind: "oidc", ClientID: "c", Issuer: "https://id.corp.example"}, "displayName"},
			{"oidc over plain http elsewhere than loopback", social.NewProvider{Slug: "corp", Kind: "oidc", DisplayName: "Corp", ClientID: "c",
				Issuer: "http://id.corp.example"}, "issuer"},
			{"oidc issuer with a query", social.NewProvider{Slug: "corp", Kind: "oidc", DisplayName: "Corp", ClientID: "c",
				Issuer: "https://id.corp.example/?x=1"}, "issuer"},
			{"gitlab without a secret (a public client with PKCE)", social.NewProvider{Slug: "gitlab", Kind: "gitlab", ClientID: "c"}, ""},
			{"unknown kind", social.NewProvider{Slug: "fb", Kind: "facebook", ClientID: "c", ClientSecret: "s"}, "kind"},
			{"slug with a slash", social.NewProvider{Slug: "a/b", Kind: "github", ClientID: "c", ClientSecret: "s"}, "slug"},
			{"slug in capitals", social.NewProvider{Slug: "GitHub", Kind: "github", ClientID: "c", ClientSecret: "s"}, "slug"},
			{"a scope with a space", social.NewProvider{Slug: "gh3", Kind: "github", ClientID: "c", ClientSecret: "s", Scopes: []string{"a b"}}, "scopes"},
			{"no client id", social.NewProvider{Slug: "gh4", Kind: "github", ClientSecret: "s"}, "clientID"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.social.CreateProvider(ctx, tc.in)
				var ae *apperr.Error
				switch {
				case tc.field == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case tc.field != "" && (!asAppErr(err, &ae) || ae.Kind != apperr.Invalid || ae.Field != tc.field):
					t.Fatalf("got %v; want the field %s refused", err, tc.field)
				}
			})
		}

		t.Run("a second provider with the same slug conflicts", func(t *testing.T) {
			_, err := w.social.CreateProvider(ctx, social.NewProvider{Slug: "github", Kind: "github", ClientID: "c", ClientSecret: "s"})
			if apperr.KindOf(err) != apperr.Conflict {
				t.Fatalf("got %v; want a conflict", err)
			}
		})

		t.Run("an oidc provider always asks for openid", func(t *testing.T) {
			p, err := w.social.CreateProvider(ctx, social.NewProvider{Slug: "corp", Kind: "oidc", DisplayName: "Corp", ClientID: "c",
				Issuer: "https://id.corp.example/", Scopes: []string{"email"}})
			if err != nil || !slices.Equal(p.Scopes, []string{"openid", "email"}) || p.Issuer != "https://id.corp.example" {
				t.Fatalf("%+v, %v", p, err)
			}
		})

		t.Run("only admins configure providers", func(t *testing.T) {
			m := w.addUser(t, "acme", "member@acme.test")
			member := viewer.NewContext(context.Background(), viewer.Viewer{TenantID: w.tenants["acme"], Kind: viewer.Human, ID: m.ID, Role: viewer.RoleMember})
			if _, err := w.social.CreateProvider(member, social.NewProvider{Slug: "mine", Kind: "github", ClientID: "c", ClientSecret: "s"}); apperr.KindOf(err) != apperr.Forbidden {
				t.Fatalf("a member configured a provider: %v", err)
			}
			if _, err := w.social.Providers(member); apperr.KindOf(err) != apperr.Forbidden {
				t.Fatalf("a member listed providers: %v", err)
			}
		})

		t.Run("the secret is sealed, kept on update and never audited", func(t *testing.T) {
			const secret = "a-very-distinctive-client-secret"
			p, err := w.social.CreateProvider(ctx, social.NewProvider{Slug: "sealed", Kind: "github", ClientID: "c", ClientSecret: secret})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.ClientSecretSealed) == 0 || bytes.Contains(p.ClientSecretSealed, []byte(secret)) {
				t.Fatalf("stored secret: %q", p.ClientSecretSealed)
			}
			u, err := w.social.UpdateProvider(ctx, p.ID, social.ProviderUpdate{DisplayName: ptr("Renamed"), ClientSecret: ptr("")})
			if err != nil || !bytes.Equal(u.ClientSecretSealed, p.ClientSecretSealed) {
				t.Fatalf("the secret changed on an update without one: %v", err)
			}
			for _, ev := range w.audits(t, "acme", "idp.configured") {
				for k, v := range ev.Details {
					if strings.Contains(v, secret) {
						t.Fatalf("idp.configured %s shows the secret", k)
					}
				}
			}
		})
	})
}

func asAppErr(err error, target **apperr.Error) bool { return errors.As(err, target) }
