package e2e_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestREADME_goSnippetsAreCompiledExamples checks that every Go snippet of
// the README is (part of) the body of an Example function in this
// package's example*_test.go files, compared without whitespace, and that
// the packages a snippet imports are imported there: the README's code is
// code that compiles.
func TestREADME_goSnippetsAreCompiledExamples(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	snippets := goBlocks(string(readme))
	if len(snippets) < 8 {
		t.Fatalf("the README has %d Go snippets; the guides alone have more", len(snippets))
	}
	bodies, imported := exampleBodies(t)
	for i, s := range snippets {
		code, imports := cutImports(s)
		code = cutMain(code)
		want := squeeze(code)
		found := false
		for _, b := range bodies {
			if strings.Contains(b, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("README Go snippet %d is in no Example of e2e/example*_test.go (copy it there):\n%s", i+1, s)
		}
		for _, p := range imports {
			if !imported[p] {
				t.Errorf("README Go snippet %d imports %s, which no Example file imports", i+1, p)
			}
		}
	}
}

// goBlocks returns the contents of the ```go fences of a Markdown text.
func goBlocks(md string) []string {
	var out []string
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		var b strings.Builder
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			b.WriteString(lines[i])
			b.WriteByte('\n')
		}
		out = append(out, b.String())
	}
	return out
}

// cutImports removes the import declarations of a snippet and returns the
// imported paths.
func cutImports(s string) (string, []string) {
	var code strings.Builder
	var paths []string
	inBlock := false
	for _, line := range strings.Split(s, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case inBlock && l == ")":
			inBlock = false
		case inBlock:
			if f := strings.Fields(l); len(f) > 0 {
				if p, err := strconv.Unquote(f[len(f)-1]); err == nil {
					paths = append(paths, p)
				}
			}
		case l == "import (":
			inBlock = true
		case strings.HasPrefix(l, "import "):
			if p, err := strconv.Unquote(strings.TrimSpace(strings.TrimPrefix(l, "import "))); err == nil {
				paths = append(paths, p)
			}
		default:
			code.WriteString(line)
			code.WriteByte('\n')
		}
	}
	return code.String(), paths
}

// cutMain unwraps a snippet written as func main() { ... }.
func cutMain(s string) string {
	t := strings.TrimSpace(s)
	if body, ok := strings.CutPrefix(t, "func main() {"); ok && strings.HasSuffix(body, "}") {
		return strings.TrimSuffix(body, "}")
	}
	return s
}

// squeeze drops every white space, so that formatting does not matter.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// exampleBodies returns the squeezed bodies of the Example functions of
// example*_test.go and the paths those files import.
func exampleBodies(t *testing.T) ([]string, map[string]bool) {
	t.Helper()
	files, err := filepath.Glob("example*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example files: %v", err)
	}
	var bodies []string
	imported := map[string]bool{}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			imported[p] = true
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Example") {
				continue
			}
			from, to := fset.Position(fn.Body.Lbrace).Offset+1, fset.Position(fn.Body.Rbrace).Offset
			bodies = append(bodies, squeeze(string(src[from:to])))
		}
	}
	return bodies, imported
}
