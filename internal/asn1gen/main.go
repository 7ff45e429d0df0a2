// Command asn1gen generates the Go types and aligned-PER codecs of package h225 from the
// H.225.0 ASN.1 module and what it imports from H.235 and H.245.
//
// Usage (from h323/h225, via go generate):
//
//	go run ../../internal/asn1gen -ref ../../../shared/reference -out .
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// moduleFiles are the reference modules, the root module first.
var moduleFiles = []string{"H323-MESSAGES.asn", "H235-SECURITY-MESSAGES.asn", "MULTIMEDIA-SYSTEM-CONTROL.asn"}

func main() {
	ref := flag.String("ref", "../../../shared/reference", "directory holding the reference .asn modules")
	out := flag.String("out", ".", "directory to write the generated Go files to")
	pkg := flag.String("pkg", "h225", "Go package name of the generated files")
	flag.Parse()
	if err := run(*ref, *out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "asn1gen:", err)
		os.Exit(1)
	}
}

func run(refDir, outDir, pkg string) error {
	mods, err := loadModules(refDir)
	if err != nil {
		return err
	}
	g, err := buildModel(mods, "H323-MESSAGES", []string{"RasMessage", "H323-UserInformation"})
	if err != nil {
		return err
	}
	files, err := g.emitFiles(pkg)
	if err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(outDir, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
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
