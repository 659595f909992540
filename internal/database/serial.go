package database

import (
	"context"
	"sync"

	"entgo.io/ent/dialect"
)

// serialWrites queues SQLite write transactions in the process instead of
// in SQLite's busy handler, which sleeps and retries: with one writer at a
// time (BEGIN IMMEDIATE), waiting on a channel hands the lock over as soon
// as it is free. Other processes (the CLI next to a server) still meet the
// busy timeout. A transaction opened while the same goroutine holds another
// would wait forever; on SQLite it would already fail with "database is
// locked", and no code path does it.
type serialWrites struct {
	dialect.Driver
	slot chan struct{}
}

func newSerialWrites(d dialect.Driver) *serialWrites {
	return &serialWrites{Driver: d, slot: make(chan struct{}, 1)}
}

// Tx waits for the write slot, then begins.
func (s *serialWrites) Tx(ctx context.Context) (dialect.Tx, error) {
	select {
	case s.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tx, err := s.Driver.Tx(ctx)
	if err != nil {
		<-s.slot
		return nil, err
	}
	t := &serialTx{Tx: tx}
	t.release = func() { t.once.Do(func() { <-s.slot }) }
	return t, nil
}

type serialTx struct {
	dialect.Tx
	once    sync.Once
	release func()
}

func (t *serialTx) Commit() error {
	defer t.release()
	return t.Tx.Commit()
}

func (t *serialTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}
