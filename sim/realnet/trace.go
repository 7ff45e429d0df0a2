package realnet

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// Direction says whether a traced message was sent or received; it is
// empty for an event that is not a message (a registration outcome, a
// malformed datagram).
type Direction string

// Directions of traced events.
const (
	Sent     Direction = "send"
	Received Direction = "recv"
	Local    Direction = ""
)

// arrow is how a line shows the direction.
func (d Direction) arrow() string {
	switch d {
	case Sent:
		return "->"
	case Received:
		return "<-"
	}
	return "  "
}

// TraceEvent is one line of a run: a timeline event (At is the wall-clock
// time since the loop started) and its direction.
type TraceEvent struct {
	Dir Direction
	timeline.Event
}

// String renders the event like timeline.Event.String, with the direction
// after the time: "    0.003s  ->  ras.rrq  peer=127.0.0.1:1719  seq=1".
func (e TraceEvent) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%9.3fs  %s  %s", e.At.Seconds(), e.Dir.arrow(), e.Name)
	for _, a := range e.Attrs {
		b.WriteString("  ")
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value)
	}
	return b.String()
}

// Trace collects the events of a run on the loop goroutine and writes each
// as a line to Out (when set) as it happens.
type Trace struct {
	loop   *Loop
	Out    io.Writer
	events []TraceEvent
}

// NewTrace returns a trace timed by loop's clock.
func NewTrace(loop *Loop, out io.Writer) *Trace { return &Trace{loop: loop, Out: out} }

// Add records an event; call it on the loop goroutine.
func (t *Trace) Add(dir Direction, name string, attrs []timeline.Attr, wire *timeline.Wire) {
	e := TraceEvent{Dir: dir, Event: timeline.Event{Seq: len(t.events), At: t.loop.Since(), Name: name,
		Attrs: slices.Clone(attrs), Wire: wire}}
	t.events = append(t.events, e)
	if t.Out != nil {
		fmt.Fprintln(t.Out, e.String())
	}
}

// Events returns the events so far; read it on the loop goroutine or after
// the loop ended.
func (t *Trace) Events() []TraceEvent { return t.events }

// peer puts the other side's address first in a message's attributes.
func peer(addr netip.AddrPort, attrs []timeline.Attr) []timeline.Attr {
	return append([]timeline.Attr{timeline.A("peer", addr)}, attrs...)
}

// SentRAS records a RAS datagram the core sent.
func (t *Trace) SentRAS(src netip.AddrPort, s ras.Send) {
	t.Add(Sent, s.Event, peer(s.To, s.Attrs),
		&timeline.Wire{Protocol: "ras", Transport: "udp", Src: src, Dst: s.To, Payload: s.Payload})
}

// ReceivedRAS records a RAS datagram before the core handles it; one that
// does not decode is left to the core's ras.malformed record.
func (t *Trace) ReceivedRAS(from, dst netip.AddrPort, payload []byte) {
	m, err := ras.Decode(payload)
	if err != nil {
		return
	}
	t.Add(Received, ras.EventName(m), peer(from, ras.Attrs(m)),
		&timeline.Wire{Protocol: "ras", Transport: "udp", Src: from, Dst: dst, Payload: payload})
}

// SentQ931 records a Q.931 message a leg sent on c.
func (t *Trace) SentQ931(c *Conn, s h323.Send) {
	t.Add(Sent, s.Event, peer(c.RemoteAddr(), s.Attrs),
		&timeline.Wire{Protocol: "q931", Transport: "tcp", Src: c.LocalAddr(), Dst: c.RemoteAddr(), Payload: s.Payload})
}

// ReceivedQ931 records a Q.931 message received on c, named like the
// leg names what it sends, with cause=N when it carries a Cause.
func (t *Trace) ReceivedQ931(c *Conn, payload []byte) {
	attrs := []timeline.Attr{}
	name := "q931.unreadable"
	if m, err := q931.Decode(payload); err == nil {
		name = m.Type.EventName()
		if m.Has(q931.IECause) {
			if cause, err := m.Cause(); err == nil {
				attrs = append(attrs, timeline.A("cause", strconv.Itoa(int(cause.Value))))
			}
		}
	}
	t.Add(Received, name, peer(c.RemoteAddr(), attrs),
		&timeline.Wire{Protocol: "q931", Transport: "tcp", Src: c.RemoteAddr(), Dst: c.LocalAddr(), Payload: payload})
}
