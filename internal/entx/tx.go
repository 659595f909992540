// Package entx holds what every domain package does with the ent client
// the same way.
package entx

import (
	"context"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/apperr"
)

// InTx runs fn in one transaction of client: committed when fn returns
// nil, rolled back otherwise (and on a panic). Every state change of the
// domain packages goes through it, with its audit event inside.
func InTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return apperr.Wrap(err, "transaction")
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return apperr.Wrap(tx.Commit(), "commit")
}

// LockForUpdate, used as a predicate of a query in a transaction, reads
// the rows FOR UPDATE on PostgreSQL, so two transactions that check and
// then change the same thing take turns. SQLite has no row locks (nor the
// clause): there a transaction that writes already holds the one write
// lock.
func LockForUpdate(s *sql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}
