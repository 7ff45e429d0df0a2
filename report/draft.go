package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"
)

// DraftMargin is how far each side of an event's time a drafted `at`
// window reaches. A run is reproducible to the nanosecond with the same
// seed; the margin is there so that a harmless change of a latency does not
// fail the test, and is meant to be tightened or widened by whoever adopts
// the draft.
const DraftMargin = 100 * time.Millisecond

// draftKeys are the attributes a drafted item keeps, in this order: those
// that say who, what and why. Others (call numbers, RAS sequence numbers,
// retry counts, error texts) are left out because they describe the
// model's internals more than the ticket's behaviour.
var draftKeys = []string{"from", "to", "device", "user", "pbx", "push", "platform", "type", "status", "reason", "cause", "number", "name", "silent", "keepalive", "lost"}

// DraftExpectations drafts the `expect:` list of a scenario from a run's
// timeline: one `event:` item per event of the catalogue (scenario.Events)
// other than the diagnostic ones, in timeline order, with its key
// attributes and an `at` window of ±DraftMargin around its time. Pasted
// into the file it came from, the draft passes with the same seed; it is
// a starting point to prune to what the ticket is about.
func DraftExpectations(events []timeline.Event) []byte {
	var b strings.Builder
	b.WriteString("# Drafted from a recorded run: every message and decision in order.\n")
	b.WriteString("# Keep the items the ticket is about, widen or drop the windows, add never: items.\n")
	b.WriteString("expect:\n")
	n := 0
	for i := range events {
		e := &events[i]
		spec := scenario.Event(e.Name)
		if spec == nil || spec.Diagnostic {
			continue
		}
		n++
		fmt.Fprintf(&b, "  - event: %s\n", e.Name)
		for _, key := range draftKeys {
			if v, ok := e.Get(key); ok {
				fmt.Fprintf(&b, "    %s: %s\n", key, draftValue(spec.Attr(key), v))
			}
		}
		from := max(0, e.At-DraftMargin).Truncate(time.Millisecond)
		to := (e.At + DraftMargin + time.Millisecond - 1).Truncate(time.Millisecond)
		fmt.Fprintf(&b, "    at: %s..%s\n", from, to)
	}
	if n == 0 {
		return []byte("# The run recorded no event an expectation can name.\nexpect: []\n")
	}
	return []byte(b.String())
}

// draftValue writes a value as its attribute's type reads it: numbers,
// booleans and durations bare, everything else quoted.
func draftValue(a *scenario.AttrSpec, v string) string {
	if a != nil && v != "" {
		switch a.Kind {
		case scenario.AttrNumber, scenario.AttrBool, scenario.AttrDuration:
			return v
		}
	}
	return yamlString(v)
}

// yamlString quotes a value as a YAML double-quoted scalar (JSON's string
// syntax is a subset of it), so that "18" stays text and odd characters
// survive.
func yamlString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}
