package scenario

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/timeline"
)

var update = flag.Bool("update", false, "rewrite the generated events table of docs/scenario-format.md")

// catalogueProblem says what an event recorded by a run lacks in the
// catalogue, or "" when the catalogue describes it.
func catalogueProblem(f *File, e *timeline.Event) []string {
	spec := Event(e.Name)
	if spec == nil {
		keys := make([]string, len(e.Attrs))
		for i, a := range e.Attrs {
			keys[i] = a.Key
		}
		return []string{fmt.Sprintf("event %s is not in the catalogue: add an EventSpec with attributes %s", e.Name, strings.Join(keys, ", "))}
	}
	// The Push objects an expectation may name: the PBXs' and those actions
	// create or rename, as the loader has them.
	names := map[AttrKind][]string{AttrPush: sortedNames(pushObjects(f))}
	for _, p := range f.PBXs {
		names[AttrPBX] = append(names[AttrPBX], p.Name)
		for _, u := range p.Users {
			names[AttrUser] = append(names[AttrUser], u.Name)
		}
	}
	for _, d := range f.Devices {
		names[AttrDevice] = append(names[AttrDevice], d.Name)
	}
	names[AttrActor] = slices.Concat(names[AttrDevice], names[AttrPBX], InfraActors)
	var problems []string
	for _, attr := range e.Attrs {
		a := spec.Attr(attr.Key)
		if a == nil {
			problems = append(problems, fmt.Sprintf("%s records attribute %s=%s, which its EventSpec lacks", e.Name, attr.Key, attr.Value))
			continue
		}
		v := attr.Value
		bad := false
		switch a.Kind {
		case AttrEnum:
			bad = !slices.Contains(a.Values, v)
		case AttrNumber:
			n, err := strconv.ParseInt(v, 10, 64)
			bad = err != nil || n < 0 || n > a.Max || strconv.FormatInt(n, 10) != v
		case AttrBool:
			bad = v != "true" && v != "false"
		case AttrDuration:
			d, err := time.ParseDuration(v)
			bad = err != nil || d.String() != v
		case AttrDigits:
			bad = strings.Trim(strings.TrimPrefix(v, "+"), "0123456789*#") != ""
		case AttrActor, AttrDevice, AttrUser, AttrPBX, AttrPush:
			bad = !slices.Contains(names[a.Kind], v)
		}
		if bad {
			problems = append(problems, fmt.Sprintf("%s records %s=%q, which is not %s", e.Name, attr.Key, v, a.describeKind()))
		}
	}
	return problems
}

// TestEventCatalogueCoversLibrary runs the whole library and checks every
// event, attribute and value the world records against the catalogue, so
// that an expectation can name all of it and the loader's checks never
// refuse what a run records. When the world records something new, this
// test says what to add to expect_catalogue.go.
func TestEventCatalogueCoversLibrary(t *testing.T) {
	seen := map[string]bool{}
	for _, path := range libraryFiles(t) {
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Run(f, RunOptions{Record: true})
		if err != nil {
			t.Fatal(err)
		}
		reported := map[string]bool{}
		for _, e := range r.Timeline.Events() {
			seen[e.Name] = true
			for _, p := range catalogueProblem(f, &e) {
				if !reported[p] {
					reported[p] = true
					t.Errorf("%s: %s", path, p)
				}
			}
		}
	}
	// Every event a behaviour (not a diagnostic) is recorded for appears in
	// the library, except the RAS and Q.931 messages no model sends.
	for _, e := range Events {
		if !seen[e.Name] && !e.Diagnostic && !strings.HasPrefix(e.Name, "ras.") && !strings.HasPrefix(e.Name, "q931.") {
			t.Errorf("no library scenario records %s: is it still recorded, and is it tested?", e.Name)
		}
	}
}

// TestCatalogueIsConsistent: names unique, attributes unique per event,
// every attribute typed and described, enums non-empty, numbers bounded.
func TestCatalogueIsConsistent(t *testing.T) {
	names := map[string]bool{}
	for _, e := range Events {
		if names[e.Name] {
			t.Errorf("event %s twice", e.Name)
		}
		names[e.Name] = true
		if e.Doc == "" || !strings.HasSuffix(e.Doc, ".") || len(e.Attrs) == 0 {
			t.Errorf("%s: a sentence and at least one attribute, please", e.Name)
		}
		keys := map[string]bool{}
		for _, a := range e.Attrs {
			if keys[a.Key] || slices.Contains(expectKeys, a.Key) {
				t.Errorf("%s: attribute %s twice, or a reserved key", e.Name, a.Key)
			}
			keys[a.Key] = true
			if a.Doc == "" || a.Kind == "" || a.Kind == AttrEnum && len(a.Values) == 0 || a.Kind == AttrNumber && a.Max <= 0 {
				t.Errorf("%s.%s: incomplete spec %+v", e.Name, a.Key, a)
			}
		}
	}
}

// choiceNames lists the alternatives of a generated CHOICE by their String.
func choiceNames(name func(int) string) []string {
	var out []string
	for i := 1; ; i++ {
		n := name(i)
		if n == "" || strings.Contains(n, "(") {
			return out
		}
		out = append(out, n)
	}
}

// TestCatalogueReasonsMatchCodec: the reject and facility reasons the
// catalogue allows are the codec's ASN.1 names.
func TestCatalogueReasonsMatchCodec(t *testing.T) {
	codec := map[string][]string{
		"grj": choiceNames(func(i int) string { return h225.GatekeeperRejectReasonChoice(i).String() }),
		"rrj": choiceNames(func(i int) string { return h225.RegistrationRejectReasonChoice(i).String() }),
		"urj": choiceNames(func(i int) string { return h225.UnregRejectReasonChoice(i).String() }),
		"arj": choiceNames(func(i int) string { return h225.AdmissionRejectReasonChoice(i).String() }),
		"drj": choiceNames(func(i int) string { return h225.DisengageRejectReasonChoice(i).String() }),
	}
	for msg, want := range codec {
		if got := rasRejectReasons[msg]; !slices.Equal(got, want) {
			t.Errorf("ras.%s reasons %v, codec %v", msg, got, want)
		}
	}
	if want := choiceNames(func(i int) string { return h225.FacilityReasonChoice(i).String() }); !slices.Equal(facilityReasons, want) {
		t.Errorf("facility reasons %v, codec %v", facilityReasons, want)
	}
}

// Markers of the generated events table in docs/scenario-format.md.
const (
	docsBegin = "<!-- events: generated from scenario.Events (scenario/expect_catalogue.go) by `make docs`; do not edit by hand -->\n"
	docsEnd   = "<!-- end of events -->\n"
)

// EventsMarkdown renders the catalogue as the reference's events table.
func eventsMarkdown() string {
	var b strings.Builder
	b.WriteString("| event | attributes | when |\n|---|---|---|\n")
	for _, e := range Events {
		parts := make([]string, len(e.Attrs))
		for i, a := range e.Attrs {
			parts[i] = fmt.Sprintf("`%s` (%s): %s", a.Key, kindText(&a), escapeCell(a.Doc))
		}
		name := "`" + e.Name + "`"
		if e.Diagnostic {
			name += " (diagnostic)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, strings.Join(parts, "; "), escapeCell(e.Doc))
	}
	return b.String()
}

func kindText(a *AttrSpec) string {
	if a.Kind == AttrEnum {
		vs := make([]string, len(a.Values))
		for i, v := range a.Values {
			vs[i] = "`" + v + "`"
		}
		return strings.Join(vs, " \\| ")
	}
	if a.Kind == AttrNumber {
		return fmt.Sprintf("0-%d", a.Max)
	}
	return string(a.Kind)
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// TestEventCatalogueDocs keeps the events table of docs/scenario-format.md
// equal to the catalogue; `go test ./scenario -run TestEventCatalogueDocs
// -update` (make docs) rewrites it.
func TestEventCatalogueDocs(t *testing.T) {
	path := filepath.Join("..", "docs", "scenario-format.md")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	begin, end := strings.Index(doc, docsBegin), strings.Index(doc, docsEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the markers of the generated events table:\n%s%s", path, docsBegin, docsEnd)
	}
	want := doc[:begin+len(docsBegin)] + eventsMarkdown() + doc[end:]
	if want == doc {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the events table differs from the catalogue; run make docs", path)
}
