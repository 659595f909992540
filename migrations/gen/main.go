// Command gen writes a new versioned migration for each dialect from the
// difference between the ent schema and the migrations already in
// migrations/. It replays the existing files on a scratch database: an
// in-memory SQLite, and a temporary PostgreSQL database it creates and drops
// (MANDATE_DEV_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
//
//	go run ./migrations/gen [-name NAME] [-check]
//
// With -check it writes nothing and fails if the schema has drifted from the
// migrations.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/mandatehq/mandate/migrations/diff"
)

func main() {
	name := flag.String("name", "changes", "name of the new migration")
	check := flag.Bool("check", false, "fail if the schema and the migrations differ, writing nothing")
	flag.Parse()
	ctx := context.Background()
	pg := os.Getenv("MANDATE_DEV_POSTGRES_URL")
	if pg == "" {
		pg = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	for _, d := range []string{"sqlite", "postgres"} {
		var (
			written []string
			err     error
		)
		if *check {
			written, err = diff.Check(ctx, d, "migrations/"+d, pg)
		} else {
			written, err = diff.Write(ctx, d, "migrations/"+d, *name, pg)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "migrations/%s: %v\n", d, err)
			os.Exit(1)
		}
		if *check && len(written) > 0 {
			fmt.Fprintf(os.Stderr, "migrations/%s: the ent schema has changes with no migration; run make generate\n", d)
			os.Exit(1)
		}
		for _, w := range written {
			fmt.Println("wrote", w)
		}
	}
}
