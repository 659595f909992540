// Package diff computes versioned migrations from the ent schema against the
// migrations already written, for the generator and for the drift test.
package diff

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	entmigrate "github.com/mandatehq/mandate/ent/migrate"
)

// Write diffs the schema against dir (a goose-format migration folder) for
// the dialect ("sqlite" or "postgres") and writes a new migration named
// name when anything changed. It returns the files it wrote.
func Write(ctx context.Context, d, dir, name, pgURL string) ([]string, error) {
	before, err := listSQL(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := run(ctx, d, dir, name, pgURL); err != nil {
		return nil, err
	}
	after, err := listSQL(dir)
	if err != nil {
		return nil, err
	}
	var written []string
	for f := range after {
		if !before[f] {
			written = append(written, filepath.Join(dir, f))
		}
	}
	return written, nil
}

// Check reports the statements Write would write, without touching dir: it
// works on a copy. An empty result means the schema and dir agree.
func Check(ctx context.Context, d, dir, pgURL string) ([]string, error) {
	tmp, err := os.MkdirTemp("", "mandate-migrations-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return nil, err
		}
	}
	written, err := Write(ctx, d, tmp, "drift", pgURL)
	if err != nil {
		return nil, err
	}
	var pending []string
	for _, w := range written {
		b, err := os.ReadFile(w)
		if err != nil {
			return nil, err
		}
		pending = append(pending, string(b))
	}
	return pending, nil
}

func listSQL(dir string) (map[string]bool, error) {
	out := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			out[e.Name()] = true
		}
	}
	return out, nil
}

func run(ctx context.Context, d, dir, name, pgURL string) error {
	mdir, err := sqltool.NewGooseDir(dir)
	if err != nil {
		return err
	}
	var (
		db          *sql.DB
		dialectName string
		cleanup     = func() {}
	)
	switch d {
	case "sqlite":
		dialectName = dialect.SQLite
		db, err = sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
		if err == nil {
			db.SetMaxOpenConns(1) // one in-memory database
		}
	case "postgres":
		dialectName = dialect.Postgres
		db, cleanup, err = scratchPostgres(ctx, pgURL)
	default:
		return fmt.Errorf("unknown dialect %q", d)
	}
	if err != nil {
		return err
	}
	defer cleanup()
	defer db.Close()
	m := entmigrate.NewSchema(entsql.OpenDB(dialectName, db))
	err = m.NamedDiff(ctx, name,
		schema.WithDir(mdir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialectName),
		schema.WithFormatter(sqltool.GooseFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		return err
	}
	return nil
}

// scratchPostgres creates an empty database next to pgURL's and returns a
// connection to it and a function that drops it.
func scratchPostgres(ctx context.Context, pgURL string) (*sql.DB, func(), error) {
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		return nil, nil, err
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("a PostgreSQL dev database is needed to generate its migrations (MANDATE_DEV_POSTGRES_URL): %w", err)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, err
	}
	name := "mandate_dev_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, nil, err
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		return nil, nil, err
	}
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, nil, err
	}
	return db, func() {
		db.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}, nil
}
