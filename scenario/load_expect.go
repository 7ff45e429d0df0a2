package scenario

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/callwake/callwake/timeline"
)

// expectKeys are the keys of an expectation item that are not attributes
// of its event.
var expectKeys = []string{"event", "never", "all", "delay", "at", "within", "after", "count", "percentile"}

// expectation reads one `expect` item, or (inGroup) one member of an
// `all` group: `event:`, `never:` or `all:`, its limits, and every other
// key as an attribute of the event, checked against the event catalogue:
// the key must be one the event has, the value of its type (a name must be
// defined in the file), so that an item that could never match (a typo in
// a `never:` item always passes) is a load error.
func (l *loader) expectation(n ast.Node, reg *registry, inGroup bool) (Expectation, bool) {
	m, ok := l.readMapping(n, "an expectation", nil)
	if !ok {
		return Expectation{}, false
	}
	e := Expectation{Pos: m.pos}
	var kinds []field
	for _, k := range []string{"event", "never", "all", "delay"} {
		if f, ok := m.get(k); ok {
			kinds = append(kinds, f)
		}
	}
	switch {
	case len(kinds) == 0:
		l.errorf(m.pos, `missing required key "event" (or "never", "all" or "delay")`)
		return e, false
	case len(kinds) > 1:
		l.errorf(kinds[1].pos, "an expectation has one of event, never, all and delay; this one has %s and %s", kinds[0].key, kinds[1].key)
		return e, false
	case kinds[0].key == "delay":
		if inGroup {
			l.errorf(kinds[0].pos, "an all group holds event items; delay does not belong in it (put it beside the group)")
			return e, false
		}
		return l.delay(m, reg)
	}
	kind := kinds[0]
	e.Kind = ExpectKind(kind.key)
	good := true
	if inGroup && e.Kind != ExpectEvent {
		l.errorf(kind.pos, "an all group holds event items; %s does not belong in it (put it beside the group)", kind.key)
		return e, false
	}
	var spec *EventSpec
	if e.Kind != ExpectAll {
		if name, ok := l.name(kind); ok {
			e.Event = name
			if spec = Event(name); spec == nil {
				l.errorf(l.valuePos(kind, kind.value), "unknown event %q%s", name, didYouMean(name, EventNames))
				good = false
			}
		} else {
			good = false
		}
	}
	for _, f := range m.fields {
		switch f.key {
		case "event", "never":
		case "all":
			members, ok := l.group(f, reg)
			e.Members, good = members, good && ok
		case "at":
			if w, ok := l.window(f); ok {
				e.At = &w
			} else {
				good = false
			}
		case "within", "after":
			if e.Kind == ExpectNever {
				l.errorf(f.pos, "%s does not apply to never (use at for a window)", f.key)
				good = false
			} else if d, ok := l.duration(f); !ok {
				good = false
			} else if f.key == "within" {
				e.Within, e.HasWithin = d, true
			} else {
				e.After, e.HasAfter = d, true
			}
		case "percentile":
			l.errorf(f.pos, "percentile applies to a delay item only")
			good = false
		case "count":
			switch {
			case e.Kind == ExpectNever:
				l.errorf(f.pos, "count does not apply to never (never is count: 0)")
				good = false
			case e.Kind == ExpectAll || inGroup:
				l.errorf(f.pos, "count does not apply to an all group or its members (a count looks at the whole run)")
				good = false
			default:
				c, ok := l.countRange(f)
				e.Count, good = c, good && ok
			}
		default:
			if e.Kind == ExpectAll {
				l.errorf(f.pos, "unknown key %q of an all group%s; attributes belong on its members", f.key, didYouMean(f.key, expectKeys))
				good = false
				continue
			}
			if spec == nil {
				good = false // the event is unknown: its attributes cannot be checked
				continue
			}
			a, ok := l.attribute(f, spec, reg)
			if ok {
				e.Attrs = append(e.Attrs, a)
				if g := groupRef(a.Value, reg); g != nil {
					if e.In == nil {
						e.In = map[string]*Group{}
					}
					e.In[a.Key] = g
				}
			}
			good = good && ok
		}
	}
	if e.Count != nil && (e.HasWithin || e.HasAfter) {
		key := "within"
		if !e.HasWithin {
			key = "after"
		}
		f, _ := m.get(key)
		l.errorf(f.pos, "%s does not apply to a count (count looks at the whole run; use at for a window)", key)
		good = false
	}
	if e.Kind == ExpectAll {
		for i := range e.Members {
			mem := &e.Members[i]
			mem.Group = e.Pos
			if mem.At == nil {
				mem.At = e.At
			}
			if !mem.HasWithin {
				mem.Within, mem.HasWithin = e.Within, e.HasWithin
			}
			if !mem.HasAfter {
				mem.After, mem.HasAfter = e.After, e.HasAfter
			}
			good = l.checkLimits(mem) && good
		}
	} else {
		good = l.checkLimits(&e) && good
	}
	return e, good
}

// checkLimits refuses limits that no event could meet.
func (l *loader) checkLimits(e *Expectation) bool {
	if e.HasWithin && e.HasAfter && e.After > e.Within {
		l.errorf(e.Pos, "after %s is later than within %s: no event can meet both", e.After, e.Within)
		return false
	}
	return true
}

// group reads the members of `all: [ITEM...]`.
func (l *loader) group(f field, reg *registry) ([]Expectation, bool) {
	items, ok := l.readList(f.value, "all")
	if !ok {
		return nil, false
	}
	if len(items) < 2 {
		l.errorf(f.pos, "an all group needs at least two items (one item is a plain event item)")
		return nil, false
	}
	good := true
	var members []Expectation
	for _, item := range items {
		mem, ok := l.expectation(item, reg, true)
		good = good && ok
		if ok {
			members = append(members, mem)
		}
	}
	return members, good
}

// countPattern is `MIN..`, `..MAX` or `MIN..MAX`.
var countPattern = regexp.MustCompile(`^\s*([0-9]*)\s*\.\.\s*([0-9]*)\s*$`)

// countRange reads `count: N | MIN.. | ..MAX | MIN..MAX`.
func (l *loader) countRange(f field) (*CountRange, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return nil, false
	}
	if _, isInt := n.(*ast.IntegerNode); isInt {
		c, ok := l.integer(f, 0, math.MaxInt32)
		return &CountRange{Min: int(c), Max: int(c), HasMax: true}, ok
	}
	p := l.valuePos(f, n)
	s, isScalar := scalarText(n)
	parts := countPattern.FindStringSubmatch(s)
	if !isScalar || parts == nil || parts[1] == "" && parts[2] == "" {
		l.errorf(p, "expected a count like 3, 2.., ..5 or 1..3 for count, got %s", describe(n))
		return nil, false
	}
	c := &CountRange{}
	for i, part := range parts[1:] {
		if part == "" {
			continue
		}
		v, err := strconv.ParseInt(part, 10, 32)
		if err != nil {
			l.errorf(p, "count %q is too large (at most %d)", s, math.MaxInt32)
			return nil, false
		}
		if i == 0 {
			c.Min = int(v)
		} else {
			c.Max, c.HasMax = int(v), true
		}
	}
	switch {
	case c.HasMax && c.Max < c.Min:
		l.errorf(p, "count %q ends before it starts", s)
		return nil, false
	case !c.HasMax && c.Min == 0:
		l.errorf(p, "count %q holds for every run; give a lower bound above 0 or an upper bound", s)
		return nil, false
	}
	return c, true
}

// attribute reads one attribute of an item about the event spec, returning
// it with its value in canonical form (the form the world records).
func (l *loader) attribute(f field, spec *EventSpec, reg *registry) (timeline.Attr, bool) {
	a := spec.Attr(f.key)
	if a == nil {
		if s := suggest(f.key, expectKeys); s != "" && suggest(f.key, spec.Keys()) == "" {
			l.errorf(f.pos, "unknown key %q (did you mean %q?)", f.key, s)
		} else {
			l.errorf(f.pos, "%s has no attribute %q%s; it has %s", spec.Name, f.key,
				didYouMean(f.key, spec.Keys()), strings.Join(spec.Keys(), ", "))
		}
		return timeline.Attr{}, false
	}
	n, ok := l.unwrap(f.value)
	if !ok {
		return timeline.Attr{}, false
	}
	if _, isScalar := scalarText(n); !isScalar {
		l.errorf(l.valuePos(f, n), "expected %s for %s, got %s", a.describeKind(), f.key, describe(n))
		return timeline.Attr{}, false
	}
	p := l.valuePos(f, n)
	value, ok := "", false
	switch a.Kind {
	case AttrText:
		value, ok = l.text(f)
	case AttrActor, AttrDevice, AttrUser, AttrPBX, AttrPush:
		if value, ok = l.name(f); ok {
			if group, isGroup := strings.CutSuffix(value, "[*]"); isGroup {
				ok = l.checkGroupRef(group, a.Kind, f.key, p, reg)
			} else {
				reg.refer(refKind(a.Kind), value, p)
			}
		}
	case AttrDigits:
		if s, _ := scalarText(n); s == "" {
			value, ok = "", true
		} else {
			value, ok = l.digits(f)
		}
	case AttrNumber:
		s, _ := scalarText(n)
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil && !strings.HasPrefix(s, "-") || err == nil && v > a.Max:
			if err == nil || strings.Trim(s, "0123456789") == "" {
				l.errorf(p, "%s is at most %d, got %s", f.key, a.Max, s)
			} else {
				l.errorf(p, "expected a whole number for %s, got %q", f.key, s)
			}
		case err != nil || v < 0:
			l.errorf(p, "%s must not be negative, got %s", f.key, s)
		default:
			value, ok = strconv.FormatInt(v, 10), true
		}
	case AttrBool:
		var b bool
		if b, ok = l.boolean(f); ok {
			value = strconv.FormatBool(b)
		}
	case AttrDuration:
		if d, dok := l.duration(f); dok {
			value, ok = d.String(), true
		}
	case AttrEnum:
		value, ok = l.enum(f, a.Values...)
	}
	return timeline.Attr{Key: f.key, Value: value}, ok
}

// refKind is the registry's kind of a name attribute.
func refKind(k AttrKind) string {
	if k == AttrPush {
		return "Push object"
	}
	return string(k)
}

// knownActors are the names an actor attribute may take in f: its
// devices, its PBXs and the infrastructure.
func knownActors(reg *registry) map[string]Pos {
	actors := make(map[string]Pos, len(reg.devices)+len(reg.pbxs)+len(InfraActors))
	for _, t := range []map[string]Pos{reg.devices, reg.pbxs} {
		for name, p := range t {
			actors[name] = p
		}
	}
	for _, name := range InfraActors {
		actors[name] = Pos{}
	}
	return actors
}

// pushObjects are the names of the file's Push objects.
func pushObjects(f *File) map[string]Pos {
	names := map[string]Pos{}
	for _, p := range f.PBXs {
		if p.Push != nil {
			names[p.Push.Name] = p.Push.Pos
		}
	}
	// Actions create Push objects and rename them.
	for _, a := range f.Actions {
		if a.Push == nil {
			continue
		}
		switch i := slices.IndexFunc(f.PBXs, func(p PBX) bool { return p.Name == a.PBX }); {
		case a.Push.Name != nil:
			names[*a.Push.Name] = a.Pos
		case i >= 0 && f.PBXs[i].Push == nil:
			names[DefaultPushName] = a.Pos
		}
	}
	return names
}

// sortedNames is the sorted keys of a name table, for suggestions.
func sortedNames(table map[string]Pos) []string {
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// groupRef is the population a GROUP[*] value names, or nil.
func groupRef(value string, reg *registry) *Group {
	if name, ok := strings.CutSuffix(value, "[*]"); ok {
		return reg.groups[name]
	}
	return nil
}

// checkGroupRef checks that GROUP[*] names a population whose members an
// attribute of kind k can name (populations are read before expectations).
func (l *loader) checkGroupRef(group string, k AttrKind, key string, p Pos, reg *registry) bool {
	g := reg.groups[group]
	want := "device"
	switch k {
	case AttrUser:
		want = "user"
	case AttrPBX, AttrPush:
		l.errorf(p, "%s names a %s; a group (%s[*]) is a population of devices or users", key, refKind(k), group)
		return false
	}
	if g == nil {
		l.errorf(p, "%s: no population has group %q%s", key, group, didYouMean(group, sortedGroups(reg, want)))
		return false
	}
	if g.Kind != want {
		l.errorf(p, "%s names a %s, but group %q is a population of %ss", key, want, group, g.Kind)
		return false
	}
	return true
}

// delay reads a delay item: `delay: {from: ITEM, to: ITEM}`, `percentile`
// and `within`.
func (l *loader) delay(m *mapping, reg *registry) (Expectation, bool) {
	e := Expectation{Pos: m.pos, Kind: ExpectDelay}
	for _, f := range m.fields {
		if !slices.Contains([]string{"delay", "percentile", "within"}, f.key) {
			l.errorf(f.pos, "unknown key %q of a delay item%s; it has delay, percentile and within", f.key, didYouMean(f.key, []string{"delay", "percentile", "within"}))
			return e, false
		}
	}
	if !l.require(m, "percentile", "within") {
		return e, false
	}
	d := &Delay{}
	df, _ := m.get("delay")
	dm, ok := l.readMapping(df.value, "delay", []string{"from", "to"})
	if !ok || !l.require(dm, "from", "to") {
		return e, false
	}
	good := true
	side := func(key string) (Expectation, string) {
		f, _ := dm.get(key)
		it, ok := l.expectation(f.value, reg, true)
		if !ok {
			good = false
			return it, ""
		}
		if it.HasWithin || it.HasAfter {
			l.errorf(it.Pos, "the %s of a delay is an event, its attributes and an at window (within belongs to the delay item)", key)
			good = false
		}
		if len(it.In) != 1 {
			l.errorf(it.Pos, "the %s of a delay names its population member with one attribute GROUP[*] (e.g. to: apps[*]); it has %d", key, len(it.In))
			good = false
			return it, ""
		}
		for k := range it.In {
			return it, k
		}
		return it, ""
	}
	d.From, d.FromKey = side("from")
	d.To, d.ToKey = side("to")
	if good && d.From.In[d.FromKey] != d.To.In[d.ToKey] {
		l.errorf(d.To.Pos, "from and to of a delay must name the same population; from names %s, to names %s",
			d.From.In[d.FromKey].Name, d.To.In[d.ToKey].Name)
		good = false
	}
	if good {
		d.Group = d.From.In[d.FromKey]
	}
	pf, _ := m.get("percentile")
	if s, ok := l.text(pf); ok {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
		if err != nil || !(v > 0 && v <= 100) {
			l.errorf(l.valuePos(pf, pf.value), "percentile is a number above 0 and at most 100 (e.g. 99 or 99.9), got %q", s)
			good = false
		}
		d.Percentile = v
	} else {
		good = false
	}
	wf, _ := m.get("within")
	if v, ok := l.duration(wf); ok {
		d.Within = v
	} else {
		good = false
	}
	e.Delay = d
	return e, good
}
