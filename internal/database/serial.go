package database

import (
	"context"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// slotWait bounds how long a write outside a transaction waits for the
// write slot before it runs anyway and meets SQLite's busy timeout, as it
// would without the slot. A write made while the same goroutine holds a
// transaction (which SQLite refuses with "database is locked" anyway)
// then fails instead of waiting forever.
const slotWait = 10 * time.Second

// stmtContext is the context a SQLite statement runs under: the caller's
// values without its cancellation. Given a context that can end,
// database/sql starts a goroutine to watch it for every result set and
// transaction, and modernc's driver another for every statement: up to
// two goroutines per statement, some thirty per token exchange. On one
// core (GOMAXPROCS=1) that churn keeps the run queue from ever emptying,
// and Go's scheduler then looks at the network only from its monitor
// thread, every 10 ms, queueing what it finds where it is served one
// goroutine at a time: under load some requests waited seconds while
// others completed in milliseconds (docs/benchmarks.md). A SQLite
// statement here runs in the process and takes microseconds to
// milliseconds, so running it to the end once its request is gone costs
// little; waits for the write slot still end with the context, and waits
// for another process's lock with the busy timeout.
func stmtContext(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// serialWrites queues SQLite writes in the process instead of in SQLite's
// busy handler, which sleeps and retries (1, 2, 5, 10 ms…): with one writer
// at a time (BEGIN IMMEDIATE), waiting on a channel hands the lock over as
// soon as it is free. Write transactions hold the slot from BEGIN to
// COMMIT or ROLLBACK; a write statement outside a transaction (an
// autocommit INSERT, UPDATE or DELETE) holds it while it runs. Other
// processes (the CLI next to a server) still meet the busy timeout. A
// transaction opened while the same goroutine holds another would wait
// forever; on SQLite it would already fail with "database is locked", and
// no code path does it.
type serialWrites struct {
	dialect.Driver
	slot chan struct{}
	// committed is called after each write that committed (the
	// checkpointer counts them); it must not block.
	committed func()
}

func newSerialWrites(d dialect.Driver, committed func()) *serialWrites {
	if committed == nil {
		committed = func() {}
	}
	return &serialWrites{Driver: d, slot: make(chan struct{}, 1), committed: committed}
}

// Tx waits for the write slot, then begins.
func (s *serialWrites) Tx(ctx context.Context) (dialect.Tx, error) {
	select {
	case s.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tx, err := s.Driver.Tx(stmtContext(ctx))
	if err != nil {
		<-s.slot
		return nil, err
	}
	t := &serialTx{Tx: tx, committed: s.committed}
	t.release = func() { t.once.Do(func() { <-s.slot }) }
	return t, nil
}

// acquire takes the slot for one write statement. It returns the function
// that gives it back (a no-op when the wait ran out).
func (s *serialWrites) acquire(ctx context.Context) (func(), error) {
	select {
	case s.slot <- struct{}{}:
		return s.releaseSlot, nil
	default:
	}
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case s.slot <- struct{}{}:
		return s.releaseSlot, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return func() {}, nil
	}
}

func (s *serialWrites) releaseSlot() { <-s.slot }

// Exec runs a write statement outside a transaction in the write slot.
func (s *serialWrites) Exec(ctx context.Context, query string, args, v any) error {
	if !isWrite(query) {
		return s.Driver.Exec(stmtContext(ctx), query, args, v)
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := s.Driver.Exec(stmtContext(ctx), query, args, v); err != nil {
		return err
	}
	s.committed()
	return nil
}

// Query runs a write statement outside a transaction (ent inserts with
// RETURNING) in the write slot, which it holds until its rows are closed:
// the statement's implicit transaction ends only then.
func (s *serialWrites) Query(ctx context.Context, query string, args, v any) error {
	if !isWrite(query) {
		return s.Driver.Query(stmtContext(ctx), query, args, v)
	}
	rows, ok := v.(*entsql.Rows)
	if !ok {
		return s.Driver.Query(stmtContext(ctx), query, args, v)
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	if err := s.Driver.Query(stmtContext(ctx), query, args, v); err != nil {
		release()
		return err
	}
	rows.ColumnScanner = &releasingRows{ColumnScanner: rows.ColumnScanner, release: release, committed: s.committed}
	return nil
}

// releasingRows gives the write slot back when the rows of a write are
// closed.
type releasingRows struct {
	entsql.ColumnScanner
	once      sync.Once
	release   func()
	committed func()
}

func (r *releasingRows) Close() error {
	err := r.ColumnScanner.Close()
	r.once.Do(func() {
		r.release()
		if err == nil {
			r.committed()
		}
	})
	return err
}

// isWrite says whether a statement ent sends writes: INSERT, UPDATE,
// DELETE or REPLACE (ent writes no WITH … INSERT). Reads, PRAGMAs and
// transaction control pass.
func isWrite(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "REPLAC":
		return true
	}
	return false
}

type serialTx struct {
	dialect.Tx
	once      sync.Once
	release   func()
	committed func()
}

func (t *serialTx) Exec(ctx context.Context, query string, args, v any) error {
	return t.Tx.Exec(stmtContext(ctx), query, args, v)
}

func (t *serialTx) Query(ctx context.Context, query string, args, v any) error {
	return t.Tx.Query(stmtContext(ctx), query, args, v)
}

func (t *serialTx) Commit() error {
	defer t.release()
	if err := t.Tx.Commit(); err != nil {
		return err
	}
	t.committed()
	return nil
}

func (t *serialTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}
