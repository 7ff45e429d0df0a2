package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// JSON report of runs (pbxsim run --json). Its bytes depend only on the
// files, the seeds and the paths given: every list keeps timeline or file
// order, attributes keep their order, and nothing measured on the wall
// clock is included.

// RunReport is one run as the JSON report shows it. Error is set, and the
// rest mostly empty, when the file could not be loaded or run.
type RunReport struct {
	Name         string          `json:"name"`
	File         string          `json:"file"`
	Seed         int64           `json:"seed"`
	Result       string          `json:"result"` // PASS, FAIL, ERROR
	Error        string          `json:"error,omitempty"`
	SimulatedNS  int64           `json:"simulated_ns"`
	Simulated    string          `json:"simulated"`
	Events       []EventReport   `json:"events"`
	Expectations []VerdictReport `json:"expectations"`
}

// EventReport is one timeline event.
type EventReport struct {
	Seq   int          `json:"seq"`
	AtNS  int64        `json:"at_ns"`
	At    string       `json:"at"` // seconds with millisecond precision, e.g. "2.100s"
	Name  string       `json:"name"`
	Attrs []AttrReport `json:"attrs"`
}

// AttrReport is one attribute, in the order the actor gave it.
type AttrReport struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// VerdictReport is one expectation's verdict.
type VerdictReport struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Item    string `json:"item"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	// EventSeq is the Seq of the event the verdict cites (the match, or the
	// first offending event), -1 for none.
	EventSeq int `json:"event_seq"`
}

// Outcome names a run's outcome: PASS, FAIL, or ERROR for a nil result.
func Outcome(r *Result) string {
	switch {
	case r == nil:
		return "ERROR"
	case r.Passed():
		return "PASS"
	}
	return "FAIL"
}

// Report renders a run for the JSON report.
func Report(r *Result) RunReport {
	rep := RunReport{
		Name: r.Name, File: r.File, Seed: r.Seed, Result: Outcome(r),
		SimulatedNS: int64(r.Simulated), Simulated: r.Simulated.String(),
		Events: make([]EventReport, 0, r.Timeline.Len()), Expectations: make([]VerdictReport, 0, len(r.Verdicts)),
	}
	for _, e := range r.Timeline.Events() {
		er := EventReport{Seq: e.Seq, AtNS: int64(e.At), At: fmt.Sprintf("%.3fs", e.At.Seconds()), Name: e.Name,
			Attrs: make([]AttrReport, len(e.Attrs))}
		for i, a := range e.Attrs {
			er.Attrs[i] = AttrReport{Key: a.Key, Value: a.Value}
		}
		rep.Events = append(rep.Events, er)
	}
	for _, v := range r.Verdicts {
		vr := VerdictReport{Line: v.Item.Pos.Line, Col: v.Item.Pos.Col, Item: v.Item.String(), OK: v.OK, Message: v.Message, EventSeq: -1}
		if v.Event != nil {
			vr.EventSeq = v.Event.Seq
		}
		rep.Expectations = append(rep.Expectations, vr)
	}
	return rep
}

// WriteReports writes the JSON document of a command's runs: always
// {"runs": [...]} in the given order, for one file as for many, so that a
// script reads every report the same way. It writes run by run, so that a
// writer that refuses more bytes (a view budget) stops the work early; the
// bytes are those of json.MarshalIndent(doc, "", "  ") with HTML left
// unescaped.
func WriteReports(w io.Writer, runs []RunReport) error {
	if len(runs) == 0 {
		_, err := io.WriteString(w, "{\n  \"runs\": []\n}\n")
		return err
	}
	if _, err := io.WriteString(w, "{\n  \"runs\": [\n    "); err != nil {
		return err
	}
	for i := range runs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("    ", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&runs[i]); err != nil {
			return err
		}
		b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if i < len(runs)-1 {
			b = append(b, ",\n    "...)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n  ]\n}\n")
	return err
}

// MarshalReports is WriteReports into memory.
func MarshalReports(runs []RunReport) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteReports(&buf, runs); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalReports reads what WriteReports wrote.
func UnmarshalReports(b []byte) ([]RunReport, error) {
	var doc struct {
		Runs *[]RunReport `json:"runs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a pbxsim JSON report: %w", err)
	}
	if doc.Runs == nil {
		return nil, fmt.Errorf("not a pbxsim JSON report: no \"runs\" list")
	}
	return *doc.Runs, nil
}

// MergeReports joins the runs of several reports, the shards of one library
// run (pbxsim run --shard I/N --json), into one, sorted by file path: the
// order in which an unsharded run over a directory lists them. A file found in two reports is an error: the
// shards overlapped, or a report was given twice, and the totals would
// count it twice.
func MergeReports(reports ...[]RunReport) ([]RunReport, error) {
	var all []RunReport
	seen := map[string]bool{}
	for _, runs := range reports {
		for _, r := range runs {
			if seen[r.File] {
				return nil, fmt.Errorf("%s is in more than one report", r.File)
			}
			seen[r.File] = true
			all = append(all, r)
		}
	}
	slices.SortStableFunc(all, func(a, b RunReport) int { return strings.Compare(a.File, b.File) })
	return all, nil
}
