package issuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	josev3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/oauthclient"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Client is a registered application as fosite sees it.
type Client struct {
	ID                     string
	Name                   string
	SecretHash             []byte
	Public                 bool
	RedirectURIs           []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	Audience               []string
	AuthMethod             string
	JWKS                   *josev3.JSONWebKeySet
	JWKSURI                string
	TokenFormat            string
	SigningAlg             string
	RequirePAR             bool
	PostLogoutRedirectURIs []string
	BackchannelLogoutURI   string
	AccessTokenTTL         time.Duration
	RefreshTokenTTL        time.Duration
	// CIBAMode is the client's CIBA token delivery mode (poll or ping, ""
	// without CIBA) and CIBANotify its ping notification endpoint.
	CIBAMode, CIBANotify string
	// Agent: the client is an agent's own credentials.
	Agent bool
	// AssertionAlg is the one algorithm fosite accepts for the client's
	// private_key_jwt assertions (it compares the header's alg with it).
	AssertionAlg string
}

var (
	_ fosite.Client                         = (*Client)(nil)
	_ fosite.OpenIDConnectClient            = (*Client)(nil)
	_ fosite.ClientWithCustomTokenLifespans = (*Client)(nil)
)

func (c *Client) GetID() string                   { return c.ID }
func (c *Client) GetHashedSecret() []byte         { return c.SecretHash }
func (c *Client) GetRedirectURIs() []string       { return c.RedirectURIs }
func (c *Client) GetGrantTypes() fosite.Arguments { return c.GrantTypes }
func (c *Client) GetResponseTypes() fosite.Arguments {
	if len(c.ResponseTypes) == 0 {
		return fosite.Arguments{"code"}
	}
	return c.ResponseTypes
}
func (c *Client) GetScopes() fosite.Arguments                  { return c.Scopes }
func (c *Client) IsPublic() bool                               { return c.Public }
func (c *Client) GetAudience() fosite.Arguments                { return c.Audience }
func (c *Client) GetRequestURIs() []string                     { return nil }
func (c *Client) GetJSONWebKeys() *josev3.JSONWebKeySet        { return c.JWKS }
func (c *Client) GetJSONWebKeysURI() string                    { return c.JWKSURI }
func (c *Client) GetRequestObjectSigningAlgorithm() string     { return "" }
func (c *Client) GetTokenEndpointAuthMethod() string           { return c.AuthMethod }
func (c *Client) GetTokenEndpointAuthSigningAlgorithm() string { return c.AssertionAlg }

// GetEffectiveLifespan applies the client's own lifetimes.
func (c *Client) GetEffectiveLifespan(_ fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
	switch {
	case tt == fosite.AccessToken && c.AccessTokenTTL > 0:
		return c.AccessTokenTTL
	case tt == fosite.RefreshToken && c.RefreshTokenTTL > 0:
		return c.RefreshTokenTTL
	}
	return fallback
}

func clientFrom(r *ent.OAuthClient) (*Client, error) {
	c := &Client{
		ID: r.ClientID, Name: r.Name, SecretHash: []byte(r.SecretHash), Public: r.Public,
		RedirectURIs: r.RedirectUris, GrantTypes: r.GrantTypes, ResponseTypes: r.ResponseTypes,
		Scopes: r.Scopes, Audience: r.Audience, AuthMethod: r.TokenEndpointAuthMethod,
		JWKSURI: r.JwksURI, TokenFormat: string(r.TokenFormat), SigningAlg: string(r.SigningAlg),
		RequirePAR: r.RequirePar, PostLogoutRedirectURIs: r.PostLogoutRedirectUris, Agent: r.Kind == oauthclient.KindAgent,
		BackchannelLogoutURI: r.BackchannelLogoutURI,
		CIBAMode:             r.BackchannelTokenDeliveryMode, CIBANotify: r.BackchannelClientNotificationEndpoint,
		AccessTokenTTL:  time.Duration(r.AccessTokenTTL) * time.Second,
		RefreshTokenTTL: time.Duration(r.RefreshTokenTTL) * time.Second,
	}
	if r.Jwks != "" {
		var set josev3.JSONWebKeySet
		if err := json.Unmarshal([]byte(r.Jwks), &set); err != nil {
			return nil, err
		}
		// use is optional in a JWK (RFC 7517 section 4.2), but fosite only
		// picks keys marked "sig": a registered key is a signing key.
		for n := range set.Keys {
			if set.Keys[n].Use == "" {
				set.Keys[n].Use = "sig"
			}
		}
		c.JWKS = &set
		c.AssertionAlg = assertionAlg(set)
	}
	if c.AssertionAlg == "" && r.JwksURI != "" {
		// The keys behind a jwks_uri are unknown until fetched, and fosite
		// checks the assertion's alg before it fetches: such a client signs
		// with ES256 (no column records another choice yet).
		c.AssertionAlg = "ES256"
	}
	return c, nil
}

// assertionAlg is the algorithm of the client's first key: its alg, or
// the one its type implies.
func assertionAlg(set josev3.JSONWebKeySet) string {
	for _, k := range set.Keys {
		if k.Algorithm != "" {
			return k.Algorithm
		}
		switch pub := k.Key.(type) {
		case *rsa.PublicKey:
			return "RS256"
		case *ecdsa.PublicKey:
			switch pub.Curve.Params().BitSize {
			case 384:
				return "ES384"
			case 521:
				return "ES512"
			}
			return "ES256"
		}
	}
	return ""
}

// clientCache keeps parsed clients for a few seconds: a token request
// should not parse a JWK set each time. A change made through this process
// drops the entry at once; other replicas see it within clientCacheTTL.
type clientCache struct {
	client *ent.Client
	now    func() time.Time
	m      sync.Map // tenantID|client_id → cachedClient
}

const clientCacheTTL = 5 * time.Second

type cachedClient struct {
	c  *Client
	at time.Time
}

func cacheKey(tenantID int, id string) string { return strconv.Itoa(tenantID) + "|" + id }

func (cc *clientCache) get(ctx context.Context, id string) (*Client, error) {
	v := viewer.FromContext(ctx)
	key := cacheKey(v.TenantID, id)
	if e, ok := cc.m.Load(key); ok && cc.now().Sub(e.(cachedClient).at) < clientCacheTTL {
		return e.(cachedClient).c, nil
	}
	row, err := cc.client.OAuthClient.Query().Where(oauthclient.ClientID(id), oauthclient.DisabledAtIsNil()).
		Only(viewer.AsSystem(ctx, "load oauth client"))
	if ent.IsNotFound(err) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c, err := clientFrom(row)
	if err != nil {
		return nil, err
	}
	cc.m.Store(key, cachedClient{c: c, at: cc.now()})
	return c, nil
}

// Forget drops a client from the cache after a change.
func (cc *clientCache) Forget(tenantID int, id string) { cc.m.Delete(cacheKey(tenantID, id)) }

// GetClient implements fosite.ClientManager.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	return s.clients.get(ctx, id)
}

// secretHasher compares client secrets with the SHA-256 kept at
// registration: the secrets are 256-bit random, so a slow password hash
// would add cost and no safety.
type secretHasher struct{}

var errSecretMismatch = errors.New("client secret mismatch")

func (secretHasher) Compare(_ context.Context, hash, data []byte) error {
	if len(hash) == 0 || !clients.SecretMatches(string(hash), string(data)) {
		return errSecretMismatch
	}
	return nil
}

func (secretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	return []byte(clients.HashSecret(string(data))), nil
}
