// Command asn1gen generates Go types and aligned-PER codecs from the ITU-T ASN.1 modules of
// H.225.0, H.235.0 and H.245: package h225 (RAS and call signalling, with what H.225.0 imports
// from H.235 and H.245) and package h245 (the H.245 control protocol).
//
// Usage (from h323/h225 or h323/h245, via go generate):
//
//	go run ../../internal/asn1gen -ref ../../../shared/reference -out . -target h225
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// moduleFiles are the reference modules, H.225.0 first.
var moduleFiles = []string{"H323-MESSAGES.asn", "H235-SECURITY-MESSAGES.asn", "MULTIMEDIA-SYSTEM-CONTROL.asn"}

// target is one generated package: the types reachable from roots, named in rootModule's scope.
type target struct {
	pkg        string
	rootModule string
	roots      []string
}

// targets are the packages the generator makes, by name (the -target flag and the package name).
var targets = map[string]target{
	"h225": {pkg: "h225", rootModule: "H323-MESSAGES", roots: []string{"RasMessage", "H323-UserInformation"}},
	"h245": {pkg: "h245", rootModule: "MULTIMEDIA-SYSTEM-CONTROL", roots: []string{"MultimediaSystemControlMessage"}},
}

func main() {
	ref := flag.String("ref", "../../../shared/reference", "directory holding the reference .asn modules")
	out := flag.String("out", ".", "directory to write the generated Go files to")
	name := flag.String("target", "h225", "package to generate: h225 or h245")
	flag.Parse()
	t, ok := targets[*name]
	if !ok {
		fmt.Fprintf(os.Stderr, "asn1gen: unknown -target %q (h225 or h245)\n", *name)
		os.Exit(2)
	}
	if err := run(*ref, *out, t); err != nil {
		fmt.Fprintln(os.Stderr, "asn1gen:", err)
		os.Exit(1)
	}
}

func run(refDir, outDir string, t target) error {
	mods, err := loadModules(refDir)
	if err != nil {
		return err
	}
	files, err := generate(mods, t)
	if err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(outDir, name), content, 0o644); err != nil {
			return err
		}
	}
	// A file an earlier run wrote and this one did not (the output was split differently)
	// would define every type twice.
	stale, err := staleFiles(outDir, t.pkg, files)
	if err != nil {
		return err
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(outDir, name)); err != nil {
			return err
		}
	}
	return nil
}

// generate returns the generated files of t by name.
func generate(mods map[string]*Module, t target) (map[string][]byte, error) {
	m, err := buildModel(mods, t.rootModule, t.roots)
	if err != nil {
		return nil, err
	}
	return m.emitFiles(t.pkg)
}

// isGenerated reports whether name is one of the files the generator writes for pkg.
func isGenerated(name, pkg string) bool {
	return strings.HasPrefix(name, pkg+"_gen") && strings.HasSuffix(name, ".go")
}

// staleFiles lists the generated files of pkg in dir that are not in files.
func staleFiles(dir, pkg string, files map[string][]byte) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok && isGenerated(e.Name(), pkg) {
			stale = append(stale, e.Name())
		}
	}
	slices.Sort(stale)
	return stale, nil
}

func loadModules(dir string) (map[string]*Module, error) {
	mods := map[string]*Module{}
	for _, f := range moduleFiles {
		src, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		m, err := parseModule(f, string(src))
		if err != nil {
			return nil, err
		}
		mods[m.Name] = m
	}
	return mods, nil
}
