package scenario

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Parse parses a scenario from src; name is the file name used in messages.
// On any problem it returns a nil File and an Errors holding all of them.
func Parse(name string, src []byte) (*File, error) {
	l := &loader{file: name}
	root, ok := l.parseYAML(src)
	if !ok {
		return nil, sortProblems(l.problems)
	}
	f := l.top(root)
	if len(l.problems) > 0 {
		ps := sortProblems(l.problems)
		if l.dropped > 0 {
			ps = append(ps, Problem{Pos: Pos{File: name, Line: 1, Col: 1},
				Message: fmt.Sprintf("and %d more problems (only the first %d are shown)", l.dropped, maxProblems)})
		}
		return nil, ps
	}
	return f, nil
}

// maxProblems bounds the problems one file reports: a population of a
// million with a mistake in its template must not print a million lines.
const maxProblems = 100

// loader walks the YAML syntax tree, collecting problems instead of
// stopping at the first.
type loader struct {
	file     string
	problems []Problem
	dropped  int // problems beyond maxProblems, counted only
}

func (l *loader) errorf(p Pos, format string, args ...any) {
	if len(l.problems) >= maxProblems {
		l.dropped++
		return
	}
	l.problems = append(l.problems, Problem{Pos: p, Message: fmt.Sprintf(format, args...)})
}

// pos is the position of a node. A block mapping's own token is its first
// colon, so the first key stands for it instead.
func (l *loader) pos(n ast.Node) Pos {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 && m.Values[0].Key != nil {
		return l.pos(m.Values[0].Key)
	}
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Key != nil {
		return l.pos(mv.Key)
	}
	if n == nil {
		return Pos{File: l.file}
	}
	if _, ok := n.(*ast.DocumentNode); ok {
		return Pos{File: l.file, Line: 1, Col: 1}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Pos{File: l.file}
	}
	return Pos{File: l.file, Line: tk.Position.Line, Col: tk.Position.Column}
}

// unwrap strips anchors and tags. Aliases are refused: they would let a
// small file expand without bound, and scenarios are short enough to spell
// out.
func (l *loader) unwrap(n ast.Node) (ast.Node, bool) {
	for range 64 {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			l.errorf(l.pos(v), "aliases (*name) are not supported in scenarios; write the value out")
			return nil, false
		default:
			return n, true
		}
	}
	l.errorf(l.pos(n), "too many nested anchors or tags")
	return nil, false
}

// field is one key of a mapping with its value.
type field struct {
	key   string
	pos   Pos // the key's position
	value ast.Node
}

// mapping is a YAML mapping read by the loader.
type mapping struct {
	pos    Pos
	fields []field
	index  map[string]int
}

func (m *mapping) get(key string) (field, bool) {
	if m == nil {
		return field{}, false
	}
	i, ok := m.index[key]
	if !ok {
		return field{}, false
	}
	return m.fields[i], true
}

func (m *mapping) has(key string) bool { _, ok := m.get(key); return ok }

// readMapping reads n as a mapping whose keys must be among allowed (nil:
// any key). A null value reads as an empty mapping. Unknown and duplicate
// keys are reported; ok is false when n is not a mapping at all.
func (l *loader) readMapping(n ast.Node, what string, allowed []string) (*mapping, bool) {
	n, ok := l.unwrap(n)
	if !ok {
		return nil, false
	}
	m := &mapping{pos: l.pos(n), index: map[string]int{}}
	if n == nil {
		return m, true
	}
	if _, isNull := n.(*ast.NullNode); isNull {
		return m, true
	}
	node, isMapping := n.(*ast.MappingNode)
	if !isMapping {
		if mv, single := n.(*ast.MappingValueNode); single {
			node = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			l.errorf(l.pos(n), "expected a mapping for %s, got %s", what, describe(n))
			return nil, false
		}
	}
	for _, mv := range node.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		keyPos := l.pos(mv.Key)
		key, isScalar := scalarText(mv.Key)
		if !isScalar {
			l.errorf(keyPos, "expected a key name, got %s", describe(mv.Key))
			continue
		}
		if first, dup := m.index[key]; dup {
			fp := m.fields[first].pos
			l.errorf(keyPos, "duplicate key %q (first at %d:%d)", key, fp.Line, fp.Col)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, key) {
			if s := didYouMean(key, allowed); s != "" {
				l.errorf(keyPos, "unknown key %q%s", key, s)
			} else {
				l.errorf(keyPos, "unknown key %q in %s; allowed: %s", key, what, strings.Join(allowed, ", "))
			}
			continue
		}
		m.index[key] = len(m.fields)
		m.fields = append(m.fields, field{key: key, pos: keyPos, value: mv.Value})
	}
	return m, true
}

// require reports each listed key missing from m.
func (l *loader) require(m *mapping, keys ...string) bool {
	ok := true
	for _, k := range keys {
		if !m.has(k) {
			l.errorf(m.pos, "missing required key %q", k)
			ok = false
		}
	}
	return ok
}

// readList reads n as a sequence; a null value is an empty list.
func (l *loader) readList(n ast.Node, what string) ([]ast.Node, bool) {
	n, ok := l.unwrap(n)
	if !ok {
		return nil, false
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.SequenceNode:
		return v.Values, true
	}
	l.errorf(l.pos(n), "expected a list for %s, got %s", what, describe(n))
	return nil, false
}

// scalarText returns the source text of a scalar (booleans normalised to
// "true"/"false", so `lost: True` compares equal to the event's "true").
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.BoolNode:
		return strconv.FormatBool(v.Value), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		tk := n.GetToken()
		if tk == nil {
			return "", false
		}
		return tk.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", false
		}
		return v.Value.Value, true
	}
	return "", false
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.AnchorNode:
		return describe(v.Value)
	case *ast.TagNode:
		return describe(v.Value)
	case *ast.AliasNode:
		return "an alias"
	}
	if s, ok := scalarText(n); ok {
		return strconv.Quote(s)
	}
	return "a " + n.Type().String()
}

// text reads a scalar as text.
func (l *loader) text(f field) (string, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return "", false
	}
	s, isScalar := scalarText(n)
	if !isScalar {
		l.errorf(l.valuePos(f, n), "expected text for %s, got %s", f.key, describe(n))
		return "", false
	}
	return s, true
}

// name reads a non-empty name.
func (l *loader) name(f field) (string, bool) {
	s, ok := l.text(f)
	if ok && strings.TrimSpace(s) == "" {
		l.errorf(l.valuePos(f, f.value), "%s must not be empty", f.key)
		return "", false
	}
	return s, ok
}

// valuePos is where a field's value is, or the key when there is no value.
func (l *loader) valuePos(f field, n ast.Node) Pos {
	if n == nil {
		return f.pos
	}
	if _, isNull := n.(*ast.NullNode); isNull {
		return f.pos
	}
	return l.pos(n)
}

// duration reads a non-negative Go duration.
func (l *loader) duration(f field) (time.Duration, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return 0, false
	}
	s, isScalar := scalarText(n)
	if !isScalar {
		l.errorf(l.valuePos(f, n), "expected a duration like 250ms for %s, got %s", f.key, describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		l.errorf(l.valuePos(f, n), "expected a duration like 250ms for %s, got %q", f.key, s)
		return 0, false
	}
	if d < 0 {
		l.errorf(l.valuePos(f, n), "%s must not be negative, got %s", f.key, s)
		return 0, false
	}
	return d, true
}

// window reads FROM..TO.
func (l *loader) window(f field) (Window, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return Window{}, false
	}
	p := l.valuePos(f, n)
	s, isScalar := scalarText(n)
	if !isScalar {
		l.errorf(p, "expected a time window like 11s..11.5s for %s, got %s", f.key, describe(n))
		return Window{}, false
	}
	fromText, toText, found := strings.Cut(s, "..")
	from, errFrom := time.ParseDuration(strings.TrimSpace(fromText))
	to, errTo := time.ParseDuration(strings.TrimSpace(toText))
	if !found || errFrom != nil || errTo != nil {
		l.errorf(p, "expected a time window like 11s..11.5s for %s, got %q", f.key, s)
		return Window{}, false
	}
	if from < 0 || to < 0 {
		l.errorf(p, "window %q must not be negative", s)
		return Window{}, false
	}
	if to < from {
		l.errorf(p, "window %q ends before it starts", s)
		return Window{}, false
	}
	return Window{From: from, To: to}, true
}

// boolean reads true or false.
func (l *loader) boolean(f field) (bool, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return false, false
	}
	if b, isBool := n.(*ast.BoolNode); isBool {
		return b.Value, true
	}
	l.errorf(l.valuePos(f, n), "expected true or false for %s, got %s", f.key, describe(n))
	return false, false
}

// integer reads a whole number in [lo, hi].
func (l *loader) integer(f field, lo, hi int64) (int64, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return 0, false
	}
	p := l.valuePos(f, n)
	if _, isInt := n.(*ast.IntegerNode); !isInt {
		l.errorf(p, "expected a whole number for %s, got %s", f.key, describe(n))
		return 0, false
	}
	s, _ := scalarText(n)
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
	switch {
	case err != nil && strings.HasPrefix(s, "-"), err == nil && v < lo && lo == 0:
		l.errorf(p, "%s must not be negative, got %s", f.key, s)
	case err != nil, v > hi:
		l.errorf(p, "%s is too large (at most %d), got %s", f.key, hi, s)
	case v < lo:
		l.errorf(p, "%s must be at least %d, got %s", f.key, lo, s)
	default:
		return v, true
	}
	return 0, false
}

// probability reads a number in [0, 1].
func (l *loader) probability(f field) (float64, bool) {
	n, ok := l.unwrap(f.value)
	if !ok {
		return 0, false
	}
	p := l.valuePos(f, n)
	s, isScalar := scalarText(n)
	var v float64
	var err error
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		v, err = strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	default:
		err = errors.New("not a number")
	}
	if err != nil || !isScalar {
		l.errorf(p, "expected a probability between 0 and 1 for %s, got %s", f.key, describe(n))
		return 0, false
	}
	if math.IsNaN(v) || v < 0 || v > 1 {
		l.errorf(p, "%s is a probability and must be between 0 and 1, got %s", f.key, s)
		return 0, false
	}
	return v, true
}

// enum reads one of the allowed words.
func (l *loader) enum(f field, allowed ...string) (string, bool) {
	s, ok := l.text(f)
	if !ok {
		return "", false
	}
	if slices.Contains(allowed, s) {
		return s, true
	}
	l.errorf(l.valuePos(f, f.value), "unknown %s %q%s; allowed: %s", f.key, s, didYouMean(s, allowed), strings.Join(allowed, ", "))
	return "", false
}

// Optional-key helpers: each sets *dst only when the key is present and
// valid, so defaults stay in place otherwise.

func (l *loader) optText(m *mapping, key string, dst *string) {
	if f, ok := m.get(key); ok {
		if v, ok := l.text(f); ok {
			*dst = v
		}
	}
}

func (l *loader) optTextPtr(m *mapping, key string) *string {
	f, ok := m.get(key)
	if !ok {
		return nil
	}
	v, ok := l.text(f)
	if !ok {
		return nil
	}
	return &v
}

func (l *loader) optDuration(m *mapping, key string, dst *time.Duration) {
	if f, ok := m.get(key); ok {
		if v, ok := l.duration(f); ok {
			*dst = v
		}
	}
}

func (l *loader) optBool(m *mapping, key string, dst *bool) {
	if f, ok := m.get(key); ok {
		if v, ok := l.boolean(f); ok {
			*dst = v
		}
	}
}

func (l *loader) optProbability(m *mapping, key string, dst *float64) {
	if f, ok := m.get(key); ok {
		if v, ok := l.probability(f); ok {
			*dst = v
		}
	}
}

// optChoice reads a two-valued word (allowed|denied, open|blocked, ...) as a boolean.
func (l *loader) optChoice(m *mapping, key, yes, no string, dst *bool) {
	if f, ok := m.get(key); ok {
		if v, ok := l.enum(f, yes, no); ok {
			*dst = v == yes
		}
	}
}
