package database

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"entgo.io/ent/dialect"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/mandatehq/mandate/migrations"
)

// ErrAhead is returned when the database has migrations this binary does not
// know: it was migrated by a newer Mandate.
var ErrAhead = errors.New("database is ahead of this binary")

// versionTable is where applied migration versions are recorded.
const versionTable = "mandate_schema_migrations"

func (d *DB) provider() (*goose.Provider, error) {
	var (
		gd   goose.Dialect
		dir  fs.FS
		opts = []goose.ProviderOption{goose.WithTableName(versionTable)}
	)
	switch d.Target.Dialect {
	case dialect.SQLite:
		gd, dir = goose.DialectSQLite3, migrations.SQLite()
	case dialect.Postgres:
		gd, dir = goose.DialectPostgres, migrations.Postgres()
		// Replicas starting together take turns.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	default:
		return nil, fmt.Errorf("migrations: unsupported dialect %q", d.Target.Dialect)
	}
	return goose.NewProvider(gd, d.SQL, dir, opts...)
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version int64  `json:"version"`
	Name    string `json:"name"`
	Applied bool   `json:"applied"`
}

// Versions returns the database's current version and the newest version
// this binary has.
func (d *DB) Versions(ctx context.Context) (current, latest int64, err error) {
	p, err := d.provider()
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("migrations: read version: %w", err)
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}

// Migrate applies every pending migration and returns how many it applied.
// It refuses a database that is ahead of this binary.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	current, latest, err := d.Versions(ctx)
	if err != nil {
		return 0, err
	}
	if current > latest {
		return 0, fmt.Errorf("%w: the database is at migration %d but this binary knows migrations up to %d; run the newer mandate binary that migrated it", ErrAhead, current, latest)
	}
	p, err := d.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	return len(res), nil
}

// Status lists every migration this binary has and whether it is applied.
func (d *DB) Status(ctx context.Context) ([]MigrationStatus, error) {
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{
			Version: s.Source.Version,
			Name:    s.Source.Path,
			Applied: s.State == goose.StateApplied,
		})
	}
	return out, nil
}
