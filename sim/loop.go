package sim

import "time"

// TimerID names a scheduled event so that it can be cancelled. The zero
// TimerID never names a timer, so it is a safe "no timer" value in actors.
type TimerID uint64

// entry is one scheduled event in the heap. It is deliberately small (24
// bytes) and holds no pointer, so a million pending timers are one flat slice
// the garbage collector does not scan; the callback lives in the slot table.
type entry struct {
	at   time.Duration
	seq  uint64 // insertion order: breaks ties between equal times
	slot uint32 // index into Loop.slots
	gen  uint32 // the slot's generation when scheduled; a mismatch means cancelled
}

// slot holds the callback of a pending timer. Slots are recycled through a
// free list; gen is bumped on every release so that stale heap entries and
// stale TimerIDs are recognised without searching the heap. (A stale TimerID
// could only be mistaken for a live one after its slot were reused 2^32
// times while the ID was kept.)
type slot struct {
	fn  func()
	gen uint32
}

// Loop is a virtual clock with an event queue: the single thread of a world.
// Events run in order of time, then of scheduling, so a run is reproducible.
// Callbacks may schedule and cancel events freely. A Loop is not safe for
// concurrent use; nothing in a simulated world needs it to be.
type Loop struct {
	now     time.Duration
	seq     uint64
	heap    []entry
	slots   []slot
	free    []uint32
	pending int // live (not cancelled, not yet fired) timers
	stale   int // cancelled entries still in the heap
	stopped bool
	fired   uint64
	// MaxEvents, when not 0, is the work budget of Run: it returns once
	// that many events fired in all, with Exhausted true, whatever the
	// clock reads. A file asking for more work than its runner allows
	// stops there rather than running for hours.
	MaxEvents uint64
	exhausted bool
}

// Exhausted reports whether Run stopped at MaxEvents.
func (l *Loop) Exhausted() bool { return l.exhausted }

// NewLoop returns a loop whose clock reads zero.
func NewLoop() *Loop { return &Loop{} }

// Now returns the virtual time since the start of the world.
func (l *Loop) Now() time.Duration { return l.now }

// Pending returns the number of scheduled events that have neither fired nor
// been cancelled.
func (l *Loop) Pending() int { return l.pending }

// Fired returns how many events have run so far (for benchmarks and reports).
func (l *Loop) Fired() uint64 { return l.fired }

// At schedules fn to run at time t. A time in the past is treated as now: the
// event runs after the events already due, never before the current one.
func (l *Loop) At(t time.Duration, fn func()) TimerID {
	if t < l.now {
		t = l.now
	}
	var s uint32
	if n := len(l.free); n > 0 {
		s = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		if len(l.slots) >= 1<<32-1 {
			panic("sim: more than 2^32-1 pending timers")
		}
		s = uint32(len(l.slots))
		l.slots = append(l.slots, slot{})
	}
	l.slots[s].fn = fn
	gen := l.slots[s].gen
	l.push(entry{at: t, seq: l.seq, slot: s, gen: gen})
	l.seq++
	l.pending++
	return TimerID(uint64(gen)<<32 | uint64(s+1))
}

// After schedules fn to run d after now. A negative d is treated as zero.
func (l *Loop) After(d time.Duration, fn func()) TimerID {
	return l.At(l.now+d, fn)
}

// Cancel removes a scheduled event and reports whether it was still pending.
// Cancelling a timer that fired, was cancelled, or is zero returns false.
// The heap entry stays until it surfaces or the heap is compacted, so a
// cancel costs O(1).
func (l *Loop) Cancel(id TimerID) bool {
	s, gen := uint32(id&0xffffffff), uint32(id>>32)
	if s == 0 || int(s) > len(l.slots) {
		return false
	}
	s--
	if l.slots[s].gen != gen || l.slots[s].fn == nil {
		return false
	}
	l.release(s)
	l.pending--
	l.stale++
	// Compact when cancelled entries dominate, so that a workload that keeps
	// re-arming timers (keep-alives, retransmissions) cannot grow the heap
	// without bound. Amortised O(1) per cancel.
	if l.stale > 1024 && l.stale > len(l.heap)/2 {
		l.compact()
	}
	return true
}

// Step runs the next pending event, advancing the clock to its time, and
// reports whether there was one.
func (l *Loop) Step() bool {
	for len(l.heap) > 0 {
		e := l.pop()
		if l.slots[e.slot].gen != e.gen {
			l.stale--
			continue
		}
		fn := l.slots[e.slot].fn
		l.release(e.slot)
		l.pending--
		l.now = e.at
		l.fired++
		fn()
		return true
	}
	return false
}

// Run runs events in order until the next one is due after until, the queue
// is empty, or Stop is called. Events due exactly at until run. Unless
// stopped, the clock then reads until (if it was not already later).
func (l *Loop) Run(until time.Duration) {
	l.stopped = false
	for !l.stopped {
		// Drop cancelled entries from the top so the time test sees a live one.
		for len(l.heap) > 0 && l.slots[l.heap[0].slot].gen != l.heap[0].gen {
			l.pop()
			l.stale--
		}
		if len(l.heap) == 0 || l.heap[0].at > until {
			break
		}
		if l.MaxEvents > 0 && l.fired >= l.MaxEvents {
			l.exhausted = true
			return
		}
		l.Step()
	}
	if !l.stopped && l.now < until {
		l.now = until
	}
}

// Stop makes Run return after the event that is running now.
func (l *Loop) Stop() { l.stopped = true }

// release frees a slot for reuse and invalidates every reference to it.
func (l *Loop) release(s uint32) {
	l.slots[s].fn = nil
	l.slots[s].gen++
	l.free = append(l.free, s)
}

// compact removes cancelled entries and restores the heap property.
func (l *Loop) compact() {
	live := l.heap[:0]
	for _, e := range l.heap {
		if l.slots[e.slot].gen == e.gen {
			live = append(live, e)
		}
	}
	clear(l.heap[len(live):])
	l.heap = live
	l.stale = 0
	for i := len(l.heap)/2 - 1; i >= 0; i-- {
		l.down(i)
	}
}

// The heap is hand-rolled on the concrete entry type: container/heap would
// box every entry in an interface on Push and Pop.

func (a entry) before(b entry) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (l *Loop) push(e entry) {
	l.heap = append(l.heap, e)
	l.up(len(l.heap) - 1)
}

func (l *Loop) pop() entry {
	h := l.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	l.heap = h[:n]
	if n > 0 {
		l.down(0)
	}
	return top
}

func (l *Loop) up(i int) {
	h := l.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !e.before(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (l *Loop) down(i int) {
	h := l.heap
	n := len(h)
	e := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].before(h[c]) {
			c = r
		}
		if !h[c].before(e) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = e
}
