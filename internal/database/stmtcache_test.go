package database

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"entgo.io/ent/dialect"
)

// openSQLite opens a fresh SQLite file as the server does, with one table.
func openSQLite(t *testing.T) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	d, err := Open(context.Background(), Target{Dialect: dialect.SQLite, Path: path, DSN: SQLiteDSN(path)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.SQL.Exec(`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	return d
}

// cached returns the SQL texts a connection keeps prepared.
func cached(t *testing.T, c *sql.Conn) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if err := c.Raw(func(dc any) error {
		cc, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("connection is %T, not the caching wrapper", dc)
		}
		cc.mu.Lock()
		defer cc.mu.Unlock()
		for q := range cc.stmts {
			out[q] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStatementCacheReusesStatements(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	c, err := d.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const ins, sel = `INSERT INTO things (name) VALUES (?)`, `SELECT name FROM things WHERE id = ?`
	for i := 1; i <= 3; i++ {
		if _, err := c.ExecContext(ctx, ins, fmt.Sprintf("thing %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The same prepared statement, bound to other values each time.
	for i := 1; i <= 3; i++ {
		var name string
		if err := c.QueryRowContext(ctx, sel, i).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("thing %d", i); name != want {
			t.Fatalf("row %d: got %q, want %q", i, name, want)
		}
	}
	got := cached(t, c)
	if !got[ins] || !got[sel] {
		t.Fatalf("cached statements = %v, want the INSERT and the SELECT", got)
	}
	// No rows: the statement is reset and stays usable.
	if err := c.QueryRowContext(ctx, sel, 99).Scan(new(string)); err != sql.ErrNoRows {
		t.Fatalf("missing row: err = %v", err)
	}
	var name string
	if err := c.QueryRowContext(ctx, sel, 2).Scan(&name); err != nil || name != "thing 2" {
		t.Fatalf("after an empty result: %q, %v", name, err)
	}
}

// A statement whose rows are still open is not reused under them: the
// same SQL inside the loop runs unprepared and both results are right.
func TestStatementCacheNestedUseOfTheSameSQL(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		if _, err := d.SQL.Exec(`INSERT INTO things (name) VALUES (?)`, fmt.Sprintf("n%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := d.SQL.BeginTx(ctx, nil) // one connection for both queries
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT id, name FROM things WHERE id >= ? ORDER BY id`
	outer, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for outer.Next() {
		var id int
		var name string
		if err := outer.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, q, id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		if want := 5 - id; n != want {
			t.Fatalf("inner query from id %d: %d rows, want %d", id, n, want)
		}
		seen = append(seen, name)
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if fmt.Sprint(seen) != "[n1 n2 n3 n4]" {
		t.Fatalf("outer rows = %v", seen)
	}
}

// A failed statement (here a constraint violation) is dropped, and the
// same SQL works again afterwards.
func TestStatementCacheAfterAnError(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	c, err := d.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const ins = `INSERT INTO things (name) VALUES (?)`
	if _, err := c.ExecContext(ctx, ins, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, ins, "a"); err == nil {
		t.Fatal("a duplicate name was inserted")
	}
	if cached(t, c)[ins] {
		t.Fatal("the failed statement stayed cached")
	}
	if _, err := c.ExecContext(ctx, ins, "b"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM things`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
}

func TestStatementCacheIsBounded(t *testing.T) {
	d := openSQLite(t)
	ctx := context.Background()
	c, err := d.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < stmtCacheSize+20; i++ {
		var v int
		if err := c.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&v); err != nil || v != i {
			t.Fatalf("SELECT %d = %d, %v", i, v, err)
		}
	}
	got := cached(t, c)
	if len(got) != stmtCacheSize {
		t.Fatalf("%d statements cached, want %d", len(got), stmtCacheSize)
	}
	if got["SELECT 0"] || !got[fmt.Sprintf("SELECT %d", stmtCacheSize+19)] {
		t.Fatal("the least recently used statement was not the one evicted")
	}
}
