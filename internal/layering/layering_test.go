package layering_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/mandatehq/mandate/"

// Leaves any package may import.
var leaves = []string{"tenants/viewer", "tenants/settings", "auth/audit", "internal/apperr", "internal/logging"}

// rules: packages under the prefix must not depend on packages under any
// forbidden prefix (leaves excepted).
var rules = []struct {
	pkg       string
	forbidden []string
}{
	{"ent", []string{"auth", "agents", "graph", "cmd", "tenants", "internal", "frontend"}},
	{"tenants", []string{"auth", "agents", "graph", "cmd", "frontend"}},
	{"auth", []string{"agents", "graph", "cmd", "frontend"}},
	{"agents", []string{"graph", "cmd", "frontend"}},
	{"graph", []string{"cmd"}},
	{"internal", []string{"graph", "cmd", "agents", "frontend"}},
}

func isLeaf(p string) bool {
	for _, l := range leaves {
		if p == l || strings.HasPrefix(p, l+"/") {
			return true
		}
	}
	return false
}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// touchSources opens every Go file and folder of the module, so that go
// test's cache, which watches the files a test opens, reruns these tests
// when any import changes.
func touchSources(t *testing.T) {
	t.Helper()
	_ = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(path, ".go") {
			if f, err := os.Open(path); err == nil {
				f.Close()
			}
		}
		return nil
	})
}

func TestImportsPointOneWay(t *testing.T) {
	touchSources(t)
	out, err := exec.Command("go", "list", "-deps", "-test=false", "-f", `{{.ImportPath}}:{{join .Imports ","}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, imports, _ := strings.Cut(line, ":")
		if !strings.HasPrefix(name, module) {
			continue
		}
		pkg := strings.TrimPrefix(name, module)
		for _, r := range rules {
			if !under(pkg, r.pkg) || isLeaf(pkg) && r.pkg != "ent" {
				continue
			}
			checked++
			for _, imp := range strings.Split(imports, ",") {
				if !strings.HasPrefix(imp, module) {
					continue
				}
				dep := strings.TrimPrefix(imp, module)
				if isLeaf(dep) && !under(pkg, "ent") {
					continue
				}
				if under(pkg, "ent") && (dep == "tenants/viewer" || dep == "tenants/settings") {
					continue // the schema's privacy rules and field types
				}
				for _, f := range r.forbidden {
					if under(dep, f) && !under(dep, r.pkg) {
						t.Errorf("%s imports %s: imports must point cmd → graph → agents → auth → tenants → ent", pkg, dep)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package was checked")
	}
}

// A domain package never builds HTTP handlers of another package or opens
// its own database connection.
func TestDomainPackagesDoNotOpenDatabases(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports ","}}`, module+"tenants/...", module+"auth/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, imports, _ := strings.Cut(line, ":")
		for _, imp := range strings.Split(imports, ",") {
			switch imp {
			case "database/sql", "github.com/jackc/pgx/v5/stdlib", "modernc.org/sqlite", module + "internal/database":
				t.Errorf("%s imports %s: ent is the one persistence path", name, imp)
			}
		}
	}
}
