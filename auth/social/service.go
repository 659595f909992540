package social

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/internal/seal"
	"github.com/mandatehq/mandate/tenants"
)

// sealPurpose derives the key that seals providers' client secrets.
const sealPurpose = "mandate idp client secret v1"

// Outbound calls to a provider (discovery, token, user, JWKS) are bounded.
const (
	httpTimeout = 15 * time.Second
	// discoveryTTL is how long a built provider (its discovery document)
	// is reused before it is fetched again.
	discoveryTTL = time.Hour
	// challengeTTL bounds a login dance.
	challengeTTL = 10 * time.Minute
)

// Config assembles a Service.
type Config struct {
	Client  *ent.Client
	Tenants *tenants.Service
	Audit   *audit.Recorder
	// Flows opens sessions (and pending second steps) once a federated
	// identity is resolved to an account.
	Flows *signin.Flows
	// MasterSecret seals client secrets at rest.
	MasterSecret []byte
	// PreviousSecrets are earlier master secrets, still opening client
	// secrets sealed under them until Reseal moves them (a rotation).
	PreviousSecrets [][]byte
	// BaseURL is the server's public URL: callbacks are
	// {BaseURL}/t/{slug}/auth/social/{provider}/callback.
	BaseURL string
	Log     *slog.Logger
	// HTTPClient calls the providers; nil means one with timeouts.
	HTTPClient *http.Client
	// Tokens keeps connected accounts' tokens (the vault); nil turns
	// connecting accounts off.
	Tokens TokenStore
}

// Service configures providers and runs federated sign-in.
type Service struct {
	client  *ent.Client
	tenants *tenants.Service
	audit   *audit.Recorder
	flows   *signin.Flows
	sealer  *seal.Sealer
	baseURL string
	log     *slog.Logger
	http    *http.Client
	tokens  TokenStore

	mu    sync.Mutex
	built map[string]builtProvider // by tenant id and provider slug
}

// New returns the service.
func New(c Config) (*Service, error) {
	s, err := seal.NewRing(seal.Ring(c.MasterSecret, c.PreviousSecrets...), sealPurpose)
	if err != nil {
		return nil, err
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = newHTTPClient()
	}
	return &Service{
		client: c.Client, tenants: c.Tenants, audit: c.Audit, flows: c.Flows, sealer: s,
		baseURL: strings.TrimSuffix(c.BaseURL, "/"), log: c.Log, http: c.HTTPClient, tokens: c.Tokens,
		built: map[string]builtProvider{},
	}, nil
}

// newHTTPClient is the client every provider call goes through: bounded
// in time at each step, and never following a redirect to another scheme
// than http(s).
func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 5 * time.Second
	tr.ResponseHeaderTimeout = 10 * time.Second
	tr.MaxResponseHeaderBytes = 64 << 10
	return &http.Client{
		Transport: tr,
		Timeout:   httpTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
				return errors.New("redirect to a non-http scheme")
			}
			return nil
		},
	}
}

func (s *Service) now() time.Time { return s.audit.Now() }

func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return entx.InTx(ctx, s.client, fn)
}

// record appends an audit event in its own transaction, for outcomes that
// change nothing else (a refused federated sign-in).
func (s *Service) record(ctx context.Context, e audit.Event) {
	s.audit.RecordAlone(ctx, s.client, s.log, e)
}

func randomValue() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashValue(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// callbackURL is where a provider sends the browser back.
func (s *Service) callbackURL(tenantSlug, providerSlug string) string {
	return s.baseURL + "/t/" + url.PathEscape(tenantSlug) + "/auth/social/" + url.PathEscape(providerSlug) + "/callback"
}
