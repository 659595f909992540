package database_test

import (
	"strings"
	"testing"

	"github.com/mandatehq/mandate/internal/database"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, dialect, path string
		ok                bool
	}{
		{"", "sqlite3", "mandate.db", true},
		{"data/m.db", "sqlite3", "data/m.db", true},
		{"sqlite://data/m.db", "sqlite3", "data/m.db", true},
		{"sqlite:///var/lib/mandate.db?x=1", "sqlite3", "/var/lib/mandate.db", true},
		{"postgres://u:p@db:5432/mandate?sslmode=require", "postgres", "", true},
		{"postgresql://db/mandate", "postgres", "", true},
		{"sqlite://", "", "", false},
		{"mysql://u:hunter2@db/x", "", "", false},
	}
	for _, tc := range cases {
		got, err := database.Parse(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Parse(%q) leaked the password: %v", tc.in, err)
			}
			continue
		}
		if got.Dialect != tc.dialect || got.Path != tc.path {
			t.Errorf("Parse(%q) = %+v", tc.in, got)
		}
		if got.Dialect == "sqlite3" && !strings.Contains(got.DSN, "foreign_keys(1)") {
			t.Errorf("Parse(%q): DSN without foreign keys: %s", tc.in, got.DSN)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "m.db", "sqlite://x", "postgres://a:b@c/d", "x://y", "postgres://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := database.Parse(in)
		if err != nil {
			return
		}
		if got.Dialect != "sqlite3" && got.Dialect != "postgres" {
			t.Fatalf("Parse(%q) gave dialect %q", in, got.Dialect)
		}
		if got.Dialect == "sqlite3" && got.Path == "" {
			t.Fatalf("Parse(%q) gave SQLite with no path", in)
		}
	})
}
