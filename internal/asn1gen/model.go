package main

import (
	"fmt"
	"sort"
	"strings"
)

// shapeKind is the encoding-relevant form of a resolved type.
type shapeKind int

const (
	kNamed shapeKind = iota // a reference to a generated Go type (entity)
	kSequence
	kChoice
	kSequenceOf
	kEnumerated
	kInteger
	kBoolean
	kNull
	kBitString
	kOctetString
	kString
	kOID
	kOpenType
)

// shape is a type after name resolution and parameter substitution, with its effective
// PER-visible constraints.
type shape struct {
	kind    shapeKind
	ent     *entity // kNamed
	strKind string  // kString: ASN.1 type name
	from    string  // kString: permitted alphabet
	size    *Range  // kString, kOctetString, kBitString, kSequenceOf
	rng     *Range  // kInteger
	elem    *shape  // kSequenceOf element, kOpenType contents
	fields  []*field
	ext     bool
	items   []EnumItem // kEnumerated: root items in PER index order, then additions
	nroot   int        // kEnumerated: number of root items
}

// field is a SEQUENCE component or CHOICE alternative.
type field struct {
	asnName   string
	goName    string
	shape     *shape
	optional  bool // OPTIONAL, or any SEQUENCE extension addition (an older sender omits it)
	extension bool
}

// entity is a generated Go named type.
type entity struct {
	key    string
	goName string
	origin string // ASN.1 origin for the doc comment
	module *Module
	shape  *shape // the definition; kNamed means a Go alias of another entity

	// naming: top-level entities have asnName; inline ones a parent and component name.
	asnName   string
	parent    *entity
	component string
	suffix    string // "Item" for the element of a top-level SEQUENCE OF
}

type model struct {
	mods     map[string]*Module
	byKey    map[string]*entity
	entities []*entity // creation order (deterministic: depth-first in source order)
	roots    []*entity
	root     *Module
}

var modulePrefix = map[string]string{
	"H323-MESSAGES":             "",
	"H235-SECURITY-MESSAGES":    "H235",
	"MULTIMEDIA-SYSTEM-CONTROL": "H245",
}

func buildModel(mods map[string]*Module, rootModule string, roots []string) (*model, error) {
	m := &model{mods: mods, byKey: map[string]*entity{}, root: mods[rootModule]}
	if m.root == nil {
		return nil, fmt.Errorf("module %s not found", rootModule)
	}
	for _, r := range roots {
		s, err := m.resolveRef(&Type{Kind: TRef, Ref: r}, m.root, nil)
		if err != nil {
			return nil, err
		}
		m.roots = append(m.roots, s.ent)
	}
	if err := m.assignNames(); err != nil {
		return nil, err
	}
	return m, nil
}

// resolveRef finds the entity a reference denotes, creating it on first use.
func (m *model) resolveRef(t *Type, mod *Module, env map[string]*shape) (*shape, error) {
	if s, ok := env[t.Ref]; ok {
		if len(t.Args) > 0 {
			return nil, fmt.Errorf("%s:%d: parameter %s used with arguments", mod.File, t.Line, t.Ref)
		}
		return s, nil
	}
	defMod := mod
	a := mod.Assignments[t.Ref]
	if a == nil {
		from, ok := mod.Imports[t.Ref]
		if !ok {
			return nil, fmt.Errorf("%s:%d: undefined type %s", mod.File, t.Line, t.Ref)
		}
		defMod = m.mods[from]
		if defMod == nil {
			return nil, fmt.Errorf("%s:%d: module %s (for %s) not loaded", mod.File, t.Line, from, t.Ref)
		}
		if a = defMod.Assignments[t.Ref]; a == nil {
			return nil, fmt.Errorf("%s: %s is not defined in %s", mod.File, t.Ref, from)
		}
	}
	if len(a.Params) != len(t.Args) {
		return nil, fmt.Errorf("%s:%d: %s takes %d parameters, got %d", mod.File, t.Line, t.Ref, len(a.Params), len(t.Args))
	}
	key := defMod.Name + "." + a.Name
	var bind map[string]*shape
	var argNames []string
	if len(a.Params) > 0 {
		bind = map[string]*shape{}
		for i, arg := range t.Args {
			s, err := m.resolve(arg, mod, env, nil, "")
			if err != nil {
				return nil, err
			}
			if s.kind != kNamed {
				return nil, fmt.Errorf("%s:%d: only named types are supported as actual parameters", mod.File, t.Line)
			}
			bind[a.Params[i]] = s
			argNames = append(argNames, s.ent.key)
		}
		key += "{" + strings.Join(argNames, ",") + "}"
	}
	if c := t.Constraint; c.Range != nil || c.Size != nil || c.From != "" {
		// A further constrained simple type (TBCD-STRING(SIZE (3..16))) is used inline with
		// the combined constraints.
		u := *t
		u.Constraint = Constraint{}
		named, err := m.resolveRef(&u, mod, env)
		if err != nil {
			return nil, err
		}
		base := named
		for base.kind == kNamed {
			base = base.ent.shape
		}
		cp := *base
		switch {
		case cp.kind == kInteger && c.Size == nil && c.From == "":
			cp.rng = c.Range
		case (cp.kind == kString || cp.kind == kOctetString || cp.kind == kBitString) && c.Range == nil:
			if c.Size != nil {
				cp.size = c.Size
			}
			if c.From != "" {
				cp.from = c.From
			}
		default:
			return nil, fmt.Errorf("%s:%d: constraint on a reference to %s is not supported", mod.File, t.Line, t.Ref)
		}
		return &cp, nil
	}
	if e, ok := m.byKey[key]; ok {
		return &shape{kind: kNamed, ent: e}, nil
	}
	e := &entity{key: key, module: defMod, asnName: a.Name, origin: defMod.Name + "." + a.Name}
	if len(a.Params) > 0 {
		e.origin = defMod.Name + "." + a.Name + "{" + strings.Join(argNames, ", ") + "}"
	}
	m.byKey[key] = e
	m.entities = append(m.entities, e)
	s, err := m.resolve(a.Type, defMod, bind, e, "")
	if err != nil {
		return nil, err
	}
	e.shape = s
	return &shape{kind: kNamed, ent: e}, nil
}

// resolve turns a type as written into a shape. owner and component name the place of an
// inline type; constructed inline types become entities of their own.
func (m *model) resolve(t *Type, mod *Module, env map[string]*shape, owner *entity, component string) (*shape, error) {
	inline := func(build func(e *entity) (*shape, error)) (*shape, error) {
		if owner != nil && owner.shape == nil && component == "" {
			// the definition of a top-level assignment itself
			return build(owner)
		}
		e := &entity{parent: owner, component: component, module: mod, key: fmt.Sprintf("%s/%s#%d", owner.key, component, len(m.entities))}
		e.origin = owner.origin + "." + component
		m.entities = append(m.entities, e)
		s, err := build(e)
		if err != nil {
			return nil, err
		}
		e.shape = s
		return &shape{kind: kNamed, ent: e}, nil
	}
	c := t.Constraint
	switch t.Kind {
	case TRef:
		return m.resolveRef(t, mod, env)
	case TSequence, TSet, TChoice:
		return inline(func(e *entity) (*shape, error) {
			s := &shape{kind: kSequence, ext: t.Extensible}
			if t.Kind == TChoice {
				s.kind = kChoice
			}
			for _, comp := range t.Components {
				fs, err := m.resolve(comp.Type, mod, env, e, comp.Name)
				if err != nil {
					return nil, err
				}
				f := &field{asnName: comp.Name, goName: camel(comp.Name), shape: fs, optional: comp.Optional, extension: comp.Extension}
				if t.Kind != TChoice && comp.Extension {
					f.optional = true
				}
				s.fields = append(s.fields, f)
			}
			return s, nil
		})
	case TSequenceOf, TSetOf:
		build := func(e *entity, comp string) (*shape, error) {
			el, err := m.resolve(t.Elem, mod, env, e, comp)
			if err != nil {
				return nil, err
			}
			return &shape{kind: kSequenceOf, elem: el, size: c.Size}, nil
		}
		if owner != nil && owner.shape == nil && component == "" {
			return build(owner, "Item") // an inline element of a top-level SEQUENCE OF
		}
		return build(owner, component)
	case TEnumerated:
		return inline(func(e *entity) (*shape, error) {
			s := &shape{kind: kEnumerated, ext: t.Extensible}
			for _, it := range t.Items {
				if !it.Extension {
					s.items = append(s.items, it)
				}
			}
			sort.SliceStable(s.items, func(i, j int) bool { return s.items[i].Value < s.items[j].Value })
			s.nroot = len(s.items)
			for _, it := range t.Items {
				if it.Extension {
					s.items = append(s.items, it)
				}
			}
			return s, nil
		})
	case TOpenType:
		return inline(func(e *entity) (*shape, error) {
			inner, err := m.resolve(t.Elem, mod, env, e, "Value")
			if err != nil {
				return nil, err
			}
			return &shape{kind: kOpenType, elem: inner}, nil
		})
	case TInteger:
		return &shape{kind: kInteger, rng: c.Range}, nil
	case TBoolean:
		return &shape{kind: kBoolean}, nil
	case TNull:
		return &shape{kind: kNull}, nil
	case TBitString:
		return &shape{kind: kBitString, size: c.Size}, nil
	case TOctetString:
		return &shape{kind: kOctetString, size: c.Size}, nil
	case TObjectIdentifier:
		return &shape{kind: kOID}, nil
	case TString:
		switch t.StringType {
		case "IA5String", "NumericString", "PrintableString", "VisibleString", "BMPString":
		case "GeneralString":
			// Not a known-multiplier character string (X.691 30.3): its octets are encoded as
			// an unconstrained octet string, and no constraint on it is PER-visible.
			return &shape{kind: kString, strKind: t.StringType}, nil
		default:
			return nil, fmt.Errorf("%s:%d: %s is not supported", mod.File, t.Line, t.StringType)
		}
		return &shape{kind: kString, strKind: t.StringType, from: c.From, size: c.Size}, nil
	}
	return nil, fmt.Errorf("%s:%d: unsupported type", mod.File, t.Line)
}

// camel turns an ASN.1 name into a Go identifier: hyphen-separated parts are capitalized and
// joined ("h323-ID" -> "H323ID", "requestSeqNum" -> "RequestSeqNum").
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// assignNames gives every entity its Go name: H.225.0 names as they are, an H.235/H.245 name
// prefixed by its module only when another reachable module has the same name; parameterized
// instances are named for the parameterized type and the argument (HashedEncodedGeneralToken);
// inline types are named for their parent and component.
func (m *model) assignNames() error {
	modsOf := map[string]map[string]bool{}
	for _, e := range m.entities {
		if e.parent == nil {
			modsOf[camel(e.asnName)] = setAdd(modsOf[camel(e.asnName)], e.module.Name)
		}
	}
	taken := map[string]string{}
	claim := func(name, what string) error {
		if prev, ok := taken[name]; ok {
			return fmt.Errorf("Go name %s is used by %s and %s", name, prev, what)
		}
		taken[name] = what
		return nil
	}
	for _, e := range m.entities {
		if e.parent != nil || strings.IndexByte(e.key, '{') >= 0 {
			continue
		}
		e.goName = camel(e.asnName)
		if len(modsOf[e.goName]) > 1 && e.module.Name != m.root.Name {
			e.goName = modulePrefix[e.module.Name] + e.goName
		}
	}
	// Parameterized instances are named after the parameterized type and their arguments.
	for _, e := range m.entities {
		if i := strings.IndexByte(e.key, '{'); i >= 0 && e.parent == nil {
			e.goName = strings.ToUpper(e.asnName[:1]) + strings.ToLower(e.asnName[1:])
			for _, arg := range strings.Split(e.key[i+1:len(e.key)-1], ",") {
				e.goName += m.byKey[arg].goName
			}
		}
	}
	for _, e := range m.entities {
		if e.parent == nil {
			if err := claim(e.goName, e.origin); err != nil {
				return err
			}
		}
	}
	// In creation order a parent precedes its inline types, so a CHOICE's constants
	// (RasMessageRegistrationRequest) are claimed before an inline alternative type that would
	// take the same name; that type gets the suffix "Type".
	for _, e := range m.entities {
		if e.parent != nil {
			e.goName = e.parent.goName + camel(e.component)
			if _, clash := taken[e.goName]; clash {
				e.goName += "Type"
			}
			if err := claim(e.goName, e.origin); err != nil {
				return err
			}
		}
		switch e.shape.kind {
		case kChoice:
			if err := claim(e.goName+"Choice", e.origin+" choice type"); err != nil {
				return err
			}
			for _, f := range e.shape.fields {
				if err := claim(e.goName+f.goName, e.origin+"."+f.asnName+" constant"); err != nil {
					return err
				}
			}
		case kEnumerated:
			for _, it := range e.shape.items {
				if err := claim(e.goName+camel(it.Name), e.origin+"."+it.Name+" constant"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func setAdd(s map[string]bool, v string) map[string]bool {
	if s == nil {
		s = map[string]bool{}
	}
	s[v] = true
	return s
}
