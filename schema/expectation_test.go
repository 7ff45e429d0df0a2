package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/callwake/callwake/scenario"
)

var update = flag.Bool("update", false, "rewrite the expectation definition of scenario.schema.json from the event catalogue")

// The schema's expectation items are generated from the event catalogue
// (scenario.Events), so that editors know every event's attributes and
// their types: TestSchemaExpectationFromCatalogue compares the file with
// what expectationSchema builds, and `go test ./schema -run
// TestSchemaExpectationFromCatalogue -update` (make docs) rewrites it.

// obj is a JSON object that keeps its keys in order, so that the generated
// schema reads like the hand-written rest of the file.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// expectKeys are the keys of an item besides its attributes.
var expectKeys = []string{"event", "never", "at", "within", "after", "count"}

// attrSchema is the schema of one attribute's value.
func attrSchema(a *scenario.AttrSpec) obj {
	desc := kv{"description", a.Doc}
	switch a.Kind {
	case scenario.AttrEnum:
		return obj{{"type", "string"}, {"enum", a.Values}, desc}
	case scenario.AttrNumber:
		return obj{{"anyOf", []any{
			obj{{"type", "integer"}, {"minimum", 0}, {"maximum", a.Max}},
			obj{{"type", "string"}, {"pattern", "^[0-9]+$"}},
		}}, desc}
	case scenario.AttrBool:
		return obj{{"type", "boolean"}, desc}
	case scenario.AttrDuration:
		return obj{{"$ref", "#/$defs/duration"}, desc}
	case scenario.AttrDigits:
		return obj{{"anyOf", []any{obj{{"$ref", "#/$defs/digits"}}, obj{{"enum", []string{""}}}}}, desc}
	case scenario.AttrText:
		return obj{{"type", []string{"string", "number", "boolean"}}, desc}
	}
	return obj{{"type", "string"}, {"minLength", 1}, desc} // a name of the file
}

// expectationSchema builds $defs/expectation from the catalogue.
func expectationSchema() obj {
	props := obj{
		{"event", obj{{"type", "string"}, {"enum", scenario.EventNames}, {"description", "The event that must happen after the previous ordered item's match."}}},
		{"never", obj{{"type", "string"}, {"enum", scenario.EventNames}, {"description", "An event that must not happen (inside at when given)."}}},
		{"all", obj{{"type", "array"}, {"minItems", 2}, {"items", obj{{"$ref", "#/$defs/expectation"}}},
			{"description", "Event items that must all happen after the previous ordered match, in any order, each on its own event."}}},
		{"delay", obj{{"type", "object"}, {"additionalProperties", false}, {"required", []string{"from", "to"}},
			{"properties", obj{
				{"from", obj{{"$ref", "#/$defs/expectation"}, {"description", "The event that starts each member's delay; one attribute names the member as GROUP[*]."}}},
				{"to", obj{{"$ref", "#/$defs/expectation"}, {"description", "The event that ends it, naming the member the same way."}}},
			}},
			{"description", "A percentile of a population's delays from one event to another (with percentile and within)."}}},
		{"percentile", obj{{"anyOf", []any{
			obj{{"type", "number"}, {"minimum", 0}, {"maximum", 100}},
			obj{{"type", "string"}, {"pattern", `^\s*[0-9]+(\.[0-9]+)?%?\s*$`}},
		}}, {"description", "Of a delay item: the percentile (above 0, at most 100) that must be within its limit."}}},
		{"at", obj{{"$ref", "#/$defs/window"}, {"description", "Absolute time window."}}},
		{"within", obj{{"$ref", "#/$defs/duration"}, {"description", "No later than this after the previous ordered match (event items without count, all groups)."}}},
		{"after", obj{{"$ref", "#/$defs/duration"}, {"description", "No earlier than this after the previous ordered match (event items without count, all groups)."}}},
		{"count", obj{{"anyOf", []any{
			obj{{"type", "integer"}, {"minimum", 0}, {"maximum", 2147483647}},
			obj{{"type", "string"}, {"pattern", `^\s*([0-9]+\s*\.\.\s*[0-9]*|[0-9]*\s*\.\.\s*[0-9]+)\s*$`}},
		}}, {"description", "How many such events the run holds: N, MIN.., ..MAX or MIN..MAX (event items; does not move the ordered cursor)."}}},
	}
	// Every attribute key of the catalogue, typed per event below.
	docs := map[string][]string{}
	var keys []string
	for _, e := range scenario.Events {
		for _, a := range e.Attrs {
			if _, ok := docs[a.Key]; !ok {
				keys = append(keys, a.Key)
			}
			if !slices.Contains(docs[a.Key], e.Name) {
				docs[a.Key] = append(docs[a.Key], e.Name)
			}
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		events := docs[k]
		where := strings.Join(events, ", ")
		if len(events) > 4 {
			where = fmt.Sprintf("%s and %d more events", strings.Join(events[:3], ", "), len(events)-3)
		}
		props = append(props, kv{k, obj{{"description", "Attribute of " + where + "; see the events table of docs/scenario-format.md."}}})
	}
	// One if/then per set of events with the same attributes: the keys an
	// item may have and the type of each value.
	type branch struct {
		names []string
		then  obj
	}
	// An attribute schema used by several events is defined once, under
	// the expectation's own $defs, named by its key (and, for a second
	// variant of a key, the first event that has it).
	uses := map[string]int{}
	for _, e := range scenario.Events {
		for _, a := range e.Attrs {
			sig, _ := marshal(attrSchema(&a))
			uses[a.Key+string(sig)]++
		}
	}
	shared := obj{}
	refOf := map[string]string{}
	for _, e := range scenario.Events {
		for _, a := range e.Attrs {
			sig, _ := marshal(attrSchema(&a))
			id := a.Key + string(sig)
			if uses[id] < 2 || refOf[id] != "" {
				continue
			}
			name := a.Key
			if slices.ContainsFunc(shared, func(x kv) bool { return x.k == name }) {
				name = a.Key + "." + e.Name
			}
			shared = append(shared, kv{name, attrSchema(&a)})
			refOf[id] = "#/$defs/expectation/$defs/" + name
		}
	}
	var branches []branch
	index := map[string]int{}
	for _, e := range scenario.Events {
		allowed := slices.Clone(expectKeys)
		typed := obj{}
		for _, a := range e.Attrs {
			allowed = append(allowed, a.Key)
			sig, _ := marshal(attrSchema(&a))
			if ref := refOf[a.Key+string(sig)]; ref != "" {
				typed = append(typed, kv{a.Key, obj{{"$ref", ref}}})
			} else {
				typed = append(typed, kv{a.Key, attrSchema(&a)})
			}
		}
		then := obj{{"propertyNames", obj{{"enum", allowed}}}, {"properties", typed}}
		sig, _ := marshal(then)
		if i, ok := index[string(sig)]; ok {
			branches[i].names = append(branches[i].names, e.Name)
			continue
		}
		index[string(sig)] = len(branches)
		branches = append(branches, branch{names: []string{e.Name}, then: then})
	}
	var allOf []any
	for _, b := range branches {
		allOf = append(allOf, obj{
			{"if", obj{{"anyOf", []any{
				obj{{"required", []string{"event"}}, {"properties", obj{{"event", obj{{"enum", b.names}}}}}},
				obj{{"required", []string{"never"}}, {"properties", obj{{"never", obj{{"enum", b.names}}}}}},
			}}}},
			{"then", b.then},
		})
	}
	allOf = append(allOf, obj{
		{"if", obj{{"required", []string{"all"}}}},
		{"then", obj{{"propertyNames", obj{{"enum", []string{"all", "at", "within", "after"}}}}}},
	}, obj{
		{"if", obj{{"required", []string{"delay"}}}},
		{"then", obj{{"propertyNames", obj{{"enum", []string{"delay", "percentile", "within"}}}}, {"required", []string{"delay", "percentile", "within"}}}},
	})
	return obj{
		{"type", "object"},
		{"description", "One expectation: an event (in order after the previous ordered match), never (nowhere in the run), all (a group of event items in any order) or delay (a percentile of a population's delays), with the event's attributes and optional limits. Generated from the event catalogue; do not edit by hand."},
		{"properties", props},
		{"additionalProperties", false},
		{"oneOf", []any{obj{{"required", []string{"event"}}}, obj{{"required", []string{"never"}}}, obj{{"required", []string{"all"}}}, obj{{"required", []string{"delay"}}}}},
		{"allOf", allOf},
		{"$defs", shared},
	}
}

// memberSpan finds the member `"NAME": {...}` of $defs at the given
// indentation in the schema's text and returns where its value starts and
// ends.
func memberSpan(t *testing.T, src []byte, name, indent string) (start, end int) {
	t.Helper()
	key := []byte("\n" + indent + `"` + name + `": `)
	i := bytes.Index(src, key)
	if i < 0 {
		t.Fatalf("no %q member in the schema", name)
	}
	start = i + len(key)
	depth, inString := 0, false
	for j := start; j < len(src); j++ {
		c := src[j]
		switch {
		case inString && c == '\\':
			j++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return start, j + 1
			}
		}
	}
	t.Fatalf("the %q member does not end", name)
	return 0, 0
}

func TestSchemaExpectationFromCatalogue(t *testing.T) {
	path := filepath.Join(repoRoot(t), "schema", "scenario.schema.json")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := marshal(expectationSchema())
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(gen, &want); err != nil {
		t.Fatal(err)
	}
	got = loadSchema(t)["$defs"].(map[string]any)["expectation"]
	if reflect.DeepEqual(got, want) {
		return
	}
	if !*update {
		t.Fatalf("the schema's expectation definition differs from the event catalogue; run make docs")
	}
	const indent = "    "
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, gen, indent, "  "); err != nil {
		t.Fatal(err)
	}
	start, end := memberSpan(t, src, "expectation", indent)
	out := slices.Concat(src[:start], pretty.Bytes(), src[end:])
	if !json.Valid(out) {
		t.Fatal("the rewritten schema is not JSON")
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExpectationAttributesFollowCatalogue: the schema refuses, like the
// loader, an attribute the event does not have and a value of the wrong
// type, and accepts what both accept.
func TestExpectationAttributesFollowCatalogue(t *testing.T) {
	root := loadSchema(t)
	v := newValidator(root)
	tests := []struct {
		item map[string]any
		want string // "" = valid
	}{
		{map[string]any{"event": "call.released", "cause": 18}, ""},
		{map[string]any{"never": "ras.rrq", "keepalive": false, "lost": true, "at": "1s..2s"}, ""},
		{map[string]any{"event": "push.dropped", "reason": "vendor_unreachable", "count": "2.."}, ""},
		{map[string]any{"all": []any{map[string]any{"event": "ras.rrq"}, map[string]any{"event": "ras.rcf"}}, "within": "5s"}, ""},
		{map[string]any{"event": "call.released", "cuase": 18}, `key "cuase" is not allowed here`},
		{map[string]any{"event": "q931.setup", "cause": 18}, `key "cause" is not allowed here`},
		{map[string]any{"event": "ras.rrq", "keepalive": "yes"}, `is not of type boolean`},
		{map[string]any{"event": "push.dropped", "reason": "nope"}, `is not one of`},
		{map[string]any{"event": "call.released", "cause": 300}, `matches none of anyOf`},
		{map[string]any{"event": "ras.rrq", "count": ".."}, `matches none of anyOf`},
		{map[string]any{"all": []any{map[string]any{"event": "ras.rrq"}, map[string]any{"event": "ras.rcf"}}, "from": "x"}, `key "from" is not allowed here`},
	}
	doc := probeDoc()
	for _, tt := range tests {
		doc["expect"] = []any{tt.item}
		errs := strings.Join(v.validate(root, doc, "$"), "\n")
		src, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		_, loadErr := scenario.Parse("probe.yaml", src)
		switch {
		case tt.want == "" && (errs != "" || loadErr != nil):
			t.Errorf("%v: schema %q, loader %v; want both to accept", tt.item, errs, loadErr)
		case tt.want != "" && (!strings.Contains(errs, tt.want) || loadErr == nil):
			t.Errorf("%v: schema %q (want %q), loader %v; want both to refuse", tt.item, errs, tt.want, loadErr)
		}
	}
}
