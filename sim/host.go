package sim

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// Host is the simulated driver: it runs nodes (package node) on a Loop and
// a Network, one input at a time, and records what they report on one
// timeline. It knows no node in particular; everything an actor does
// reaches another actor as a datagram or a message on a connection.
//
// Secure transports are modelled, not run: the bytes inside are real, but
// no handshake or record layer is; a dialler's Security.Trust is checked
// against the listener's certificate identity when the connection comes up
// (node.ErrUntrusted), and a listener with ClientAuth learns the dialler's
// identity in Accepted.Peer. WebSocket and HTTP/2 connections carry whole
// messages (one octet per message crosses the simulated stream, so links
// delay and stall them like any data); TCP and TLS carry TPKT frames that
// the receiver reassembles.
type Host struct {
	loop  *Loop
	net   *Network
	tl    *timeline.Timeline
	epoch time.Time

	nodes []*hosted
	// names holds the actor owning each address, for the from and to of
	// message events (lookups only).
	names map[netip.Addr]string
	// listeners holds the stream listeners by address, so that a dial finds
	// the listener's security (lookups only).
	listeners map[netip.AddrPort]*listener
	// dialling holds the connection attempts by their source address until
	// the listener accepts them.
	dialling map[netip.AddrPort]node.Dial
	timers   map[timerKey]TimerID

	queue    []queued // inputs waiting to be handled, in order
	draining bool

	// MaxEvents bounds the timeline (0 = no bound); a run that would record
	// more stops with ErrBudget.
	MaxEvents int
	err       error
}

// ErrBudget reports a run stopped because it recorded Host.MaxEvents events.
var ErrBudget = fmt.Errorf("sim: event budget exhausted")

// NodeRef names a node of a Host.
type NodeRef int

type hosted struct {
	ref      NodeRef
	name     string
	addr     netip.Addr
	n        node.Node
	socks    []*socket
	conns    map[node.ConnID]*hconn
	nextConn node.ConnID
	done     bool
}

type socket struct {
	id        node.SockID
	addr      netip.AddrPort
	transport node.Transport
	sec       *node.Security
}

type listener struct {
	owner *hosted
	sock  *socket
}

type timerKey struct {
	node NodeRef
	id   node.TimerID
}

type queued struct {
	to *hosted
	in node.Input
}

// NewHost returns a driver on loop and net that records on tl; now for the
// nodes is epoch plus the loop's time.
func NewHost(loop *Loop, net *Network, tl *timeline.Timeline, epoch time.Time) *Host {
	return &Host{loop: loop, net: net, tl: tl, epoch: epoch,
		names: map[netip.Addr]string{}, listeners: map[netip.AddrPort]*listener{},
		dialling: map[netip.AddrPort]node.Dial{}, timers: map[timerKey]TimerID{}}
}

// Loop and Network are the host's substrate.
func (h *Host) Loop() *Loop       { return h.loop }
func (h *Host) Network() *Network { return h.net }
func (h *Host) Now() time.Time    { return h.epoch.Add(h.loop.Now()) }
func (h *Host) Err() error        { return h.err }
func (h *Host) Name(a netip.Addr) string {
	if n, ok := h.names[a]; ok {
		return n
	}
	return a.String()
}

// Add hosts n as the actor name at addr. It is started by Start.
func (h *Host) Add(name string, addr netip.Addr, n node.Node) NodeRef {
	ref := NodeRef(len(h.nodes))
	h.nodes = append(h.nodes, &hosted{ref: ref, name: name, addr: addr, n: n})
	if _, taken := h.names[addr]; !taken {
		h.names[addr] = name
	}
	return ref
}

// NameAddr names an address that no hosted node owns (for events).
func (h *Host) NameAddr(addr netip.Addr, name string) { h.names[addr] = name }

// Start hands every node Start, in the order they were added.
func (h *Host) Start() {
	for _, hn := range h.nodes {
		h.deliver(hn, node.Start{})
	}
}

// Deliver hands one input to a node now (a scenario command, a Stop).
func (h *Host) Deliver(ref NodeRef, in node.Input) { h.deliver(h.nodes[ref], in) }

// Fail stops the run with err (the first error wins).
func (h *Host) Fail(err error) {
	if h.err == nil {
		h.err = err
	}
	h.loop.Stop()
}

// deliver queues an input and, unless a drain is under way further up the
// stack, handles the queue: a node's effects never run another node's
// Handle from inside its own.
func (h *Host) deliver(hn *hosted, in node.Input) {
	h.queue = append(h.queue, queued{hn, in})
	if h.draining {
		return
	}
	h.draining = true
	// Read by index and emptied in place, so the queue keeps its capacity.
	for i := 0; i < len(h.queue) && h.err == nil; i++ {
		q := h.queue[i]
		h.queue[i] = queued{}
		for _, e := range q.to.n.Handle(h.Now(), q.in) {
			h.apply(q.to, e)
		}
	}
	clear(h.queue)
	h.queue = h.queue[:0]
	h.draining = false
}

func (h *Host) apply(hn *hosted, e node.Effect) {
	switch e := e.(type) {
	case node.Record:
		h.recordAbout(hn, e)
	case node.SetTimer:
		h.setTimer(hn, e.ID, e.After)
	case node.CancelTimer:
		key := timerKey{hn.ref, e.ID}
		if id, ok := h.timers[key]; ok {
			h.loop.Cancel(id)
			delete(h.timers, key)
		}
	case node.SendTo:
		h.sendTo(hn, e)
	case node.Send:
		h.send(hn, e)
	case node.Close:
		if c := hn.conns[e.Conn]; c != nil {
			h.closeConn(c, e.Reason)
		}
	case node.Listen:
		h.listen(hn, e)
	case node.Unlisten:
		h.unlisten(hn, e.Sock)
	case node.Dial:
		h.dial(hn, e)
	case node.Done:
		hn.done = true
	default:
		h.Fail(fmt.Errorf("sim: %s: effect %T is not for a driver", hn.name, e))
	}
}

func (h *Host) setTimer(hn *hosted, id node.TimerID, after time.Duration) {
	key := timerKey{hn.ref, id}
	if old, ok := h.timers[key]; ok {
		h.loop.Cancel(old)
	}
	var tid TimerID
	tid = h.loop.After(after, func() {
		if h.timers[key] != tid {
			return
		}
		delete(h.timers, key)
		h.deliver(hn, node.TimerFired{ID: id})
	})
	h.timers[key] = tid
}

// record adds an event at the current time.
func (h *Host) record(name string, attrs []timeline.Attr, wire *timeline.Wire) {
	if h.MaxEvents > 0 && h.tl.Len() >= h.MaxEvents {
		h.Fail(fmt.Errorf("%w: the run recorded %d events", ErrBudget, h.MaxEvents))
		return
	}
	h.tl.Add(timeline.Event{At: h.loop.Now(), Name: name, Attrs: attrs, Wire: wire})
}

// skip counts an event the timeline does not keep.
func (h *Host) skip() {
	if h.MaxEvents > 0 && h.tl.Len() >= h.MaxEvents {
		h.Fail(fmt.Errorf("%w: the run recorded %d events", ErrBudget, h.MaxEvents))
		return
	}
	h.tl.Skip(h.loop.Now())
}

// recordMessage records the event of a message sent from src to dst.
func (h *Host) recordMessage(ev *node.Event, transport node.Transport, src, dst netip.AddrPort, payload []byte, lost bool) {
	if ev.Name == "" {
		return
	}
	if !h.tl.Wants(ev.Name) {
		h.skip()
		return
	}
	attrs := make([]timeline.Attr, 0, len(ev.Attrs)+3)
	attrs = append(attrs, timeline.A("from", h.Name(src.Addr())), timeline.A("to", h.Name(dst.Addr())))
	attrs = append(attrs, ev.Attrs...)
	if lost {
		attrs = append(attrs, timeline.A("lost", true))
	}
	var wire *timeline.Wire
	if ev.Protocol != "" && h.tl.WantsWire() {
		b := ev.Wire
		if b == nil {
			b = payload
		}
		wire = &timeline.Wire{Protocol: ev.Protocol, Transport: transport.String(), Src: src, Dst: dst, Payload: b}
	}
	h.record(ev.Name, attrs, wire)
}

// recordAbout records a node's event; one about a received message names
// its two ends and carries its bytes.
func (h *Host) recordAbout(hn *hosted, e node.Record) {
	if !h.tl.Wants(e.Name) {
		h.skip()
		return
	}
	if e.About == nil {
		h.record(e.Name, e.Attrs, nil)
		return
	}
	hc := hn.conns[e.About.Conn]
	if hc == nil {
		h.record(e.Name, e.Attrs, nil)
		return
	}
	src, dst := hc.c.RemoteAddr(), hc.c.LocalAddr()
	if e.About.Sent {
		src, dst = dst, src
	}
	attrs := make([]timeline.Attr, 0, len(e.Attrs)+2)
	attrs = append(attrs, timeline.A("from", h.Name(src.Addr())), timeline.A("to", h.Name(dst.Addr())))
	attrs = append(attrs, e.Attrs...)
	var wire *timeline.Wire
	if e.About.Protocol != "" && h.tl.WantsWire() {
		wire = &timeline.Wire{Protocol: e.About.Protocol, Transport: hc.transport.String(), Src: src, Dst: dst, Payload: e.About.Payload}
	}
	h.record(e.Name, attrs, wire)
}

func (hn *hosted) socket(id node.SockID) *socket {
	for _, s := range hn.socks {
		if s.id == id {
			return s
		}
	}
	return nil
}

func (h *Host) listen(hn *hosted, e node.Listen) {
	addr := e.Addr
	if !addr.Addr().IsValid() || addr.Addr().IsUnspecified() {
		addr = netip.AddrPortFrom(hn.addr, addr.Port())
	}
	if addr.Port() == 0 {
		addr = netip.AddrPortFrom(addr.Addr(), h.net.station(addr.Addr()).nextEphemeral())
	}
	s := &socket{id: e.Sock, addr: addr, transport: e.Transport, sec: e.Security}
	var err error
	if e.Transport.Datagram() {
		err = h.net.ListenUDP(addr, func(from netip.AddrPort, b []byte) {
			h.deliver(hn, node.Datagram{Sock: s.id, From: from, To: addr, Payload: b})
		})
	} else {
		l := &listener{owner: hn, sock: s}
		if err = h.net.ListenStream(addr, func(c *Conn) { h.accept(l, c) }); err == nil {
			h.listeners[addr] = l
		}
	}
	if err == nil {
		hn.socks = append(hn.socks, s)
	}
	h.deliver(hn, node.Listening{Sock: e.Sock, Addr: addr, Err: err})
}

func (h *Host) unlisten(hn *hosted, id node.SockID) {
	for i, s := range hn.socks {
		if s.id != id {
			continue
		}
		if s.transport.Datagram() {
			h.net.UnlistenUDP(s.addr)
		} else {
			h.net.UnlistenStream(s.addr)
			delete(h.listeners, s.addr)
		}
		hn.socks = append(hn.socks[:i], hn.socks[i+1:]...)
		return
	}
}

func (h *Host) sendTo(hn *hosted, e node.SendTo) {
	s := hn.socket(e.Sock)
	if s == nil {
		h.Fail(fmt.Errorf("sim: %s: send on unknown socket %d", hn.name, e.Sock))
		return
	}
	drop := h.net.SendDatagram(s.addr, e.To, e.Payload)
	h.recordMessage(&e.Event, s.transport, s.addr, e.To, e.Payload, drop != NotDropped)
}
