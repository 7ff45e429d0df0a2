package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	goparser "go/parser"
	gotoken "go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLexComments(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"to end of line", "A ::= INTEGER -- comment\nB", []string{"A", "::=", "INTEGER", "B"}},
		{"to next double hyphen", "A -- inner -- ::= NULL", []string{"A", "::=", "NULL"}},
		{"control byte inside", "A -- ITU\x1eT Recs --B", []string{"A", "B"}},
		{"hyphenated names", "h323-ID H323-UU-PDU", []string{"h323-ID", "H323-UU-PDU"}},
		{"name then comment", "SEQUENCE-- c -- {", []string{"SEQUENCE", "{"}},
		{"range and extension", "(0..255, ...)", []string{"(", "0", "..", "255", ",", "...", ")"}},
		{"field reference", "TYPE-IDENTIFIER.&Type(X)", []string{"TYPE-IDENTIFIER", ".", "&Type", "(", "X", ")"}},
		{"block comment", "A /* x /* y */ z */ B", []string{"A", "B"}},
		{"string with quote", `"a""b"`, []string{`a"b`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks, err := lex(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tk := range toks[:len(toks)-1] {
				got = append(got, tk.text)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

const testModule = `M DEFINITIONS AUTOMATIC TAGS ::=
BEGIN
IMPORTS X FROM N {itu-t(0) 1};
Digits ::= IA5String(SIZE (1..128))(FROM ("0123456789#*,"))
Dtmf ::= IA5String(SIZE (1) ^ FROM ("0123456789#*ABCD!"))
Std ::= INTEGER(0..16383, ...)
Big ::= INTEGER(1..MAX)
Seq ::= SEQUENCE {
  a  INTEGER(0..255),
  b  SEQUENCE SIZE (1..4) OF Digits OPTIONAL,
  ...,
  c  NULL OPTIONAL,
  d  BOOLEAN
} (WITH COMPONENTS {..., a PRESENT})
Ch ::= CHOICE { x NULL, y Std, ... }
En ::= ENUMERATED { a(2), b(0), ..., c }
P{T} ::= SEQUENCE { t T }(CONSTRAINED BY { -- T -- })
Q ::= P{Seq}
O ::= TYPE-IDENTIFIER.&Type(Seq -- comment --)
END
-- trailer after END
`

func TestParseModule(t *testing.T) {
	m, err := parseModule("m.asn", testModule)
	if err != nil {
		t.Fatal(err)
	}
	if m.Imports["X"] != "N" {
		t.Errorf("imports %v", m.Imports)
	}
	get := func(name string) *Type {
		a := m.Assignments[name]
		if a == nil {
			t.Fatalf("%s not parsed", name)
		}
		return a.Type
	}
	if c := get("Digits").Constraint; c.Size == nil || c.Size.Lb != 1 || c.Size.Ub != 128 || c.From != "#*,0123456789" {
		t.Errorf("Digits constraint %+v %+v", c, c.Size)
	}
	if c := get("Dtmf").Constraint; c.Size == nil || c.Size.Ub != 1 || c.From != "!#*0123456789ABCD" {
		t.Errorf("Dtmf constraint %+v", c)
	}
	if r := get("Std").Constraint.Range; r == nil || !r.Ext || r.Ub != 16383 {
		t.Errorf("Std range %+v", r)
	}
	if r := get("Big").Constraint.Range; r == nil || r.HasUb || !r.HasLb {
		t.Errorf("Big range %+v", r)
	}
	seq := get("Seq")
	if !seq.Extensible || len(seq.Components) != 4 || !seq.Components[1].Optional || seq.Components[1].Type.Kind != TSequenceOf ||
		seq.Components[1].Type.Constraint.Size.Ub != 4 || !seq.Components[2].Extension || !seq.Components[3].Extension {
		t.Errorf("Seq parsed as %+v", seq)
	}
	en := get("En")
	if len(en.Items) != 3 || en.Items[0].Value != 2 || en.Items[1].Value != 0 || en.Items[2].Value != 1 || !en.Items[2].Extension {
		t.Errorf("En items %+v", en.Items)
	}
	if a := m.Assignments["P"]; len(a.Params) != 1 || a.Params[0] != "T" {
		t.Errorf("P params %+v", a.Params)
	}
	if q := get("Q"); q.Kind != TRef || len(q.Args) != 1 || q.Args[0].Ref != "Seq" {
		t.Errorf("Q = %s", typeString(q))
	}
	if o := get("O"); o.Kind != TOpenType || o.Elem.Ref != "Seq" {
		t.Errorf("O = %+v", o)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src string }{
		{"no END", "M DEFINITIONS ::= BEGIN A ::= NULL"},
		{"DEFAULT", "M DEFINITIONS ::= BEGIN A ::= SEQUENCE { a INTEGER DEFAULT 1 } END"},
		{"unterminated string", `M DEFINITIONS ::= BEGIN A ::= IA5String(FROM ("ab)) END`},
		{"twice", "M DEFINITIONS ::= BEGIN A ::= NULL A ::= NULL END"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseModule("m.asn", tc.src); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"requestSeqNum": "RequestSeqNum", "h323-ID": "H323ID", "H323-UserInformation": "H323UserInformation",
		"H323-UU-PDU": "H323UUPDU", "Setup-UUIE": "SetupUUIE",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

// referenceDir returns ../shared/reference (from the repository root) or skips the test;
// its absence fails in CI.
func referenceDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "..", "shared", "reference")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI", dir)
		}
		t.Skip("reference modules not available")
	}
	return dir
}

// TestModelOfReference checks the naming and scoping facts of the reference modules.
func TestModelOfReference(t *testing.T) {
	names := entitiesByName(referenceModel(t))
	for _, want := range []string{
		"RasMessage", "H323UserInformation", "NonStandardParameter", "H235NonStandardParameter",
		"H245NonStandardParameter", "HashedEncodedPwdCertToken", "SignedEncodedPwdCertToken",
		"EncryptedEncodedGeneralToken", "DataProtocolCapability", "T38FaxProfile", "QOSCapability",
	} {
		if names[want] == nil {
			t.Errorf("no type %s", want)
		}
	}
	// H.245's QOSCapability refers to H.245's NonStandardParameter (names are scoped by module).
	q := names["QOSCapability"].shape
	if f := q.fields[0]; f.shape.ent.goName != "H245NonStandardParameter" {
		t.Errorf("QOSCapability.%s is %s", f.asnName, f.shape.ent.goName)
	}
	if names["RasMessage"].shape.kind != kChoice {
		t.Error("RasMessage is not a CHOICE")
	}
}

// TestModelOfH245 checks the H.245 target: H.245 is its own root module, so its names have no
// prefix, it reaches the messages the control protocol needs, and GeneralString is a string
// encoded as an octet string.
func TestModelOfH245(t *testing.T) {
	mods, err := loadModules(referenceDir(t))
	if err != nil {
		t.Fatal(err)
	}
	tg := targets["h245"]
	m, err := buildModel(mods, tg.rootModule, tg.roots)
	if err != nil {
		t.Fatal(err)
	}
	names := entitiesByName(m)
	for _, want := range []string{
		"MultimediaSystemControlMessage", "TerminalCapabilitySet", "MasterSlaveDetermination",
		"OpenLogicalChannelAck", "H2250LogicalChannelAckParameters", "EndSessionCommand",
		"FunctionNotUnderstood", "NonStandardParameter", "TransportAddress", "UserInputIndication",
	} {
		if e := names[want]; e == nil || e.module.Name != "MULTIMEDIA-SYSTEM-CONTROL" {
			t.Errorf("no H.245 type %s", want)
		}
	}
	for name, e := range names {
		if e.parent == nil && name != camel(e.asnName) {
			t.Errorf("%s is named %s in H.245's own package, not %s", e.origin, name, camel(e.asnName))
		}
	}
	alt := names["UserInputIndication"].shape.fields[1]
	if alt.asnName != "alphanumeric" || alt.shape.kind != kString || alt.shape.strKind != "GeneralString" {
		t.Fatalf("UserInputIndication.%s is %+v", alt.asnName, alt.shape)
	}
	g := &emitter{m: m, charsets: map[string]string{}}
	if enc := g.enc(alt.shape, "x", "alphanumeric"); !strings.Contains(enc, "e.WriteOctetString([]byte(x), asn1per.Size{Ub: -1})") {
		t.Errorf("GeneralString encoder: %s", enc)
	}
	if h := m.header(); h != "// Code generated by asn1gen from MULTIMEDIA-SYSTEM-CONTROL.asn; DO NOT EDIT.\n\n" {
		t.Errorf("header %q", h)
	}
}

// TestSplitFiles splits a small model's code one type a file and checks that each file imports
// exactly the packages it uses and that together they hold the unsplit code.
func TestSplitFiles(t *testing.T) {
	m := namesModel(t)
	g := &emitter{m: m, charsets: map[string]string{}}
	parts, err := g.codecParts("n")
	if err != nil {
		t.Fatal(err)
	}
	whole, split := map[string][]byte{}, map[string][]byte{}
	if err := m.writeFiles(whole, "n", "", parts, maxFileBytes); err != nil {
		t.Fatal(err)
	}
	if err := m.writeFiles(split, "n", "", parts, 1); err != nil {
		t.Fatal(err)
	}
	if len(whole) != 1 || whole["n_gen.go"] == nil || len(split) != len(parts) {
		t.Fatalf("%d unsplit files, %d split files for %d parts", len(whole), len(split), len(parts))
	}
	// The split files must form a package that type-checks: every file imports what it uses
	// and nothing else.
	fset := gotoken.NewFileSet()
	var parsed []*ast.File
	for name, src := range split {
		f, err := goparser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	if _, err := conf.Check("n", fset, parsed, nil); err != nil {
		t.Errorf("the split files do not type-check: %v", err)
	}
	var joined []string
	for i := range len(split) {
		name := "n_gen.go"
		if i > 0 {
			name = fmt.Sprintf("n_gen%d.go", i+1)
		}
		imported, used, decls := fileParts(t, name, split[name])
		if !slices.Equal(imported, used) {
			t.Errorf("%s imports %v and uses %v", name, imported, used)
		}
		joined = append(joined, decls...)
	}
	_, _, all := fileParts(t, "n_gen.go", whole["n_gen.go"])
	if !slices.Equal(joined, all) {
		t.Error("the split files do not hold the declarations of the unsplit code, in order")
	}
}

// fileParts returns a Go file's import paths, the paths of the packages its code qualifies
// identifiers with, and its other declarations as text.
func fileParts(t *testing.T, name string, src []byte) (imported, used, decls []string) {
	t.Helper()
	fset := gotoken.NewFileSet()
	f, err := goparser.ParseFile(fset, name, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range f.Imports {
		imported = append(imported, strings.Trim(im.Path.Value, `"`))
	}
	seen := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		// A qualifier that is no declared name (Obj nil) and names a package generated code
		// may use must be imported.
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil && importPaths[id.Name] != "" && !seen[id.Name] {
				seen[id.Name] = true
				used = append(used, importPaths[id.Name])
			}
		}
		return true
	})
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == gotoken.IMPORT {
			continue
		}
		decls = append(decls, string(src[fset.Position(d.Pos()).Offset:fset.Position(d.End()).Offset]))
	}
	slices.Sort(imported)
	slices.Sort(used)
	return imported, used, decls
}

// TestGeneratedFilesUpToDate regenerates every target and compares the result with the
// checked-in files: the same files (none missing, none left over from an earlier split), byte
// for byte.
func TestGeneratedFilesUpToDate(t *testing.T) {
	mods, err := loadModules(referenceDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, tg := range targets {
		dir := filepath.Join("..", "..", "h323", name)
		for range 2 { // twice: generation must be deterministic
			files, err := generate(mods, tg)
			if err != nil {
				t.Fatal(err)
			}
			for file, content := range files {
				if !bytes.HasPrefix(content, []byte("// Code generated by asn1gen from ")) {
					t.Errorf("%s lacks the generated-code header", file)
				}
				if len(content) > 2*maxFileBytes {
					t.Errorf("%s has %d bytes; the split should keep files near %d", file, len(content), maxFileBytes)
				}
				have, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(have, content) {
					t.Errorf("h323/%s/%s is out of date: run go generate ./h323/%s", name, file, name)
				}
			}
			stale, err := staleFiles(dir, tg.pkg, files)
			if err != nil {
				t.Fatal(err)
			}
			if len(stale) > 0 {
				t.Errorf("h323/%s has generated files the generator no longer writes: %v", name, stale)
			}
		}
	}
}
