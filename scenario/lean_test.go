package scenario

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestLeanRunsGiveTheSameVerdicts runs every library scenario and every
// must-fail variant twice, keeping the whole timeline and keeping only what
// the expectations name: verdicts, messages and near misses must be the same,
// and the lean timeline must hold fewer events, without wire bytes.
func TestLeanRunsGiveTheSameVerdicts(t *testing.T) {
	mustFail, err := filepath.Glob(filepath.Join("..", "testdata", "must-fail", "*.yaml"))
	if err != nil || len(mustFail) == 0 {
		t.Fatalf("no must-fail variants: %v", err)
	}
	kept, all := 0, 0
	for _, path := range slices.Concat(libraryFiles(t), mustFail) {
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Run(f, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lean, err := Run(f, RunOptions{Lean: true})
		if err != nil {
			t.Fatal(err)
		}
		if full.Timeline.Len() != lean.Timeline.Len() {
			t.Errorf("%s: %d events recorded, %d when lean", path, full.Timeline.Len(), lean.Timeline.Len())
		}
		names := ExpectedNames(f.Expect)
		var want []int
		for _, e := range full.Timeline.Events() {
			if names[e.Name] {
				want = append(want, e.Seq)
			}
		}
		var got []int
		for _, e := range lean.Timeline.Events() {
			got = append(got, e.Seq)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the lean run kept events %v, want %v", path, got, want)
		}
		kept += len(got)
		all += lean.Timeline.Len()
		for _, e := range lean.Timeline.Events() {
			if e.Wire != nil {
				t.Fatalf("%s: the lean run kept the wire bytes of %s", path, e.String())
			}
		}
		if len(full.Verdicts) != len(lean.Verdicts) {
			t.Fatalf("%s: %d verdicts, %d when lean", path, len(full.Verdicts), len(lean.Verdicts))
		}
		for i, v := range full.Verdicts {
			l := lean.Verdicts[i]
			if v.OK != l.OK || v.Message != l.Message || v.Found != l.Found || v.Reference != l.Reference ||
				(v.Event == nil) != (l.Event == nil) || (v.Event != nil && v.Event.Seq != l.Event.Seq) {
				t.Errorf("%s: verdict %d:\n full: %v %s\n lean: %v %s", path, i, v.OK, v.Message, l.OK, l.Message)
			}
		}
	}
	if kept >= all {
		t.Errorf("lean runs kept %d of %d events", kept, all)
	}
	t.Logf("lean runs kept %d of %d events", kept, all)
}
