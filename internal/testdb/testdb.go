// Package testdb gives tests a fresh, migrated database on each dialect: a
// SQLite file in the test's temp dir, and, when MANDATE_TEST_POSTGRES_URL is
// set, a new PostgreSQL database created for the test and dropped after it.
// Tests apply the real versioned migrations, never Schema.Create.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/mandatehq/mandate/internal/database"
)

// PostgresURLEnv names the variable holding an admin URL of a PostgreSQL
// server on which tests may create and drop databases.
const PostgresURLEnv = "MANDATE_TEST_POSTGRES_URL"

// Dialects returns the dialects tests run on: SQLite always, PostgreSQL when
// configured. In CI (CI=true) PostgreSQL is required.
func Dialects(tb testing.TB) []string {
	ds := []string{dialect.SQLite}
	if os.Getenv(PostgresURLEnv) != "" {
		ds = append(ds, dialect.Postgres)
	} else if os.Getenv("CI") == "true" {
		tb.Fatalf("CI=true but %s is not set: the PostgreSQL suite must run in CI", PostgresURLEnv)
	}
	return ds
}

// Name is the subtest name for a dialect.
func Name(d string) string {
	if d == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Each runs fn as one subtest per dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(Name(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated database of dialect d, closed (and on
// PostgreSQL dropped) when the test ends.
func Open(tb testing.TB, d string) *database.DB {
	tb.Helper()
	ctx := context.Background()
	var target database.Target
	switch d {
	case dialect.SQLite:
		target = database.Target{Dialect: d, Path: filepath.Join(tb.TempDir(), "test.db")}
		target.DSN = database.SQLiteDSN(target.Path)
	case dialect.Postgres:
		target = database.Target{Dialect: d, DSN: createPostgres(tb)}
	default:
		tb.Fatalf("unknown dialect %q", d)
	}
	db, err := database.Open(ctx, target)
	if err != nil {
		tb.Fatalf("open %s: %v", d, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

// createPostgres creates a database and returns its URL; it is dropped at
// cleanup.
func createPostgres(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(PostgresURLEnv)
	if admin == "" {
		tb.Skipf("%s not set", PostgresURLEnv)
	}
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "mandate_test_" + hex.EncodeToString(b)
	if _, err := adb.Exec("CREATE DATABASE " + name); err != nil {
		adb.Close()
		tb.Fatalf("postgres: create database (is %s reachable?): %v", PostgresURLEnv, err)
	}
	tb.Cleanup(func() {
		_, _ = adb.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		adb.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("postgres: bad %s: %v", PostgresURLEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}
