package scenario

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// determinismSeeds is how many seeds each library scenario runs with.
const determinismSeeds = 20

// TestLibraryDeterministicJSON runs every scenario of the library with
// seeds 1..20, twice each, and requires the same `--json` bytes (Report and
// MarshalReports, as pbxsim run --json writes them) for both runs of a seed.
// The second run uses a freshly loaded file, so a run that changed its File
// would show here too. Whether a run passes with a foreign seed does not
// matter: the seed only has to decide the outcome, byte for byte.
func TestLibraryDeterministicJSON(t *testing.T) {
	for _, path := range libraryFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			first, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			second, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			for seed := int64(1); seed <= determinismSeeds; seed++ {
				a := jsonRun(t, first, seed)
				b := jsonRun(t, second, seed)
				if !bytes.Equal(a, b) {
					t.Fatalf("seed %d: --json differs between two runs:\n%s", seed, firstDifference(a, b))
				}
			}
		})
	}
}

// jsonRun runs f with seed and returns its --json document.
func jsonRun(t *testing.T, f *File, seed int64) []byte {
	t.Helper()
	r, err := Run(f, RunOptions{Seed: seed, SeedSet: true})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	doc, err := MarshalReports([]RunReport{Report(r)})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return doc
}

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  ", i+1) + "" + la[i] + "\n  " + lb[i]
		}
	}
	return "one document is a prefix of the other"
}
