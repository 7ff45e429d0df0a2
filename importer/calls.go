package importer

import (
	"net/netip"
	"slices"
	"time"
)

// call is one call an endpoint placed: its admission, its Setup to the
// gatekeeper, what came back, and the legs the gatekeeper opened for it.
type call struct {
	caller  *endpoint
	at      time.Duration // the ARQ (or, without one, the Setup)
	dialled string
	arq     *message
	ans     *message // ACF or ARJ
	leg     *leg     // caller → gatekeeper
	arrival time.Duration
	legs    []*leg // gatekeeper → callees, in order
}

// leg is one call-signalling exchange on a call reference between two
// actors, from its Setup to its Release Complete.
type leg struct {
	a, b *actor // a sent the Setup
	cr   uint16
	msgs []*message
	done bool
	call *call
}

func (l *leg) setup() *message { return l.msgs[0] }

// first returns the leg's first message of a type from the given side
// (a: the side that sent the Setup).
func (l *leg) first(typ string, fromA bool) *message {
	for _, m := range l.msgs {
		if m.typ == typ && (m.from == l.a) == fromA {
			return m
		}
	}
	return nil
}

// release is the leg's Release Complete and whether the Setup's sender
// (the caller on the caller's leg, the PBX on a callee's) sent it.
func (l *leg) release() (*message, bool) {
	for _, m := range l.msgs {
		if m.q931("release_complete") {
			return m, m.from == l.a
		}
	}
	return nil, false
}

// legs cuts the call signalling into legs.
func (w *world) legs() []*leg {
	// A leg is its call reference on its connection: a phone may give two
	// calls at once the same reference, on two connections.
	type key struct {
		a, b   string
		cr     uint16
		c1, c2 netip.AddrPort
	}
	open := map[key]*leg{}
	var out []*leg
	for _, m := range w.c.msgs {
		if m.ras || m.from == nil || m.to == nil || m.f.CallReference == nil || m.f.TunnelledRAS > 0 {
			continue
		}
		x, y := m.from.ident(), m.to.ident()
		if x > y {
			x, y = y, x
		}
		c1, c2 := m.src, m.dst
		if c1.Compare(c2) > 0 {
			c1, c2 = c2, c1
		}
		k := key{x, y, *m.f.CallReference, c1, c2}
		l := open[k]
		if m.q931("setup") || l == nil {
			if l = (&leg{a: m.from, b: m.to, cr: *m.f.CallReference}); !m.q931("setup") {
				continue // the capture started after this leg's Setup
			}
			open[k] = l
			out = append(out, l)
		}
		l.msgs = append(l.msgs, m)
		if m.q931("release_complete") {
			l.done = true
			delete(open, k)
		}
	}
	return out
}

// calls finds the calls the endpoints placed and gives each its legs.
func (w *world) calls() []*call {
	legs := w.legs()
	var calls []*call
	used := map[*leg]bool{}
	for _, e := range w.eps {
		for _, x := range exchanges(e) {
			arq := x.copies[0]
			if !arq.is("arq") || arq.from.ep != e || arq.f.AnswerCall {
				continue
			}
			c := &call{caller: e, at: arq.at, arq: arq, ans: x.answer, dialled: dialled(arq.f.Destination)}
			for _, l := range legs {
				s := l.setup()
				if used[l] || l.a != e.self || l.b.gk == nil || s.at < arq.at {
					continue
				}
				if s.f.CallIdentifier == arq.f.CallIdentifier || arq.f.CallIdentifier == "" {
					c.leg, used[l] = l, true
					break
				}
			}
			calls = append(calls, c)
		}
	}
	// Setups to the gatekeeper without an ARQ (admission pre-granted).
	for _, l := range legs {
		if !used[l] && l.a.ep != nil && l.b.gk != nil {
			used[l] = true
			calls = append(calls, &call{caller: l.a.ep, at: l.setup().at, leg: l})
		}
	}
	slices.SortStableFunc(calls, func(a, b *call) int { return int(a.at - b.at) })
	for _, c := range calls {
		if c.leg == nil {
			continue
		}
		l := c.leg
		l.call = c
		s := l.setup()
		if c.dialled == "" {
			c.dialled = s.f.CalledNumber
			if c.dialled == "" {
				c.dialled = dialled(s.f.Destination)
			}
		}
		// The PBX has the Setup one latency after it was sent, or when it
		// answers it, whichever the capture shows first (a capture taken on
		// one host shows no latency at all).
		c.arrival = s.at + c.caller.inf.latency
		if a := l.first("call_proceeding", false); a != nil && a.at < c.arrival {
			c.arrival = max(s.at, a.at)
		}
	}
	// A gatekeeper's leg belongs to the call with its callIdentifier (a
	// stack that keeps it), else to the call in progress from the caller
	// its Setup names by number, else to the latest call in progress.
	for _, l := range legs {
		if used[l] || l.a.gk == nil || l.b.ep == nil {
			continue
		}
		s := l.setup()
		var best *call
		bestScore := -1
		for _, c := range calls {
			if c.leg == nil || c.leg.setup().at > s.at || c.ended() >= 0 && c.ended() < s.at || c.caller.gk != l.a.gk {
				continue
			}
			score := 0
			if id := c.leg.setup().f.CallIdentifier; id != "" && id == s.f.CallIdentifier {
				score += 4
			}
			if called := s.f.CalledNumber; called != "" && called == c.dialled || dialled(s.f.Destination) == c.dialled && c.dialled != "" {
				score += 2
			}
			if s.f.CallingNumber != "" && s.f.CallingNumber == c.caller.number {
				score++
			}
			if score >= bestScore { // ties: the latest call
				best, bestScore = c, score
			}
		}
		if best != nil {
			l.call = best
			best.legs = append(best.legs, l)
		}
	}
	return calls
}

// ended is when the caller's leg ended, -1 while it lasts.
func (c *call) ended() time.Duration {
	if m, _ := c.leg.release(); m != nil {
		return m.at
	}
	return never
}

// dialled is the first dialled number among aliases.
func dialled(aliases []string) string {
	for _, a := range aliases {
		if len(a) > 14 && a[:14] == "dialledDigits:" {
			return a[14:]
		}
	}
	return ""
}
