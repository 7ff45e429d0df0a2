package layout

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/callwake/callwake"

// nodes are the packages of the nodes (and their cores).
var nodes = []string{"phone", "pbx", "push/cloud"}

// drivers host nodes through the node contract.
var drivers = []string{"realnet", "sim"}

// known are the breaches of the rules the layout still has, by rule and
// package, with what causes them; they were reported when the rules came.
// A breach not listed fails the test, and so does a listed one that is
// gone (delete its line): the list only shrinks.
var known = map[string]string{
	"both cmd/phonesim": "phone.go names what a real gatekeeper sends (describers: ras.Describe, h323.Describe)",
}

// pkg is what the rules read of `go list -json`.
type pkg struct {
	ImportPath string
	Imports    []string // non-test code only
	Deps       []string // all that the non-test code depends on
	Error      *struct{ Err string }
}

// rel is an import path relative to the module ("" for others).
func rel(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	return strings.CutPrefix(path, module+"/")
}

// breaches lists the packages that break a rule, as "rule package: why".
func breaches(pkgs []pkg) map[string]string {
	out := map[string]string{}
	imports := func(p pkg, name string) bool { return slices.Contains(p.Imports, module+"/"+name) }
	for _, p := range pkgs {
		name, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		if !slices.Contains(nodes, name) && imports(p, "ras") && imports(p, "h323") {
			out["both "+name] = "imports both ras and h323"
		}
		if slices.Contains(drivers, name) {
			for _, d := range p.Deps {
				if n, ok := rel(d); ok && slices.Contains(nodes, n) {
					out["driver "+name] = "depends on the node package " + n
				}
			}
		}
		if name == "scenario" && (imports(p, "ras") || imports(p, "h323")) {
			out["protocol "+name] = "imports ras or h323"
		}
	}
	return out
}

func TestLayout(t *testing.T) {
	pkgs := list(t)
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	// The premise: the node packages are there and are the ones that join
	// the protocols; the drivers are there to be checked.
	for _, n := range append(slices.Clone(drivers), "phone", "pbx") {
		if _, ok := byPath[module+"/"+n]; !ok {
			t.Fatalf("go list lists no %s: %d packages", n, len(pkgs))
		}
	}
	for _, n := range []string{"phone", "pbx"} {
		if p := byPath[module+"/"+n]; !slices.Contains(p.Imports, module+"/ras") || !slices.Contains(p.Imports, module+"/h323") {
			t.Errorf("%s no longer imports both ras and h323: the rule's premise changed", n)
		}
	}
	got := breaches(pkgs)
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := known[k]; !ok {
			t.Errorf("%s %s", k, got[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(known)) {
		if _, ok := got[k]; !ok {
			t.Errorf("%q is no longer a breach (it was: %s): delete it from known", k, known[k])
		}
	}
}

// TestBreaches: each rule catches what it is about.
func TestBreaches(t *testing.T) {
	p := func(name string, imports ...string) pkg {
		q := pkg{ImportPath: module + "/" + name}
		for _, i := range imports {
			q.Imports = append(q.Imports, module+"/"+i)
			q.Deps = append(q.Deps, module+"/"+i)
		}
		return q
	}
	indirect := p("realnet", "node")
	indirect.Deps = append(indirect.Deps, module+"/pbx")
	got := breaches([]pkg{
		p("phone", "ras", "h323"), p("pbx", "ras", "h323", "h323/q931"), // the nodes may
		p("report", "ras", "h323"),
		p("decode", "ras", "h323/q931"), // h323/q931 is not h323
		p("sim", "node", "phone"),
		indirect,
		p("scenario", "pbx", "h323"),
		{ImportPath: "example.com/other", Imports: []string{module + "/ras", module + "/h323"}},
	})
	want := []string{"both report", "driver realnet", "driver sim", "protocol scenario"}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Errorf("breaches %v, want %v", got, want)
	}
}

// list runs go list over the module. It also reads every directory and
// stats every Go file of the module, so that go test's cache, which sees
// only what this process touches, runs the test again when an import
// changes.
func list(t *testing.T) []pkg {
	t.Helper()
	root := moduleRoot(t)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Deps,Error", "./...")
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Errorf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// moduleRoot is the directory of go.mod above the test's own.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}
