package realnet

import "time"

// Timers keeps the pending timers of one core, keyed by the core's timer
// IDs: SetTimer with a pending ID replaces it, as the cores' contracts say.
// It is used from the loop goroutine only. A timer fires by posting to the
// loop; a generation number drops a firing that was already on its way
// when the timer was cancelled or replaced.
type Timers[K comparable] struct {
	loop    *Loop
	pending map[K]*pendingTimer
	gen     uint64
}

type pendingTimer struct {
	timer *time.Timer
	gen   uint64
}

// NewTimers returns an empty timer set on loop.
func NewTimers[K comparable](loop *Loop) *Timers[K] {
	return &Timers[K]{loop: loop, pending: map[K]*pendingTimer{}}
}

// Set runs fire on the loop after d, replacing a pending timer of id.
func (t *Timers[K]) Set(id K, d time.Duration, fire func()) {
	t.Cancel(id)
	t.gen++
	p := &pendingTimer{gen: t.gen}
	gen := t.gen
	p.timer = time.AfterFunc(d, func() {
		t.loop.Post(func() {
			if cur, ok := t.pending[id]; ok && cur.gen == gen {
				delete(t.pending, id)
				fire()
			}
		})
	})
	t.pending[id] = p
}

// Cancel withdraws a pending timer; an unknown id is harmless.
func (t *Timers[K]) Cancel(id K) {
	if p, ok := t.pending[id]; ok {
		p.timer.Stop()
		delete(t.pending, id)
	}
}

// Pending is the number of pending timers.
func (t *Timers[K]) Pending() int { return len(t.pending) }

// Stop cancels every pending timer.
func (t *Timers[K]) Stop() {
	for id := range t.pending {
		t.Cancel(id)
	}
}
