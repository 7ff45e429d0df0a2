package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Parse: it must never panic, and every
// problem it reports must carry the file name, a line and a message.
func FuzzLoad(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	for _, p := range append(paths, more...) {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"", "- a", "name: [a", "name: x\n---\nname: y\n", "a: &x [*x]", "{", "name: !!str 1\n",
		"expect:\n  - {event: ras.rcf, at: 1s..2s, within: 1s, count: 1}\n",
		"devices:\n  - {name: d, user: u, kind: myapps, os: ios, wake: {min: 1s}, answer: {after: x}}\n",
		"pbxs:\n  - {name: a, quirks: {x: 1}, push: {certificate_serial: 99999999999999999999}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.yaml", src)
		if err == nil {
			if file == nil {
				t.Fatal("no error and no file")
			}
			Check(file.Expect, nil)
			return
		}
		if file != nil {
			t.Fatal("an error and a file")
		}
		var problems Errors
		if !errors.As(err, &problems) || len(problems) == 0 {
			t.Fatalf("error %v (%T) is not a non-empty Errors", err, err)
		}
		for _, p := range problems {
			if p.Pos.File != "fuzz.yaml" || p.Pos.Line < 1 || p.Message == "" {
				t.Fatalf("problem without a position or message: %q", p.Error())
			}
		}
	})
}
