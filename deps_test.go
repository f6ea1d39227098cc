package coditect_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/coditect/coditect-license"

// adapters wrap one dependency each and may not import one another.
var adapters = []string{"memory", "sqlite", "postgres", "redis", "signing"}

// TestDependencyRule enforces docs/architecture.md: the root imports only
// the standard library, adapters never import each other, seat imports only
// the root, and only cmd/ imports concrete adapters.
func TestDependencyRule(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		for _, imp := range strings.Fields(imports) {
			checkImport(t, rel, imp)
		}
	}
}

func checkImport(t *testing.T, pkg, imp string) {
	t.Helper()
	std := !strings.Contains(strings.Split(imp, "/")[0], ".")
	local := strings.HasPrefix(imp, module)
	target := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
	top := strings.Split(pkg, "/")[0]
	switch {
	case pkg == "":
		if !std {
			t.Errorf("root package imports %s; want the standard library only", imp)
		}
	case top == "seat":
		if local && target != "" {
			t.Errorf("seat imports %s; want only the root package", imp)
		}
	case top == "cmd":
		// cmd wires everything together.
	case local && isAdapter(strings.Split(target, "/")[0]) && strings.Split(target, "/")[0] != top:
		t.Errorf("%s imports the adapter %s; only cmd/ may import concrete adapters", pkg, target)
	}
}

func isAdapter(name string) bool {
	for _, a := range adapters {
		if a == name {
			return true
		}
	}
	return false
}
