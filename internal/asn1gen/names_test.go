package main

import (
	"strings"
	"testing"
)

// namesModule has a CHOICE with an extension alternative and an ENUMERATED type whose
// declared values are not in PER index order, so that the names must follow the index.
const namesModule = `N DEFINITIONS AUTOMATIC TAGS ::=
BEGIN
Top ::= SEQUENCE { ch Ch, en En }
Ch ::= CHOICE { first-alt NULL, y INTEGER(0..7), ..., securityDenial NULL }
En ::= ENUMERATED { a(2), b(0), ..., c }
END
`

// namesModel builds the model of namesModule.
func namesModel(t *testing.T) *model {
	t.Helper()
	mod, err := parseModule("n.asn", namesModule)
	if err != nil {
		t.Fatal(err)
	}
	m, err := buildModel(map[string]*Module{"N": mod}, "N", []string{"Top"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// referenceModel builds the model of the reference modules, as go generate does.
func referenceModel(t *testing.T) *model {
	t.Helper()
	mods, err := loadModules(referenceDir(t))
	if err != nil {
		t.Fatal(err)
	}
	tg := targets["h225"]
	m, err := buildModel(mods, tg.rootModule, tg.roots)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// entitiesByName indexes a model's generated types by Go name.
func entitiesByName(m *model) map[string]*entity {
	byName := map[string]*entity{}
	for _, e := range m.entities {
		byName[e.goName] = e
	}
	return byName
}

// TestValueNames checks the names the String methods return, index by index: the ASN.1
// identifiers exactly as written, "" for a CHOICE's 0 (no alternative), and PER index order
// for ENUMERATED values.
func TestValueNames(t *testing.T) {
	m := namesModel(t)
	byName := entitiesByName(m)
	tests := []struct {
		typ  string
		want []string
	}{
		{"Ch", []string{"", "first-alt", "y", "securityDenial"}},
		{"En", []string{"b", "a", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			e := byName[tc.typ]
			if e == nil {
				t.Fatalf("no type %s", tc.typ)
			}
			if got := valueNames(e.shape); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("valueNames = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestStringMethodSource checks the emitted String methods: each constant maps to its ASN.1
// name, 0 of a CHOICE to "", and any other value to the type name with the number.
func TestStringMethodSource(t *testing.T) {
	m := namesModel(t)
	byName := entitiesByName(m)
	tests := []struct {
		name string
		emit func(g *emitter)
		want []string
	}{
		{"choice", func(g *emitter) { g.choiceString(byName["Ch"]) }, []string{
			"func (c ChChoice) String() string {",
			"case 0:\nreturn \"\"\n",
			"case ChFirstAlt:\nreturn \"first-alt\"\n",
			"case ChY:\nreturn \"y\"\n",
			"case ChSecurityDenial:\nreturn \"securityDenial\"\n",
			"return \"ChChoice(\" + strconv.Itoa(int(c)) + \")\"",
		}},
		{"enumerated", func(g *emitter) { g.enumString(byName["En"]) }, []string{
			"func (v En) String() string {",
			"case EnB:\nreturn \"b\"\n",
			"case EnA:\nreturn \"a\"\n",
			"case EnC:\nreturn \"c\"\n",
			"return \"En(\" + strconv.Itoa(int(v)) + \")\"",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &emitter{m: m}
			tc.emit(g)
			src := g.b.String()
			for _, w := range tc.want {
				if !strings.Contains(src, w) {
					t.Errorf("emitted source lacks %q:\n%s", w, src)
				}
			}
		})
	}
}

// TestValueNamesOfReference checks names of the reference module's types that callers print.
func TestValueNamesOfReference(t *testing.T) {
	byName := entitiesByName(referenceModel(t))
	tests := []struct {
		typ   string
		index int
		want  string
	}{
		{"RasMessage", 0, ""},
		{"RasMessage", 4, "registrationRequest"},
		{"RasMessage", 33, "admissionConfirmSequence"},
		{"RegistrationRejectReason", 12, "securityDenial"},
		{"ReleaseCompleteReason", 14, "securityDenied"},
		{"ScreeningIndicator", 0, "userProvidedNotScreened"},
		{"ScreeningIndicator", 3, "networkProvided"},
	}
	for _, tc := range tests {
		e := byName[tc.typ]
		if e == nil {
			t.Errorf("no type %s", tc.typ)
			continue
		}
		names := valueNames(e.shape)
		if tc.index >= len(names) {
			t.Errorf("%s has %d names, want index %d", tc.typ, len(names), tc.index)
			continue
		}
		if got := names[tc.index]; got != tc.want {
			t.Errorf("%s name %d = %q, want %q", tc.typ, tc.index, got, tc.want)
		}
	}
}
