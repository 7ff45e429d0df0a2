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

// TestTapSeesEverything: the Tap sees every event with its wire bytes,
// whatever Keep and NoWire store, and makes Wants and WantsWire say so.
func TestTapSeesEverything(t *testing.T) {
	var seen []string
	tl := &Timeline{Keep: func(name string) bool { return name == "ras.rcf" }, NoWire: true}
	if tl.Wants("ras.rrq") || tl.WantsWire() {
		t.Fatal("without a Tap, a lean timeline wants neither ras.rrq nor wire bytes")
	}
	tl.Tap = func(e *Event) {
		if e.Wire == nil {
			t.Errorf("%s reached the Tap without its wire", e.Name)
		}
		seen = append(seen, e.Name)
	}
	if !tl.Wants("ras.rrq") || !tl.WantsWire() {
		t.Fatal("with a Tap, every event and its wire are wanted")
	}
	wire := &Wire{Protocol: "ras", Payload: []byte{1}}
	tl.Add(Event{At: 1, Name: "ras.rrq", Wire: wire})
	e := tl.Add(Event{At: 2, Name: "ras.rcf", Wire: wire})
	if !reflect.DeepEqual(seen, []string{"ras.rrq", "ras.rcf"}) || len(tl.Events()) != 1 || e.Wire != nil {
		t.Fatalf("tapped %v, stored %v", seen, tl.Events())
	}
}
