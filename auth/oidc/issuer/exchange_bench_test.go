package issuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/settings"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// BenchmarkTokenExchange measures RFC 8693 exchanges over loopback HTTP,
// 16 in flight: a support subagent (private_key_jwt, a fresh ES256
// assertion per request) exchanges the planner's delegated token for its
// own on-behalf-of token (an ES256 JWT with the act chain), each request
// checking the grant, the chain, the person's role and narrowing the scope.
// agent_client_credentials is the subagent's own token (client_credentials
// with private_key_jwt), which checks its chain and sponsors.
func BenchmarkTokenExchange(b *testing.B) {
	for _, d := range testdb.Dialects(b) {
		b.Run(testdb.Name(d), func(b *testing.B) {
			bw := newBenchWorld(b, newWorld(b, testdb.Open(b, d)))
			catalog := []settings.Scope{{Name: "invoices:read", Description: "Read invoices"}}
			if _, err := bw.ts.UpdateSettings(bw.sys("acme"), tenants.SettingsUpdate{Scopes: &catalog}); err != nil {
				b.Fatal(err)
			}
			planner, plannerID := benchAgent(b, bw, nil)
			support, _ := benchAgent(b, bw, &plannerID)
			subject := bw.delegate(b, planner)
			form := func() url.Values {
				f := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {subject},
					"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "scope": {"invoices:read"},
					"client_id": {support.id}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
				f.Set("client_assertion", support.assertion(bw.tokenURL))
				return f
			}
			if _, err := bw.token(form(), support); err != nil {
				b.Fatal(err)
			}
			b.Run("exchange", func(b *testing.B) {
				bw.parallel(b, func(*worker) error {
					_, err := bw.token(form(), support)
					return err
				})
			})
			b.Run("agent_client_credentials", func(b *testing.B) {
				bw.parallel(b, func(*worker) error {
					_, err := bw.token(support.form(bw.tokenURL), support)
					return err
				})
			})
		})
	}
}

// benchAgent registers an agent (a subagent of parent when given) with a
// fresh ES256 key.
func benchAgent(b testing.TB, bw *benchWorld, parent *int) (*benchClient, int) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	kid := rand.Text()
	pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}}})
	c := &benchClient{}
	if c.key, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT")); err != nil {
		b.Fatal(err)
	}
	in := registry.NewAgent{Name: "bench agent", SponsorEmail: "ann@acme.test", Ceiling: []string{"openid", "invoices:read"},
		JWKS: pub, RedirectURIs: []string{callback}}
	var made *registry.Created
	if parent == nil {
		made, err = bw.agents.Create(bw.sys("acme"), in)
	} else {
		ctx := viewer.NewContext(bw.sys("acme"), viewer.Viewer{TenantID: bw.tenants["acme"], Kind: viewer.Agent, ID: *parent})
		in.RedirectURIs = nil
		made, err = bw.agents.RegisterSubagent(ctx, in)
	}
	if err != nil {
		b.Fatal(err)
	}
	c.id = made.Client.ClientID
	return c, made.Agent.ID
}

// delegate: Ann delegates to the agent in the browser; the agent redeems
// the code with its key and returns its delegated access token.
func (bw *benchWorld) delegate(b testing.TB, a *benchClient) string {
	iss := bw.issuerURL("acme")
	conf := oauth2.Config{ClientID: a.id, RedirectURL: callback, Scopes: []string{"openid", "invoices:read"},
		Endpoint: oauth2.Endpoint{AuthURL: iss + "/oauth2/authorize", TokenURL: iss + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	br := bw.browser(b)
	br.signIn("acme", "ann@acme.test")
	verifier := oauth2.GenerateVerifier()
	q := br.authorize(conf.AuthCodeURL("state-bench", oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
		oauth2.SetAuthURLParam("client_assertion", a.assertion(bw.tokenURL)))
	if err != nil {
		b.Fatal(err)
	}
	return tok.AccessToken
}
