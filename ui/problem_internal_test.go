package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProblemForIsTheOnlyMapping reads the package's own source: an error
// status (an http.Status constant of 4xx or 5xx, or the 499 constant) may
// appear only in problemFor, and only fail, the status recorder and the
// write* helpers (which answer successes) may call WriteHeader. A new handler
// that picks its own error status fails here.
func TestProblemForIsTheOnlyMapping(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && id.Name == "http" {
						switch {
						case strings.HasPrefix(n.Sel.Name, "Status") && !successStatus[n.Sel.Name] && n.Sel.Name != "StatusText" && !mappers.is(fn.Name.Name):
							t.Errorf("%s: %s uses http.%s; statuses come from problemFor", fset.Position(n.Pos()), fn.Name.Name, n.Sel.Name)
						case n.Sel.Name == "Error":
							t.Errorf("%s: %s calls http.Error; answer errors with fail", fset.Position(n.Pos()), fn.Name.Name)
						}
					}
					if n.Sel.Name == "WriteHeader" && fn.Name.Name != "fail" && fn.Name.Name != "WriteHeader" && !strings.HasPrefix(fn.Name.Name, "write") {
						t.Errorf("%s: %s calls WriteHeader; answer errors with fail", fset.Position(n.Pos()), fn.Name.Name)
					}
				case *ast.Ident:
					if n.Name == "statusClientClosedRequest" && !mappers.is(fn.Name.Name) {
						t.Errorf("%s: %s uses statusClientClosedRequest", fset.Position(n.Pos()), fn.Name.Name)
					}
				}
				return true
			})
		}
	}
	if checked == 0 {
		t.Fatal("no source files read")
	}
}

// successStatus are the statuses handlers may choose themselves.
var successStatus = map[string]bool{
	"StatusOK": true, "StatusCreated": true, "StatusAccepted": true, "StatusNoContent": true,
	"StatusSeeOther": true, "StatusFound": true, "StatusNotModified": true,
}

// mappers are problemFor and the helpers it delegates to; the services'
// mappers (problemMappers) are named <service>Problem.
var mappers = mapperNames{"problemFor": true, "chainProblem": true}

type mapperNames map[string]bool

func (m mapperNames) is(name string) bool { return m[name] || strings.HasSuffix(name, "Problem") }
