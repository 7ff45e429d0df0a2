package main

// String methods of the generated CHOICE selectors and ENUMERATED types. They give the ASN.1
// identifiers as the module spells them, which is what dissectors, logs and scenarios show,
// so that no package keeps its own copy of the names.

// valueNames returns the ASN.1 identifier of each value of a CHOICE's selector type (index 0,
// no alternative, has "") or of an ENUMERATED type (index = PER enumeration index).
func valueNames(s *shape) []string {
	switch s.kind {
	case kChoice:
		names := make([]string, 0, len(s.fields)+1)
		names = append(names, "")
		for _, f := range s.fields {
			names = append(names, f.asnName)
		}
		return names
	case kEnumerated:
		names := make([]string, 0, len(s.items))
		for _, it := range s.items {
			names = append(names, it.Name)
		}
		return names
	}
	return nil
}

// choiceString emits the String method of e's selector type XChoice. 0 (no alternative, or
// an unknown extension alternative kept raw) is ""; a value beyond the alternatives is
// shown as XChoice(n), as fmt would show the bare number's type.
func (g *emitter) choiceString(e *entity) {
	typ := e.goName + "Choice"
	g.p("// String returns the ASN.1 name of alternative c, e.g. %q for %s%s;\n// \"\" for 0 (no alternative, or an unknown extension alternative kept raw), and\n// %s(n) for a value beyond the alternatives.",
		e.shape.fields[0].asnName, e.goName, e.shape.fields[0].goName, typ)
	g.p("func (c %s) String() string {\nswitch c {", typ)
	for i, name := range valueNames(e.shape) {
		if i == 0 {
			g.p("case 0:\nreturn \"\"")
			continue
		}
		g.p("case %s%s:\nreturn %q", e.goName, e.shape.fields[i-1].goName, name)
	}
	g.p("}\nreturn %q + strconv.Itoa(int(c)) + \")\"\n}\n", typ+"(")
}

// enumString emits the String method of ENUMERATED type e: the ASN.1 identifier, or T(n) for
// an unknown extension value (which decodes to an index beyond the named ones).
func (g *emitter) enumString(e *entity) {
	typ := e.goName
	g.p("// String returns the ASN.1 identifier of v, or %s(n) for a value this version does not name.", typ)
	g.p("func (v %s) String() string {\nswitch v {", typ)
	for i, name := range valueNames(e.shape) {
		g.p("case %s%s:\nreturn %q", typ, camel(e.shape.items[i].Name), name)
	}
	g.p("}\nreturn %q + strconv.Itoa(int(v)) + \")\"\n}\n", typ+"(")
}
