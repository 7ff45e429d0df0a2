package report

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/callwake/callwake/scenario"
)

// repoRoot is the repository's root, found from this test file's place.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Dir(filepath.Dir(file))
}

// libraryFiles lists the scenario library (scenarios/*.yaml).
func libraryFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "scenarios", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("the scenario library (scenarios/*.yaml) is empty")
	}
	return files
}

// runScenario loads and runs one file (with its expectations checked unless
// record is set) and returns the file and its view.
func runScenario(t testing.TB, path string, record bool) (*scenario.File, RunView) {
	t.Helper()
	f, err := scenario.Load(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r, err := scenario.Run(f, scenario.RunOptions{Record: record})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f, FromResult(f, r)
}

// TestLibraryPcapTshark writes the pcap of every scenario of the library and
// reads it back with tshark. The subtests run in parallel: each waits on
// tshark processes, which is most of this package's test time.
func TestLibraryPcapTshark(t *testing.T) {
	for _, path := range libraryFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			_, run := runScenario(t, path, false)
			if len(wireSequence(run.Events)) == 0 {
				t.Fatal("the run put no RAS or Q.931 message on the wire")
			}
			checkPcapWithTshark(t, run.Events)
		})
	}
}

// artifactDir is where tests leave files for people to look at: the
// directory in CALLWAKE_ARTIFACTS (created if needed), or a temporary one.
func artifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CALLWAKE_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLibraryViewsDeterministic runs every library scenario twice and
// requires identical pcap and HTML bytes, and an arrow in the ladder for
// every message event.
func TestLibraryViewsDeterministic(t *testing.T) {
	for _, path := range libraryFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var pcaps, pages [2]bytes.Buffer
			for i := range 2 {
				_, run := runScenario(t, path, false)
				if err := WritePcap(&pcaps[i], run.Events); err != nil {
					t.Fatal(err)
				}
				if err := WriteHTML(&pages[i], run); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					arrows := 0
					for _, r := range pageModel(t, pages[0].String()).Rows {
						if r.Kind == rowArrow {
							arrows++
						}
					}
					if want := messageCount(run.Events); arrows != want {
						t.Errorf("%d arrows for %d message events", arrows, want)
					}
				}
			}
			if !bytes.Equal(pcaps[0].Bytes(), pcaps[1].Bytes()) {
				t.Error("two runs give different pcap bytes")
			}
			if !bytes.Equal(pages[0].Bytes(), pages[1].Bytes()) {
				t.Error("two runs give different HTML bytes")
			}
		})
	}
}
