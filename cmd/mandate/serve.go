package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/agents/approval"
	"github.com/mandatehq/mandate/agents/delegation"
	"github.com/mandatehq/mandate/agents/gateway"
	"github.com/mandatehq/mandate/agents/registry"
	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/auth/mail"
	"github.com/mandatehq/mandate/auth/mfa"
	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/auth/oidc/issuer"
	"github.com/mandatehq/mandate/auth/oidc/keys"
	"github.com/mandatehq/mandate/auth/passkey"
	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/auth/social"
	"github.com/mandatehq/mandate/frontend"
	"github.com/mandatehq/mandate/graph"
	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/internal/janitor"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/webhooks"
)

// Server timeouts and limits.
const (
	maxBodyBytes    = 1 << 20
	shutdownTimeout = 30 * time.Second
)

func (a *app) serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server (creating and migrating the database)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return a.serve(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.cfg.Addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address (MANDATE_ADDR)")
	f.StringVar(&a.cfg.BaseURL, "base-url", env("BASE_URL", ""), "public base URL, e.g. https://id.example.com (MANDATE_BASE_URL; default http://ADDR)")
	f.StringVar(&a.cfg.SecretFile, "secret-file", env("SECRET_FILE", ""), "file holding the master secret (MANDATE_SECRET_FILE; or set MANDATE_SECRET)")
	f.BoolVar(&a.cfg.Demo, "demo", false, "seed a demo workspace and print how to sign in")
	return cmd
}

func (a *app) serve(ctx context.Context) error {
	// serve has flags the other commands lack: validate them too.
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	generated, err := a.cfg.LoadSecret()
	if err != nil {
		return err
	}
	if generated != "" {
		a.log.Warn("generated a master secret for development; keep it, or set MANDATE_SECRET", "file", generated)
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	current, _, err := a.db.Versions(ctx)
	if err != nil {
		return err
	}
	a.log.Info("database ready", "dialect", a.db.Target.Dialect, "migration", current)
	base := a.cfg.EffectiveBaseURL()
	if a.cfg.Demo {
		if err := a.seedDemo(ctx, base); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	if !frontend.Built() {
		a.log.Warn("the dashboard is not built into this binary; run `make build` (the APIs work without it)")
	}
	flows, err := a.signinFlows(base)
	if err != nil {
		return err
	}
	passkeys := passkey.New(passkey.Config{Client: a.db.Client, Flows: flows, Audit: audit.NewRecorder(), BaseURL: base, Log: a.log})
	factors, err := mfa.New(mfa.Config{Client: a.db.Client, Flows: flows, Audit: audit.NewRecorder(), MasterSecret: a.cfg.Secret, PreviousSecrets: a.cfg.Masters()[1:], Log: a.log})
	if err != nil {
		return err
	}
	factors.AddResetter("passkeys", passkeys)
	flows.SetFactors(signin.FactorList{factors, passkeys})
	signing, err := keys.NewManager(a.db.Client, a.cfg.Secret, audit.NewRecorder(), a.cfg.Masters()[1:]...)
	if err != nil {
		return err
	}
	cs := clients.NewService(a.db.Client, audit.NewRecorder())
	reg := registry.NewService(a.db.Client, audit.NewRecorder(), cs)
	var pings *http.Client // public addresses only
	if a.cfg.PrivatePings {
		pings = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		a.log.Warn("CIBA pings may go to loopback and private addresses (MANDATE_PRIVATE_PINGS)")
	}
	hooks, err := webhooks.New(webhooks.Config{Client: a.db.Client, Audit: audit.NewRecorder(), MasterSecret: a.cfg.Secret,
		PreviousSecrets: a.cfg.Masters()[1:], Log: a.log, PingClient: pings})
	if err != nil {
		return err
	}
	approvals := approval.New(approval.Config{Client: a.db.Client, Audit: audit.NewRecorder(), Flows: flows, Webhooks: hooks,
		BaseURL: base, Log: a.log})
	iss := issuer.New(issuer.Config{Client: a.db.Client, Tenants: a.tenants, Keys: signing, Flows: flows,
		Audit: audit.NewRecorder(), BaseURL: base, MasterSecret: a.cfg.Secret, PreviousSecrets: a.cfg.Masters()[1:], Log: a.log, Authority: registry.Authority{S: reg},
		Approvals: approvals})
	cs.OnChange = iss.ForgetClient
	a.tenants.OnSettingsChange = iss.ForgetWorkspace
	vlt, err := a.newVault()
	if err != nil {
		return err
	}
	// People's connected accounts: the social providers' tokens, kept in
	// the vault, renewed by the same providers.
	conns := vault.NewConnections(vlt)
	socials, err := social.New(social.Config{Client: a.db.Client, Tenants: a.tenants, Audit: audit.NewRecorder(), Flows: flows,
		MasterSecret: a.cfg.Secret, PreviousSecrets: a.cfg.Masters()[1:], BaseURL: base, Log: a.log, Tokens: conns})
	if err != nil {
		return err
	}
	conns.Refresher = socials
	gw := gateway.New(gateway.Config{Client: a.db.Client, Tenants: a.tenants, Tokens: iss, Vault: vlt, Connected: conns,
		Audit: audit.NewRecorder(), Log: a.log})
	handler := newHandler(a.log, a.tenants, a.db.Ping, strings.HasPrefix(base, "https://"), flows, signing, iss, reg,
		passkey.NewHandler(passkeys, signin.NewHandler(flows, a.tenants)),
		mfaEdge{Handler: mfa.NewHandler(factors, signin.NewHandler(flows, a.tenants)), svc: factors},
		socialEdge{Handler: social.NewHandler(socials), svc: socials},
		approvalEdge{svc: approvals},
		webhooksEdge{svc: hooks},
		vaultEdge{svc: vlt, conns: conns},
		gatewayEdge{Gateway: gw, tools: gateway.NewService(a.db.Client, audit.NewRecorder())})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return err
	}
	a.log.Info("mandate listening", "addr", ln.Addr().String(), "base_url", base)
	fmt.Fprintf(a.err, "Mandate is running at %s\n", base)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopDeliveries := startDeliveries(ctx, hooks)
	defer stopDeliveries()
	purgeCtx, stopPurge := context.WithCancel(ctx)
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		janitor.Run(purgeCtx, a.db.Client, purgeEvery, janitor.DefaultGrace, a.log)
	}()
	defer func() { stopPurge(); <-purged }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	gw.Wait() // the audit events of the tool calls answered
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// signinFlows builds the sign-in flows: SMTP when configured, else the dev
// outbox.
func (a *app) signinFlows(base string) (*signin.Flows, error) {
	var sender mail.Sender = &mail.Outbox{Client: a.db.Client, Log: a.log}
	if a.cfg.SMTPURL != "" {
		s, err := mail.ParseSMTPURL(a.cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		sender = s
	}
	return signin.New(signin.Config{
		Client:  a.db.Client,
		Tenants: a.tenants,
		Audit:   audit.NewRecorder(),
		Mail:    sender,
		Log:     a.log,
		BaseURL: base,
	}), nil
}

// hostedPages are the sign-in pages of a workspace, served by the dashboard
// app under /t/{slug}/.
var hostedPages = []string{"signin", "signup", "verify-email", "forgot-password", "reset-password", "account", "confirm-email", "accept-invitation", "security"}

// mounter is an HTTP edge that adds its routes (the factor packages').
type mounter interface{ Mount(mux *http.ServeMux) }

// guarder is an edge that also sees its requests before the mux.
type guarder interface {
	Guard(next http.Handler) http.Handler
}

// graphWirer is an extra edge that also serves GraphQL fields.
type graphWirer interface {
	wireGraph(gh *graph.Handler) *graph.Handler
}

// newHandler mounts every route and the middleware around them; extra
// edges (passkeys…) mount beside the sign-in endpoints.
func newHandler(log *slog.Logger, ts *tenants.Service, ready httpx.Ready, https bool, flows *signin.Flows, signing *keys.Manager, iss *issuer.Issuer, reg *registry.Service, extra ...mounter) http.Handler {
	mux := http.NewServeMux()
	if iss != nil {
		iss.Mount(mux) // with the JWKS, which makes a new workspace's first key
	} else {
		mux.Handle("GET /t/{slug}/jwks.json", signing.JWKSHandler(ts))
	}
	auth := signin.NewHandler(flows, ts)
	auth.Mount(mux)
	for _, m := range extra {
		m.Mount(mux)
	}
	for _, p := range hostedPages {
		mux.Handle("GET /t/{slug}/"+p, frontend.Handler())
	}
	mux.Handle("/healthz", httpx.Methods(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	}), http.MethodGet, http.MethodHead))
	mux.Handle("/readyz", httpx.Methods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "err", err)
			httpx.WriteProblem(w, r, http.StatusServiceUnavailable, "database unavailable")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
	}), http.MethodGet, http.MethodHead))
	gh := graph.NewHandler(ts.Client(), ts, log).WithSessions(auth).WithAccounts(flows)
	for _, m := range extra {
		if g, ok := m.(graphWirer); ok {
			gh = g.wireGraph(gh)
		}
	}
	if iss != nil {
		cs := clients.NewService(ts.Client(), audit.NewRecorder())
		cs.OnChange = iss.ForgetClient
		gh = gh.WithIssuer(&graph.IssuerServices{Issuer: iss, Clients: cs, Keys: signing, Agents: reg,
			Grants: delegation.NewService(ts.Client(), audit.NewRecorder())})
	}
	mux.Handle("/t/{slug}/graphql", httpx.Methods(gh, http.MethodPost, http.MethodOptions))
	mux.Handle("/t/{slug}/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, http.StatusNotFound, "no such endpoint")
	}))
	mux.Handle("/", frontend.Handler())
	// The tool gateway sees its paths before the mux, which would redirect
	// a path with dot segments to its clean form instead of refusing it;
	// it bounds bodies by each tool's own limit, everything else by ours.
	var root http.Handler = httpx.LimitBody(maxBodyBytes)(mux)
	for _, m := range extra {
		if g, ok := m.(guarder); ok {
			root = g.Guard(root)
		}
	}
	return httpx.Chain(root,
		httpx.RequestContext,
		httpx.Recover(log),
		httpx.AccessLog(log),
		httpx.SecurityHeaders(https),
	)
}
