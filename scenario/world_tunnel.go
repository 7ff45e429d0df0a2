package scenario

import (
	"net/netip"
	"slices"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/sim"
	"github.com/callwake/callwake/timeline"
)

// Transports (the device's `transport:`) and the connection a device keeps
// open to its PBX.
//
//   - h323: RAS on UDP 1719, call signalling on TCP 1720; the PBX dials the
//     device's call signalling address for each call.
//   - h323-tcp: H.460.17. The device opens one TCP connection to the PBX's
//     port 1720 and keeps it (maintainConnection in its RRQ). Every RAS
//     message travels inside it as a Q.931 Facility on the dummy call
//     reference with the RasMessage octets in genericData (feature 17,
//     parameter 1; h323.EncodeRASTunnel), the device places its calls on it
//     and the PBX sends its Setups over it instead of dialling the device
//     (B32), several calls sharing it by call reference and flag.
//   - h323-tls: the same over TLS on port 1300.
//   - h323-dtls: RAS on UDP 1719 inside DTLS, call signalling over TLS 1300
//     (the PBX dials the device, as with h323).
//
// Model choice: TLS and DTLS are modelled, not simulated. The bytes inside
// them — RAS, TPKT, Q.931, H.225.0 — are the real ones, but no handshake or
// record layer is run; a message's timeline Wire says "tls" or "dtls" as its
// transport and carries the cleartext, which is what the pcap view shows
// (as if decrypted with the session keys). What the secure transports change
// in the world is what they protect: the push decryption key is handed over
// them (B08, app.key_received {via: h323-tls|h323-dtls}), never over h323 or
// h323-tcp.

// tunnelled reports whether the device's RAS travels inside its call
// signalling connection (H.460.17).
func (d *deviceActor) tunnelled() bool {
	return d.spec.Transport == TransportH323TCP || d.spec.Transport == TransportH323TLS
}

// pbxConn is one call signalling connection at the PBX: a caller's, one the
// PBX dialled, or the one a device maintains (maintained: H.460.17 RAS seen
// on it), which carries RAS and any number of calls.
type pbxConn struct {
	conn       *sim.Conn
	reasm      q931.Reassembler
	device     string
	legs       []*sigLeg // legs on this connection, in start order
	maintained bool
}

// receive reassembles TPKT frames and routes each Q.931 message: H.460.17
// RAS to the gatekeeper, call messages to their leg. A connection with one
// leg that the device does not maintain routes everything to that leg,
// whatever its call reference, so the leg answers a wrong one itself.
func (p *pbxActor) receive(pc *pbxConn, b []byte) {
	pc.reasm.Feed(b)
	for {
		msg, ok, err := pc.reasm.Next()
		if err != nil {
			// A broken TPKT stream: H.225.0 endpoints drop the connection.
			p.w.record("q931.malformed", []timeline.Attr{timeline.A("from", pc.device), timeline.A("to", p.name), timeline.A("error", err.Error())}, nil)
			pc.conn.Close()
			p.connLost(pc)
			return
		}
		if !ok {
			return
		}
		msg = slices.Clone(msg)
		if h323.IsRASTunnel(msg) {
			p.receiveTunnelRAS(pc, msg)
			continue
		}
		l := pc.legFor(msg)
		if l == nil {
			// A new call from the device must start with its Setup.
			_, fromOriginator, typ, err := h323.PeekCallReference(msg)
			if err != nil || typ != byte(q931.Setup) || !fromOriginator {
				p.w.record("q931.unexpected", []timeline.Attr{timeline.A("from", pc.device), timeline.A("to", p.name)}, nil)
				continue
			}
			l = &sigLeg{conn: pc.conn, pc: pc, device: pc.device}
			l.leg = h323.NewLeg(h323.LegConfig{Local: pc.conn.LocalAddr(), Remote: pc.conn.RemoteAddr(), PrivateNetwork: true,
				MaintainConnection: pc.maintained})
			pc.legs = append(pc.legs, l)
			p.callers = append(p.callers, l)
		}
		p.legDo(l, l.leg.HandleMessage(msg))
	}
}

// legFor finds the leg a message on pc belongs to: the connection's only
// leg, or (on a maintained connection) the newest leg with the message's
// call reference and the other side's flag.
func (pc *pbxConn) legFor(msg []byte) *sigLeg {
	if !pc.maintained {
		if len(pc.legs) == 1 {
			return pc.legs[0]
		}
		return nil
	}
	ref, fromOriginator, _, err := h323.PeekCallReference(msg)
	if err != nil {
		return nil
	}
	for i := len(pc.legs) - 1; i >= 0; i-- {
		l := pc.legs[i]
		if cfg := l.leg.Config(); cfg.CallReference == ref && cfg.Outgoing != fromOriginator {
			return l
		}
	}
	return nil
}

// connLost: the connection closed; its calls end without Release Complete
// and a maintained connection is gone.
func (p *pbxActor) connLost(pc *pbxConn) {
	if p.tunnels[pc.device] == pc {
		delete(p.tunnels, pc.device)
	}
	for _, l := range pc.legs {
		p.connClosed(l)
	}
}

// receiveTunnelRAS hands the RAS messages of an H.460.17 Facility to the
// gatekeeper, as if they came from the device's RAS address; the
// connection becomes the device's maintained connection.
func (p *pbxActor) receiveTunnelRAS(pc *pbxConn, msg []byte) {
	w := p.w
	d := w.byName[pc.device]
	rasMsgs, err := h323.DecodeRASTunnel(msg)
	if err != nil || d == nil || d.pbx != p {
		w.record("ras.malformed", []timeline.Attr{timeline.A("from", pc.device), timeline.A("to", p.name), timeline.A("error", "H.460.17: not a RAS tunnel from a device of this PBX")}, nil)
		return
	}
	if !pc.maintained {
		pc.maintained = true
		p.tunnels[pc.device] = pc
	}
	from := netip.AddrPortFrom(d.addr, portRAS)
	for _, b := range rasMsgs {
		p.rasDo(p.gk.HandleDatagram(w.now(), from, b))
	}
}

// sendTunnelRAS sends a gatekeeper message to a device over the connection
// it maintains. Without one the message cannot be sent: its event is
// recorded as lost, and the device's RAS core retransmits or times out.
func (p *pbxActor) sendTunnelRAS(d *deviceActor, e ras.Send) {
	pc := p.tunnels[d.name]
	if pc == nil {
		attrs := append(message(p.name, d.name, e.Attrs), timeline.A("lost", true))
		p.w.record(e.Event, attrs, nil)
		return
	}
	p.w.sendTunnelRAS(pc.conn, p.name, d.name, e)
}

// sendTunnelRAS writes one RAS message as an H.460.17 Facility in a TPKT
// frame on the connection and records the RAS event. The event's Wire holds
// the RasMessage itself (Protocol ras, Transport tcp or tls, the
// connection's addresses), as every RAS event does, so views decode it as
// RAS; the Facility around it is what the connection carried.
func (w *world) sendTunnelRAS(c *sim.Conn, from, to string, e ras.Send) {
	payload, err := h323.EncodeRASTunnel(e.Payload)
	if err != nil {
		w.fail(errorf(from, "H.460.17: %v", err))
		return
	}
	frame, err := q931.Frame(payload)
	if err != nil {
		w.fail(errorf(from, "tpkt: %v", err))
		return
	}
	c.Write(frame)
	attrs := append(message(from, to, e.Attrs), timeline.A("tunnel", "h460.17"))
	wire := &timeline.Wire{Protocol: "ras", Transport: streamTransport(c), Src: c.LocalAddr(), Dst: c.RemoteAddr(), Payload: slices.Clone(e.Payload)}
	w.record(e.Event, attrs, wire)
}

// streamTransport names a signalling connection's transport for the
// timeline: TLS on port 1300, TCP otherwise.
func streamTransport(c *sim.Conn) string {
	if c.LocalAddr().Port() == portSecure || c.RemoteAddr().Port() == portSecure {
		return "tls" // modelled: the timeline carries the cleartext
	}
	return "tcp"
}

// deviceTunnel is the connection an H.460.17 device keeps open to its PBX.
type deviceTunnel struct {
	conn     *sim.Conn
	reasm    q931.Reassembler
	dialling bool
	pending  []ras.Send // RAS messages waiting for the connection
}

// sendRASTunnel sends a RAS message over the maintained connection, opening
// it first when it is not up.
func (d *deviceActor) sendRASTunnel(e ras.Send) {
	t := &d.tunnel
	if t.conn != nil {
		d.w.sendTunnelRAS(t.conn, d.name, d.pbx.name, e)
		return
	}
	t.pending = append(t.pending, e)
	if t.dialling {
		return
	}
	t.dialling = true
	w := d.w
	w.net.Dial(netip.AddrPortFrom(d.addr, 0), netip.AddrPortFrom(d.pbx.addr, d.signallingPort()), func(c *sim.Conn, err error) {
		t.dialling = false
		pending := t.pending
		t.pending = nil
		if err != nil {
			// Not on the wire: the RAS core retransmits or gives up.
			for _, e := range pending {
				w.record(e.Event, append(message(d.name, d.pbx.name, e.Attrs), timeline.A("lost", true)), nil)
			}
			return
		}
		t.conn, t.reasm = c, q931.Reassembler{}
		c.OnData(func(b []byte) { d.receiveTunnel(c, b) })
		c.OnClose(func(error) { d.tunnelClosed(c) })
		for _, e := range pending {
			w.sendTunnelRAS(c, d.name, d.pbx.name, e)
		}
	})
}

// receiveTunnel routes what the PBX sends on the maintained connection:
// RAS to the endpoint core, Setups and call messages to call legs.
func (d *deviceActor) receiveTunnel(c *sim.Conn, b []byte) {
	t := &d.tunnel
	if t.conn != c {
		return
	}
	t.reasm.Feed(b)
	for t.conn == c {
		msg, ok, err := t.reasm.Next()
		if err != nil {
			c.Close()
			d.tunnelClosed(c)
			return
		}
		if !ok {
			return
		}
		msg = slices.Clone(msg)
		if h323.IsRASTunnel(msg) {
			rasMsgs, err := h323.DecodeRASTunnel(msg)
			if err != nil {
				continue
			}
			gk := netip.AddrPortFrom(d.pbx.addr, portRAS)
			for _, r := range rasMsgs {
				d.rasDo(d.ep.HandleDatagram(d.w.now(), gk, r))
			}
			continue
		}
		ref, fromOriginator, typ, err := h323.PeekCallReference(msg)
		if err != nil {
			continue
		}
		if !fromOriginator {
			// The PBX answers a call this device placed on the connection.
			if oc := d.outOn(c, ref); oc != nil {
				d.outDo(oc, oc.leg.HandleMessage(msg))
			}
			continue
		}
		var l *deviceLeg
		for i := len(d.incoming) - 1; i >= 0; i-- {
			if x := d.incoming[i]; x.conn == c && x.leg != nil && x.leg.Config().CallReference == ref {
				l = x
				break
			}
		}
		if l == nil {
			if typ != byte(q931.Setup) {
				continue
			}
			l = &deviceLeg{conn: c, shared: true}
			l.leg = h323.NewLeg(h323.LegConfig{Local: c.LocalAddr(), Remote: c.RemoteAddr(), MaintainConnection: true})
			d.incoming = append(d.incoming, l)
		}
		d.legDo(l, l.leg.HandleMessage(msg))
	}
}

// tunnelClosed: the maintained connection is gone (closed by the PBX, or
// aborted after a link loss); its calls end, and the next RAS message opens
// a new one.
func (d *deviceActor) tunnelClosed(c *sim.Conn) {
	if d.tunnel.conn != c {
		return
	}
	d.tunnel.conn = nil
	for _, l := range d.incoming {
		if l.conn == c {
			d.legClosed(l)
		}
	}
	for _, oc := range d.outgoing {
		if oc.conn == c {
			d.outEnded(oc)
		}
	}
}

// outOn finds the newest call this device placed on c with call reference
// ref.
func (d *deviceActor) outOn(c *sim.Conn, ref uint16) *outCall {
	for i := len(d.outgoing) - 1; i >= 0; i-- {
		if oc := d.outgoing[i]; oc.conn == c && oc.leg != nil && oc.leg.Config().CallReference == ref {
			return oc
		}
	}
	return nil
}
