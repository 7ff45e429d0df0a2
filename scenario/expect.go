package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/timeline"
)

// Verdict is the outcome of one expectation item (of one member, for an
// `all` group).
type Verdict struct {
	Item Expectation
	OK   bool
	// Event is, for an event item, the event it matched; for a never item
	// that failed, the first offending event; for a count item, the first
	// event counted (for a count that found too many, the first beyond the
	// upper bound). Nil otherwise.
	Event *timeline.Event
	// Found is how many events a count or never item found in the run.
	Found int
	// Reference is, for an ordered item (an event item without count, a
	// member of an all group), the time its within and after were measured
	// from: the previous ordered match, or 0.
	Reference time.Duration
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
// returns one verdict per item, in the items' order; an `all` group gives
// one verdict per member, in member order, in its place.
//
// The matching rule is greedy. A cursor starts before the first event with
// the reference time 0 (the start of the run). Each `event` item matches the
// first event after the cursor (higher Seq, so at an equal or later time)
// that has its name, equal attributes, lies in its `at` window and, with
// `after: A` and `within: W`, lies in [reference+A, reference+W]. A match
// moves the cursor to that event and makes its time the reference; a
// failed item leaves both where they were, so one missing event does not
// fail every item after it. Greedy matching never backtracks: without
// limits the earliest candidate leaves the most room for later items, so
// it loses no solution; with `within`, a later candidate for an earlier
// item could in principle have let a following item meet its limit, and
// greedy then reports a failure. That is deliberate: the earliest match is
// the event a reader of the ladder takes the item to mean, and messages
// stay explainable.
//
// An `all` group holds when each member matches a distinct event after the
// cursor, in any order, each member's limits measured from the same
// reference (the cursor's). Of the ways to match them, Check takes the one
// whose last event is earliest, and moves the cursor to that last event. A
// group with a member that cannot be matched fails that member (and moves
// nothing).
//
// `never` and `count` items look at the whole run (inside their `at` window
// when given) and do not move the cursor: they state facts about the run,
// not steps of the sequence.
//
// Attributes compare as text, except that an event without a boolean
// attribute (lost, keepalive, silent, ui) has it false: `lost: false`
// matches every datagram that was not lost.
func Check(items []Expectation, events []timeline.Event) []Verdict {
	verdicts := make([]Verdict, 0, len(items))
	c := cursor{index: -1}
	for _, item := range items {
		switch {
		case item.Kind == ExpectNever:
			verdicts = append(verdicts, checkNever(item, events))
		case item.Kind == ExpectAll:
			verdicts = append(verdicts, checkAll(item, events, &c)...)
		case item.Kind == ExpectDelay:
			verdicts = append(verdicts, checkDelay(item, events))
		case item.Count != nil:
			verdicts = append(verdicts, checkCount(item, events))
		default:
			verdicts = append(verdicts, checkEvent(item, events, &c))
		}
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
// has with another value; "" when all are equal. A boolean attribute the
// event lacks is false.
func attrMismatch(item Expectation, e *timeline.Event) string {
	for _, want := range item.Attrs {
		got, ok := e.Get(want.Key)
		if !ok {
			if want.Value == "false" && isBool(item.Event, want.Key) {
				continue
			}
			return "no " + want.Key
		}
		if g := item.In[want.Key]; g != nil {
			if !g.Has(got) {
				return want.Key + " not in " + g.Name
			}
			continue
		}
		if got != want.Value {
			return want.Key + " differs"
		}
	}
	return ""
}

func isBool(event, key string) bool {
	if spec := Event(event); spec != nil {
		if a := spec.Attr(key); a != nil {
			return a.Kind == AttrBool
		}
	}
	return false
}

func inWindow(item Expectation, e *timeline.Event) bool {
	return item.At == nil || item.At.Contains(e.At)
}

// matchesFact is the test of never and count items: name, attributes, window.
func matchesFact(item Expectation, e *timeline.Event) bool {
	return e.Name == item.Event && attrMismatch(item, e) == "" && inWindow(item, e)
}

// timely reports whether e meets item's window and its limits from the
// reference time.
func timely(item Expectation, reference time.Duration, e *timeline.Event) bool {
	return inWindow(item, e) &&
		(!item.HasWithin || e.At <= reference+item.Within) &&
		(!item.HasAfter || e.At >= reference+item.After)
}

// matchesAfter is the test of ordered items: after the cursor, name,
// attributes, timely.
func matchesAfter(item Expectation, c *cursor, i int, e *timeline.Event) bool {
	return i > c.index && e.Name == item.Event && attrMismatch(item, e) == "" && timely(item, c.at, e)
}

func checkEvent(item Expectation, events []timeline.Event, c *cursor) Verdict {
	v := Verdict{Item: item, Reference: c.at}
	for i := c.index + 1; i < len(events); i++ {
		e := &events[i]
		if matchesAfter(item, c, i, e) {
			v.OK, v.Event = true, e
			v.Message = "matched " + e.String()
			c.index, c.at, c.name = i, e.At, e.Name
			return v
		}
	}
	v.Nearest = nearMisses(item, events, c, nil)
	v.Message = expectedText(item, c) + nearestText(item.Event, v.Nearest)
	return v
}

// expectedText says what an ordered item looked for, and from where.
func expectedText(item Expectation, c *cursor) string {
	s := "expected " + describeItem(item)
	switch {
	case item.HasWithin && item.HasAfter:
		s += fmt.Sprintf(" between %s and %s after %s", item.After, item.Within, c.reference())
	case item.HasWithin:
		s += fmt.Sprintf(" within %s of %s", item.Within, c.reference())
	case item.HasAfter:
		s += fmt.Sprintf(" no earlier than %s after %s", item.After, c.reference())
	case c.index >= 0:
		s += " after " + c.reference()
	}
	if item.Group.Line > 0 {
		s += fmt.Sprintf(" (in the all group at %d:%d)", item.Group.Line, item.Group.Col)
	}
	return s
}

// nearMisses ranks every event of the item's name by how many constraints
// it breaks, then by its distance in time from where the item looked, and
// returns the best few. taken, when set, names events another member of
// the item's group matched.
func nearMisses(item Expectation, events []timeline.Event, c *cursor, taken map[int]bool) []NearMiss {
	type candidate struct {
		miss     NearMiss
		failures int
		distance time.Duration
	}
	target := c.at
	switch {
	case item.At != nil:
		target = item.At.From
	case item.HasAfter:
		target = c.at + item.After
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
		if !timely(item, c.at, e) {
			reasons = append(reasons, "outside the window")
		}
		if taken[i] {
			reasons = append(reasons, "matched by another member of the group")
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
	var out []NearMiss
	for _, cand := range candidates[:min(len(candidates), maxNearest)] {
		out = append(out, cand.miss)
	}
	return out
}

// checkAll matches the members of an all group to distinct events after
// the cursor. It adds the events one by one, keeping a maximum matching of
// members to the events so far (augmenting paths, as in Kuhn's algorithm):
// the first event after which every member is matched is the earliest the
// group can end.
func checkAll(group Expectation, events []timeline.Event, c *cursor) []Verdict {
	members := group.Members
	if len(members) == 0 {
		return nil // the loader refuses an empty group; nothing to check
	}
	matched := make([]int, len(members)) // member -> event index, -1 none
	acceptors := map[int][]int{}         // event index -> members it satisfies
	var visited []bool
	for i := range matched {
		matched[i] = -1
	}
	var augment func(i int) bool
	augment = func(i int) bool {
		for _, m := range acceptors[i] {
			if visited[m] {
				continue
			}
			visited[m] = true
			if matched[m] < 0 || augment(matched[m]) {
				matched[m] = i
				return true
			}
		}
		return false
	}
	count, last := 0, -1
	for i := c.index + 1; i < len(events) && count < len(members); i++ {
		e := &events[i]
		for m, mem := range members {
			if matchesAfter(mem, c, i, e) {
				acceptors[i] = append(acceptors[i], m)
			}
		}
		if len(acceptors[i]) == 0 {
			continue
		}
		visited = make([]bool, len(members))
		if augment(i) {
			count++
			last = i
		}
	}
	verdicts := make([]Verdict, len(members))
	taken := map[int]bool{}
	for _, i := range matched {
		if i >= 0 {
			taken[i] = true
		}
	}
	for m, mem := range members {
		v := Verdict{Item: mem, Reference: c.at}
		if i := matched[m]; i >= 0 {
			v.OK, v.Event = true, &events[i]
			v.Message = "matched " + events[i].String()
		} else {
			v.Nearest = nearMisses(mem, events, c, taken)
			v.Message = expectedText(mem, c) + nearestText(mem.Event, v.Nearest)
		}
		verdicts[m] = v
	}
	if count == len(members) {
		c.index, c.at, c.name = last, events[last].At, events[last].Name
	}
	return verdicts
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
	want := *item.Count
	var found []NearMiss
	var beyond *timeline.Event // the first event past the upper bound
	for i := range events {
		e := &events[i]
		if !matchesFact(item, e) {
			continue
		}
		if v.Found == 0 {
			v.Event = e
		}
		v.Found++
		if want.HasMax && v.Found == want.Max+1 {
			beyond = e
		}
		if len(found) < maxNearest {
			found = append(found, NearMiss{Event: *e, Reason: "found"})
		}
	}
	v.OK = want.Contains(v.Found)
	v.Message = fmt.Sprintf("expected %s %s", want.Describe(), describeItem(item))
	switch {
	case v.OK:
		v.Nearest = nil
	case want.HasMax && v.Found > want.Max:
		v.Event = beyond
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
// reports: "q931.alerting to=bob-desk after 1s within 10s", "never
// push.request user=alice", "call.forwarded count=1..", "all(2):
// push.request; q931.alerting". A member of an all group says so:
// "q931.alerting (all at 12:5)".
func (e Expectation) String() string {
	if e.Kind == ExpectDelay && e.Delay != nil {
		return fmt.Sprintf("delay p%g from %s to %s within %s", e.Delay.Percentile, describeItem(e.Delay.From), describeItem(e.Delay.To), e.Delay.Within)
	}
	if e.Kind == ExpectAll {
		parts := make([]string, len(e.Members))
		for i, m := range e.Members {
			m.Group = Pos{}
			parts[i] = m.String()
		}
		return fmt.Sprintf("all(%d): %s", len(parts), strings.Join(parts, "; "))
	}
	s := describeItem(e)
	switch {
	case e.Kind == ExpectNever:
		s = "never " + s
		if e.At != nil {
			s += " at " + e.At.String()
		}
	case e.Count != nil:
		s += " count=" + e.Count.String()
	}
	if e.HasAfter {
		s += " after " + e.After.String()
	}
	if e.HasWithin {
		s += " within " + e.Within.String()
	}
	if e.Group.Line > 0 {
		s += fmt.Sprintf(" (all at %d:%d)", e.Group.Line, e.Group.Col)
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
