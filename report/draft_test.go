package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"
)

func TestDraftExpectationsText(t *testing.T) {
	events := []timeline.Event{
		{At: 2100e6, Name: "push.request", Attrs: []timeline.Attr{timeline.A("from", "pbx"), timeline.A("to", "push"),
			timeline.A("user", "alice"), timeline.A("call", "1")}},
		{At: 2200e6, Name: "q931.malformed", Attrs: []timeline.Attr{timeline.A("error", "x")}},
		{At: 12100e6, Name: "call.released", Attrs: []timeline.Attr{timeline.A("cause", "18")}},
		{At: 12150e6, Name: "device.ringing", Attrs: []timeline.Attr{timeline.A("device", `odd "name"`)}},
	}
	got := string(DraftExpectations(events))
	for _, want := range []string{
		"  - event: push.request\n    from: \"pbx\"\n    to: \"push\"\n    user: \"alice\"\n    at: 2s..2.2s\n",
		"  - event: call.released\n    cause: 18\n    at: 12s..12.2s\n",
		`    device: "odd \"name\""`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("draft lacks\n%s\nin\n%s", want, got)
		}
	}
	if strings.Contains(got, "malformed") || strings.Contains(got, "call:") {
		t.Errorf("draft names an event or attribute expectations cannot use:\n%s", got)
	}
	if got := string(DraftExpectations(nil)); !strings.Contains(got, "expect: []") {
		t.Errorf("empty draft: %q", got)
	}
}

// TestDraftRoundTrip records every library scenario, pastes the draft as
// its expect list, and requires the scenario to pass with it; and checks
// that the drafted items can fail: the same draft against another seed's
// or a shifted timeline must not pass wholesale.
func TestDraftRoundTrip(t *testing.T) {
	for _, path := range libraryFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f0, recorded := runScenario(t, path, true)
			if len(f0.Devices) > 200 {
				// A storm's draft names every member's messages: megabytes,
				// over the size a file may have (pbxsim record warns).
				t.Skipf("%d devices: a storm; its draft is larger than a scenario may be", len(f0.Devices))
			}
			draft := DraftExpectations(recorded.Events)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			replaced := replaceExpect(t, src, draft)
			f, err := scenario.Parse(filepath.Base(path), replaced)
			if err != nil {
				t.Fatalf("the draft does not load: %v\n%s", err, draft)
			}
			if len(f.Expect) == 0 {
				t.Fatal("nothing drafted")
			}
			r, err := scenario.Run(f, scenario.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if failed := scenario.Failed(r.Verdicts); len(failed) > 0 {
				t.Fatalf("%d drafted items fail, first: %v", len(failed), failed[0])
			}
			// The draft pins the run: shifted by a second, its windows miss.
			shifted := append([]timeline.Event(nil), r.Timeline.Events()...)
			for i := range shifted {
				shifted[i].At += 1e9
			}
			if len(scenario.Failed(scenario.Check(f.Expect, shifted))) == 0 {
				t.Error("the draft also passes a timeline shifted by 1s; its windows check nothing")
			}
		})
	}
}

// replaceExpect swaps the top-level `expect:` block of a scenario for the
// draft (the block runs to the next top-level key or the end of the file).
func replaceExpect(t *testing.T, src, draft []byte) []byte {
	t.Helper()
	lines := bytes.SplitAfter(src, []byte("\n"))
	var out []byte
	skipping := false
	for _, line := range lines {
		top := len(line) > 0 && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '-' && line[0] != '\n'
		switch {
		case bytes.HasPrefix(line, []byte("expect:")):
			skipping = true
		case skipping && top:
			skipping = false
			out = append(out, line...)
		case !skipping:
			out = append(out, line...)
		}
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, draft...)
}
