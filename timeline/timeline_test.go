package timeline

import (
	"reflect"
	"testing"
	"time"
)

func TestAttrs(t *testing.T) {
	got := Attrs("cause", 18, "from", "pbx", "after", 2*time.Second, "dangling")
	want := []Attr{{"cause", "18"}, {"from", "pbx"}, {"after", "2s"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Attrs = %v, want %v", got, want)
	}
	if got := Attrs(); len(got) != 0 {
		t.Fatalf("Attrs() = %v, want none", got)
	}
}

func TestAddRejectsTimeGoingBack(t *testing.T) {
	var tl Timeline
	tl.Add(Event{At: time.Second, Name: "a"})
	defer func() {
		if recover() == nil {
			t.Fatal("Add accepted an event before the previous one")
		}
	}()
	tl.Add(Event{At: 0, Name: "b"})
}

func TestKeepStoresOnlyWhatIsAskedFor(t *testing.T) {
	tl := &Timeline{Keep: func(name string) bool { return name == "ras.rcf" }, NoWire: true}
	wire := &Wire{Protocol: "ras", Payload: []byte{1}}
	if e := tl.Add(Event{At: 1, Name: "ras.rrq", Wire: wire}); e != nil {
		t.Fatalf("ras.rrq stored: %v", e)
	}
	if tl.Wants("ras.rrq") || !tl.Wants("ras.rcf") {
		t.Fatal("Wants disagrees with Keep")
	}
	tl.Skip(2)
	e := tl.Add(Event{At: 3, Name: "ras.rcf", Wire: wire})
	if e == nil || e.Seq != 2 || e.Wire != nil {
		t.Fatalf("stored %+v, want seq 2 without wire", e)
	}
	if tl.Len() != 3 || len(tl.Events()) != 1 || !tl.Partial() {
		t.Fatalf("len %d, stored %d, partial %v", tl.Len(), len(tl.Events()), tl.Partial())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a skipped event before the last one did not panic")
		}
	}()
	tl.Skip(2)
}
