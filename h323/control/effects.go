package control

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Effect is what a Peer method asks the driver to do or tells it happened. The driver
// type-switches on the concrete types of this file.
type Effect interface{ isEffect() }

// Send is one encoded MultimediaSystemControlMessage to write on the control channel.
type Send struct {
	Message []byte
	// Name is the ASN.1 name of the message ("terminalCapabilitySet",
	// "masterSlaveDeterminationAck", "endSessionCommand", …); Event is its timeline event
	// name, "h245." + Name in snake case ("h245.terminal_capability_set").
	Name, Event string
}

// Timer names an H.245 timer the peer runs.
type Timer int

// The timers of H.245 Annex C the peer uses.
const (
	// T101: waiting for terminalCapabilitySetAck (capability exchange).
	T101 Timer = iota + 1
	// T103: waiting for openLogicalChannelAck or closeLogicalChannelAck.
	T103
	// T106: waiting for masterSlaveDeterminationAck.
	T106
)

func (t Timer) String() string {
	switch t {
	case T101:
		return "T101"
	case T103:
		return "T103"
	case T106:
		return "T106"
	}
	return fmt.Sprintf("Timer(%d)", int(t))
}

// SetTimer asks the driver to call Peer.Timeout(Timer) after After, replacing a pending
// expiry of the same timer.
type SetTimer struct {
	Timer Timer
	After time.Duration
}

// StopTimer cancels a pending timer.
type StopTimer struct{ Timer Timer }

// CapabilitiesReceived reports a terminal capability set from the peer: Codecs are the
// configured codecs it can receive, in our preference order (empty: none in common, or the
// empty capability set that pauses the call).
type CapabilitiesReceived struct{ Codecs []Codec }

// MasterSlaveDetermined reports the outcome of master-slave determination.
type MasterSlaveDetermined struct{ Master bool }

// ChannelOpened reports that the peer accepted our transmit channel: RTP and RTCP are the
// addresses media and its reports go to (the ack's mediaChannel and mediaControlChannel; RTCP
// is invalid when the ack had none).
type ChannelOpened struct {
	Number    int
	Codec     Codec
	RTP, RTCP netip.AddrPort
}

// PeerChannelOpened reports a channel the peer opened towards us and that we acknowledged
// with our media addresses; RTCP is the peer's mediaControlChannel (invalid without one).
type PeerChannelOpened struct {
	Number int
	Codec  Codec
	RTCP   netip.AddrPort
}

// ChannelClosed reports the end of a logical channel: ours (Peer false) closed on the peer's
// request or acknowledged closed, or one of the peer's (Peer true) it closed.
type ChannelClosed struct {
	Number int
	Peer   bool
}

// NoCommonCodec reports that capability exchange finished and the peer can receive none of
// the configured codecs, so no transmit channel can be opened. A real endpoint usually
// clears the call then ("Could not find common codec"); the driver decides.
type NoCommonCodec struct{}

// SessionEnded reports that endSessionCommand went both ways (ByPeer: the peer's came
// first): the control channel has nothing more to carry and may be closed.
type SessionEnded struct{ ByPeer bool }

// Failure reports a procedure that failed — a rejected or unanswered capability set,
// master-slave determination or channel, a message that could not be decoded, a peer that did
// not understand ours. The session goes on where H.245 lets it; Err says what happened.
type Failure struct{ Err error }

func (Send) isEffect()                  {}
func (SetTimer) isEffect()              {}
func (StopTimer) isEffect()             {}
func (CapabilitiesReceived) isEffect()  {}
func (MasterSlaveDetermined) isEffect() {}
func (ChannelOpened) isEffect()         {}
func (PeerChannelOpened) isEffect()     {}
func (ChannelClosed) isEffect()         {}
func (NoCommonCodec) isEffect()         {}
func (SessionEnded) isEffect()          {}
func (Failure) isEffect()               {}

// EventName is the timeline event name of an H.245 message named name (its ASN.1
// identifier): "h245." and the name in snake case.
func EventName(name string) string {
	// Every message of a call asks for its name: the few names there are
	// are made once (the cache is shared by the worlds running at once).
	if e, ok := eventNames.Load(name); ok {
		return e.(string)
	}
	e := eventName(name)
	eventNames.Store(name, e)
	return e
}

// eventNames caches EventName; its keys are ASN.1 identifiers of the H.245
// module, a bounded set (a peer's message is named by its decoded choice,
// never by its bytes).
var eventNames sync.Map

func eventName(name string) string {
	var b strings.Builder
	b.Grow(len("h245.") + 2*len(name))
	b.WriteString("h245.")
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
