package importer

import (
	"fmt"
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
	// Dropped lists, for each item the model did not reproduce, the
	// expectation and what the run did instead.
	Misses []string
}

// check runs the scenario and comments out the drafted expectations its
// run does not meet, each with what the run did instead: what is left
// passes, and the reader sees where the model and the capture part.
func check(name string, src []byte) ([]byte, Checked, error) {
	var res Checked
	for range 3 {
		f, err := scenario.Parse(name, src)
		if err != nil {
			return nil, res, fmt.Errorf("the scenario written does not load (please report it): %w", err)
		}
		r, err := scenario.Run(f, scenario.RunOptions{Record: true})
		if err != nil {
			return nil, res, fmt.Errorf("the scenario written does not run (please report it): %w", err)
		}
		failed := scenario.Failed(scenario.Check(f.Expect, r.Timeline.Events()))
		if len(failed) == 0 {
			res.Kept = len(f.Expect)
			return src, res, nil
		}
		lines := strings.Split(string(src), "\n")
		for i := len(failed) - 1; i >= 0; i-- {
			v := failed[i]
			res.Dropped++
			res.Misses = append([]string{v.Item.String() + ": " + v.Message}, res.Misses...)
			lines = commentOut(lines, v.Item.Pos.Line-1, v.Message)
		}
		src = []byte(strings.Join(lines, "\n"))
		if len(f.Expect) == len(failed) {
			src = []byte(strings.Replace(string(src), "\nexpect:\n", "\nexpect: []\n", 1))
		}
	}
	return nil, res, fmt.Errorf("the expectations drafted from the capture still fail after commenting out those that did (please report it)")
}

// commentOut turns the expectation item at line i (0-based, any line of
// it) into comments, after a line saying why.
func commentOut(lines []string, i int, why string) []string {
	start := i
	for start > 0 && !strings.HasPrefix(lines[start], "  - ") {
		start--
	}
	end := start + 1
	for end < len(lines) && strings.HasPrefix(lines[end], "    ") {
		end++
	}
	why = strings.ReplaceAll(why, "\n", " ")
	out := append([]string(nil), lines[:start]...)
	out = append(out, "  # not reproduced by the model: "+why)
	for _, l := range lines[start:end] {
		out = append(out, "  #"+strings.TrimPrefix(l, " "))
	}
	return append(out, lines[end:]...)
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
	return string(report.DraftExpectationsWith(in.events(), report.DraftOptions{Header: header, Margin: margin, MarginOf: marginOf}))
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}
