package importer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"
)

// events is the capture as a timeline: one event per message the scenario
// can name, between the actors' scenario names, with the attributes a run
// records for it.
func (in *inference) events() []timeline.Event {
	var out []timeline.Event
	for _, m := range in.w.c.msgs {
		name := m.event()
		if name == "" || m.from == nil || m.to == nil {
			continue
		}
		attrs := timeline.Attrs("from", m.from.String(), "to", m.to.String())
		if m.q931("release_complete") && m.f.Cause != nil {
			attrs = append(attrs, timeline.A("cause", *m.f.Cause))
		}
		if m.ras && m.f.RejectReason != "" || m.q931("facility") && m.f.Reason != "" {
			reason := m.f.RejectReason
			if !m.ras {
				reason = m.f.Reason
			}
			attrs = append(attrs, timeline.A("reason", reason))
		}
		if m.is("rrq") && m.f.KeepAlive {
			attrs = append(attrs, timeline.A("keepalive", true))
		}
		if m.lost {
			attrs = append(attrs, timeline.A("lost", true))
		}
		out = append(out, timeline.Event{Seq: len(out), At: m.at, Name: name, Attrs: attrs})
	}
	return out
}

// Checked says what the run of an imported scenario made of the
// expectations drafted from the capture.
type Checked struct {
	Kept, Dropped int
	// Reordered counts the kept items put in the order the run gave their
	// messages (near-simultaneous messages the model sends in another
	// order than the capture's stacks did).
	Reordered int
	// Misses lists, for each item the model did not reproduce, the
	// expectation and what the run did instead.
	Misses []string
}

// check runs the scenario and settles the drafted expectations on its run:
// an item whose message the run has, in its window, stays (in the order
// the run has the messages); one the run lacks is commented out with what
// the run did instead. What is left passes, and the reader sees where the
// model and the capture part.
func check(name string, src []byte) ([]byte, Checked, error) {
	var res Checked
	f, err := scenario.Parse(name, src)
	if err != nil {
		return nil, res, fmt.Errorf("the scenario written does not load (please report it): %w", err)
	}
	r, err := scenario.Run(f, scenario.RunOptions{Record: true})
	if err != nil {
		return nil, res, fmt.Errorf("the scenario written does not run (please report it): %w", err)
	}
	events := r.Timeline.Events()
	lines := strings.Split(string(src), "\n")
	// Each item takes the run's first free event that it names, in its
	// window, after the one the previous item took when there is one.
	type block struct {
		first, end int // lines of the item
		seq        int // the event it takes, -1 for none
		item       scenario.Expectation
		whole      bool // a count or delay item, kept in its place
	}
	var blocks []block
	taken := map[int]bool{}
	last := -1
	for _, it := range f.Expect {
		b := block{seq: -1, item: it}
		b.first, b.end = itemLines(lines, it.Pos.Line-1)
		if wholeRun(it) {
			// A count or a delay over a population: it holds or not on
			// the whole run, and stays where it is.
			b.whole = true
			if scenario.Check([]scenario.Expectation{it}, events)[0].OK {
				b.seq = len(events)
			}
			blocks = append(blocks, b)
			continue
		}
		pick := -1
		for i := range events {
			e := &events[i]
			if taken[i] || !matches(it, e) {
				continue
			}
			if i > last {
				pick = i
				break
			}
			if pick < 0 {
				pick = i
			}
		}
		if pick >= 0 {
			taken[pick], b.seq = true, pick
			if pick > last {
				last = pick
			} else {
				res.Reordered++
			}
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		return src, res, nil
	}
	// The items, kept ones in the run's order; the others commented out
	// where they were.
	kept := slices.Clone(blocks)
	kept = slices.DeleteFunc(kept, func(b block) bool { return b.seq < 0 || b.whole })
	slices.SortStableFunc(kept, func(a, b block) int { return a.seq - b.seq })
	var body []string
	next := 0
	for _, b := range blocks {
		if b.whole && b.seq >= 0 {
			body = append(body, lines[b.first:b.end]...)
			res.Kept++
			continue
		}
		if b.seq >= 0 {
			k := kept[next]
			body = append(body, lines[k.first:k.end]...)
			next++
			continue
		}
		res.Dropped++
		v := scenario.Check([]scenario.Expectation{b.item}, events)[0]
		res.Misses = append(res.Misses, b.item.String()+": "+v.Message)
		body = append(body, "  # not reproduced by the model: "+strings.ReplaceAll(v.Message, "\n", " "))
		for _, l := range lines[b.first:b.end] {
			body = append(body, "  #"+strings.TrimPrefix(l, " "))
		}
	}
	res.Kept += len(kept)
	head := blocks[0].first
	tail := blocks[len(blocks)-1].end
	out := append(append(append([]string(nil), lines[:head]...), body...), lines[tail:]...)
	src = []byte(strings.Join(out, "\n"))
	if res.Kept == 0 {
		src = []byte(strings.Replace(string(src), "\nexpect:\n", "\nexpect: []\n", 1))
	}
	// What is left must pass as written.
	f, err = scenario.Parse(name, src)
	if err != nil {
		return nil, res, fmt.Errorf("the scenario written does not load (please report it): %w", err)
	}
	if failed := scenario.Failed(scenario.Check(f.Expect, events)); len(failed) > 0 {
		return nil, res, fmt.Errorf("the expectations kept still fail (please report it): %s", failed[0])
	}
	return src, res, nil
}

// wholeRun reports an item checked on the whole run, not in order.
func wholeRun(it scenario.Expectation) bool {
	return it.Count != nil || it.Delay != nil || it.Kind == scenario.ExpectNever
}

// matches reports whether an event satisfies an item's name, attributes
// and window.
func matches(it scenario.Expectation, e *timeline.Event) bool {
	if e.Name != it.Event || it.At != nil && !it.At.Contains(e.At) {
		return false
	}
	for _, a := range it.Attrs {
		if v, ok := e.Get(a.Key); !ok || v != a.Value {
			return false
		}
	}
	return true
}

// itemLines returns the lines [first, end) of the expectation item at
// line i (0-based, any line of it).
func itemLines(lines []string, i int) (int, int) {
	first := i
	for first > 0 && !strings.HasPrefix(lines[first], "  - ") {
		first--
	}
	end := first + 1
	for end < len(lines) && strings.HasPrefix(lines[end], "    ") {
		end++
	}
	return first, end
}

// draft writes the expect list from the capture's messages.
func (in *inference) draft(margin time.Duration) string {
	header := []string{
		"Drafted from the capture: every message a scenario can name, in order, at its time " + "±" + dur(margin) + ".",
		"Prune it to what the ticket is about; the items the model does not reproduce are commented out, with why.",
	}
	// A message of a device whose exchanges took varying times (jitter, a
	// stream's retransmissions) gets a window as wide as that variation
	// besides the margin: the run cannot repeat those delays.
	spread := map[string]time.Duration{}
	for _, e := range in.w.eps {
		spread[e.name] = e.inf.spread
	}
	marginOf := func(ev *timeline.Event) time.Duration {
		from, _ := ev.Get("from")
		to, _ := ev.Get("to")
		return margin + max(spread[from], spread[to])
	}
	plain, grouped := in.byGroup(in.events(), margin)
	if grouped != "" {
		header = append(header, "The populations' messages are counted per group (GROUP[*]) over the whole run, and their registrations' delays given as percentiles.")
	}
	if grouped != "" && len(plain) == 0 {
		return "# " + strings.Join(header, "\n# ") + "\nexpect:\n" + grouped
	}
	return string(report.DraftExpectationsWith(plain, report.DraftOptions{Header: header, Margin: margin, MarginOf: marginOf})) + grouped
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}
