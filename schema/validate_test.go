package schema

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// A small validator for the subset of JSON Schema the scenario schema uses:
// type, properties, additionalProperties, propertyNames, required, enum,
// items, allOf, anyOf, oneOf, if/then, pattern, minimum, maximum, minItems,
// minLength, maxLength and local $ref. A keyword outside the subset is an error, so the schema cannot
// start relying on something these tests would silently ignore.

// annotations are keywords that do not constrain a value.
var annotations = []string{"$schema", "$defs", "title", "description"}

var supported = []string{"type", "properties", "additionalProperties", "propertyNames", "required", "enum", "items",
	"allOf", "anyOf", "oneOf", "if", "then", "pattern", "minimum", "maximum", "minItems", "minLength", "maxLength", "$ref"}

type validator struct {
	root     map[string]any
	patterns map[string]*regexp.Regexp
}

func newValidator(root map[string]any) *validator {
	return &validator{root: root, patterns: map[string]*regexp.Regexp{}}
}

// validate returns every violation of value against schema, each prefixed
// with the value's path.
func (v *validator) validate(schema any, value any, path string) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		if b, isBool := schema.(bool); isBool {
			if b {
				return nil
			}
			return []string{path + ": not allowed here"}
		}
		return []string{path + ": schema is neither an object nor a boolean"}
	}
	var errs []string
	for key := range s {
		if !slices.Contains(supported, key) && !slices.Contains(annotations, key) {
			errs = append(errs, fmt.Sprintf("%s: schema keyword %q is outside the tested subset", path, key))
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := v.resolve(ref)
		if err != nil {
			return append(errs, path+": "+err.Error())
		}
		errs = append(errs, v.validate(target, value, path)...)
	}
	if t, ok := s["type"]; ok && !typeMatches(t, value) {
		return append(errs, fmt.Sprintf("%s: %s is not of type %v", path, describe(value), t))
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return equal(x, value) }) {
		errs = append(errs, fmt.Sprintf("%s: %s is not one of %v", path, describe(value), e))
	}
	switch val := value.(type) {
	case map[string]any:
		errs = append(errs, v.object(s, val, path)...)
	case []any:
		if n, ok := number(s["minItems"]); ok && float64(len(val)) < n {
			errs = append(errs, fmt.Sprintf("%s: %d items, at least %v needed", path, len(val), n))
		}
		if items, ok := s["items"]; ok {
			for i, item := range val {
				errs = append(errs, v.validate(items, item, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case string:
		if p, ok := s["pattern"].(string); ok {
			re, err := v.pattern(p)
			if err != nil {
				errs = append(errs, path+": "+err.Error())
			} else if !re.MatchString(val) {
				errs = append(errs, fmt.Sprintf("%s: %q does not match %s", path, val, p))
			}
		}
		if n, ok := number(s["minLength"]); ok && float64(len([]rune(val))) < n {
			errs = append(errs, fmt.Sprintf("%s: %q is shorter than %v", path, val, n))
		}
		if n, ok := number(s["maxLength"]); ok && float64(len([]rune(val))) > n {
			errs = append(errs, fmt.Sprintf("%s: %q is longer than %v", path, val, n))
		}
	}
	if x, ok := number(value); ok {
		if lo, ok := number(s["minimum"]); ok && x < lo {
			errs = append(errs, fmt.Sprintf("%s: %v is less than %v", path, x, lo))
		}
		if hi, ok := number(s["maximum"]); ok && x > hi {
			errs = append(errs, fmt.Sprintf("%s: %v is more than %v", path, x, hi))
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, v.validate(sub, value, path)...)
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		matched := false
		var why []string
		for _, sub := range anyOf {
			e := v.validate(sub, value, path)
			if len(e) == 0 {
				matched = true
				break
			}
			why = append(why, strings.Join(e, "; "))
		}
		if !matched {
			errs = append(errs, fmt.Sprintf("%s: matches none of anyOf (%s)", path, strings.Join(why, " | ")))
		}
	}
	if cond, ok := s["if"]; ok {
		if then, ok := s["then"]; ok && len(v.validate(cond, value, path)) == 0 {
			errs = append(errs, v.validate(then, value, path)...)
		}
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, sub := range oneOf {
			if len(v.validate(sub, value, path)) == 0 {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Sprintf("%s: matches %d of oneOf's alternatives, not exactly one", path, n))
		}
	}
	return errs
}

func (v *validator) object(s map[string]any, val map[string]any, path string) []string {
	var errs []string
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if _, present := val[r.(string)]; !present {
				errs = append(errs, fmt.Sprintf("%s: missing required key %q", path, r))
			}
		}
	}
	props, _ := s["properties"].(map[string]any)
	keys := make([]string, 0, len(val))
	for k := range val {
		keys = append(keys, k)
	}
	slices.Sort(keys) // messages in a stable order
	if names, ok := s["propertyNames"]; ok {
		for _, k := range keys {
			if len(v.validate(names, k, path)) > 0 {
				errs = append(errs, fmt.Sprintf("%s: key %q is not allowed here", path, k))
			}
		}
	}
	for _, k := range keys {
		if sub, ok := props[k]; ok {
			errs = append(errs, v.validate(sub, val[k], path+"."+k)...)
			continue
		}
		if extra, ok := s["additionalProperties"]; ok {
			if b, isBool := extra.(bool); isBool && !b {
				errs = append(errs, fmt.Sprintf("%s: unknown key %q", path, k))
			} else {
				errs = append(errs, v.validate(extra, val[k], path+"."+k)...)
			}
		}
	}
	return errs
}

// resolve follows a local reference "#/$defs/NAME" (JSON pointer).
func (v *validator) resolve(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("reference %q is not local", ref)
	}
	var node any = v.root
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("reference %q does not resolve", ref)
		}
		if node, ok = m[part]; !ok {
			return nil, fmt.Errorf("reference %q does not resolve", ref)
		}
	}
	return node, nil
}

func (v *validator) pattern(p string) (*regexp.Regexp, error) {
	if re, ok := v.patterns[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	v.patterns[p] = re
	return re, nil
}

// typeMatches checks a "type" keyword (a name or a list of names).
func typeMatches(t any, value any) bool {
	switch tt := t.(type) {
	case string:
		return isType(tt, value)
	case []any:
		for _, name := range tt {
			if s, ok := name.(string); ok && isType(s, value) {
				return true
			}
		}
	}
	return false
}

func isType(name string, value any) bool {
	switch name {
	case "object":
		_, ok := value.(map[string]any)
		return ok
	case "array":
		_, ok := value.([]any)
		return ok
	case "string":
		_, ok := value.(string)
		return ok
	case "boolean":
		_, ok := value.(bool)
		return ok
	case "null":
		return value == nil
	case "number":
		_, ok := number(value)
		return ok
	case "integer":
		x, ok := number(value)
		return ok && x == math.Trunc(x)
	}
	return false
}

// number reads any numeric value as float64 (YAML and JSON decoders give
// several integer types).
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint32:
		return float64(x), true
	}
	return 0, false
}

func equal(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	return a == b
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}
