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
