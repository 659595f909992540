package database

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"sync"
)

// stmtCacheSize bounds the prepared statements kept per SQLite connection.
// ent writes a handful of distinct statements per query shape (IN lists
// of different lengths are distinct), and a server runs a few hundred
// shapes; the least recently used statement is finalized beyond this.
const stmtCacheSize = 256

// cachingConnector opens SQLite connections that keep their prepared
// statements. modernc's SQLite parses the SQL of every statement run
// through QueryContext or ExecContext and finalizes it afterwards; parsing
// was about a fifth of the CPU of an issuer request (docs/benchmarks.md).
// A statement prepared once per connection and reused (reset and rebound
// by the driver) skips that.
type cachingConnector struct {
	driver.Connector
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

// sqliteConn is what modernc's connections implement and the wrapper
// forwards: without these, database/sql falls back to context-free calls.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// preparedStmt is a statement that can run with a context, as modernc's do.
type preparedStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachingConn is one SQLite connection and its prepared statements, by SQL
// text. database/sql uses a connection from one goroutine at a time, but
// rows stay open across calls (a query inside a loop over another one's
// rows, in a transaction), so a statement whose rows are open is busy: the
// same SQL then runs unprepared, as without the cache.
type cachingConn struct {
	sqliteConn
	mu    sync.Mutex
	stmts map[string]*list.Element // of *cachedStmt
	lru   list.List                // front: most recently used
}

type cachedStmt struct {
	query string
	stmt  preparedStmt
	busy  bool
}

func newCachingConn(c driver.Conn) (driver.Conn, error) {
	sc, ok := c.(sqliteConn)
	if !ok {
		_ = c.Close()
		return nil, errors.New("database: the SQLite driver's connection lacks a context method")
	}
	return &cachingConn{sqliteConn: sc, stmts: map[string]*list.Element{}}, nil
}

// Unwrap returns modernc's connection (its Limit looks through wrappers).
func (c *cachingConn) Unwrap() driver.Conn { return c.sqliteConn }

// acquire returns the cached statement for query, preparing it on first
// use, and marks it busy; nil when it is busy already.
func (c *cachingConn) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.stmts[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(el)
		cs.busy = true
		return cs, nil
	}
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ps, ok := s.(preparedStmt)
	if !ok {
		_ = s.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: ps, busy: true}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		if !c.evictOldestIdle() {
			break
		}
	}
	return cs, nil
}

// evictOldestIdle finalizes the least recently used statement not in use.
func (c *cachingConn) evictOldestIdle() bool {
	for el := c.lru.Back(); el != nil; el = el.Prev() {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			continue
		}
		c.lru.Remove(el)
		delete(c.stmts, cs.query)
		_ = cs.stmt.Close()
		return true
	}
	return false
}

// release marks cs free again. After an error the statement is dropped:
// a statement is reset by the driver after a failure, but an interrupted
// or otherwise failed statement is not worth trusting for the next call.
func (c *cachingConn) release(cs *cachedStmt, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.busy = false
	if !failed {
		return
	}
	if el, ok := c.stmts[cs.query]; ok && el.Value == cs {
		c.lru.Remove(el)
		delete(c.stmts, cs.query)
	}
	_ = cs.stmt.Close()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	res, err := cs.stmt.ExecContext(ctx, args)
	c.release(cs, err != nil)
	return res, err
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		c.release(cs, true)
		return nil, err
	}
	return &cachedRows{Rows: rows, release: func(failed bool) { c.release(cs, failed) }}, nil
}

// Close finalizes the cached statements, then closes the connection:
// SQLite keeps a connection with unfinalized statements alive.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	for el := c.lru.Front(); el != nil; el = el.Next() {
		_ = el.Value.(*cachedStmt).stmt.Close()
	}
	c.lru.Init()
	c.stmts = map[string]*list.Element{}
	c.mu.Unlock()
	return c.sqliteConn.Close()
}

// cachedRows frees its statement when closed, and forwards the column type
// methods of modernc's rows (ent reads the scan types through them).
type cachedRows struct {
	driver.Rows
	release func(failed bool)
	closed  bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	r.release(err != nil)
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
