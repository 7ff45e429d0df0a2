// Package timeline is the one record of what happened in a world: every actor
// (PBX, push service, phones, the network) reports typed events here, and
// expectations, text and HTML ladders, JSON/JUnit reports and pcap files are
// all views of it.
//
// The package is deliberately tiny and imports nothing of the project, so that
// protocol cores can describe the events they want recorded without importing
// the simulator.
package timeline

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Attr is one attribute of an event. Values are kept as text: an expectation
// `cause: 18` matches an event whose cause attribute is "18". Attributes keep
// the order the actor gave them, so every rendering is deterministic.
type Attr struct {
	Key   string
	Value string
}

// Wire is what a message event carried on the (simulated or real) wire, for
// the views that show bytes: pcap files and the HTML ladder's decoded fields.
type Wire struct {
	// Protocol names the payload: "ras" (an H.225.0 RasMessage, PER),
	// "q931" (one Q.931 message carrying H.225.0 user-user data, without TPKT),
	// "push" (a push-protocol JSON message), "apns", "fcm".
	Protocol string
	// Transport is "udp", "tcp", "tls", "dtls" or "ws".
	Transport string
	Src, Dst  netip.AddrPort
	Payload   []byte
}

// Event is one thing that happened.
type Event struct {
	// Seq is the event's position in the timeline, from 0; equal times keep
	// the order in which things happened.
	Seq int
	// At is the time since the start of the run.
	At   time.Duration
	Name string // e.g. "ras.rrq", "push.request", "call.released"
	// Attrs holds the attributes (from, to, device, user, cause, reason, ...).
	Attrs []Attr
	// Wire is set on message events that crossed a wire; nil otherwise.
	Wire *Wire
}

// Get returns the value of the attribute key and whether the event has it.
func (e *Event) Get(key string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// String renders the event as one line of readable text, e.g.
// "   2.000s  ras.rrq  from=alice-iphone to=pbx".
func (e *Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%9.3fs  %s", e.At.Seconds(), e.Name)
	for _, a := range e.Attrs {
		b.WriteString("  ")
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value)
	}
	return b.String()
}

// A builds an attribute from any value, formatted with fmt's %v.
func A(key string, value any) Attr {
	switch v := value.(type) {
	case string:
		return Attr{Key: key, Value: v}
	case time.Duration:
		return Attr{Key: key, Value: v.String()}
	default:
		return Attr{Key: key, Value: fmt.Sprint(v)}
	}
}

// Attrs builds attributes from alternating keys and values, as A does for
// one pair: Attrs("cause", 18, "from", "pbx"). A key without a value is
// ignored; keys must be strings.
func Attrs(kv ...any) []Attr {
	out := make([]Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, A(kv[i].(string), kv[i+1]))
	}
	return out
}

// Timeline is an append-only list of events in the order they happened.
// It is not safe for concurrent use: a world is single-threaded.
//
// A timeline keeps every event it is given unless Keep says otherwise: a
// run that only checks expectations keeps the events they name and drops
// the wire bytes, so that a storm of a million phones holds in memory what
// its checks need rather than everything that happened. Seq and Len count
// every event recorded, kept or not.
type Timeline struct {
	events []Event
	n      int // events recorded
	// Keep, when set, says which events (by name) are stored; the others
	// are counted only.
	Keep func(name string) bool
	// NoWire drops the wire bytes of the stored events (no pcap or ladder
	// will be drawn from them).
	NoWire bool
	// Tap, when set, sees every event as it is recorded, with its wire
	// bytes, before Keep and NoWire apply: a view written as the run goes
	// (a pcap) needs every message, not what the timeline keeps. The event
	// is the Tap's to read during the call only.
	Tap func(e *Event)
	last   time.Duration
}

// Add appends an event, stamping its Seq, and returns the stored copy (nil
// when Keep did not keep it). Times must not go backwards; Add panics if
// they do, because that is a bug in a driver, never a consequence of input.
func (t *Timeline) Add(e Event) *Event {
	if t.n > 0 && e.At < t.last {
		panic(fmt.Sprintf("timeline: event %q at %v before previous event at %v", e.Name, e.At, t.last))
	}
	e.Seq = t.n
	t.n++
	t.last = e.At
	if t.Tap != nil {
		t.Tap(&e)
	}
	if t.Keep != nil && !t.Keep(e.Name) {
		return nil
	}
	if t.NoWire {
		e.Wire = nil
	}
	t.events = append(t.events, e)
	return &t.events[len(t.events)-1]
}

// Wants reports whether an event of this name would be stored, so that a
// driver can skip building one that would not.
func (t *Timeline) Wants(name string) bool { return t.Keep == nil || t.Tap != nil || t.Keep(name) }

// WantsWire reports whether an event's wire bytes would be used (stored,
// or seen by the Tap), so that a driver can skip copying them.
func (t *Timeline) WantsWire() bool { return !t.NoWire || t.Tap != nil }

// Skip counts an event that is not stored (Wants said no) at time at.
func (t *Timeline) Skip(at time.Duration) {
	if t.n > 0 && at < t.last {
		panic(fmt.Sprintf("timeline: skipped event at %v before previous event at %v", at, t.last))
	}
	t.n++
	t.last = at
}

// Events returns the stored events in order (every event, unless Keep is
// set). The slice must not be modified.
func (t *Timeline) Events() []Event { return t.events }

// Len returns the number of events recorded, stored or not.
func (t *Timeline) Len() int { return t.n }

// Partial reports whether some recorded events were not stored.
func (t *Timeline) Partial() bool { return len(t.events) != t.n }
