package phone

import (
	"encoding/binary"
	"io"
	"net/netip"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"
)

// tunnel is the connection an H.460.17 phone keeps to its PBX: it carries
// the RAS messages (in Facility messages on the dummy call reference) and
// every call (B32).
type tunnel struct {
	conn     node.ConnID
	up       bool
	dialling bool
	pending  []ras.Send // RAS messages waiting for the connection
	// local and remote are the connection's addresses.
	local, remote netip.AddrPort
}

// rasDo carries out the RAS endpoint's effects.
func (n *Node) rasDo(now time.Time, effects []ras.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case ras.Send:
			n.sendRAS(e)
		case node.SetTimer, node.CancelTimer, node.Record:
			n.emit(e)
		case ras.Registered:
			n.result.Registered, n.result.Unregistered, n.result.Failure = true, "", ""
			n.reregFailures = 0
			if n.cfg.Report {
				n.record("phone.registered", timeline.A("device", n.name()), timeline.A("endpoint_id", e.EndpointID), timeline.A("ttl", e.TimeToLive))
			}
			n.coreDo(now, RegistrationConfirmed{})
			n.admitHeld(now)
			if c := n.cfg.Call; c != nil && !n.stopping {
				n.cfg.Call = nil // once
				n.placeCall(now, *c)
			}
		case ras.RegistrationFailed:
			n.result.Failure = e.Reason
			if n.cfg.Report {
				n.record("phone.registration_failed", timeline.A("device", n.name()), timeline.A("reason", e.Reason))
			}
			n.coreDo(now, RegistrationFailed{Reason: e.Reason})
			n.admitHeld(now)
			switch {
			case n.cfg.StopOnFailure:
				n.stop(now)
			case !n.cfg.ReregisterBackoff || e.Reason == "timeout":
				n.reregister()
			}
		case ras.Unregistered:
			n.result.Unregistered = e.Reason
			if n.cfg.Report {
				n.record("phone.unregistered", timeline.A("device", n.name()), timeline.A("reason", e.Reason))
			}
			n.coreDo(now, Unregistered{})
			switch {
			case n.stopping:
				n.finish()
			case !n.cfg.ReregisterBackoff || e.Reason != "urq":
				n.reregister() // not after our own URQ: that one was meant
			}
		case ras.Admitted:
			if e.Call.Answer {
				n.answerAdmitted(now, e.Call)
			} else {
				n.admitted(now, e.Call, e.DestCallSignal)
			}
		case ras.AdmissionRejected:
			if e.Call.Answer {
				n.answerRejected(now, e.Call, e.Reason)
			} else {
				n.notPlaced(now, e.Call.CallID, e.Reason)
			}
		case ras.Disengaged:
			if n.cfg.StopAfterCall && !e.Call.Answer {
				n.stop(now) // the placed call is over: so is the run
			}
		}
	}
}

// reregister arms a new registration after a failure or a loss.
func (n *Node) reregister() {
	if n.cfg.Reregister <= 0 {
		return
	}
	after := n.cfg.Reregister
	if n.cfg.ReregisterBackoff {
		limit := n.cfg.ReregisterMax
		if limit <= 0 {
			limit = 16 * n.cfg.Reregister
		}
		for range min(n.reregFailures, 30) {
			after = min(2*after, limit)
		}
		n.reregFailures++
		var b [2]byte
		_, _ = io.ReadFull(n.cfg.Random, b[:])
		// ±25 %: after × (0.75 + u/2), u uniform in [0, 1).
		after = after*3/4 + time.Duration(float64(after)/2*float64(binary.BigEndian.Uint16(b[:]))/65536)
	}
	n.emit(node.SetTimer{ID: node.TimerID{Kind: timerReregister}, After: after})
}

// sendRAS puts a RAS message on the socket, or into the H.460.17 tunnel.
func (n *Node) sendRAS(e ras.Send) {
	if !n.cfg.Transport.Tunnelled() {
		n.emit(node.SendTo{Sock: sockRAS, To: e.To, Payload: e.Payload,
			Event: node.Event{Name: e.Event, Attrs: e.Attrs, Protocol: "ras"}})
		return
	}
	t := &n.tunnel
	if t.up {
		n.sendTunnelled(e)
		return
	}
	t.pending = append(t.pending, e)
	if t.dialling {
		return
	}
	t.dialling = true
	tr := node.TCP
	var sec *node.Security
	if n.cfg.Transport == H460TLS {
		tr, sec = node.TLS, n.cfg.PBXSecurity
	}
	n.dial(dialTunnel, nil, node.Dial{From: n.cfg.IP, To: n.cfg.PBXSignal, Transport: tr, Security: sec, Protocol: "q931"})
}

// sendTunnelled sends one RAS message as an H.460.17 Facility; its event
// shows the RasMessage itself.
func (n *Node) sendTunnelled(e ras.Send) {
	payload, err := h323.EncodeRASTunnel(e.Payload)
	if err != nil {
		n.record("phone.error", timeline.A("device", n.name()), timeline.A("error", err.Error()))
		return
	}
	attrs := append(append([]timeline.Attr(nil), e.Attrs...), timeline.A("tunnel", "h460.17"))
	n.emit(node.Send{Conn: n.tunnel.conn, Payload: payload,
		Event: node.Event{Name: e.Event, Attrs: attrs, Protocol: "ras", Wire: e.Payload}})
}

func (n *Node) tunnelDialled(now time.Time, in node.Dialled) {
	t := &n.tunnel
	t.dialling = false
	pending := t.pending
	t.pending = nil
	if in.Err != nil {
		// Not on the wire: the endpoint retransmits or gives up.
		for _, e := range pending {
			attrs := append(append([]timeline.Attr(nil), timeline.A("from", n.name()), timeline.A("to", n.cfg.PBX)), e.Attrs...)
			n.emit(node.Record{Name: e.Event, Attrs: append(attrs, timeline.A("lost", true))})
		}
		return
	}
	t.conn, t.up, t.local, t.remote = in.Conn, true, in.Local, in.Remote
	for _, e := range pending {
		n.sendTunnelled(e)
	}
}

// rasDatagram hands a datagram to the endpoint, or takes the push key the
// PBX sends over a secure transport (B08).
func (n *Node) rasDatagram(now time.Time, from netip.AddrPort, payload []byte) {
	if n.ep == nil {
		return
	}
	if n.cfg.Transport.Secure() && n.takeKeyMessage(payload) {
		return
	}
	n.rasDo(now, n.ep.HandleDatagram(now, from, payload))
}

// tunnelMessage routes what the PBX sends on the maintained connection:
// RAS to the endpoint, call messages to their legs.
func (n *Node) tunnelMessage(now time.Time, in node.Message) {
	if h323.IsRASTunnel(in.Payload) {
		msgs, err := h323.DecodeRASTunnel(in.Payload)
		if err != nil {
			return
		}
		for _, m := range msgs {
			n.rasDatagram(now, n.cfg.Gatekeeper, m)
		}
		return
	}
	n.signalMessage(now, in)
}

// tunnelClosed: the maintained connection is gone; its calls end, and the
// next RAS message opens a new one.
func (n *Node) tunnelClosed(now time.Time) {
	conn := n.tunnel.conn
	n.tunnel = tunnel{}
	for _, c := range append([]*call(nil), n.calls...) {
		if c.conn == conn {
			n.connLost(now, c)
		}
	}
}

// isSetup reports whether a Q.931 message is a Setup from the originator.
func isSetup(msg []byte) (uint16, bool) {
	ref, fromOriginator, typ, err := h323.PeekCallReference(msg)
	return ref, err == nil && fromOriginator && typ == byte(q931.Setup)
}
