package scenario

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestReportsHaveOneShape: a report of one run is {"runs": [RUN]}, like a
// report of several, byte for byte what json.MarshalIndent gives; and it
// reads back.
func TestReportsHaveOneShape(t *testing.T) {
	one := RunReport{Name: "a", File: "a.yaml", Result: "PASS", Events: []EventReport{}, Expectations: []VerdictReport{}}
	two := RunReport{Name: "b<&>", File: "b.yaml", Result: "FAIL", Events: []EventReport{{Name: "ras.rrq"}}, Expectations: []VerdictReport{}}
	for _, runs := range [][]RunReport{nil, {one}, {one, two}} {
		got, err := MarshalReports(runs)
		if err != nil {
			t.Fatal(err)
		}
		doc := struct {
			Runs []RunReport `json:"runs"`
		}{runs}
		if doc.Runs == nil {
			doc.Runs = []RunReport{}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%d runs:\n got %s\nwant %s", len(runs), got, want.Bytes())
		}
		back, err := UnmarshalReports(got)
		if err != nil || len(back) != len(runs) {
			t.Errorf("%d runs read back as %d: %v", len(runs), len(back), err)
		}
	}
	if _, err := UnmarshalReports([]byte(`{"name": "a", "file": "a.yaml", "result": "PASS"}`)); err == nil || !strings.Contains(err.Error(), `no "runs"`) {
		t.Errorf("a bare run object read as a report: %v", err)
	}
}
