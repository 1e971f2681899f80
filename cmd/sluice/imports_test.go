package main

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is the architecture of STYLE §1: which Sluice packages each
// package may import. Anything not listed is forbidden; external modules
// are not checked here.
var allowedImports = map[string][]string{
	"cmd/sluice":     {"server", "planner", "sql", "exec", "state", "ingest", "ingest/nexmark"},
	"server":         {"sql", "planner", "exec"},
	"planner":        {"sql", "exec"},
	"sql":            {},
	"exec":           {"state", "ingest"},
	"state":          {},
	"ingest":         {},
	"ingest/nexmark": {"ingest"},
}

// TestForbiddenImports fails when a package imports against the layering
// (non-test files), or when a package appears that the table does not know.
func TestForbiddenImports(t *testing.T) {
	const module = "github.com/sluicedb/sluice/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		allowed, known := allowedImports[pkg]
		if !known {
			if !strings.HasPrefix(pkg, "cmd/") {
				t.Errorf("package %s is not in the architecture table (STYLE §1): add it with its allowed imports", pkg)
			}
			continue
		}
		for _, imp := range fields[1:] {
			dep, ours := strings.CutPrefix(imp, module)
			if ours && dep != pkg && !contains(allowed, dep) {
				t.Errorf("%s imports %s: not allowed by STYLE §1", pkg, dep)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
