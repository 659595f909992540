package database

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

func TestIsWrite(t *testing.T) {
	for q, want := range map[string]bool{
		"INSERT INTO `t` (`a`) VALUES (?) RETURNING `id`": true,
		"UPDATE `t` SET `a` = ?":                          true,
		"  delete from t":                                 true,
		"REPLACE INTO t VALUES (1)":                       true,
		"SELECT `t`.`id` FROM `t`":                        false,
		"PRAGMA wal_checkpoint(PASSIVE)":                  false,
		"":                                                false,
		"BEGIN":                                           false,
	} {
		if got := isWrite(q); got != want {
			t.Errorf("isWrite(%q) = %v, want %v", q, got, want)
		}
	}
}

// A write outside a transaction (Exec, or the INSERT … RETURNING ent
// sends through Query on SQLite) waits for the write slot, not in SQLite's
// busy handler, and the INSERT … RETURNING holds the slot until its rows
// are closed: its implicit transaction ends only then.
func TestAutocommitWritesTakeTheSlot(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	sw := newSerialWrites(entsql.OpenDB(dialect.SQLite, d.SQL), nil)
	query := func(name string) (*entsql.Rows, error) {
		var rows entsql.Rows
		err := sw.Query(ctx, "INSERT INTO things (name) VALUES (?) RETURNING id", []any{name}, &rows)
		return &rows, err
	}
	writes := map[string]func(name string) error{
		"exec": func(name string) error {
			return sw.Exec(ctx, "INSERT INTO things (name) VALUES (?)", []any{name}, nil)
		},
		"query": func(name string) error {
			rows, err := query(name)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			return rows.Close()
		},
	}
	for kind, write := range writes {
		sw.slot <- struct{}{} // another writer holds the slot
		done := make(chan error, 1)
		go func() { done <- write(kind) }()
		select {
		case err := <-done:
			t.Fatalf("%s: the write ran while another writer held the slot (err %v)", kind, err)
		case <-time.After(100 * time.Millisecond):
		}
		<-sw.slot
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(sw.slot) != 0 {
			t.Fatalf("%s: the write kept the slot", kind)
		}
	}
	rows, err := query("held")
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.slot) != 1 {
		t.Fatal("an INSERT … RETURNING with open rows does not hold the slot")
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(sw.slot) != 0 {
		t.Fatal("closing the rows of an INSERT … RETURNING did not give the slot back")
	}
	// Reads never wait for the slot.
	sw.slot <- struct{}{}
	var rs entsql.Rows
	if err := sw.Query(ctx, "SELECT COUNT(*) FROM things", []any{}, &rs); err != nil {
		t.Fatal(err)
	}
	rs.Close()
	<-sw.slot
}

// Writers of every kind under contention: no "database is locked", and
// every committed write counted for the checkpointer.
func TestConcurrentWritersNeverLock(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	var mu sync.Mutex
	commits := 0
	sw := newSerialWrites(entsql.OpenDB(dialect.SQLite, d.SQL), func() { mu.Lock(); commits++; mu.Unlock() })
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				name := fmt.Sprintf("w%d-%d", w, i)
				var err error
				switch i % 3 {
				case 0:
					err = sw.Exec(ctx, "INSERT INTO things (name) VALUES (?)", []any{name}, nil)
				case 1:
					var rows entsql.Rows
					if err = sw.Query(ctx, "INSERT INTO things (name) VALUES (?) RETURNING id", []any{name}, &rows); err == nil {
						for rows.Next() {
						}
						err = rows.Close()
					}
				default:
					var tx dialect.Tx
					if tx, err = sw.Tx(ctx); err == nil {
						if err = tx.Exec(ctx, "INSERT INTO things (name) VALUES (?)", []any{name}, nil); err != nil {
							_ = tx.Rollback()
						} else {
							err = tx.Commit()
						}
					}
				}
				if err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := d.SQL.QueryRow("SELECT COUNT(*) FROM things").Scan(&n); err != nil || n != workers*each {
		t.Fatalf("%d rows (%v), want %d", n, err, workers*each)
	}
	if commits != workers*each {
		t.Fatalf("%d commits counted, want %d", commits, workers*each)
	}
}

// The checkpointer copies the WAL into the database in the background,
// and SQLite's own checkpoints only come as a backstop.
func TestBackgroundCheckpoints(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	var pages int
	if err := d.SQL.QueryRow("PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != autoCheckpointPages {
		t.Fatalf("wal_autocheckpoint = %d (%v), want %d", pages, err, autoCheckpointPages)
	}
	for i := 0; i < checkpointEvery; i++ {
		if err := d.writes.Exec(ctx, "INSERT INTO things (name) VALUES (?)", []any{fmt.Sprint(i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.checkpoints.copied.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no background checkpoint after %d commits (runs %d)", checkpointEvery, d.checkpoints.runs.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Closing stops the goroutine (a second close is harmless).
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d.checkpoints.close()
}

// Statements run without their context's cancellation (see stmtContext):
// a read and a write made under a context that has ended still complete,
// and no goroutine watches a result set's context while it is open.
func TestStatementsIgnoreCancellation(t *testing.T) {
	d := openSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.writes.Exec(ctx, "INSERT INTO things (name) VALUES (?)", []any{"late"}, nil); err != nil {
		t.Fatalf("write under an ended context: %v", err)
	}
	live, stop := context.WithCancel(context.Background())
	defer stop()
	before := runtime.NumGoroutine()
	var rows entsql.Rows
	if err := d.writes.Query(live, "SELECT name FROM things", []any{}, &rows); err != nil {
		t.Fatal(err)
	}
	during := runtime.NumGoroutine()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if fmt.Sprint(names) != "[late]" {
		t.Fatalf("rows = %v", names)
	}
	if during > before {
		t.Fatalf("an open result set started %d goroutine(s)", during-before)
	}
}
