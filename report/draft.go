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
	return DraftExpectationsWith(events, DraftOptions{})
}

// DraftOptions adjusts a draft.
type DraftOptions struct {
	// Header replaces the draft's opening comment, one line each (without
	// the "# ").
	Header []string
	// Margin replaces DraftMargin when positive.
	Margin time.Duration
	// MarginOf, when set, gives an event a margin of its own (a message
	// on a link whose delays vary); zero or less falls back to Margin.
	MarginOf func(*timeline.Event) time.Duration
}

// DraftExpectationsWith is DraftExpectations with its header and margin
// chosen by the caller (pbxsim import drafts from a capture, not a run).
func DraftExpectationsWith(events []timeline.Event, o DraftOptions) []byte {
	header := o.Header
	if header == nil {
		header = []string{"Drafted from a recorded run: every message and decision in order.",
			"Keep the items the ticket is about, widen or drop the windows, add never: items."}
	}
	margin := o.Margin
	if margin <= 0 {
		margin = DraftMargin
	}
	var b strings.Builder
	for _, h := range header {
		b.WriteString("# " + h + "\n")
	}
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
		m := margin
		if o.MarginOf != nil {
			if own := o.MarginOf(e); own > 0 {
				m = own
			}
		}
		from := max(0, e.At-m).Truncate(time.Millisecond)
		to := (e.At + m + time.Millisecond - 1).Truncate(time.Millisecond)
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
