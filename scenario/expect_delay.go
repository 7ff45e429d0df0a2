package scenario

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/timeline"
)

// never stands for the delay of a member that never had the To event.
const never = time.Duration(math.MaxInt64)

// checkDelay measures, in one pass over the events, each member's delay
// from its first From event to its first To event at or after it (each
// inside its at window, when it has one), and
// compares the item's percentile of them with its limit.
func checkDelay(item Expectation, events []timeline.Event) Verdict {
	d := item.Delay
	v := Verdict{Item: item}
	start := map[string]time.Duration{}
	delays := map[string]time.Duration{}
	for i := range events {
		e := &events[i]
		if e.Name == d.From.Event && matchesFact(d.From, e) {
			if m, _ := e.Get(d.FromKey); m != "" {
				if _, seen := start[m]; !seen {
					start[m] = e.At
				}
			}
		}
		if e.Name == d.To.Event && matchesFact(d.To, e) {
			if m, _ := e.Get(d.ToKey); m != "" {
				if t0, ok := start[m]; ok {
					if _, done := delays[m]; !done {
						delays[m] = e.At - t0
					}
				}
			}
		}
	}
	what := fmt.Sprintf("%g%% of %s to have %s within %s of %s", d.Percentile, d.Group.Name, describeItem(d.To), d.Within, describeItem(d.From))
	if len(start) == 0 {
		v.Message = "expected " + what + "; no member of " + d.Group.Name + " had " + describeItem(d.From)
		return v
	}
	all := make([]time.Duration, 0, len(start))
	for m := range start {
		if x, ok := delays[m]; ok {
			all = append(all, x)
		} else {
			all = append(all, never)
		}
	}
	slices.Sort(all)
	v.Found = len(start)
	got := percentile(all, d.Percentile)
	v.OK = got <= d.Within
	v.Message = fmt.Sprintf("expected %s; over %d members: %s", what, len(all), distribution(all))
	if missing := len(start) - len(delays); missing > 0 {
		v.Message += fmt.Sprintf("; %d never had %s", missing, d.To.Event)
	}
	if members := len(d.Group.Members); members > len(start) {
		v.Message += fmt.Sprintf("; %d of the %d members had no %s", members-len(start), members, d.From.Event)
	}
	return v
}

// percentile is the p-th percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// distribution renders p50, p90, p99 and max of sorted delays.
func distribution(sorted []time.Duration) string {
	show := func(x time.Duration) string {
		if x == never {
			return "never"
		}
		return x.Round(time.Millisecond).String()
	}
	parts := []string{}
	for _, p := range []float64{50, 90, 99} {
		parts = append(parts, fmt.Sprintf("p%g %s", p, show(percentile(sorted, p))))
	}
	parts = append(parts, "max "+show(sorted[len(sorted)-1]))
	return strings.Join(parts, ", ")
}
