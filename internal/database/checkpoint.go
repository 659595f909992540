package database

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite's own checkpoints run inside the commit that crosses
// wal_autocheckpoint pages, and that commit holds the process's write slot
// (serial.go) through the checkpoint's fsyncs: every other writer waits
// (docs/benchmarks.md measured fsyncs of 2-47 ms). The checkpointer runs
// them instead from a goroutine of its own, on a pooled connection, as
// PASSIVE checkpoints, which wait for no reader or writer: commits go on
// while it copies pages. wal_autocheckpoint stays on, higher, as a
// backstop should the checkpointer fall behind.
const (
	// autoCheckpointPages is the backstop (4 KiB pages: 32 MiB of WAL).
	autoCheckpointPages = 8000
	// checkpointEvery commits wake the checkpointer at once (at about
	// 1,000 commits a second, eight checkpoints a second, each over a few
	// hundred pages).
	checkpointEvery = 128
	// checkpointTick wakes it when commits are fewer.
	checkpointTick = time.Second
)

type checkpointer struct {
	db      *sql.DB
	pending atomic.Int64 // commits since the last checkpoint
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	// For tests: checkpoints run and frames copied into the database.
	runs   atomic.Int64
	copied atomic.Int64
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// committed counts a commit; it never blocks.
func (c *checkpointer) committed() {
	if c.pending.Add(1) >= checkpointEvery {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(checkpointTick)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-t.C:
		}
		if c.pending.Swap(0) == 0 {
			continue
		}
		c.checkpoint()
	}
}

// checkpoint copies what it can of the WAL into the database. busy is 1
// when another checkpoint was running (another process's): the next one
// catches up.
func (c *checkpointer) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, frames, copied int64
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	if err != nil {
		select {
		case <-c.stop: // closing: the pool may be gone
		default:
			slog.Warn("database: background WAL checkpoint failed", "error", err)
		}
		return
	}
	c.runs.Add(1)
	if copied > 0 {
		c.copied.Add(copied)
	}
}

// close stops the goroutine and waits for it.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
