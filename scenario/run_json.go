package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// MarshalReports renders the JSON document of a command's runs: one run
// object for a single run, otherwise {"runs": [...]} in the given order.
func MarshalReports(runs []RunReport) ([]byte, error) {
	var doc any = struct {
		Runs []RunReport `json:"runs"`
	}{runs}
	if len(runs) == 1 {
		doc = runs[0]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
