package sim

import (
	"slices"
	"testing"
	"time"
)

func TestLoopOrdersByTimeThenInsertion(t *testing.T) {
	l := NewLoop()
	var got []string
	rec := func(s string) func() { return func() { got = append(got, s+"@"+l.Now().String()) } }
	l.At(3*time.Second, rec("c"))
	l.At(1*time.Second, rec("a1"))
	l.At(2*time.Second, rec("b"))
	l.At(1*time.Second, rec("a2"))
	l.After(1*time.Second, func() {
		got = append(got, "a3@"+l.Now().String())
		// Scheduled from inside an event, at the same time: runs after the
		// events already due then, and before later ones.
		l.After(0, rec("a4"))
		l.At(0, rec("past")) // in the past: treated as now
	})
	l.Run(10 * time.Second)
	want := []string{"a1@1s", "a2@1s", "a3@1s", "a4@1s", "past@1s", "b@2s", "c@3s"}
	if !slices.Equal(got, want) {
		t.Fatalf("order:\n got %v\nwant %v", got, want)
	}
	if l.Now() != 10*time.Second {
		t.Fatalf("clock after Run = %v, want 10s", l.Now())
	}
	if l.Fired() != 7 || l.Pending() != 0 {
		t.Fatalf("fired %d pending %d, want 7 and 0", l.Fired(), l.Pending())
	}
}

func TestLoopRunUntilIncludesBoundary(t *testing.T) {
	l := NewLoop()
	var ran []time.Duration
	for _, at := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		l.At(at, func() { ran = append(ran, l.Now()) })
	}
	l.Run(2 * time.Second)
	if !slices.Equal(ran, []time.Duration{time.Second, 2 * time.Second}) {
		t.Fatalf("ran %v, want [1s 2s]", ran)
	}
	if l.Now() != 2*time.Second || l.Pending() != 1 {
		t.Fatalf("now %v pending %d, want 2s and 1", l.Now(), l.Pending())
	}
	l.Run(5 * time.Second)
	if len(ran) != 3 || l.Now() != 5*time.Second {
		t.Fatalf("second Run: ran %v now %v", ran, l.Now())
	}
}

func TestLoopCancel(t *testing.T) {
	tests := []struct {
		name       string
		run        func(l *Loop, fired *[]int) bool // returns Cancel's result
		wantCancel bool
		wantFired  []int
	}{
		{"pending timer", func(l *Loop, f *[]int) bool {
			id := l.After(time.Second, func() { *f = append(*f, 1) })
			l.After(2*time.Second, func() { *f = append(*f, 2) })
			return l.Cancel(id)
		}, true, []int{2}},
		{"zero id", func(l *Loop, f *[]int) bool { return l.Cancel(0) }, false, nil},
		{"unknown id", func(l *Loop, f *[]int) bool { return l.Cancel(TimerID(12345)) }, false, nil},
		{"twice", func(l *Loop, f *[]int) bool {
			id := l.After(time.Second, func() { *f = append(*f, 1) })
			l.Cancel(id)
			return l.Cancel(id)
		}, false, nil},
		{"after firing", func(l *Loop, f *[]int) bool {
			id := l.After(time.Second, func() { *f = append(*f, 1) })
			l.Step()
			return l.Cancel(id)
		}, false, []int{1}},
		{"stale id after slot reuse", func(l *Loop, f *[]int) bool {
			old := l.After(time.Second, func() { *f = append(*f, 1) })
			l.Cancel(old)
			l.After(time.Second, func() { *f = append(*f, 2) }) // reuses the slot
			return l.Cancel(old)
		}, false, []int{2}},
		{"from inside an event", func(l *Loop, f *[]int) bool {
			var later TimerID
			l.After(time.Second, func() { *f = append(*f, 1); l.Cancel(later) })
			later = l.After(2*time.Second, func() { *f = append(*f, 2) })
			return true
		}, true, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLoop()
			var fired []int
			if got := tt.run(l, &fired); got != tt.wantCancel {
				t.Fatalf("Cancel = %v, want %v", got, tt.wantCancel)
			}
			l.Run(time.Minute)
			if !slices.Equal(fired, tt.wantFired) {
				t.Fatalf("fired %v, want %v", fired, tt.wantFired)
			}
			if l.Pending() != 0 {
				t.Fatalf("pending %d after run", l.Pending())
			}
		})
	}
}

func TestLoopCompactsCancelledTimers(t *testing.T) {
	l := NewLoop()
	// A keep-alive that is re-armed 100,000 times must not leave 100,000
	// dead entries in the heap.
	id := l.After(time.Hour, func() {})
	for range 100_000 {
		l.Cancel(id)
		id = l.After(time.Hour, func() {})
	}
	if len(l.heap) > 3000 {
		t.Fatalf("heap holds %d entries for 1 live timer", len(l.heap))
	}
	if len(l.slots) != 1 {
		t.Fatalf("slot table has %d slots, want 1 (reused)", len(l.slots))
	}
	fired := 0
	l.After(time.Hour, func() { fired++ })
	l.Run(2 * time.Hour)
	if fired != 1 || l.Fired() != 2 {
		t.Fatalf("fired %d (total %d), want 1 (2)", fired, l.Fired())
	}
}

func TestLoopStopAndStep(t *testing.T) {
	l := NewLoop()
	count := 0
	for i := 1; i <= 5; i++ {
		l.At(time.Duration(i)*time.Second, func() {
			count++
			if count == 2 {
				l.Stop()
			}
		})
	}
	l.Run(time.Minute)
	if count != 2 || l.Now() != 2*time.Second {
		t.Fatalf("after Stop: count %d now %v, want 2 and 2s", count, l.Now())
	}
	if !l.Step() || count != 3 || l.Now() != 3*time.Second {
		t.Fatalf("Step: count %d now %v", count, l.Now())
	}
	l.Run(time.Minute)
	if count != 5 || l.Step() {
		t.Fatalf("count %d, Step on empty queue should be false", count)
	}
}

// TestLoopHeapOrderRandomised checks the heap against a sort, with
// cancellations, over many pseudo-random schedules.
func TestLoopHeapOrderRandomised(t *testing.T) {
	r := NewRand(7)
	for round := range 50 {
		l := NewLoop()
		type ev struct {
			at  time.Duration
			seq int
		}
		var want, got []ev
		ids := map[int]TimerID{}
		for i := range 500 {
			at := time.Duration(r.IntN(50)) * time.Millisecond
			e := ev{at, i}
			ids[i] = l.At(at, func() { got = append(got, e) })
			want = append(want, e)
		}
		cancelled := map[int]bool{}
		for range 100 {
			i := r.IntN(500)
			if l.Cancel(ids[i]) == cancelled[i] {
				t.Fatalf("round %d: Cancel(%d) result wrong", round, i)
			}
			cancelled[i] = true
		}
		want = slices.DeleteFunc(want, func(e ev) bool { return cancelled[e.seq] })
		slices.SortStableFunc(want, func(a, b ev) int { return int(a.at - b.at) })
		l.Run(time.Second)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: order differs from a stable sort", round)
		}
	}
}

// TestLoopMaxEvents: Run returns after MaxEvents events with Exhausted set,
// before the clock reaches until; without a budget it runs them all.
func TestLoopMaxEvents(t *testing.T) {
	l := NewLoop()
	l.MaxEvents = 5
	var tick func()
	fired := 0
	tick = func() { fired++; l.After(time.Second, tick) }
	l.At(0, tick)
	l.Run(time.Hour)
	if fired != 5 || !l.Exhausted() || l.Now() >= time.Hour {
		t.Errorf("fired %d, exhausted %v, now %v; want 5, true, before 1h", fired, l.Exhausted(), l.Now())
	}
	u := NewLoop()
	n := 0
	u.At(0, func() { n++ })
	u.At(time.Minute, func() { n++ })
	u.Run(time.Hour)
	if n != 2 || u.Exhausted() {
		t.Errorf("without a budget: %d events, exhausted %v", n, u.Exhausted())
	}
}
