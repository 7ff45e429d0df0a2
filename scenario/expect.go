package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/timeline"
)

// Verdict is the outcome of one expectation item.
type Verdict struct {
	Item Expectation
	OK   bool
	// Event is, for an event item, the event it matched; for a never item
	// that failed, the first offending event; for a count item, the first
	// event counted. Nil otherwise.
	Event *timeline.Event
	// Found is how many events a count or never item found in the run.
	Found int
	// Nearest holds, on failure, up to three events that almost matched
	// (or, for never and for a count that found too many, the events found).
	Nearest []NearMiss
	// Message says what was expected and, on failure, what came closest.
	Message string
}

// NearMiss is an event that almost satisfied an item, and why it did not.
type NearMiss struct {
	Event  timeline.Event
	Reason string // e.g. "outside the window", "to differs", "found"
}

// String renders the verdict as "FILE:LINE:COL: message".
func (v Verdict) String() string { return v.Item.Pos.String() + ": " + v.Message }

// maxNearest bounds how many near misses a failed verdict lists.
const maxNearest = 3

// Check checks the items against a run's events (in timeline order) and
// returns one verdict per item, in the items' order.
//
// The matching rule is greedy. A cursor starts before the first event with
// the reference time 0 (the start of the run). Each `event` item matches the
// first event after the cursor (higher Seq, so at an equal or later time)
// that has its name, equal attributes, lies in its `at` window and, with
// `within: D`, no later than D after the reference time. A match moves the
// cursor to that event and makes its time the reference; a failed item
// leaves both where they were, so one missing event does not fail every
// item after it. Greedy matching never backtracks: without `within` the
// earliest candidate leaves the most room for later items, so it loses no
// solution; with `within`, a later candidate for an earlier item could in
// principle have let a following item meet its limit, and greedy then
// reports a failure. That is deliberate: the earliest match is the event a
// reader of the ladder takes the item to mean, and messages stay explainable.
//
// `never` and `count` items look at the whole run (inside their `at` window
// when given) and do not move the cursor: they state facts about the run,
// not steps of the sequence.
func Check(items []Expectation, events []timeline.Event) []Verdict {
	verdicts := make([]Verdict, 0, len(items))
	c := cursor{index: -1}
	for _, item := range items {
		var v Verdict
		switch {
		case item.Kind == ExpectNever:
			v = checkNever(item, events)
		case item.HasCount:
			v = checkCount(item, events)
		default:
			v = checkEvent(item, events, &c)
		}
		verdicts = append(verdicts, v)
	}
	return verdicts
}

// cursor is where the ordered items have got to.
type cursor struct {
	index int // index in events of the last match; -1 before the first
	at    time.Duration
	name  string
}

// attrMismatch names the first attribute of item that e does not have, or
// has with another value; "" when all are equal.
func attrMismatch(item Expectation, e *timeline.Event) string {
	for _, want := range item.Attrs {
		got, ok := e.Get(want.Key)
		if !ok {
			return "no " + want.Key
		}
		if got != want.Value {
			return want.Key + " differs"
		}
	}
	return ""
}

func inWindow(item Expectation, e *timeline.Event) bool {
	return item.At == nil || item.At.Contains(e.At)
}

// matchesFact is the test of never and count items: name, attributes, window.
func matchesFact(item Expectation, e *timeline.Event) bool {
	return e.Name == item.Event && attrMismatch(item, e) == "" && inWindow(item, e)
}

func checkEvent(item Expectation, events []timeline.Event, c *cursor) Verdict {
	v := Verdict{Item: item}
	deadline := time.Duration(-1)
	if item.HasWithin {
		deadline = c.at + item.Within
	}
	timely := func(e *timeline.Event) bool {
		return inWindow(item, e) && (deadline < 0 || e.At <= deadline)
	}
	for i := c.index + 1; i < len(events); i++ {
		e := &events[i]
		if e.Name == item.Event && attrMismatch(item, e) == "" && timely(e) {
			v.OK, v.Event = true, e
			v.Message = "matched " + e.String()
			c.index, c.at, c.name = i, e.At, e.Name
			return v
		}
	}
	expected := "expected " + describeItem(item)
	if item.HasWithin {
		expected += fmt.Sprintf(" within %s of %s", item.Within, c.reference())
	} else if c.index >= 0 {
		expected += " after " + c.reference()
	}
	// Rank every event of the same name by how many constraints it breaks,
	// then by its distance in time from where the item looked.
	type candidate struct {
		miss     NearMiss
		failures int
		distance time.Duration
	}
	target := c.at
	if item.At != nil {
		target = item.At.From
	}
	var candidates []candidate
	for i := range events {
		e := &events[i]
		if e.Name != item.Event {
			continue
		}
		var reasons []string
		if i <= c.index {
			reasons = append(reasons, "before the previous match")
		}
		if m := attrMismatch(item, e); m != "" {
			reasons = append(reasons, m)
		}
		if !timely(e) {
			reasons = append(reasons, "outside the window")
		}
		distance := e.At - target
		candidates = append(candidates, candidate{
			miss:     NearMiss{Event: *e, Reason: strings.Join(reasons, ", ")},
			failures: len(reasons),
			distance: max(distance, -distance),
		})
	}
	slices.SortStableFunc(candidates, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.failures, b.failures), cmp.Compare(a.distance, b.distance),
			cmp.Compare(a.miss.Event.Seq, b.miss.Event.Seq))
	})
	for _, cand := range candidates[:min(len(candidates), maxNearest)] {
		v.Nearest = append(v.Nearest, cand.miss)
	}
	v.Message = expected + nearestText(item.Event, v.Nearest)
	return v
}

func checkNever(item Expectation, events []timeline.Event) Verdict {
	v := Verdict{Item: item, OK: true}
	for i := range events {
		e := &events[i]
		if !matchesFact(item, e) {
			continue
		}
		if v.Found == 0 {
			v.Event = e
		}
		v.Found++
		if len(v.Nearest) < maxNearest {
			v.Nearest = append(v.Nearest, NearMiss{Event: *e, Reason: "found"})
		}
	}
	where := " anywhere in the run"
	if item.At != nil {
		where = " at " + item.At.String()
	}
	v.Message = "expected no " + describeItem(item) + where
	if v.Found > 0 {
		v.OK = false
		v.Message += fmt.Sprintf("; found %d: %s", v.Found, eventList(v.Nearest))
	}
	return v
}

func checkCount(item Expectation, events []timeline.Event) Verdict {
	v := Verdict{Item: item}
	var found []NearMiss
	for i := range events {
		e := &events[i]
		if !matchesFact(item, e) {
			continue
		}
		if v.Found == 0 {
			v.Event = e
		}
		v.Found++
		if len(found) < maxNearest {
			found = append(found, NearMiss{Event: *e, Reason: "found"})
		}
	}
	v.OK = v.Found == item.Count
	v.Message = fmt.Sprintf("expected exactly %d %s", item.Count, describeItem(item))
	switch {
	case v.OK:
		v.Nearest = nil
	case v.Found > item.Count:
		v.Nearest = found
		v.Message += fmt.Sprintf(", found %d: %s", v.Found, eventList(found))
	default:
		// Too few: show what almost counted, as for an event item.
		v.Message += fmt.Sprintf(", found %d", v.Found)
		for i := range events {
			e := &events[i]
			if e.Name != item.Event || matchesFact(item, e) || len(v.Nearest) >= maxNearest {
				continue
			}
			reason := attrMismatch(item, e)
			if reason == "" {
				reason = "outside the window"
			}
			v.Nearest = append(v.Nearest, NearMiss{Event: *e, Reason: reason})
		}
		if len(v.Nearest) > 0 {
			v.Message += nearestText(item.Event, v.Nearest)
		}
	}
	return v
}

// reference names the cursor's event for messages: "2.010s (ras.rcf)".
func (c cursor) reference() string {
	if c.index < 0 {
		return "the start of the run"
	}
	return fmt.Sprintf("%.3fs (%s)", c.at.Seconds(), c.name)
}

// describeItem renders an item's event, attributes and window:
// "q931.alerting to=bob-desk at 2s..3s".
func describeItem(item Expectation) string {
	var b strings.Builder
	b.WriteString(item.Event)
	for _, a := range item.Attrs {
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
	}
	if item.At != nil && item.Kind != ExpectNever {
		b.WriteString(" at " + item.At.String())
	}
	return b.String()
}

// String renders the item the way the file writes it, on one line, for
// reports: "q931.alerting to=bob-desk within 10s", "never push.request
// user=alice", "call.forwarded count=1".
func (e Expectation) String() string {
	s := describeItem(e)
	switch {
	case e.Kind == ExpectNever:
		s = "never " + s
		if e.At != nil {
			s += " at " + e.At.String()
		}
	case e.HasCount:
		s += fmt.Sprintf(" count=%d", e.Count)
	}
	if e.HasWithin {
		s += " within " + e.Within.String()
	}
	return s
}

// shortEvent renders an event compactly for messages: "14.2s q931.alerting to=bob-desk".
func shortEvent(e timeline.Event) string {
	var b strings.Builder
	b.WriteString(e.At.String() + " " + e.Name)
	for _, a := range e.Attrs {
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
	}
	return b.String()
}

func nearestText(name string, nearest []NearMiss) string {
	if len(nearest) == 0 {
		return "; no " + name + " event in the run"
	}
	parts := make([]string, len(nearest))
	for i, n := range nearest {
		parts[i] = fmt.Sprintf("%s (%s)", shortEvent(n.Event), n.Reason)
	}
	return "; nearest: " + strings.Join(parts, ", ")
}

func eventList(found []NearMiss) string {
	parts := make([]string, len(found))
	for i, n := range found {
		parts[i] = shortEvent(n.Event)
	}
	return strings.Join(parts, ", ")
}

// Failed returns the verdicts that did not hold.
func Failed(verdicts []Verdict) []Verdict {
	var failed []Verdict
	for _, v := range verdicts {
		if !v.OK {
			failed = append(failed, v)
		}
	}
	return failed
}
