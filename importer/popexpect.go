package importer

// The expectations drafted for populations: one item per message the
// members exchange (a count over the group, GROUP[*]) rather than one per
// message, and the percentiles of their registrations' delays, so that a
// storm's expect list stays as short as its populations.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callwake/callwake/timeline"
)

// byGroup splits the capture's events into those of no population's
// member, drafted one by one, and the group items that stand for the
// others.
func (in *inference) byGroup(events []timeline.Event, margin time.Duration) ([]timeline.Event, string) {
	if len(in.pops.names) == 0 {
		return events, ""
	}
	type key struct {
		group, name, side, other, extra string
	}
	counts := map[key]int{}
	var keys []key
	var plain []timeline.Event
	// first and registered: per member, its first message and its first
	// RCF at or after it.
	first := map[string]*timeline.Event{}
	registered := map[string]time.Duration{}
	for i := range events {
		e := &events[i]
		from, _ := e.Get("from")
		to, _ := e.Get("to")
		g, side, other, member := in.pops.of[from], "from", to, from
		if g == "" {
			g, side, other, member = in.pops.of[to], "to", from, to
		}
		if g == "" {
			plain = append(plain, *e)
			continue
		}
		var extra []string
		for _, a := range []string{"keepalive", "cause", "reason"} {
			if v, ok := e.Get(a); ok {
				extra = append(extra, a+"\x00"+v)
			} else if a == "keepalive" && e.Name == "ras.rrq" {
				// A count of full registrations counts no keep-alive.
				extra = append(extra, a+"\x00false")
			}
		}
		k := key{g, e.Name, side, other, strings.Join(extra, "\x01")}
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
		if side == "from" && first[member] == nil {
			first[member] = e
		}
		if e.Name == "ras.rcf" && first[member] != nil {
			if _, ok := registered[member]; !ok {
				registered[member] = e.At - first[member].At
			}
		}
	}
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  - event: %s\n", k.name)
		other := "to"
		if k.side == "to" {
			other = "from"
		}
		fmt.Fprintf(&b, "    %s: %s\n", other, q(k.other))
		fmt.Fprintf(&b, "    %s: %s\n", k.side, q(k.group+"[*]"))
		if k.extra != "" {
			for _, kv := range strings.Split(k.extra, "\x01") {
				a, v, _ := strings.Cut(kv, "\x00")
				if a == "reason" {
					v = q(v)
				}
				fmt.Fprintf(&b, "    %s: %s\n", a, v)
			}
		}
		fmt.Fprintf(&b, "    count: %d\n", counts[k])
	}
	for _, g := range in.pops.names {
		b.WriteString(in.delayItems(g, first, registered, margin))
	}
	return plain, b.String()
}

// delayItems drafts, for a group whose members all registered, the
// median and the 99th percentile of the time from a member's first message
// to its first RCF, each with the margin.
func (in *inference) delayItems(g string, first map[string]*timeline.Event, registered map[string]time.Duration, margin time.Duration) string {
	ms := in.pops.members[g]
	var ds []time.Duration
	startName := ""
	for _, m := range ms {
		f, ok := first[m]
		d, ok2 := registered[m]
		if !ok || !ok2 || startName != "" && f.Name != startName {
			return ""
		}
		startName = f.Name
		ds = append(ds, d)
	}
	slices.Sort(ds)
	var b strings.Builder
	for _, p := range []int{50, 99} {
		rank := (p*len(ds) + 99) / 100 // nearest rank
		within := (ds[max(0, rank-1)] + margin + time.Millisecond - 1).Truncate(time.Millisecond)
		fmt.Fprintf(&b, "  - delay:\n      from: {event: %s, from: %s}\n      to: {event: ras.rcf, to: %s}\n    percentile: %d\n    within: %s\n",
			startName, q(g+"[*]"), q(g+"[*]"), p, dur(within))
	}
	return b.String()
}
