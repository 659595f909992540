package main

import (
	"database/sql"
	"testing"
)

// openURL opens a raw connection to the database behind a CLI URL, to
// inspect or tamper with it behind the application's back.
func openURL(t *testing.T, u string) *sql.DB {
	t.Helper()
	driver, dsn := sqliteOrPostgres(u)
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
