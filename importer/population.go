package importer

// Populations: many endpoints alike (the same kind and behaviour, names and
// numbers following their index) are written as one population entry each
// of users, devices, calls and actions (docs/scenario-format.md,
// "Populations"), so that a storm of thousands of phones makes a file a
// person can read and the loader accepts.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// minPopulation is the fewest alike entries written as a population: below
// it, entries one by one say more (each with its own comments).
const minPopulation = 10

// spreadTolerance is how far a member's time may be from an even spread
// over a window and still be written as that window (well inside the
// drafted expectations' margins).
const spreadTolerance = time.Millisecond

// indexed is a name cut around its last run of digits: prefix, the
// number, its digits and suffix.
type indexed struct {
	pre, digits, suf string
	n                int
}

func cutIndex(s string) (indexed, bool) {
	end := len(s)
	for end > 0 && !isDigit(s[end-1]) {
		end--
	}
	start := end
	for start > 0 && isDigit(s[start-1]) {
		start--
	}
	if start == end || end-start > 9 {
		return indexed{}, false
	}
	n, err := strconv.Atoi(s[start:end])
	if err != nil {
		return indexed{}, false
	}
	return indexed{pre: s[:start], digits: s[start:end], suf: s[end:], n: n}, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hole writes the placeholder for a value that is base + i: {i}, {i+N},
// zero-padded to width when the values are.
func hole(base, width int) string {
	h := "i"
	if base > 0 {
		h += "+" + strconv.Itoa(base)
	}
	if width > 1 {
		h += fmt.Sprintf(":0%d", width)
	}
	return "{" + h + "}"
}

// run is a sequence of values that are base + i for i = 0.. (the members'
// indexes), each cut the same way; width > 0 when they are zero-padded.
type run struct {
	pre, suf    string
	base, width int
}

// follows reports whether texts are pre + (base+i) + suf for i = 0..,
// and how to write them.
func follows(texts []string) (run, bool) {
	var r run
	for i, s := range texts {
		x, ok := cutIndex(s)
		if !ok {
			return r, false
		}
		if i == 0 {
			r = run{pre: x.pre, suf: x.suf, base: x.n}
			if len(x.digits) > 1 && x.digits[0] == '0' {
				r.width = len(x.digits)
			}
		}
		if x.pre != r.pre || x.suf != r.suf || x.n != r.base+i {
			return r, false
		}
		if r.width > 0 && len(x.digits) != r.width || r.width == 0 && len(x.digits) > 1 && x.digits[0] == '0' {
			return r, false
		}
	}
	return r, true
}

// pattern writes the run as a population pattern (escaping nothing: the
// names the import writes hold no braces).
func (r run) pattern() string { return r.pre + hole(r.base, r.width) + r.suf }

// digitsRun reads numbers (all digits) as base + i, zero-padded when one
// starts with 0: "50000".."54999" is {i+50000}.
func digitsRun(nums []string) (string, bool) {
	if len(nums) == 0 {
		return "", false
	}
	width := len(nums[0])
	padded := false
	var base int
	for i, s := range nums {
		if s == "" || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
			return "", false
		}
		v, _ := strconv.Atoi(s)
		if i == 0 {
			base = v
		}
		padded = padded || len(s) > 1 && s[0] == '0'
		if v != base+i {
			return "", false
		}
	}
	if padded {
		for _, s := range nums {
			if len(s) != width {
				return "", false
			}
		}
		return hole(base, width), true
	}
	for i, s := range nums {
		if len(strconv.Itoa(base+i)) != len(s) {
			return "", false
		}
	}
	return hole(base, 0), true
}

// groups keeps the populations the import wrote: each member's group, and
// each group's members in order.
type groups struct {
	of      map[string]string // device name → group
	members map[string][]string
	names   []string
}

func (g *groups) add(name string, members []string) {
	if g.of == nil {
		g.of, g.members = map[string]string{}, map[string][]string{}
	}
	g.names = append(g.names, name)
	g.members[name] = members
	for _, m := range members {
		g.of[m] = name
	}
}

// populate writes the alike devices, their users, their calls and their
// actions as populations. A device joins a population when everything it
// has is its fellows' but its name, its user's name and number (which
// follow its index), and it has no link of its own.
func (in *inference) populate(out *scenarioOut) {
	own := map[string]bool{}
	for _, l := range out.network.links {
		own[l.device] = true
	}
	actionsOf := map[string][]int{}
	for i, a := range in.actions {
		if a.device != "" {
			actionsOf[a.device] = append(actionsOf[a.device], i)
		}
	}
	// An app up from the start is, among apps opened one after another,
	// the first of them opened at 0.
	openers := map[string]int{}
	for _, d := range out.devices {
		if namesKey(d) != "" && d.kind != "deskphone" && d.app == "background" && len(actionsOf[d.name]) == 1 && in.actions[actionsOf[d.name][0]].app == "foreground" {
			openers[d.templateKey(namesKey(d))]++
		}
	}
	for _, d := range out.devices {
		if len(actionsOf[d.name]) > 0 || d.kind != "deskphone" && d.app != "foreground" || namesKey(d) == "" {
			continue
		}
		// Up from the start: an app in the foreground, or a desk phone
		// (the capture cannot tell them apart), is also an app opened at
		// 0 with the model's defaults.
		b := *d
		if b.kind == "deskphone" {
			b.kind, b.os, b.wake = "myapps", "ios", 1500*time.Millisecond
		}
		b.app = "background"
		if openers[b.templateKey(namesKey(d))] >= minPopulation-1 {
			*d = b
			d.notes = append(d.notes, "up from the start like the apps opened after it: the first of them, opened at 0")
			for _, p := range out.pbxs {
				for _, u := range p.users {
					if u.name == d.user {
						u.push, p.push = true, true
					}
				}
			}
			actionsOf[d.name] = append(actionsOf[d.name], len(in.actions))
			in.actions = append(in.actions, actionOut{at: 0, device: d.name, app: "foreground"})
		}
	}
	// Candidates: devices alike but for their names, in order of their
	// index; each maximal run of consecutive indexes is a population.
	byKey := map[string][]*deviceOut{}
	var keys []string
	for _, d := range out.devices {
		key := namesKey(d)
		if key == "" || own[d.name] {
			continue
		}
		// An app's wake may differ from its fellows': a population
		// lists each member's.
		w := *d
		if w.os != "" {
			w.wake = 0
		}
		// Its actions stay its own (by its name) unless populateActions
		// finds them alike.
		k := w.templateKey(key)
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], d)
	}
	pops := map[*deviceOut]*deviceOut{} // first member → the population
	member := map[*deviceOut]bool{}
	for _, k := range keys {
		ds := byKey[k]
		slices.SortStableFunc(ds, func(a, b *deviceOut) int {
			x, _ := cutIndex(a.name)
			y, _ := cutIndex(b.name)
			return x.n - y.n
		})
		for len(ds) > 0 {
			// The longest run of indexes one after the other (the check
			// in devicePopulation then reads the whole run once).
			n := 1
			for n < len(ds) {
				x, _ := cutIndex(ds[n-1].name)
				y, _ := cutIndex(ds[n].name)
				if y.n != x.n+1 || len(y.digits) != len(x.digits) && (x.digits[0] == '0' || y.digits[0] == '0') {
					break
				}
				n++
			}
			if p := in.devicePopulation(out, ds[:n], &pops); p != nil {
				for _, d := range ds[:n] {
					member[d] = true
				}
			}
			ds = ds[n:]
		}
	}
	var devices []*deviceOut
	for _, d := range out.devices {
		if p := pops[d]; p != nil {
			devices = append(devices, p)
		}
		if !member[d] {
			devices = append(devices, d)
		}
	}
	out.devices = devices
	in.populateActions(actionsOf)
	in.populateUsers(out)
	in.populateCalls(out)
}

// namesKey is the shape of a device's name and its user's, around the
// index they share ("u#-phone|u#"), "" when they carry none.
func namesKey(d *deviceOut) string {
	x, ok1 := cutIndex(d.name)
	y, ok2 := cutIndex(d.user)
	if !ok1 || !ok2 || x.digits != y.digits {
		return ""
	}
	return x.pre + "#" + x.suf + "|" + y.pre + "#" + y.suf
}

func names(ds []*deviceOut) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.name
	}
	return out
}

// templateKey is everything of a device but its name and user (given as
// the patterns they follow) and its comments.
func (d *deviceOut) templateKey(names string) string {
	pw := "-"
	if d.password != nil {
		pw = q(*d.password)
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%d|%d|%s|%s|%d|%s|%s|%s|%d|%t", names, d.kind, d.os, d.app, d.transport,
		pw, d.wake, d.ttl, d.gatekeeperID, "", d.clockSkew, d.h235, d.h245, d.answer, d.answerAfter, d.notificationsDenied)
}

// devicePopulation makes one population of the devices (alike, indexes
// consecutive), or nil when they are too few.
func (in *inference) devicePopulation(out *scenarioOut, ds []*deviceOut, pops *map[*deviceOut]*deviceOut) *deviceOut {
	if len(ds) < minPopulation {
		return nil
	}
	nr, ok1 := follows(names(ds))
	users := make([]string, len(ds))
	for i, d := range ds {
		users[i] = d.user
	}
	ur, ok2 := follows(users)
	if !ok1 || !ok2 {
		return nil
	}
	p := *ds[0]
	p.count = len(ds)
	for _, d := range ds {
		if d.wake != p.wake {
			p.wakes = make([]time.Duration, len(ds))
			for i, d := range ds {
				p.wakes[i] = d.wake
				if d.wakeExact > 0 {
					p.wakes[i] = d.wakeExact
				}
			}
			break
		}
	}
	p.name, p.user = nr.pattern(), ur.pattern()
	base := "apps"
	if p.kind == "deskphone" {
		base = "desks"
	}
	p.group = base
	for i := 2; slices.Contains(in.pops.names, p.group); i++ {
		p.group = fmt.Sprintf("%s-%d", base, i)
	}
	in.pops.add(p.group, names(ds))
	p.notes = []string{fmt.Sprintf("%s alike (%s … %s): one population, the group %s[*] of the expectations; what each member's entry said:",
		plural(len(ds), "device"), ds[0].name, ds[len(ds)-1].name, p.group)}
	p.notes = append(p.notes, indent(ds[0].notes)...)
	(*pops)[ds[0]] = &p
	return &p
}

func indent(notes []string) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = "  " + n
	}
	return out
}

// populateActions writes the actions of a population's members, one
// each and alike, as an action population spread over their window.
func (in *inference) populateActions(actionsOf map[string][]int) {
	drop := map[int]bool{}
	var add []actionOut
	for _, g := range in.pops.names {
		ms := in.pops.members[g]
		var idx []int
		for _, m := range ms {
			if len(actionsOf[m]) != 1 || in.actions[actionsOf[m][0]].app == "" || in.actions[actionsOf[m][0]].defaultSoftphone != nil || in.actions[actionsOf[m][0]].connection != "" {
				idx = nil
				break
			}
			idx = append(idx, actionsOf[m][0])
		}
		if len(idx) == 0 {
			continue
		}
		first, last := in.actions[idx[0]], in.actions[idx[len(idx)-1]]
		even := true
		for i, k := range idx {
			a := in.actions[k]
			if a.app != first.app || (a.at-evenly(first.at, last.at, i, len(idx))).Abs() > spreadTolerance {
				even = false
				break
			}
		}
		if !even {
			continue
		}
		for _, k := range idx {
			drop[k] = true
		}
		note := fmt.Sprintf("the %s of %s[*] one after another, evenly from %s to %s (%s)", map[string]string{"foreground": "opening", "closed": "closing", "logged_out": "logging out", "background": "sending to the background"}[first.app], g, dur(first.at), dur(last.at), first.note)
		add = append(add, actionOut{at: first.at, until: last.at, count: len(idx), device: g + "[*]", app: first.app, note: note})
	}
	if len(drop) == 0 {
		return
	}
	var kept []actionOut
	for i, a := range in.actions {
		if !drop[i] {
			kept = append(kept, a)
		}
	}
	in.actions = append(kept, add...)
	slices.SortStableFunc(in.actions, func(a, b actionOut) int { return int(a.at - b.at) })
}

// evenly is member i's time of count spread evenly from a to b, as the
// loader spreads a population over its window.
func evenly(a, b time.Duration, i, count int) time.Duration {
	if count <= 1 {
		return a
	}
	return a + time.Duration(float64(b-a)*float64(i)/float64(count-1))
}

// populateUsers writes the users of each device population as a
// population of users: alike, their names the devices' users, their
// numbers following the index.
func (in *inference) populateUsers(out *scenarioOut) {
	for _, p := range out.pbxs {
		byName := map[string]int{}
		for i, u := range p.users {
			byName[u.name] = i
		}
		taken := map[int]*userOut{}
		drop := map[int]bool{}
		for _, d := range out.devices {
			if d.count == 0 {
				continue
			}
			ms := in.pops.members[d.group]
			var us []*userOut
			var idx []int
			for _, m := range ms {
				i, ok := byName[in.userOfDevice(m)]
				if !ok || drop[i] {
					us = nil
					break
				}
				us, idx = append(us, p.users[i]), append(idx, i)
			}
			if len(us) == 0 || !alikeUsers(us) {
				continue
			}
			nums := make([]string, len(us))
			unames := make([]string, len(us))
			for i, u := range us {
				nums[i], unames[i] = u.number, u.name
			}
			nr, ok1 := follows(unames)
			num, ok2 := digitsRun(nums)
			if !ok1 || !ok2 {
				continue
			}
			pu := *us[0]
			pu.count, pu.name, pu.number = len(us), nr.pattern(), num
			if pu.password != "" {
				pu.password = placeholder(pu.name)
			}
			pu.notes = []string{fmt.Sprintf("the users of %s[*] (%s … %s): one population", d.group, us[0].name, us[len(us)-1].name)}
			pu.notes = append(pu.notes, indent(us[0].notes)...)
			for _, i := range idx {
				drop[i] = true
			}
			taken[idx[0]] = &pu
		}
		var users []*userOut
		for i, u := range p.users {
			if pu := taken[i]; pu != nil {
				users = append(users, pu)
			}
			if !drop[i] {
				users = append(users, u)
			}
		}
		p.users = users
	}
}

// userOfDevice is the user of the device named.
func (in *inference) userOfDevice(member string) string {
	if in.userOf == nil {
		in.userOf = map[string]string{}
		for _, e := range in.w.eps {
			in.userOf[e.name] = e.user
		}
	}
	return in.userOf[member]
}

// alikeUsers reports whether users differ only in name, number and the
// password placeholder made from the name.
func alikeUsers(us []*userOut) bool {
	a := us[0]
	for _, u := range us {
		if u.push != a.push || u.presence != a.presence || len(u.forks) > 0 || u.cfu != "" || u.cfb != "" || u.cfnr != nil ||
			(u.password == "") != (a.password == "") || u.password != "" && u.password != placeholder(u.name) {
			return false
		}
	}
	return true
}

// populateCalls writes calls alike (the same hang-up, from a population's
// members in turn or from one device, to numbers following their order,
// spread evenly over a window) as a population of calls.
func (in *inference) populateCalls(out *scenarioOut) {
	if len(out.calls) < minPopulation {
		return
	}
	type key struct {
		group, from string
		hang, gave  time.Duration
	}
	byKey := map[key][]int{}
	var keys []key
	for i, c := range out.calls {
		k := key{from: c.from, hang: c.hangupAfter, gave: c.hangupAfterSetup}
		if g := in.pops.of[c.from]; g != "" {
			k.group, k.from = g, ""
		}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	drop := map[int]bool{}
	var add []callOut
	for _, k := range keys {
		idx := byKey[k]
		if len(idx) < minPopulation {
			continue
		}
		to := make([]string, len(idx))
		for i, j := range idx {
			to[i] = out.calls[j].to
		}
		num, ok := digitsRun(to)
		if !ok {
			continue
		}
		first, last := out.calls[idx[0]], out.calls[idx[len(idx)-1]]
		ms := in.pops.members[k.group]
		good := true
		for i, j := range idx {
			c := out.calls[j]
			if (c.at-evenly(first.at, last.at, i, len(idx))).Abs() > spreadTolerance || k.group != "" && c.from != ms[i%len(ms)] {
				good = false
				break
			}
		}
		if !good {
			continue
		}
		from := first.from
		if k.group != "" {
			from = k.group + "[*]"
		}
		c := callOut{at: first.at, until: last.at, count: len(idx), from: from, to: num, hangupAfter: k.hang, hangupAfterSetup: k.gave,
			note: fmt.Sprintf("%s alike, evenly from %s to %s: one population (%s)", plural(len(idx), "call"), dur(first.at), dur(last.at), first.note)}
		add = append(add, c)
		for _, j := range idx {
			drop[j] = true
		}
	}
	if len(drop) == 0 {
		return
	}
	var calls []callOut
	for i, c := range out.calls {
		if !drop[i] {
			calls = append(calls, c)
		}
	}
	out.calls = append(calls, add...)
	slices.SortStableFunc(out.calls, func(a, b callOut) int { return int(a.at - b.at) })
}
