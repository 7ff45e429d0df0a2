package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

type parser struct {
	toks []token
	pos  int
	file string
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) peekAt(n int) token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}
func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tokIdent || t.kind == tokPunct) && t.text == text
}
func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.next()
		return true
	}
	return false
}
func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s (at %v)", p.file, p.peek().line, fmt.Sprintf(format, args...), p.peek())
}
func (p *parser) expect(text string) error {
	if !p.accept(text) {
		return p.errf("expected %q", text)
	}
	return nil
}
func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind != tokIdent {
		return "", p.errf("expected a name")
	}
	p.next()
	return t.text, nil
}

// skipBalanced skips a bracketed group starting at the current opening token.
func (p *parser) skipBalanced(open, close string) error {
	if err := p.expect(open); err != nil {
		return err
	}
	for depth := 1; depth > 0; {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return p.errf("unbalanced %q", open)
		case t.kind == tokPunct && t.text == open:
			depth++
		case t.kind == tokPunct && t.text == close:
			depth--
		}
	}
	return nil
}

// parseModule parses one module definition; whatever follows END (the trailer) is ignored.
func parseModule(file, src string) (*Module, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	p := &parser{toks: toks, file: file}
	m := &Module{File: file, Imports: map[string]string{}, Assignments: map[string]*Assignment{}}
	if m.Name, err = p.ident(); err != nil {
		return nil, err
	}
	if p.is("{") {
		if err := p.skipBalanced("{", "}"); err != nil {
			return nil, err
		}
	}
	if err := p.expect("DEFINITIONS"); err != nil {
		return nil, err
	}
	for !p.is("::=") {
		if p.peek().kind == tokEOF {
			return nil, p.errf("missing ::=")
		}
		p.next() // tagging and extensibility defaults
	}
	p.next()
	if err := p.expect("BEGIN"); err != nil {
		return nil, err
	}
	if p.accept("EXPORTS") {
		for !p.accept(";") {
			if p.peek().kind == tokEOF {
				return nil, p.errf("unterminated EXPORTS")
			}
			p.next()
		}
	}
	if p.accept("IMPORTS") {
		if err := p.parseImports(m); err != nil {
			return nil, err
		}
	}
	for !p.is("END") {
		if p.peek().kind == tokEOF {
			return nil, p.errf("missing END")
		}
		a, err := p.parseAssignment()
		if err != nil {
			return nil, err
		}
		if _, dup := m.Assignments[a.Name]; dup {
			return nil, fmt.Errorf("%s:%d: %s assigned twice", file, a.Line, a.Name)
		}
		m.Assignments[a.Name] = a
		m.Order = append(m.Order, a.Name)
	}
	return m, nil
}

func (p *parser) parseImports(m *Module) error {
	var pending []string
	for {
		if p.accept(";") {
			if len(pending) > 0 {
				return p.errf("imported symbols without FROM")
			}
			return nil
		}
		if p.accept("FROM") {
			mod, err := p.ident()
			if err != nil {
				return err
			}
			if p.is("{") {
				if err := p.skipBalanced("{", "}"); err != nil {
					return err
				}
			}
			for _, s := range pending {
				m.Imports[s] = mod
			}
			pending = pending[:0]
			continue
		}
		name, err := p.ident()
		if err != nil {
			return err
		}
		if p.accept("{") { // a parameterized reference is imported as Name{}
			if err := p.expect("}"); err != nil {
				return err
			}
		}
		pending = append(pending, name)
		p.accept(",")
	}
}

func (p *parser) parseAssignment() (*Assignment, error) {
	line := p.peek().line
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	if !isUpper(name) {
		return nil, fmt.Errorf("%s:%d: value assignment %s is not supported", p.file, line, name)
	}
	a := &Assignment{Name: name, Line: line}
	if p.accept("{") {
		for !p.accept("}") {
			param, err := p.ident()
			if err != nil {
				return nil, err
			}
			a.Params = append(a.Params, param)
			p.accept(",")
		}
	}
	if err := p.expect("::="); err != nil {
		return nil, err
	}
	if a.Type, err = p.parseType(); err != nil {
		return nil, err
	}
	return a, nil
}

func isUpper(s string) bool { return s != "" && s[0] >= 'A' && s[0] <= 'Z' }

var restrictedStrings = map[string]bool{
	"IA5String": true, "NumericString": true, "PrintableString": true, "VisibleString": true,
	"BMPString": true, "GeneralString": true, "UTF8String": true, "GraphicString": true,
	"TeletexString": true, "UniversalString": true, "ISO646String": true,
}

func (p *parser) parseType() (*Type, error) {
	for p.is("[") { // tags are implied by AUTOMATIC TAGS and not PER-visible
		if err := p.skipBalanced("[", "]"); err != nil {
			return nil, err
		}
	}
	t := &Type{Line: p.peek().line}
	tok := p.peek()
	if tok.kind != tokIdent {
		return nil, p.errf("expected a type")
	}
	p.next()
	var err error
	switch tok.text {
	case "SEQUENCE", "SET":
		t.Kind = TSequence
		if tok.text == "SET" {
			t.Kind = TSet
		}
		if p.is("{") {
			t.Components, t.Extensible, err = p.parseComponents()
			return t, p.wrap(err, t)
		}
		if p.accept("SIZE") {
			c, err := p.parseConstraintBody()
			if err != nil {
				return nil, err
			}
			t.Constraint.Size = c.rng
		} else if p.is("(") {
			if err := p.parseConstraintsInto(&t.Constraint); err != nil {
				return nil, err
			}
		}
		if err := p.expect("OF"); err != nil {
			return nil, err
		}
		t.Kind = TSequenceOf
		if tok.text == "SET" {
			t.Kind = TSetOf
		}
		if p.peek().kind == tokIdent && !isUpper(p.peek().text) && p.peekAt(1).kind == tokIdent {
			p.next() // SEQUENCE OF name Type
		}
		if t.Elem, err = p.parseType(); err != nil {
			return nil, err
		}
		return t, nil
	case "CHOICE":
		t.Kind = TChoice
		t.Components, t.Extensible, err = p.parseComponents()
		if err != nil {
			return nil, err
		}
	case "ENUMERATED":
		t.Kind = TEnumerated
		if err := p.parseEnumItems(t); err != nil {
			return nil, err
		}
	case "INTEGER":
		t.Kind = TInteger
		if p.is("{") { // named numbers are not PER-visible
			if err := p.skipBalanced("{", "}"); err != nil {
				return nil, err
			}
		}
	case "BOOLEAN":
		t.Kind = TBoolean
	case "NULL":
		t.Kind = TNull
	case "BIT":
		if err := p.expect("STRING"); err != nil {
			return nil, err
		}
		t.Kind = TBitString
		if p.is("{") { // named bits
			if err := p.skipBalanced("{", "}"); err != nil {
				return nil, err
			}
		}
	case "OCTET":
		if err := p.expect("STRING"); err != nil {
			return nil, err
		}
		t.Kind = TOctetString
	case "OBJECT":
		if err := p.expect("IDENTIFIER"); err != nil {
			return nil, err
		}
		t.Kind = TObjectIdentifier
	case "TYPE-IDENTIFIER":
		if err := p.expect("."); err != nil {
			return nil, err
		}
		if f := p.next(); f.kind != tokField || f.text != "&Type" {
			return nil, p.errf("only TYPE-IDENTIFIER.&Type is supported")
		}
		t.Kind = TOpenType
		if err := p.expect("("); err != nil {
			return nil, err
		}
		if t.Elem, err = p.parseType(); err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	default:
		if restrictedStrings[tok.text] {
			t.Kind = TString
			t.StringType = tok.text
			break
		}
		if !isUpper(tok.text) {
			return nil, fmt.Errorf("%s:%d: expected a type, got %q", p.file, tok.line, tok.text)
		}
		t.Kind = TRef
		t.Ref = tok.text
		if p.accept("{") {
			for !p.accept("}") {
				arg, err := p.parseType()
				if err != nil {
					return nil, err
				}
				t.Args = append(t.Args, arg)
				p.accept(",")
			}
		}
	}
	if err := p.parseConstraintsInto(&t.Constraint); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *parser) wrap(err error, t *Type) error {
	if err != nil {
		return err
	}
	return p.parseConstraintsInto(&t.Constraint)
}

func (p *parser) parseComponents() ([]*Component, bool, error) {
	if err := p.expect("{"); err != nil {
		return nil, false, err
	}
	var comps []*Component
	extensible, inExt := false, false
	for !p.accept("}") {
		if p.accept("...") {
			if p.accept("!") { // exception specification
				p.next()
			}
			if extensible {
				inExt = false // second "..." ends the additions; later components join the root
			} else {
				extensible, inExt = true, true
			}
			p.accept(",")
			continue
		}
		if p.is("[[") {
			return nil, false, p.errf("extension addition groups are not supported")
		}
		name, err := p.ident()
		if err != nil {
			return nil, false, err
		}
		c := &Component{Name: name, Extension: inExt}
		if c.Type, err = p.parseType(); err != nil {
			return nil, false, err
		}
		if p.accept("OPTIONAL") {
			c.Optional = true
		} else if p.accept("DEFAULT") {
			return nil, false, p.errf("DEFAULT values are not supported")
		}
		comps = append(comps, c)
		if !p.accept(",") && !p.is("}") {
			return nil, false, p.errf("expected , or }")
		}
	}
	return comps, extensible, nil
}

func (p *parser) parseEnumItems(t *Type) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	inExt := false
	next := int64(0)
	used := map[int64]bool{}
	for !p.accept("}") {
		if p.accept("...") {
			t.Extensible, inExt = true, true
			p.accept(",")
			continue
		}
		name, err := p.ident()
		if err != nil {
			return err
		}
		it := EnumItem{Name: name, Extension: inExt}
		if p.accept("(") {
			neg := p.accept("-")
			n, err := strconv.ParseInt(p.next().text, 10, 64)
			if err != nil {
				return p.errf("bad enumeration number")
			}
			if neg {
				n = -n
			}
			it.Value, it.Explicit = n, true
			if err := p.expect(")"); err != nil {
				return err
			}
		}
		t.Items = append(t.Items, it)
		if it.Explicit {
			used[it.Value] = true
		}
		p.accept(",")
	}
	// Items without a number take the smallest unused ones (X.680 20.3), in order.
	for i := range t.Items {
		if t.Items[i].Explicit {
			continue
		}
		for used[next] {
			next++
		}
		t.Items[i].Value = next
		used[next] = true
	}
	return nil
}

// cset is the PER-visible reading of a constraint expression.
type cset struct {
	rng     *Range
	size    *Range
	from    map[rune]bool
	ignored bool // not PER-visible (CONSTRAINED BY, WITH COMPONENTS, ...)
}

func (p *parser) parseConstraintsInto(c *Constraint) error {
	for p.is("(") {
		cs, err := p.parseConstraintBody()
		if err != nil {
			return err
		}
		if cs.rng != nil {
			c.Range = cs.rng
		}
		if cs.size != nil {
			c.Size = cs.size
		}
		if cs.from != nil {
			c.From = alphabet(cs.from)
		}
	}
	return nil
}

func alphabet(set map[rune]bool) string {
	rs := make([]rune, 0, len(set))
	for r := range set {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return string(rs)
}

// parseConstraintBody parses "( ElementSetSpecs )" (X.680 46).
func (p *parser) parseConstraintBody() (cset, error) {
	if err := p.expect("("); err != nil {
		return cset{}, err
	}
	c, err := p.parseUnion()
	if err != nil {
		return c, err
	}
	if p.accept(",") {
		if err := p.expect("..."); err != nil {
			return c, err
		}
		if c.rng != nil {
			c.rng.Ext = true
		}
		if p.accept(",") { // additional elements are outside the root: not PER-visible
			if _, err := p.parseUnion(); err != nil {
				return c, err
			}
		}
	}
	return c, p.expect(")")
}

func (p *parser) parseUnion() (cset, error) {
	c, err := p.parseIntersection()
	for err == nil && (p.is("|") || p.is("UNION")) {
		p.next()
		var o cset
		if o, err = p.parseIntersection(); err == nil {
			c = unionSets(c, o)
		}
	}
	return c, err
}

func (p *parser) parseIntersection() (cset, error) {
	c, err := p.parseElement()
	for err == nil && (p.is("^") || p.is("INTERSECTION")) {
		p.next()
		var o cset
		if o, err = p.parseElement(); err == nil {
			if o.rng != nil {
				c.rng = o.rng
			}
			if o.size != nil {
				c.size = o.size
			}
			if o.from != nil {
				c.from = o.from
			}
		}
	}
	return c, err
}

func unionSets(a, b cset) cset {
	if a.rng != nil && b.rng != nil {
		r := *a.rng
		r.Lb, r.Ub = min(r.Lb, b.rng.Lb), max(r.Ub, b.rng.Ub)
		r.HasLb, r.HasUb = r.HasLb && b.rng.HasLb, r.HasUb && b.rng.HasUb
		a.rng = &r
	}
	if a.from != nil && b.from != nil {
		for r := range b.from {
			a.from[r] = true
		}
	}
	return a
}

type cvalue struct {
	num      int64
	str      string
	isStr    bool
	min, max bool
}

func (p *parser) parseValue() (cvalue, error) {
	t := p.next()
	switch {
	case t.kind == tokNumber:
		n, err := strconv.ParseInt(t.text, 10, 64)
		return cvalue{num: n}, err
	case t.kind == tokPunct && t.text == "-" && p.peek().kind == tokNumber:
		n, err := strconv.ParseInt(p.next().text, 10, 64)
		return cvalue{num: -n}, err
	case t.kind == tokString:
		return cvalue{str: t.text, isStr: true}, nil
	case t.kind == tokIdent && t.text == "MIN":
		return cvalue{min: true}, nil
	case t.kind == tokIdent && t.text == "MAX":
		return cvalue{max: true}, nil
	}
	return cvalue{}, fmt.Errorf("%s:%d: unsupported value %v in a constraint", p.file, t.line, t)
}

func (p *parser) parseElement() (cset, error) {
	switch {
	case p.is("("):
		return p.parseConstraintBody()
	case p.accept("SIZE"):
		inner, err := p.parseConstraintBody()
		if err != nil {
			return cset{}, err
		}
		return cset{size: inner.rng}, nil
	case p.accept("FROM"):
		inner, err := p.parseConstraintBody()
		if err != nil {
			return cset{}, err
		}
		if inner.from == nil {
			return cset{}, p.errf("FROM without characters")
		}
		return cset{from: inner.from}, nil
	case p.accept("CONSTRAINED"):
		if err := p.expect("BY"); err != nil {
			return cset{}, err
		}
		return cset{ignored: true}, p.skipBalanced("{", "}")
	case p.accept("WITH"):
		if p.accept("COMPONENTS") {
			return cset{ignored: true}, p.skipBalanced("{", "}")
		}
		if err := p.expect("COMPONENT"); err != nil {
			return cset{}, err
		}
		return cset{ignored: true}, p.skipBalanced("(", ")")
	}
	lo, err := p.parseValue()
	if err != nil {
		return cset{}, err
	}
	hi := lo
	if p.accept("..") {
		if hi, err = p.parseValue(); err != nil {
			return cset{}, err
		}
	}
	if lo.isStr || hi.isStr {
		set := map[rune]bool{}
		if p := lo.str; lo.isStr && hi.isStr && (lo.str != hi.str) {
			a, b := []rune(p), []rune(hi.str)
			if len(a) != 1 || len(b) != 1 {
				return cset{}, fmt.Errorf("bad character range %q..%q", lo.str, hi.str)
			}
			for r := a[0]; r <= b[0]; r++ {
				set[r] = true
			}
		} else {
			for _, r := range lo.str {
				set[r] = true
			}
		}
		return cset{from: set}, nil
	}
	r := &Range{Lb: lo.num, Ub: hi.num, HasLb: !lo.min, HasUb: !hi.max}
	return cset{rng: r}, nil
}

// typeString renders a type compactly for error messages.
func typeString(t *Type) string {
	switch t.Kind {
	case TRef:
		if len(t.Args) > 0 {
			var args []string
			for _, a := range t.Args {
				args = append(args, typeString(a))
			}
			return t.Ref + "{" + strings.Join(args, ", ") + "}"
		}
		return t.Ref
	case TString:
		return t.StringType
	}
	return fmt.Sprintf("kind %d", t.Kind)
}
