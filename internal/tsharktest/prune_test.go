package tsharktest

import (
	"reflect"
	"testing"

	"github.com/callwake/callwake/asn1per"
)

type pruneChoice struct {
	Choice int
	Bad    *pruneLeaf
}

type pruneLeaf struct{ Bad bool }

type pruneSeq struct {
	Number     int64
	Optional   *pruneLeaf
	Mandatory  pruneLeaf
	List       []pruneLeaf
	Sub        []byte
	Text       []byte
	Extensions []asn1per.RawExtension
}

// TestPruner checks the walk: big numbers kept within 31 bits, unknown extensions from index 32
// dropped, list elements and OPTIONAL components that must go removed, a mandatory one taking
// its parent along, cleared fields, NULs of text fields made spaces.
func TestPruner(t *testing.T) {
	p := Pruner{
		Value: func(v reflect.Value) bool {
			if l, ok := v.Addr().Interface().(*pruneLeaf); ok {
				return l.Bad
			}
			if v.Kind() == reflect.Struct {
				SpaceNULs(v, "Text")
			}
			return false
		},
		Clear: func(t reflect.Type, f reflect.StructField) bool { return t.Name() == "pruneSeq" && f.Name == "Sub" },
	}
	v := pruneSeq{
		Number:     1<<40 | 5,
		Optional:   &pruneLeaf{Bad: true},
		List:       []pruneLeaf{{Bad: true}, {}, {Bad: true}},
		Sub:        []byte{1},
		Text:       []byte("a\x00b"),
		Extensions: []asn1per.RawExtension{{Index: 3, Data: []byte{1}}, {Index: 32, Data: []byte{2}}},
	}
	if p.Prune(reflect.ValueOf(&v).Elem()) {
		t.Fatal("the value was dropped")
	}
	want := pruneSeq{Number: 5, List: []pruneLeaf{{}}, Text: []byte("a b"), Extensions: []asn1per.RawExtension{{Index: 3, Data: []byte{1}}}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("pruned to %+v, want %+v", v, want)
	}
	bad := pruneSeq{Mandatory: pruneLeaf{Bad: true}}
	if !p.Prune(reflect.ValueOf(&bad).Elem()) {
		t.Error("a mandatory component that must go did not take its parent")
	}
	ch := pruneChoice{Choice: 1, Bad: &pruneLeaf{Bad: true}}
	if !p.Prune(reflect.ValueOf(&ch).Elem()) {
		t.Error("a selected alternative that must go did not take its CHOICE")
	}
}
