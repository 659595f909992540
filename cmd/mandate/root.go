package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/logging"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// app is what every command shares: its configuration and, once opened,
// the database and services.
type app struct {
	cfg  Config
	json bool
	out  io.Writer
	err  io.Writer

	db      *database.DB
	tenants *tenants.Service
	log     *slog.Logger
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	a := &app{out: stdout, err: stderr}
	root := &cobra.Command{
		Use:           "mandate",
		Short:         "Mandate: sign-in for humans, identities and delegated authority for AI agents",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if s := os.Getenv("MANDATE_SECRET"); s != "" {
				a.cfg.Secret = secret(s)
			}
			a.cfg.PreviousSecrets = parseSecrets(os.Getenv("MANDATE_PREVIOUS_SECRETS"))
			a.cfg.SMTPURL = os.Getenv("MANDATE_SMTP_URL")
			a.cfg.privatePings = os.Getenv("MANDATE_PRIVATE_PINGS")
			if err := a.cfg.Validate(); err != nil {
				return err
			}
			level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[a.cfg.LogLevel]
			log, err := logging.New(a.cfg.LogFormat, a.err, level)
			if err != nil {
				return err
			}
			a.log = log
			return nil
		},
		PersistentPostRunE: func(*cobra.Command, []string) error {
			if a.db != nil {
				return a.db.Close()
			}
			return nil
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.cfg.DatabaseURL, "database", env("DATABASE_URL", ""), "database: a SQLite file path, sqlite://PATH or postgres://… (MANDATE_DATABASE_URL; default ./"+database.DefaultSQLiteFile+")")
	f.StringVar(&a.cfg.LogFormat, "log-format", env("LOG_FORMAT", "text"), "log format: text or json (MANDATE_LOG_FORMAT)")
	f.StringVar(&a.cfg.LogLevel, "log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn or error (MANDATE_LOG_LEVEL)")
	f.BoolVar(&a.json, "json", false, "print exactly one JSON object on stdout")
	root.AddCommand(
		a.serveCmd(),
		a.migrateCmd(),
		a.tenantCmd(),
		a.userCmd(),
		a.tokenCmd(),
		a.auditCmd(),
		a.keysCmd(),
		a.clientCmd(),
		a.scopesCmd(),
		a.agentCmd(),
		a.grantCmd(),
		a.approvalCmd(),
		a.webhookCmd(),
		a.toolCmd(),
		a.vaultCmd(),
		a.idpCmd(),
		a.purgeCmd(),
	)
	return root
}

// open connects to the database and applies pending migrations, refusing a
// database ahead of this binary. Every command that touches data calls it,
// so a script may start with `mandate tenant create` on a fresh file.
func (a *app) open(ctx context.Context) error {
	db, err := database.Open(ctx, a.cfg.database)
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	a.db = db
	a.tenants = tenants.NewService(db.Client, audit.NewRecorder())
	return nil
}

// openAsOperator opens the database and returns ctx in which the CLI acts
// as the system inside the workspace slug.
func (a *app) openAsOperator(ctx context.Context, slug, why string) (context.Context, error) {
	if err := a.open(ctx); err != nil {
		return nil, err
	}
	return a.asOperator(ctx, slug, why)
}

// asOperator returns ctx in which the CLI acts as the system inside the
// workspace slug.
func (a *app) asOperator(ctx context.Context, slug, why string) (context.Context, error) {
	t, err := a.tenants.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("workspace %q: %w", slug, err)
	}
	ctx = audit.WithRequest(ctx, audit.Request{UserAgent: "mandate-cli"})
	return viewer.AsSystem(viewer.ForTenant(ctx, t.ID), "cli: "+why), nil
}

// emit prints v as one JSON object with --json, or the text otherwise.
func (a *app) emit(v any, text string, args ...any) error {
	if a.json {
		enc := json.NewEncoder(a.out)
		return enc.Encode(v)
	}
	_, err := fmt.Fprintf(a.out, text+"\n", args...)
	return err
}
