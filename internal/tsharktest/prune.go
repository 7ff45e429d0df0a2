package tsharktest

import (
	"math"
	"reflect"
	"slices"

	"github.com/callwake/callwake/asn1per"
)

// Pruner restricts a random value of a generated ASN.1 type (packages h225, h245) to what
// tshark's dissectors can read even when our encoding is right, for the random-message tests.
// The walk follows pointers, lists and struct fields, and always applies the limits of tshark
// 4.0's PER dissector:
//
//   - whole numbers are decoded in at most four octets ("too long integer"): random
//     unconstrained and semi-constrained numbers are kept within 31 bits (a number that then
//     violates its constraint makes encoding fail and the value is drawn again);
//   - at most 32 extension-presence bits are read ("too many extensions"): unknown extension
//     additions from index 32 on are removed.
//
// What must go is removed from a list; an OPTIONAL component (a pointer field) that must go
// is cleared; a selected CHOICE alternative or a mandatory component that must go takes the
// value that holds it along.
type Pruner struct {
	// Value, when set, sees every value before the walk looks into it; it may change the
	// value and reports whether it must go. The dissector limitations of one protocol live
	// here.
	Value func(v reflect.Value) (drop bool)
	// Clear, when set, reports a field of struct type t whose contents tshark hands to
	// another dissector (random octets there are malformed for it): it is set to its zero
	// value.
	Clear func(t reflect.Type, f reflect.StructField) bool
}

var (
	rawExtension  = reflect.TypeFor[*asn1per.RawExtension]()
	rawExtensions = reflect.TypeFor[[]asn1per.RawExtension]()
)

// Prune restricts v in place and reports whether v itself must go.
func (p Pruner) Prune(v reflect.Value) bool {
	if p.Value != nil && p.Value(v) {
		return true
	}
	switch v.Kind() {
	case reflect.Pointer:
		return !v.IsNil() && p.Prune(v.Elem())
	case reflect.Int, reflect.Int64:
		if n := v.Int(); n > math.MaxInt32 || n < math.MinInt32 {
			v.SetInt(n & math.MaxInt32)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		kept := 0
		for i := range v.Len() {
			if !p.Prune(v.Index(i)) {
				v.Index(kept).Set(v.Index(i))
				kept++
			}
		}
		if kept == 0 && v.Len() > 0 {
			v.SetZero()
		} else {
			v.SetLen(kept)
		}
	case reflect.Struct:
		return p.pruneStruct(v)
	}
	return false
}

func (p Pruner) pruneStruct(v reflect.Value) bool {
	t := v.Type()
	_, isChoice := t.FieldByName("Choice")
	for i := range t.NumField() {
		f := t.Field(i)
		fv := v.Field(i)
		switch {
		case !f.IsExported() || f.Type == rawExtension:
		case f.Type == rawExtensions:
			raw := slices.DeleteFunc(fv.Interface().([]asn1per.RawExtension), func(x asn1per.RawExtension) bool { return x.Index >= 32 })
			if len(raw) == 0 {
				raw = nil
			}
			fv.Set(reflect.ValueOf(raw))
		case p.Clear != nil && p.Clear(t, f):
			fv.SetZero()
		case !p.Prune(fv):
		case isChoice || f.Type.Kind() != reflect.Pointer:
			return true
		default:
			fv.SetZero()
		}
	}
	return false
}

// SpaceNULs replaces the NUL octets of a text-like OCTET STRING field of struct v (when it
// has one by that name) with spaces: tshark shows such strings (productId, versionId,
// productNumber, …) as text and flags a NUL followed by more octets as "Trailing stray
// characters".
func SpaceNULs(v reflect.Value, fields ...string) {
	for _, name := range fields {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Uint8 {
			continue
		}
		for j, c := range f.Bytes() {
			if c == 0 {
				f.Index(j).SetUint(' ')
			}
		}
	}
}
