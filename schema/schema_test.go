package schema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/scenario"
)

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(Scenario, &root); err != nil {
		t.Fatalf("scenario.schema.json is not JSON: %v", err)
	}
	return root
}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Dir(filepath.Dir(file))
}

// yamlValue reads a YAML document as JSON-like values (maps, lists,
// strings, numbers, booleans, nil), the data model a schema checks.
func yamlValue(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	return normalize(v)
}

// normalize turns the YAML decoder's map types into map[string]any.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[toString(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

func toString(k any) string {
	if s, ok := k.(string); ok {
		return s
	}
	b, _ := json.Marshal(k)
	return string(b)
}

// scenarioFiles lists the valid scenario files: the library and the
// loader's valid test data.
func scenarioFiles(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	var files []string
	for _, pattern := range []string{"scenarios/*.yaml", "scenario/testdata/*.yaml"} {
		found, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, found...)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files found")
	}
	return files
}

func TestScenarioFilesValidate(t *testing.T) {
	root := loadSchema(t)
	v := newValidator(root)
	for _, path := range scenarioFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := scenario.Parse(path, src); err != nil {
				t.Fatalf("the loader refuses it: %v", err)
			}
			if errs := v.validate(root, yamlValue(t, src), "$"); len(errs) > 0 {
				t.Errorf("the loader accepts it, the schema does not:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// TestSchemaRejects checks that the schema refuses what the loader refuses,
// for each kind of constraint it states.
func TestSchemaRejects(t *testing.T) {
	const base = `name: ok
pbx:
  users: [{name: alice, number: "201"}]
devices: [{name: alice-desk, user: alice, kind: deskphone}]
expect: []
`
	tests := []struct {
		name, doc, want string
	}{
		{"unknown top key", base + "notifcations: 1\n", `unknown key "notifcations"`},
		{"bad name", strings.Replace(base, "name: ok", "name: has space", 1), "does not match"},
		{"missing devices", strings.Replace(base, "devices: [{name: alice-desk, user: alice, kind: deskphone}]\n", "", 1), `missing required key "devices"`},
		{"pbx and pbxs", base + "pbxs: [{name: b}]\n", "oneOf"},
		{"bad version", strings.Replace(base, "pbx:\n", "pbx:\n  version: 16r1\n", 1), "is not one of"},
		{"unknown quirk", strings.Replace(base, "pbx:\n", "pbx:\n  quirks: {cfnr_skip_push: true}\n", 1), `unknown key "cfnr_skip_push"`},
		{"bad duration", base + "duration: 10 seconds\n", "matches none of anyOf"},
		{"negative seed", base + "seed: -1\n", "less than 0"},
		{"loss over 1", base + "network: {loss: 1.5}\n", "more than 1"},
		{"bad digits", strings.Replace(base, `number: "201"`, `number: "20a"`, 1), "matches none of anyOf"},
		{"bad event", strings.Replace(base, "expect: []", "expect: [{event: ras.rqq}]", 1), "is not one of"},
		{"event and never", strings.Replace(base, "expect: []", "expect: [{event: ras.rrq, never: ras.rrq}]", 1), "oneOf"},
		{"bad window", strings.Replace(base, "expect: []", "expect: [{event: ras.rrq, at: 2s-3s}]", 1), "does not match"},
		{"bad answer", strings.Replace(base, "kind: deskphone}", "kind: deskphone, answer: {after: 1s, reject: busy}}", 1), "matches none of anyOf"},
		{"unknown behaviour", base + "covers: [B09]\n", "is not one of"},
		{"attribute the event lacks", strings.Replace(base, "expect: []", "expect: [{event: ras.rrq, odd: [1]}]", 1), `unknown key "odd"`},
		{"attribute not a scalar", strings.Replace(base, "expect: []", "expect: [{event: ras.rrq, seq: [1]}]", 1), "matches none of anyOf"},
	}
	root := loadSchema(t)
	v := newValidator(root)
	if errs := v.validate(root, yamlValue(t, []byte(base)), "$"); len(errs) > 0 {
		t.Fatalf("the base document does not validate: %v", errs)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := strings.Join(v.validate(root, yamlValue(t, []byte(tt.doc)), "$"), "\n")
			if !strings.Contains(errs, tt.want) {
				t.Errorf("schema errors lack %q:\n%s", tt.want, errs)
			}
			if _, err := scenario.Parse("doc.yaml", []byte(tt.doc)); err == nil {
				t.Errorf("the loader accepts what the schema refuses")
			}
		})
	}
}

// TestSchemaIsClosed checks that every object the schema describes refuses
// unknown keys (so editors flag misspellings) and that every key and every
// definition has a description for completion pop-ups.
func TestSchemaIsClosed(t *testing.T) {
	root := loadSchema(t)
	walkObjects(root, "#", func(ptr string, s map[string]any) {
		if strings.HasPrefix(ptr, "#/$defs/expectation/allOf/") {
			return // the per-event refinements of a closed object (expectation_test.go)
		}
		if s["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", ptr)
		}
		props, _ := s["properties"].(map[string]any)
		for key, p := range props {
			ps, _ := p.(map[string]any)
			if _, ok := ps["description"]; !ok && ps["$ref"] == nil {
				t.Errorf("%s: key %q has no description", ptr, key)
			}
		}
	})
}

// walkObjects calls fn for every schema (at its JSON pointer) that lists
// properties.
func walkObjects(node any, ptr string, fn func(string, map[string]any)) {
	switch x := node.(type) {
	case map[string]any:
		if _, ok := x["properties"]; ok {
			fn(ptr, x)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkObjects(x[k], ptr+"/"+k, fn)
		}
	case []any:
		for i, e := range x {
			walkObjects(e, ptr+"/"+strconv.Itoa(i), fn)
		}
	}
}

// probeDoc is a valid scenario with one instance of every mapping the
// loader reads, so that an unknown key can be planted in each.
func probeDoc() map[string]any {
	type m = map[string]any
	type l = []any
	return m{
		"name": "probe",
		"pbx": m{
			"push":   m{"name": "Push"},
			"quirks": m{"dnd_silent": false},
			"users": l{
				m{"name": "alice", "number": "201", "push": "Push", "cfnr": m{"to": "299"}, "cfb": m{"to": "298"}, "cfu": m{"to": "297"}},
				m{"name": "bob", "number": "202"},
				m{"population": m{"count": 2, "group": "us", "name": "u{i}", "number": "3{i}"}},
			},
		},
		"push_service": m{"apns": m{"available": true}, "fcm": m{"available": true}},
		"network":      m{"links": l{m{"device": "alice-iphone"}}},
		"devices": l{
			m{"name": "alice-iphone", "user": "alice", "kind": "myapps", "os": "ios",
				"wake": m{"min": "1s", "max": "2s"}, "answer": m{"after": "1s"}, "ios": m{"notifications": "allowed"}},
			m{"name": "bob-android", "user": "bob", "kind": "myapps", "os": "android", "android": m{"push": "auto"}},
			m{"name": "bob-desk", "user": "bob", "kind": "deskphone"},
			m{"population": m{"count": 2, "group": "ds", "name": "d{i}", "user": "u{i}", "kind": "deskphone"}},
			m{"population": m{"count": 2, "name": "m{i}", "user": "u{i}", "kind": m{"myapps": "100%"},
				"os": m{"ios": "50%", "android": "50%"}, "app": m{"foreground": "100%"}, "transport": m{"h323": "100%"}}},
		},
		"calls": l{m{"at": "1s", "from": "bob-desk", "to": "201"},
			m{"population": m{"count": 2, "from": "ds[*]", "to": "201", "at": "1s..2s"}}},
		"actions": l{
			m{"at": "2s", "push_service": m{"available": false, "registration": m{"system_name": "example.com", "password": "x"}}},
			m{"at": "3s", "network": m{"loss": 0.5}},
			m{"at": "4s", "device": "alice-iphone", "app": "closed"},
			m{"at": "5s", "user": "alice", "notify": m{"title": "Voicemail"}},
			m{"at": "6s", "push": m{"trusts_service": true}},
			m{"population": m{"count": 2, "at": "7s..8s", "device": "m{i}", "app": "foreground"}},
		},
		"expect": l{m{"event": "push.request"},
			m{"delay": m{"from": m{"event": "ras.rrq", "from": "ds[*]"}, "to": m{"event": "ras.rcf", "to": "ds[*]"}},
				"percentile": 99, "within": "1s"}},
	}
}

// probes plant a key in each mapping of probeDoc: the path to the mapping
// and the schema objects (JSON pointers) that describe it.
var probes = []struct {
	path   []any
	schema []string
}{
	{nil, []string{"#"}},
	{[]any{"pbx"}, []string{"#/$defs/pbx"}},
	{[]any{"pbx", "push"}, []string{"#/$defs/push"}},
	{[]any{"pbx", "quirks"}, []string{"#/$defs/pbx/properties/quirks"}},
	{[]any{"pbx", "users", 0}, []string{"#/$defs/user"}},
	{[]any{"pbx", "users", 0, "cfnr"}, []string{"#/$defs/user/properties/cfnr"}},
	{[]any{"pbx", "users", 0, "cfb"}, []string{"#/$defs/forward"}},
	{[]any{"pbx", "users", 0, "cfu"}, []string{"#/$defs/forward"}},
	{[]any{"push_service"}, []string{"#/$defs/push_service"}},
	{[]any{"push_service", "apns"}, []string{"#/$defs/vendor"}},
	{[]any{"push_service", "fcm"}, []string{"#/$defs/vendor"}},
	{[]any{"network"}, []string{"#/$defs/network"}},
	{[]any{"network", "links", 0}, []string{"#/$defs/link"}},
	{[]any{"devices", 0}, []string{"#/$defs/device"}},
	{[]any{"devices", 2}, []string{"#/$defs/device"}},
	{[]any{"devices", 0, "wake"}, []string{"#/$defs/wake_range"}},
	{[]any{"devices", 0, "answer"}, []string{"#/$defs/answer_after", "#/$defs/answer_reject"}},
	{[]any{"devices", 0, "ios"}, []string{"#/$defs/device/properties/ios"}},
	{[]any{"devices", 1, "android"}, []string{"#/$defs/device/properties/android"}},
	{[]any{"calls", 0}, []string{"#/$defs/call"}},
	{[]any{"actions", 0}, []string{"#/$defs/action"}},
	{[]any{"actions", 0, "push_service"}, []string{"#/$defs/action/properties/push_service"}},
	{[]any{"actions", 1, "network"}, []string{"#/$defs/action/properties/network"}},
	{[]any{"actions", 3, "notify"}, []string{"#/$defs/action/properties/notify"}},
	{[]any{"pbx", "users", 2}, []string{"#/$defs/user_population"}},
	{[]any{"pbx", "users", 2, "population"}, []string{"#/$defs/user_population/properties/population"}},
	{[]any{"devices", 3}, []string{"#/$defs/device_population"}},
	{[]any{"devices", 3, "population"}, []string{"#/$defs/device_population/properties/population"}},
	{[]any{"devices", 4, "population", "kind"}, []string{"#/$defs/mix_kind"}},
	{[]any{"devices", 4, "population", "os"}, []string{"#/$defs/mix_os"}},
	{[]any{"devices", 4, "population", "app"}, []string{"#/$defs/mix_app"}},
	{[]any{"devices", 4, "population", "transport"}, []string{"#/$defs/mix_transport"}},
	{[]any{"calls", 1}, []string{"#/$defs/call_population"}},
	{[]any{"calls", 1, "population"}, []string{"#/$defs/call_population/properties/population"}},
	{[]any{"actions", 5}, []string{"#/$defs/action_population"}},
	{[]any{"actions", 5, "population"}, []string{"#/$defs/action_population/properties/population"}},
	{[]any{"expect", 1, "delay"}, []string{"#/$defs/expectation/properties/delay"}},
	{[]any{"actions", 4, "push"}, []string{"#/$defs/action/properties/push"}},
	{[]any{"actions", 0, "push_service", "registration"}, []string{"#/$defs/action/properties/push_service/properties/registration"}},
}

const probeKey = "zz_probe"

// loaderKeyList reads the loader's list of allowed keys out of its
// message about an unknown key ("...; allowed: a, b" or "...; known
// quirks: a, b").
var loaderKeyList = regexp.MustCompile(`^unknown (?:key|quirk) "` + probeKey + `"(?: in [^;]*)?; (?:allowed|known quirks): (.*)$`)

// TestSchemaKeysAgreeWithLoader plants an unknown key in every mapping the
// loader reads and takes the loader's own list of allowed keys from its
// error message; the schema must describe exactly those keys there. Every
// closed object of the schema must be covered by a probe, so a new object
// cannot escape the check.
func TestSchemaKeysAgreeWithLoader(t *testing.T) {
	root := loadSchema(t)
	v := newValidator(root)
	base, err := yaml.Marshal(probeDoc())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scenario.Parse("probe.yaml", base); err != nil {
		t.Fatalf("the probe document does not load: %v\n%s", err, base)
	}
	if errs := v.validate(root, yamlValue(t, base), "$"); len(errs) > 0 {
		t.Fatalf("the probe document does not validate: %v", errs)
	}
	covered := map[string]bool{}
	for _, p := range probes {
		name := strings.Trim(strings.Join(strings.Fields(strings.Trim(itoaPath(p.path), "[]")), "."), ".")
		t.Run("at "+name, func(t *testing.T) {
			doc := probeDoc()
			target := lookup(t, doc, p.path)
			target[probeKey] = "x"
			src, err := yaml.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			loaderKeys := loaderKeysFrom(t, src)
			var schemaKeys []string
			for _, ptr := range p.schema {
				covered[ptr] = true
				node, err := v.resolve(ptr)
				if ptr == "#" {
					node, err = root, nil
				}
				if err != nil {
					t.Fatal(err)
				}
				props, _ := node.(map[string]any)["properties"].(map[string]any)
				for k := range props {
					schemaKeys = append(schemaKeys, k)
				}
			}
			slices.Sort(schemaKeys)
			schemaKeys = slices.Compact(schemaKeys)
			for _, k := range loaderKeys {
				if !slices.Contains(schemaKeys, k) {
					t.Errorf("the loader accepts %q here, the schema (%v) lacks it", k, p.schema)
				}
			}
			for _, k := range schemaKeys {
				if !slices.Contains(loaderKeys, k) {
					t.Errorf("the schema (%v) has %q here, the loader does not accept it", p.schema, k)
				}
			}
			// The schema refuses the planted key too.
			if errs := strings.Join(v.validate(root, yamlValue(t, src), "$"), "\n"); !strings.Contains(errs, `unknown key "`+probeKey+`"`) {
				t.Errorf("the schema accepts the planted key: %s", errs)
			}
		})
	}
	walkObjects(root, "#", func(ptr string, s map[string]any) {
		// The expectation's keys depend on its event: they are generated
		// from the catalogue the loader checks them against, and compared
		// in expectation_test.go.
		if s["additionalProperties"] == false && !covered[ptr] && ptr != "#/$defs/expectation" {
			t.Errorf("schema object %s is not probed against the loader; add a probe", ptr)
		}
	})
}

func loaderKeysFrom(t *testing.T, src []byte) []string {
	t.Helper()
	_, err := scenario.Parse("probe.yaml", src)
	var problems scenario.Errors
	if err == nil || !errors.As(err, &problems) {
		t.Fatalf("the loader accepts the planted key %q (or failed otherwise: %v)", probeKey, err)
	}
	for _, p := range problems {
		if m := loaderKeyList.FindStringSubmatch(p.Message); m != nil {
			keys := strings.Split(m[1], ", ")
			slices.Sort(keys)
			return keys
		}
	}
	t.Fatalf("no key list in the loader's messages: %v", err)
	return nil
}

func lookup(t *testing.T, doc map[string]any, path []any) map[string]any {
	t.Helper()
	var node any = doc
	for _, step := range path {
		switch s := step.(type) {
		case string:
			node = node.(map[string]any)[s]
		case int:
			node = node.([]any)[s]
		}
	}
	m, ok := node.(map[string]any)
	if !ok {
		t.Fatalf("path %v is not a mapping in the probe document", path)
	}
	return m
}

func itoaPath(path []any) string {
	parts := make([]string, len(path))
	for i, p := range path {
		b, _ := json.Marshal(p)
		parts[i] = strings.Trim(string(b), `"`)
	}
	return strings.Join(parts, " ")
}

// TestSchemaEnumsAgree checks the enumerations the schema copies from the
// code: versions, quirks, event names, catalogue rows.
func TestSchemaEnumsAgree(t *testing.T) {
	root := loadSchema(t)
	v := newValidator(root)
	enumAt := func(ptr string) []string {
		node, err := v.resolve(ptr)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range node.(map[string]any)["enum"].([]any) {
			out = append(out, e.(string))
		}
		slices.Sort(out)
		return out
	}
	var versions []string
	for _, ver := range pbx.Versions() {
		versions = append(versions, string(ver))
	}
	slices.Sort(versions)
	quirks, _ := v.resolve("#/$defs/pbx/properties/quirks/properties")
	var quirkKeys []string
	for k := range quirks.(map[string]any) {
		quirkKeys = append(quirkKeys, k)
	}
	slices.Sort(quirkKeys)
	events := slices.Sorted(slices.Values(scenario.EventNames))
	rows := slices.Sorted(slices.Values(scenario.CatalogueRows))
	tests := []struct {
		name      string
		got, want []string
	}{
		{"versions", enumAt("#/$defs/pbx/properties/version"), versions},
		{"quirks", quirkKeys, pbx.QuirkNames()},
		{"event names", enumAt("#/$defs/expectation/properties/event"), events},
		{"never names", enumAt("#/$defs/expectation/properties/never"), events},
		{"catalogue rows", enumAt("#/properties/covers/items"), rows},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: schema %v, code %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestDocsMentionEveryKey checks that the reference names every key the
// schema describes.
func TestDocsMentionEveryKey(t *testing.T) {
	docs, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "scenario-format.md"))
	if err != nil {
		t.Fatal(err)
	}
	root := loadSchema(t)
	seen := map[string]bool{}
	walkObjects(root, "#", func(ptr string, s map[string]any) {
		for k := range s["properties"].(map[string]any) {
			if !seen[k] && !strings.Contains(string(docs), "`"+k+"`") && !strings.Contains(string(docs), k+":") {
				t.Errorf("docs/scenario-format.md does not mention key %q (%s)", k, ptr)
			}
			seen[k] = true
		}
	})
}
