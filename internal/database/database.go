// Package database opens Mandate's store (SQLite or PostgreSQL) behind one
// ent client and applies the versioned migrations in migrations/. It is
// plumbing: it knows connection strings and migration versions, no domain
// concept.
package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"

	"github.com/mandatehq/mandate/ent"
	_ "github.com/mandatehq/mandate/ent/runtime" // privacy policies and hooks
)

// DefaultSQLiteFile is the database file `mandate` uses in the working
// directory when no URL is configured.
const DefaultSQLiteFile = "mandate.db"

var registerOnce sync.Once

// registerDrivers registers modernc's pure-Go SQLite under "sqlite3" too,
// the name ent's test helpers and Atlas open.
func registerDrivers() {
	registerOnce.Do(func() {
		for _, name := range sql.Drivers() {
			if name == "sqlite3" {
				return
			}
		}
		sql.Register("sqlite3", &sqlite.Driver{})
	})
}

// Target is a parsed database URL.
type Target struct {
	Dialect string // dialect.SQLite or dialect.Postgres
	// Path is the SQLite file ("" for PostgreSQL or an in-memory database).
	Path string
	// DSN is what database/sql opens.
	DSN string
}

// Parse reads a MANDATE_DATABASE_URL value: empty for the default SQLite
// file, a file path or sqlite://path for SQLite, postgres:// or
// postgresql:// for PostgreSQL.
func Parse(raw string) (Target, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return sqliteTarget(DefaultSQLiteFile), nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return Target{}, errors.New("database URL: not a valid postgres:// URL")
		}
		return Target{Dialect: dialect.Postgres, DSN: raw}, nil
	case strings.HasPrefix(raw, "sqlite://"):
		path := strings.TrimPrefix(raw, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return Target{}, errors.New("database URL: sqlite:// needs a file path, e.g. sqlite://mandate.db or sqlite:///var/lib/mandate.db")
		}
		return sqliteTarget(path), nil
	case strings.Contains(raw, "://"):
		return Target{}, fmt.Errorf("database URL: unsupported scheme in %q (use a file path, sqlite://… or postgres://…)", redactURL(raw))
	default:
		return sqliteTarget(raw), nil
	}
}

func sqliteTarget(path string) Target {
	return Target{Dialect: dialect.SQLite, Path: path, DSN: SQLiteDSN(path)}
}

// SQLiteDSN returns the modernc DSN for a database file: foreign keys on (ent
// needs them), WAL with synchronous=NORMAL (readers never block the writer,
// commits do not wait on fsync), a busy timeout, BEGIN IMMEDIATE so that
// concurrent write transactions queue instead of failing with "database is
// locked", and automatic checkpoints only as a backstop (a server runs them
// in the background: checkpoint.go).
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(autoCheckpointPages) + ")&_txlock=immediate"
}

// redactURL drops the password from a URL for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// DB is an open store.
type DB struct {
	Target Target
	SQL    *sql.DB
	Client *ent.Client

	checkpoints *checkpointer // SQLite only
	writes      *serialWrites // SQLite only: the ent driver
}

// Open connects to the target. It does not migrate: call Migrate.
func Open(ctx context.Context, t Target) (*DB, error) {
	registerDrivers()
	var (
		db  *sql.DB
		err error
	)
	switch t.Dialect {
	case dialect.SQLite:
		if t.Path != "" && !strings.HasPrefix(t.Path, ":memory:") {
			if dir := filepath.Dir(t.Path); dir != "." {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, fmt.Errorf("database: create directory for %s: %w", t.Path, err)
				}
			}
			// The file holds credential hashes: create it private.
			if f, err := os.OpenFile(t.Path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
				f.Close()
			}
		}
		var connector driver.Connector
		if connector, err = sqlite.NewConnector(t.DSN); err == nil {
			// Each connection keeps its prepared statements (stmtcache.go).
			db = sql.OpenDB(cachingConnector{connector})
			// Readers run in parallel under WAL; writers queue on BEGIN
			// IMMEDIATE and the busy timeout.
			db.SetMaxOpenConns(8)
			db.SetMaxIdleConns(8)
		}
	case dialect.Postgres:
		db, err = sql.Open("pgx", t.DSN)
		if err == nil {
			db.SetMaxOpenConns(32)
			db.SetMaxIdleConns(16)
			db.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("database: unsupported dialect %q", t.Dialect)
	}
	if err != nil {
		return nil, fmt.Errorf("database: open: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: cannot connect: %s", scrub(err, t))
	}
	var drv dialect.Driver = entsql.OpenDB(t.Dialect, db)
	out := &DB{Target: t, SQL: db}
	if t.Dialect == dialect.SQLite {
		out.checkpoints = startCheckpointer(db)
		out.writes = newSerialWrites(drv, out.checkpoints.committed)
		drv = out.writes
	}
	out.Client = ent.NewClient(ent.Driver(drv))
	return out, nil
}

// scrub keeps connection secrets out of an error message.
func scrub(err error, t Target) string {
	msg := err.Error()
	if u, perr := url.Parse(t.DSN); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }

// Close stops the background checkpoints, then closes the client and the
// connection pool.
func (d *DB) Close() error {
	if d.checkpoints != nil {
		d.checkpoints.close()
	}
	return d.Client.Close()
}
