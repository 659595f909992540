package diff_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mandatehq/mandate/internal/testdb"
	"github.com/mandatehq/mandate/migrations/diff"
)

// The committed migrations must describe exactly the ent schema: a schema
// change without `make generate` fails here.
func TestMigrationsMatchTheSchema(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..")
	dialects := map[string]string{"sqlite3": "sqlite", "postgres": "postgres"}
	for _, d := range testdb.Dialects(t) {
		dir := dialects[d]
		t.Run(dir, func(t *testing.T) {
			written, err := diff.Check(context.Background(), dir, filepath.Join(root, dir), os.Getenv(testdb.PostgresURLEnv))
			if err != nil {
				t.Fatal(err)
			}
			if len(written) > 0 {
				t.Fatalf("the ent schema has changes with no migration in migrations/%s; run make generate. Missing:\n%s", dir, written[0])
			}
		})
	}
}
