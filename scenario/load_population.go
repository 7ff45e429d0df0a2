package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// A population is one entry of `users`, `devices` or `calls` that stands for
// count entries of its kind: `- population: {count: N, ...}` where the other
// keys are those of one entry, text values may hold placeholders ({i}: the
// member's index from 0; {i:05}: zero-padded to 5 digits; {i%N}, {i/N},
// {i+N}: arithmetic on it, combinable as {i%1000+1:03}), and some values
// may be mixes or ranges spread over the members. The template is checked
// once (with member 0's values, so that errors point into the file); every
// member is then a plain entry, checked for unique names and references like
// any other. docs/scenario-format.md describes the keys.

// MaxPopulation bounds one population's count.
const MaxPopulation = 2_000_000

// maxMixes bounds the combinations of mixes one device population may have.
const maxMixes = 64

// placeholder is one {…} of a pattern.
type placeholder struct {
	div, mod, add int // applied in that order: i/div, %mod, +add (0 = none)
	width         int // zero-padded width, 0 = none
}

func (p placeholder) apply(i int) int {
	if p.div > 0 {
		i /= p.div
	}
	if p.mod > 0 {
		i %= p.mod
	}
	return i + p.add
}

// pattern is a text value with placeholders: the literal parts and the
// placeholders between them (len(lits) == len(holes)+1).
type pattern struct {
	lits  []string
	holes []placeholder
}

// parsePattern reads a pattern; a text without braces is a pattern with no
// placeholder.
func parsePattern(s string) (pattern, error) {
	var p pattern
	rest := s
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return p, fmt.Errorf("%q has a } without its {", s)
			}
			p.lits = append(p.lits, rest)
			return p, nil
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return p, fmt.Errorf("%q has a { without its }", s)
		}
		h, err := parsePlaceholder(rest[open+1 : open+end])
		if err != nil {
			return p, fmt.Errorf("%q: %v", s, err)
		}
		p.lits = append(p.lits, rest[:open])
		p.holes = append(p.holes, h)
		rest = rest[open+end+1:]
	}
}

// parsePlaceholder reads "i", "i:05", "i%100", "i/10+1:03", …
func parsePlaceholder(s string) (placeholder, error) {
	var h placeholder
	expr, width, hasWidth := strings.Cut(s, ":")
	if hasWidth {
		w, err := strconv.Atoi(width)
		if err != nil || w < 1 || w > 20 || width[0] != '0' {
			return h, fmt.Errorf("placeholder {%s}: the width after : is written 0N, N from 1 to 20 (e.g. {i:05})", s)
		}
		h.width = w
	}
	if !strings.HasPrefix(expr, "i") {
		return h, fmt.Errorf("placeholder {%s} must start with i, the member's index (e.g. {i}, {i:05}, {i%%100})", s)
	}
	expr = expr[1:]
	for expr != "" {
		op := expr[0]
		j := 1
		for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(expr[1:j])
		if err != nil || n > 1<<30 {
			return h, fmt.Errorf("placeholder {%s}: expected a number after %c", s, op)
		}
		switch {
		case op == '/' && h.div == 0 && h.mod == 0 && h.add == 0 && n > 0:
			h.div = n
		case op == '%' && h.mod == 0 && h.add == 0 && n > 0:
			h.mod = n
		case op == '+' && h.add == 0:
			h.add = n
		default:
			return h, fmt.Errorf("placeholder {%s}: operations are /N, %%N and +N, at most one of each in that order, N positive", s)
		}
		expr = expr[j:]
	}
	return h, nil
}

// expand renders the pattern for member i.
func (p pattern) expand(i int) string {
	if len(p.holes) == 0 {
		return p.lits[0]
	}
	var b []byte
	for k, h := range p.holes {
		b = append(b, p.lits[k]...)
		v := strconv.AppendInt(nil, int64(h.apply(i)), 10)
		for n := len(v); n < h.width; n++ {
			b = append(b, '0')
		}
		b = append(b, v...)
	}
	b = append(b, p.lits[len(p.lits)-1]...)
	return string(b)
}

// varies reports whether the pattern can give different texts to members.
func (p pattern) varies() bool { return len(p.holes) > 0 }

// population is a population entry being read: its count, its group name,
// its template mapping and the patterns of its text keys.
type population struct {
	pos      Pos
	count    int
	group    string
	groupPos Pos
	node     *ast.MappingNode // the template, without count and group
	m        *mapping         // the template as read
	patterns map[string]pattern
}

// isPopulation reports whether a list item is `population: {...}` (other
// keys beside it are then reported as unknown).
func isPopulation(n ast.Node) bool {
	switch v := n.(type) {
	case *ast.MappingNode:
		return slices.ContainsFunc(v.Values, func(mv *ast.MappingValueNode) bool { return keyIs(mv, "population") })
	case *ast.MappingValueNode:
		return keyIs(v, "population")
	}
	return false
}

func keyIs(mv *ast.MappingValueNode, key string) bool {
	if mv == nil || mv.Key == nil {
		return false
	}
	s, ok := scalarText(mv.Key)
	return ok && s == key
}

// readPopulation reads the population of a list item; allowed are the keys
// of one entry, patterned those whose text may hold placeholders.
func (l *loader) readPopulation(item ast.Node, what string, allowed, patterned []string, grouped bool) (*population, bool) {
	outer, ok := l.readMapping(item, what, []string{"population"})
	if !ok {
		return nil, false
	}
	f, _ := outer.get("population")
	keys := append([]string{"count"}, allowed...)
	if grouped {
		keys = append(keys, "group")
	}
	inner, ok := l.unwrap(f.value)
	if !ok {
		return nil, false
	}
	m, ok := l.readMapping(inner, "a population of "+what, keys)
	if !ok {
		return nil, false
	}
	p := &population{pos: m.pos, m: m, patterns: map[string]pattern{}}
	if !l.require(m, "count") {
		return nil, false
	}
	cf, _ := m.get("count")
	n, ok := l.integer(cf, 1, MaxPopulation)
	if !ok {
		return nil, false
	}
	p.count = int(n)
	if gf, ok := m.get("group"); ok {
		if p.group, ok = l.name(gf); !ok {
			return nil, false
		}
		p.groupPos = l.valuePos(gf, gf.value)
	}
	good := true
	for _, key := range patterned {
		pf, ok := m.get(key)
		if !ok {
			continue
		}
		n, _ := l.unwrap(pf.value)
		s, isScalar := scalarText(n)
		if !isScalar {
			continue // the entry's own reader reports it
		}
		pat, err := parsePattern(s)
		if err != nil {
			l.errorf(l.valuePos(pf, n), "%s: %v", key, err)
			good = false
			continue
		}
		p.patterns[key] = pat
	}
	// The template: the entry's keys, with member 0's values in patterns.
	node := &ast.MappingNode{BaseNode: &ast.BaseNode{}, Start: token.New("{", "{", nil), IsFlowStyle: true}
	if mn, ok := inner.(*ast.MappingNode); ok {
		node.Start = mn.Start
	} else {
		node.Start = inner.GetToken()
	}
	for _, fd := range m.fields {
		if fd.key == "count" || fd.key == "group" {
			continue
		}
		mv := &ast.MappingValueNode{BaseNode: &ast.BaseNode{}, Start: token.New(":", ":", nil), Key: mapKeyNode(fd), Value: fd.value}
		if pat, ok := p.patterns[fd.key]; ok && pat.varies() {
			mv.Value = textNode(pat.expand(0), fd.value)
		}
		node.Values = append(node.Values, mv)
	}
	p.node = node
	return p, good
}

// mapKeyNode rebuilds a field's key node at its position.
func mapKeyNode(f field) ast.MapKeyNode {
	return ast.String(token.New(f.key, f.key, &token.Position{Line: f.pos.Line, Column: f.pos.Col}))
}

// textNode is a string node with text s at the position of n.
func textNode(s string, n ast.Node) ast.Node {
	var pos *token.Position
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		p := *tk.Position
		pos = &p
	}
	return ast.String(token.New(s, strconv.Quote(s), pos))
}

// with returns the template with the scalar value of key replaced by s (a
// mix resolved to one of its words).
func (p *population) with(key, s string) *ast.MappingNode {
	out := *p.node
	out.Values = slices.Clone(p.node.Values)
	for i, mv := range out.Values {
		if keyIs(mv, key) {
			c := *mv
			c.Value = textNode(s, mv.Value)
			out.Values[i] = &c
		}
	}
	return &out
}

// expand renders the patterned key for member i, or ("", false) when the
// key is not patterned.
func (p *population) expand(key string, i int) (string, bool) {
	pat, ok := p.patterns[key]
	if !ok {
		return "", false
	}
	return pat.expand(i), true
}

// mix is a value spread over the members: `{ios: 60%, android: 40%}`.
type mix struct {
	words  []string
	shares []float64 // each word's share, adding up to 1
}

// readMix reads the value of key as a mix of allowed words, or reports it
// is a plain value (ok, nil).
func (l *loader) readMix(m *mapping, key string, allowed []string) (*mix, bool) {
	f, ok := m.get(key)
	if !ok {
		return nil, true
	}
	n, ok := l.unwrap(f.value)
	if !ok {
		return nil, false
	}
	if _, isScalar := scalarText(n); isScalar {
		return nil, true
	}
	before := len(l.problems) + l.dropped
	mm, ok := l.readMapping(n, "a mix of "+key, allowed)
	if !ok || len(l.problems)+l.dropped > before {
		return nil, false
	}
	x := &mix{}
	total := 0.0
	for _, wf := range mm.fields {
		s, ok := l.text(wf)
		if !ok {
			return nil, false
		}
		share, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
		if err != nil || !strings.HasSuffix(strings.TrimSpace(s), "%") || share < 0 || share > 100 || math.IsNaN(share) {
			l.errorf(l.valuePos(wf, wf.value), "a share of a mix is a percentage like 60%%, got %q", s)
			return nil, false
		}
		if share == 0 {
			continue
		}
		total += share
		x.words = append(x.words, wf.key)
		x.shares = append(x.shares, share/100)
	}
	if math.Abs(total-100) > 1e-9 {
		l.errorf(mm.pos, "the shares of the %s mix add up to %g%%, not 100%%", key, total)
		return nil, false
	}
	return x, true
}

// picks spreads count members over the words (smooth weighted round robin):
// each word gets its share of any prefix of the members to within one, and
// the words interleave rather than come in blocks.
func (x *mix) picks(count int) []uint8 {
	out := make([]uint8, count)
	credit := make([]float64, len(x.words))
	for i := range out {
		best := 0
		for k, s := range x.shares {
			credit[k] += s
			if credit[k] > credit[best] {
				best = k
			}
		}
		credit[best]--
		out[i] = uint8(best)
	}
	return out
}

// spread is a window of time over which the members are spread evenly:
// member i at From + i·(To−From)/count.
func spread(w Window, i, count int) time.Duration {
	if count <= 1 {
		return w.From
	}
	return w.From + time.Duration(float64(w.To-w.From)*float64(i)/float64(count-1))
}

// sub is a loader for checking a template: its problems join the file's
// (duplicates merge when they are sorted), its registry is its own.
func (l *loader) sub() *loader { return &loader{file: l.file} }

func (l *loader) adopt(s *loader) bool {
	for _, p := range s.problems {
		l.errorf(p.Pos, "%s", p.Message)
	}
	return len(s.problems) == 0
}

// group records a population's group: the names of its members, which
// expectations address as GROUP[*].
func (l *loader) defineGroup(reg *registry, p *population, kind string, members []string) {
	if p.group == "" {
		return
	}
	if !reg.define(l, "group", reg.groupPos, p.group, p.groupPos) {
		return
	}
	reg.groups[p.group] = &Group{Name: p.group, Kind: kind, Members: members}
}

// Group is a named population: the names of its members (devices or users).
type Group struct {
	Name    string
	Kind    string // "device" or "user"
	Members []string
	set     map[string]bool
}

// Has reports whether name is a member.
func (g *Group) Has(name string) bool {
	if g.set == nil {
		g.set = make(map[string]bool, len(g.Members))
		for _, m := range g.Members {
			g.set[m] = true
		}
	}
	return g.set[name]
}

// userPopulation reads a population of users: name, number and password
// may hold placeholders.
func (l *loader) userPopulation(item ast.Node, reg *registry) ([]User, bool) {
	p, ok := l.readPopulation(item, "users", userKeys, []string{"name", "number", "password"}, true)
	if !ok {
		return nil, false
	}
	s := l.sub()
	tmpl, ok := s.user(p.node, newRegistry())
	if !l.adopt(s) || !ok {
		return nil, false
	}
	if pat := p.patterns["name"]; p.count > 1 && !pat.varies() {
		f, _ := p.m.get("name")
		l.errorf(l.valuePos(f, f.value), "the name of a population of %d users needs a placeholder such as {i}", p.count)
		return nil, false
	}
	users := make([]User, p.count)
	names := make([]string, p.count)
	for i := range users {
		u := tmpl
		u.Name, _ = p.expand("name", i)
		if v, ok := p.expand("number", i); ok {
			u.Number = v
		}
		if v, ok := p.expand("password", i); ok {
			u.Password = v
		}
		if !reg.define(l, "user", reg.users, u.Name, tmpl.Pos) {
			return nil, false
		}
		users[i], names[i] = u, u.Name
	}
	l.defineGroup(reg, p, "user", names)
	return users, true
}

// devicePopulation reads a population of devices: name, user and password
// may hold placeholders; kind, os, app and transport may be mixes.
func (l *loader) devicePopulation(item ast.Node, reg *registry) ([]Device, bool) {
	p, ok := l.readPopulation(item, "devices", deviceKeys, []string{"name", "user", "password"}, true)
	if !ok {
		return nil, false
	}
	if pat := p.patterns["name"]; p.count > 1 && !pat.varies() {
		f, _ := p.m.get("name")
		l.errorf(l.valuePos(f, f.value), "the name of a population of %d devices needs a placeholder such as {i}", p.count)
		return nil, false
	}
	wakes, ok := l.wakeList(p)
	if !ok {
		return nil, false
	}
	mixKeys := []string{"kind", "os", "app", "transport"}
	words := map[string][]string{"kind": kindWords, "os": osWords, "app": appWords, "transport": transportWords}
	mixes := map[string]*mix{}
	for _, key := range mixKeys {
		x, ok := l.readMix(p.m, key, words[key])
		if !ok {
			return nil, false
		}
		if x != nil {
			mixes[key] = x
		}
	}
	// One template per combination of the mixes' words.
	combos := 1
	for _, x := range mixes {
		combos *= len(x.words)
	}
	if combos > maxMixes {
		l.errorf(p.pos, "the mixes of this population make %d kinds of device; at most %d", combos, maxMixes)
		return nil, false
	}
	templates := map[string]Device{}
	var build func(k int, node *ast.MappingNode, key string)
	good := true
	build = func(k int, node *ast.MappingNode, key string) {
		if k == len(mixKeys) {
			s := l.sub()
			d, ok := s.device(node, newRegistry())
			if !l.adopt(s) || !ok {
				good = false
				return
			}
			templates[key] = d
			return
		}
		x := mixes[mixKeys[k]]
		if x == nil {
			build(k+1, node, key+"|")
			return
		}
		for _, w := range x.words {
			q := *p
			q.node = node
			build(k+1, q.with(mixKeys[k], w), key+"|"+w)
		}
	}
	build(0, p.node, "")
	if !good {
		return nil, false
	}
	picks := map[string][]uint8{}
	for k, x := range mixes {
		picks[k] = x.picks(p.count)
	}
	devices := make([]Device, p.count)
	names := make([]string, p.count)
	userPos := p.pos
	if f, ok := p.m.get("user"); ok {
		userPos = l.valuePos(f, f.value)
	}
	for i := range devices {
		key := ""
		for _, k := range mixKeys {
			key += "|"
			if x := mixes[k]; x != nil {
				key += x.words[picks[k][i]]
			}
		}
		d := templates[key]
		d.Name, _ = p.expand("name", i)
		d.User, _ = p.expand("user", i)
		if v, ok := p.expand("password", i); ok {
			d.Password = v
		}
		if wakes != nil {
			d.Wake = Wake{Min: wakes[i], Max: wakes[i]}
		}
		if !reg.define(l, "device", reg.devices, d.Name, d.Pos) {
			return nil, false
		}
		reg.deviceKinds[d.Name] = d.Kind
		reg.refer("user", d.User, userPos)
		devices[i], names[i] = d, d.Name
	}
	l.defineGroup(reg, p, "device", names)
	return devices, true
}

// wakeList reads a device population's `wake` written as a list, one
// duration per member in order (what pbxsim import measured of each app),
// and puts member 0's in the template; nil when wake is not a list.
func (l *loader) wakeList(p *population) ([]time.Duration, bool) {
	f, ok := p.m.get("wake")
	if !ok {
		return nil, true
	}
	n, ok := l.unwrap(f.value)
	if !ok {
		return nil, false
	}
	seq, isSeq := n.(*ast.SequenceNode)
	if !isSeq {
		return nil, true
	}
	if len(seq.Values) != p.count {
		l.errorf(l.valuePos(f, n), "a list of wakes gives one per member: %d for a population of %d", len(seq.Values), p.count)
		return nil, false
	}
	out := make([]time.Duration, len(seq.Values))
	for i, v := range seq.Values {
		d, ok := l.duration(field{key: "wake", pos: l.pos(v), value: v})
		if !ok {
			return nil, false
		}
		out[i] = d
	}
	p.node = p.with("wake", out[0].String())
	return out, true
}

// callPopulation reads a population of calls: from and to may hold
// placeholders, from may name a group (GROUP[*]: member i%size calls), and
// at may be a window FROM..TO over which the calls are spread evenly.
func (l *loader) callPopulation(item ast.Node, runLength time.Duration, reg *registry) ([]Call, bool) {
	p, ok := l.readPopulation(item, "calls", callKeys, []string{"from", "to"}, false)
	if !ok {
		return nil, false
	}
	var window *Window
	node := p.node
	if f, ok := p.m.get("at"); ok {
		if n, _ := l.unwrap(f.value); n != nil {
			if s, _ := scalarText(n); strings.Contains(s, "..") {
				w, ok := l.window(f)
				if !ok {
					return nil, false
				}
				if w.To > runLength {
					l.errorf(l.valuePos(f, f.value), "at %s ends after the end of the run (duration %s)", w, runLength)
					return nil, false
				}
				window = &w
				node = p.with("at", w.From.String())
			}
		}
	}
	var fromGroup string
	var fromPos Pos
	if f, ok := p.m.get("from"); ok {
		fromPos = l.valuePos(f, f.value)
		if s, _ := scalarText(f.value); strings.HasSuffix(s, "[*]") {
			fromGroup = strings.TrimSuffix(s, "[*]")
			q := *p
			q.node = node
			node = q.with("from", fromGroup) // checked as a name; the group is resolved below
		}
	}
	s := l.sub()
	tmpl, ok := s.call(node, runLength, newRegistry())
	if !l.adopt(s) || !ok {
		return nil, false
	}
	var from []string
	if fromGroup != "" {
		g := reg.groups[fromGroup]
		if g == nil || g.Kind != "device" {
			l.errorf(fromPos, "from %s[*] names no group of devices%s", fromGroup, didYouMean(fromGroup, sortedGroups(reg, "device")))
			return nil, false
		}
		from = g.Members
	}
	varies := p.patterns["from"].varies()
	if from == nil && !varies {
		reg.refer("device", tmpl.From, fromPos)
	}
	calls := make([]Call, p.count)
	for i := range calls {
		c := tmpl
		if from != nil {
			c.From = from[i%len(from)]
		} else if varies {
			c.From, _ = p.expand("from", i)
			reg.refer("device", c.From, fromPos)
		}
		if v, ok := p.expand("to", i); ok {
			c.To = v
		}
		if window != nil {
			c.At = spread(*window, i, p.count)
		}
		calls[i] = c
	}
	return calls, true
}

// sortedGroups names the groups of a kind, for suggestions.
func sortedGroups(reg *registry, kind string) []string {
	var names []string
	for n, g := range reg.groups {
		if g.Kind == kind {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// actionPopulation reads a population of actions: device and user may hold
// placeholders or name a group (GROUP[*]: member i%size), and at may be a
// window FROM..TO over which the actions are spread evenly.
func (l *loader) actionPopulation(item ast.Node, runLength time.Duration, pbxs []PBX, reg *registry) ([]Action, bool) {
	p, ok := l.readPopulation(item, "actions", actionKeys, []string{"device", "user"}, false)
	if !ok {
		return nil, false
	}
	node := p.node
	var window *Window
	if f, ok := p.m.get("at"); ok {
		if n, _ := l.unwrap(f.value); n != nil {
			if s, _ := scalarText(n); strings.Contains(s, "..") {
				w, ok := l.window(f)
				if !ok {
					return nil, false
				}
				if w.To > runLength {
					l.errorf(l.valuePos(f, f.value), "at %s ends after the end of the run (duration %s)", w, runLength)
					return nil, false
				}
				window = &w
				node = p.with("at", w.From.String())
			}
		}
	}
	members := map[string][]string{}
	for _, key := range []string{"device", "user"} {
		f, ok := p.m.get(key)
		if !ok {
			continue
		}
		s, _ := scalarText(f.value)
		group, isGroup := strings.CutSuffix(s, "[*]")
		if !isGroup {
			continue
		}
		g := reg.groups[group]
		if g == nil || g.Kind != key {
			l.errorf(l.valuePos(f, f.value), "%s %s[*] names no group of %ss%s", key, group, key, didYouMean(group, sortedGroups(reg, key)))
			return nil, false
		}
		members[key] = g.Members
		q := *p
		q.node = node
		node = q.with(key, g.Members[0])
	}
	s := l.sub()
	tmpl, ok := s.action(node, runLength, pbxs, newRegistry())
	if !l.adopt(s) || !ok {
		return nil, false
	}
	actions := make([]Action, p.count)
	for i := range actions {
		a := tmpl
		for key, dst := range map[string]*string{"device": &a.Device, "user": &a.User} {
			if m := members[key]; m != nil {
				*dst = m[i%len(m)]
			} else if v, ok := p.expand(key, i); ok && p.patterns[key].varies() {
				*dst = v
				reg.refer(key, v, p.pos)
			}
		}
		if window != nil {
			a.At = spread(*window, i, p.count)
		}
		actions[i] = a
	}
	for key := range map[string]bool{"device": true, "user": true} {
		if _, grouped := members[key]; !grouped && !p.patterns[key].varies() {
			if v, ok := p.expand(key, 0); ok {
				reg.refer(key, v, p.pos)
			}
		}
	}
	return actions, true
}
