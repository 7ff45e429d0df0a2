package h323

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"

	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/timeline"
)

// H245Config configures a leg's H.245 control channel (addition to the contract). The zero
// value opens none: the leg's messages say h245Tunnelling false and carry no h245Address,
// and H.245 from the peer is ignored, as in the legs of earlier versions.
type H245Config struct {
	// Enabled makes the leg run an H.245 peer (package control) for its call.
	Enabled bool
	// Tunnelling offers H.245 tunnelled in the call signalling (outgoing legs: h245Tunnelling
	// true in the Setup) and accepts the peer's offer (incoming legs). Without it, or when the
	// peer does not tunnel, H.245 uses a separate TCP connection.
	Tunnelling bool
	// Address is our H.245 listening address for a separate connection: an incoming leg
	// announces it in its Connect when the caller gave none, and either leg sends it in a
	// Facility startH245 when the call is connected and no H.245 channel exists. Zero: the
	// leg never listens and only connects to the peer's address.
	Address netip.AddrPort
	// Control configures the H.245 peer: terminal type, codecs, RTP and RTCP addresses.
	// Control.Random nil means a generator seeded from the call identifier and the leg's
	// direction (deterministic, different on the two sides of a call).
	Control control.Config
}

// H.245 transport of a leg.
type h245Mode int

const (
	h245None     h245Mode = iota // no control channel yet
	h245Tunnel                   // tunnelled in H.225.0 messages
	h245Separate                 // a TCP connection of its own
)

// h245Link is the leg's side of its H.245 control channel.
type h245Link struct {
	peer *control.Peer
	mode h245Mode
	// refused: tunnelling is off for this call (we did not offer it, the peer did not, or
	// the peer's Connect said false); it cannot come back (H.323 8.2.1).
	refused bool
	// connecting: H245Connect was emitted; listening: our address was announced.
	connecting, listening bool
	// pending are tunnelled messages waiting for the next H.225.0 message we send; sent
	// says some have gone out.
	pending [][]byte
	names   []string
	sent    bool
	closed  bool // H245Close was emitted
}

// tunnelling is the h245Tunnelling our messages carry.
func (l *Leg) tunnelling() bool {
	c := l.cfg.H245
	return c.Enabled && c.Tunnelling && !l.h245.refused
}

// startH245 creates and starts the H.245 peer on a channel that now exists, in mode m.
func (l *Leg) startH245(m h245Mode) []Effect {
	cfg := l.cfg.H245.Control
	if cfg.Random == nil {
		cfg.Random = seededRandom(l.cfg.CallID, l.cfg.Outgoing)
	}
	peer, err := control.New(cfg)
	if err != nil {
		l.h245.refused = true // reported once; the call goes on without H.245
		return []Effect{ProtocolError{Err: fmt.Errorf("h323: H.245: %w", err)}}
	}
	l.h245.peer, l.h245.mode = peer, m
	return l.fromControl(peer.Start())
}

// seededRandom is a deterministic random source for master-slave determination: splitmix64
// seeded with an FNV hash of the call identifier and the direction, so that the two legs of
// one call draw different numbers and every run of a scenario draws the same ones.
func seededRandom(callID [16]byte, outgoing bool) func() uint32 {
	h := fnv.New64a()
	h.Write(callID[:])
	if outgoing {
		h.Write([]byte{1})
	}
	state := h.Sum64()
	return func() uint32 {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return uint32((z ^ z>>31) >> 32)
	}
}

// fromControl turns the peer's effects into the leg's: messages are queued for tunnelling or
// become H245Send, the rest is reported as H245.
func (l *Leg) fromControl(effects []control.Effect) []Effect {
	var out []Effect
	add := func(e Effect) {
		if out == nil {
			out = make([]Effect, 0, len(effects)+1) // one append at most past the effects: the close
		}
		out = append(out, e)
	}
	for _, e := range effects {
		switch e := e.(type) {
		case control.Send:
			if l.h245.mode == h245Tunnel {
				l.h245.pending = append(l.h245.pending, e.Message)
				l.h245.names = append(l.h245.names, e.Name)
				continue
			}
			add(H245Send{Payload: e.Message, Event: e.Event})
		case control.SessionEnded:
			add(H245{Effect: e})
			out = append(out, l.closeH245()...)
		default:
			add(H245{Effect: e})
		}
	}
	return out
}

// closeH245 asks the driver to close a separate H.245 connection, once.
func (l *Leg) closeH245() []Effect {
	if l.h245.mode != h245Separate || l.h245.closed {
		return nil
	}
	l.h245.closed = true
	return []Effect{H245Close{}}
}

// takeTunnelled returns the queued tunnelled messages and their timeline attribute, and
// empties the queue.
func (l *Leg) takeTunnelled() ([][]byte, []timeline.Attr) {
	if len(l.h245.pending) == 0 {
		return nil, nil
	}
	msgs, attr := l.h245.pending, timeline.A("h245", strings.Join(l.h245.names, ","))
	// The messages go to the caller; the names were copied by Join.
	l.h245.pending, l.h245.names, l.h245.sent = nil, l.h245.names[:0], true
	return msgs, []timeline.Attr{attr}
}

// canSendFacility reports whether the leg may send a Facility of its own now: a call exists
// and, on an incoming leg, the Setup has been answered.
func (l *Leg) canSendFacility() bool {
	switch l.state {
	case StateNull, StateReleased:
		return false
	case StateSetupReceived:
		return l.cfg.Outgoing
	}
	return true
}

// flushTunnelled sends queued tunnelled messages in a Facility (body empty, H.225.0 7.4) when
// the leg may send one; otherwise they wait for its next message.
func (l *Leg) flushTunnelled(out []Effect) []Effect {
	if len(l.h245.pending) == 0 || !l.canSendFacility() {
		return out
	}
	return append(out, l.builder().tunnel())
}

// h245Received handles the H.245 part of a well-formed message from the peer, after the call
// state machine: the tunnelling answer, tunnelled messages, and an h245Address to connect to.
func (l *Leg) h245Received(in incoming, out []Effect) []Effect {
	if !l.cfg.H245.Enabled || l.state == StateNull || in.uu == nil {
		return out
	}
	tunnelled := in.uu.H245Tunnelling != nil && *in.uu.H245Tunnelling
	if l.h245.mode == h245None && !l.h245.refused {
		switch {
		case tunnelled && l.cfg.H245.Tunnelling:
			out = append(out, l.startH245(h245Tunnel)...)
		case !l.cfg.Outgoing || in.body.Choice == h225.H323UUPDUH323MessageBodyConnect:
			// The callee decides with its answer to the Setup; a caller only gives up with the
			// Connect, because a gatekeeper may answer with a Call Proceeding of its own first.
			l.h245.refused = true
		}
	}
	if l.h245.mode == h245Tunnel && l.state != StateReleased {
		for _, m := range in.uu.H245Control {
			out = append(out, l.fromControl(l.h245.peer.Handle(m))...)
		}
	}
	if addr := bodyH245Address(in.body); addr.IsValid() && l.h245.mode == h245None && !l.h245.connecting && l.state != StateReleased {
		l.h245.connecting = true
		out = append(out, H245Connect{Address: addr})
	}
	if l.state == StateActive && l.cfg.Outgoing && in.body.Choice == h225.H323UUPDUH323MessageBodyConnect {
		out = l.offerH245(out)
	}
	return l.flushTunnelled(out)
}

// offerH245 sends a Facility startH245 with our listening address when the call is
// connected without any H.245 channel in sight, as H.323 endpoints do.
func (l *Leg) offerH245(out []Effect) []Effect {
	h := &l.h245
	if !l.cfg.H245.Enabled || h.mode != h245None || !h.refused || h.connecting || h.listening || !l.cfg.H245.Address.IsValid() {
		return out
	}
	h.listening = true
	return append(out, H245Listen{Address: l.cfg.H245.Address}, l.builder().startH245(l.cfg.H245.Address))
}

// announceAddress is the h245Address an incoming leg puts in its Connect: ours, when H.245
// will use a separate connection and the caller gave no address to connect to.
func (l *Leg) announceAddress() (netip.AddrPort, []Effect) {
	h := &l.h245
	if !l.cfg.H245.Enabled || l.cfg.Outgoing || h.mode != h245None || h.connecting || !l.cfg.H245.Address.IsValid() {
		return netip.AddrPort{}, nil
	}
	h.refused, h.listening = true, true
	return l.cfg.H245.Address, []Effect{H245Listen{Address: l.cfg.H245.Address}}
}

// H245Connected tells the leg that its separate H.245 connection is established (the one it
// asked for with H245Connect, or one the peer opened to the address of H245Listen): the H.245
// session starts on it. The leg uses one connection; later calls do nothing.
func (l *Leg) H245Connected() []Effect {
	if !l.cfg.H245.Enabled || l.h245.mode != h245None || l.state == StateReleased {
		return nil
	}
	l.h245.refused = true
	return l.startH245(h245Separate)
}

// HandleH245 takes one H.245 message (a MultimediaSystemControlMessage, TPKT removed) from
// the separate H.245 connection.
func (l *Leg) HandleH245(payload []byte) []Effect {
	if l.h245.mode != h245Separate {
		return []Effect{ProtocolError{Err: fmt.Errorf("%w: H.245 message without a separate H.245 connection", ErrUnexpectedMessage)}}
	}
	if l.state == StateReleased {
		return nil
	}
	return l.fromControl(l.h245.peer.Handle(payload))
}

// H245Timeout is called when a timer the leg asked for (an H245 effect holding a
// control.SetTimer) expires.
func (l *Leg) H245Timeout(t control.Timer) []Effect {
	if l.h245.peer == nil || l.state == StateReleased {
		return nil
	}
	return l.flushTunnelled(l.fromControl(l.h245.peer.Timeout(t)))
}

// endH245 ends the H.245 session when the call is released by us: endSessionCommand, tunnelled
// in the Release Complete (queued) or sent on the separate connection, which is then closed.
func (l *Leg) endH245() []Effect {
	if l.h245.peer == nil {
		return nil
	}
	if l.h245.mode == h245Tunnel && !l.h245.sent {
		// A call refused before our first answer: nothing of the session reached the peer,
		// so there is nothing to end.
		l.h245.pending, l.h245.names = nil, nil
		return nil
	}
	out := l.fromControl(l.h245.peer.End())
	return append(out, l.closeH245()...)
}

// bodyH245Address is the h245Address of the UUIEs that have one.
func bodyH245Address(b *h225.H323UUPDUH323MessageBody) netip.AddrPort {
	var t *h225.TransportAddress
	switch {
	case b == nil:
	case b.Setup != nil:
		t = b.Setup.H245Address
	case b.CallProceeding != nil:
		t = b.CallProceeding.H245Address
	case b.Alerting != nil:
		t = b.Alerting.H245Address
	case b.Connect != nil:
		t = b.Connect.H245Address
	case b.Progress != nil:
		t = b.Progress.H245Address
	case b.Facility != nil:
		t = b.Facility.H245Address
	}
	return addrPortOf(t)
}

// addrPortOf reads an ipAddress or ip6Address TransportAddress; the zero value otherwise.
func addrPortOf(t *h225.TransportAddress) netip.AddrPort {
	var ip []byte
	var port int64
	switch {
	case t == nil:
		return netip.AddrPort{}
	case t.Choice == h225.TransportAddressIpAddress && t.IpAddress != nil:
		ip, port = t.IpAddress.Ip, t.IpAddress.Port
	case t.Choice == h225.TransportAddressIp6Address && t.Ip6Address != nil:
		ip, port = t.Ip6Address.Ip, t.Ip6Address.Port
	}
	addr, ok := netip.AddrFromSlice(ip)
	if !ok || port <= 0 || port > 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(addr, uint16(port))
}

// h245Carrier reports a Facility that only carries tunnelled H.245 (body empty) for a leg
// that tunnels: it is no facility the call state machine or the driver has to see.
func (l *Leg) h245Carrier(in incoming) bool {
	return l.cfg.H245.Enabled && l.cfg.H245.Tunnelling && !l.h245.refused && in.uu != nil && len(in.uu.H245Control) > 0 &&
		in.body != nil && in.body.Choice == h225.H323UUPDUH323MessageBodyEmpty
}
