package realnet

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// Host is the real driver: it runs nodes (package node) on real sockets and
// the wall clock, one input at a time on the loop's goroutine, and records
// what they report on one timeline. It knows no node in particular.
//
// Transports: UDP; TCP and TLS (crypto/tls) carrying TPKT frames; WSS
// (gorilla/websocket over TLS) carrying text messages; HTTP2 (net/http)
// carrying requests and responses. A secure transport presents the node's
// Security.Own certificate, verifies the peer against Security.Roots and
// reports the peer's identity (node.Peer).
//
// The network knobs of a scenario (Net) apply to what the hosted nodes send:
// a delay queue for latency and jitter, seeded drops of datagrams for loss,
// refused connections and dropped datagrams for blocked ports and downed
// links.
type Host struct {
	loop  *Loop
	log   zerolog.Logger
	start time.Time

	nodes []*hosted
	// ports names the actor of each bound socket and connection end: nodes
	// may share an address (a population on one IP, a phone beside a real
	// gatekeeper on loopback), so an IP alone names no one.
	ports   map[netip.AddrPort]string
	portsMu sync.Mutex // dials name their local end from their own goroutines
	// OwnAddresses says that every hosted node has an address of its own and
	// no one else sends from those addresses (a scenario's world on
	// loopback, each actor on its 127.0.0.x): an address whose port is not
	// named yet names its node. A dialled connection's local port is named
	// only once the dial returns, and the listener's node may answer on the
	// accepted connection before that. Set before Run.
	OwnAddresses bool
	ipNames      map[netip.Addr]string // OwnAddresses: each node's address

	tl *timeline.Timeline
	// OnEvent, when set, sees every event as it is recorded (a live trace).
	OnEvent func(e *timeline.Event)
	// Describe names messages that reach a node from a peer this host does
	// not run (a real gatekeeper, a real phone), by the protocol of the
	// socket they arrive on ("ras", "q931"): the host records them as
	// events, since no hosted sender does.
	Describe map[string]Describer
	// Net is the network's knobs; nil = the network as it is.
	Net *Net
	// StopGrace bounds the wait for the nodes' Done after Stop.
	StopGrace time.Duration
	// Limits bound what peers can make the host hold (DefaultLimits; set
	// before Run).
	Limits    Limits
	guardOnce sync.Once
	guardOf   *guard
	// KeyLog, when set, receives the secrets of every TLS and DTLS session
	// (see KeyLogEnv); set it before Run.
	KeyLog io.Writer

	scheduled []scheduled
	starting  bool     // the nodes are being started (loop only)
	deferred  []func() // dials made meanwhile

	queue    []queued
	draining bool
	stopping bool
	finished chan struct{} // closed when every node is done
	onceFin  sync.Once
}

// Describer names a received message: its event name and attributes;
// ok false records nothing.
type Describer func(payload []byte) (name string, attrs []timeline.Attr, ok bool)

// NodeRef names a node of a Host.
type NodeRef int

type hosted struct {
	ref      NodeRef
	name     string
	ip       netip.Addr
	n        node.Node
	socks    map[node.SockID]*socket
	conns    map[node.ConnID]*conn
	nextConn node.ConnID
	timers   map[node.TimerID]*pendingTimer
	timerGen uint64
	done     bool
	// startAfter delays the node's Start (a population starting at a rate).
	startAfter time.Duration
}

type pendingTimer struct {
	t   *time.Timer
	gen uint64
}

type queued struct {
	to *hosted
	in node.Input
}

// DefaultStopGrace is how long a Host waits for its nodes to wind down.
const DefaultStopGrace = 4 * time.Second

// NewHost returns a host that records on tl (nil: a new timeline) and logs
// socket trouble to log.
func NewHost(log zerolog.Logger, tl *timeline.Timeline) *Host {
	if tl == nil {
		tl = &timeline.Timeline{}
	}
	return &Host{loop: NewLoop(log), log: log, tl: tl, ports: map[netip.AddrPort]string{},
		StopGrace: DefaultStopGrace, Limits: DefaultLimits(), finished: make(chan struct{})}
}

// guard holds the counters of the host's Limits, made at first use.
func (h *Host) guard() *guard {
	h.guardOnce.Do(func() { h.guardOf = newGuard(h.Limits, h.log) })
	return h.guardOf
}

// AcceptedConns is the number of accepted connections the host holds.
func (h *Host) AcceptedConns() int { return h.guard().Conns() }

// UDPReceiveBuffer is the receive buffer the kernel granted the host's
// first UDP socket, as it reports it (Linux: twice the usable bytes); 0
// before one was bound.
func (h *Host) UDPReceiveBuffer() int {
	g := h.guard()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.granted
}

// Timeline is what the host recorded; read it after Run.
func (h *Host) Timeline() *timeline.Timeline { return h.tl }

// Started is when Run began: event times count from it.
func (h *Host) Started() time.Time { return h.start }

// Loop is the host's event loop.
func (h *Host) Loop() *Loop { return h.loop }

// Add hosts n as the actor name at ip (before Run).
func (h *Host) Add(name string, ip netip.Addr, n node.Node) NodeRef {
	ref := NodeRef(len(h.nodes))
	if h.OwnAddresses && ip.IsValid() && !ip.IsUnspecified() {
		if h.ipNames == nil {
			h.ipNames = map[netip.Addr]string{}
		}
		if other, shared := h.ipNames[ip]; shared && other != name {
			h.ipNames[ip] = "" // two nodes on one address: the address names neither
		} else if !shared {
			h.ipNames[ip] = name
		}
	}
	h.nodes = append(h.nodes, &hosted{ref: ref, name: name, ip: ip, n: n,
		socks: map[node.SockID]*socket{}, conns: map[node.ConnID]*conn{}, timers: map[node.TimerID]*pendingTimer{}})
	return ref
}

// AddAfter hosts n like Add, started d after Run begins.
func (h *Host) AddAfter(name string, ip netip.Addr, n node.Node, d time.Duration) NodeRef {
	ref := h.Add(name, ip, n)
	h.nodes[ref].startAfter = d
	return ref
}

// Name names the actor at an address: a hosted node, else the address.
func (h *Host) Name(a netip.AddrPort) string {
	if n, ok := h.portName(a); ok {
		return n
	}
	if n := h.ipNames[a.Addr()]; n != "" {
		return n
	}
	return a.String()
}

func (h *Host) portName(a netip.AddrPort) (string, bool) {
	h.portsMu.Lock()
	defer h.portsMu.Unlock()
	n, ok := h.ports[a]
	return n, ok
}

// namePort names the actor at a bound address, unless one is named there
// already; it reports whether it did.
func (h *Host) namePort(a netip.AddrPort, name string) bool {
	h.portsMu.Lock()
	defer h.portsMu.Unlock()
	if _, ok := h.ports[a]; ok || !a.IsValid() {
		return false
	}
	h.ports[a] = name
	return true
}

func (h *Host) unnamePort(a netip.AddrPort) {
	h.portsMu.Lock()
	delete(h.ports, a)
	h.portsMu.Unlock()
}

// Deliver hands a node an input (a command) from any goroutine.
func (h *Host) Deliver(ref NodeRef, in node.Input) bool {
	return h.loop.Post(func() { h.deliver(h.nodes[ref], in) })
}

// DeliverNow hands a node an input from the loop's goroutine (a scheduled
// function).
func (h *Host) DeliverNow(ref NodeRef, in node.Input) { h.deliver(h.nodes[ref], in) }

// Schedule runs fn on the loop d after Run begins (before Run): a
// scenario's timed command. Those at 0 run before the nodes start, in the
// order they were scheduled; later ones follow the clock.
func (h *Host) Schedule(d time.Duration, fn func()) {
	h.scheduled = append(h.scheduled, scheduled{d, fn})
}

type scheduled struct {
	at time.Duration
	fn func()
}

// Run starts every node and runs until ctx ends; then it hands every node
// Stop and waits (up to StopGrace) for them to wind down, and closes every
// socket. It returns once every goroutine of the host ended.
func (h *Host) Run(ctx context.Context) error {
	h.start = time.Now()
	loopCtx, stopLoop := context.WithCancel(context.Background())
	defer stopLoop()
	h.loop.Post(func() {
		for _, sc := range h.scheduled {
			if sc.at <= 0 {
				sc.fn()
				continue
			}
			fn := sc.fn
			t := time.AfterFunc(sc.at-time.Since(h.start), func() { h.loop.Post(fn) })
			h.loop.own(closerFunc(func() error { t.Stop(); return nil }))
		}
		// Dials made while the nodes start wait until every node has
		// started, and so has bound its listeners: a PBX started first
		// must not find its push service not yet listening.
		h.starting = true
		for _, hn := range h.nodes {
			if hn.startAfter <= 0 {
				h.deliver(hn, node.Start{})
				continue
			}
			starter := time.AfterFunc(hn.startAfter, func() {
				h.loop.Post(func() {
					if !h.stopping {
						h.deliver(hn, node.Start{})
					}
				})
			})
			h.loop.own(closerFunc(func() error { starter.Stop(); return nil }))
		}
		h.starting = false
		for _, d := range h.deferred {
			h.loop.Go(d)
		}
		h.deferred = nil
	})
	go func() {
		select {
		case <-ctx.Done():
		case <-h.finished:
		}
		h.loop.Post(h.stop)
		select {
		case <-h.finished:
		case <-time.After(h.StopGrace):
		}
		stopLoop()
	}()
	_ = h.loop.Run(loopCtx) // ends by stopLoop: no error of its own
	h.guard().logs.flush(h.guard().flushLogs)
	h.guard().traces.flush(h.guard().flushTraces)
	for _, hn := range h.nodes {
		for _, t := range hn.timers {
			t.t.Stop()
		}
	}
	return nil
}

// stop hands every node Stop once.
func (h *Host) stop() {
	if h.stopping {
		return
	}
	h.stopping = true
	for _, hn := range h.nodes {
		if !hn.done {
			h.deliver(hn, node.Stop{})
		}
	}
	h.checkFinished()
}

func (h *Host) checkFinished() {
	for _, hn := range h.nodes {
		if !hn.done {
			return
		}
	}
	h.onceFin.Do(func() { close(h.finished) })
}

// deliver queues an input and, unless a drain is under way, handles the
// queue: a node's effects never run another Handle from inside its own.
func (h *Host) deliver(hn *hosted, in node.Input) {
	h.queue = append(h.queue, queued{hn, in})
	if h.draining {
		return
	}
	h.draining = true
	for len(h.queue) > 0 {
		q := h.queue[0]
		h.queue[0] = queued{}
		h.queue = h.queue[1:]
		for _, e := range q.to.n.Handle(time.Now(), q.in) {
			h.apply(q.to, e)
		}
	}
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
		if t, ok := hn.timers[e.ID]; ok {
			t.t.Stop()
			delete(hn.timers, e.ID)
		}
	case node.Listen:
		h.listen(hn, e)
	case node.Unlisten:
		if s := hn.socks[e.Sock]; s != nil {
			s.close()
			delete(hn.socks, e.Sock)
		}
	case node.SendTo:
		h.sendTo(hn, e)
	case node.Dial:
		h.dial(hn, e)
	case node.Send:
		h.send(hn, e)
	case node.Close:
		if c := hn.conns[e.Conn]; c != nil {
			delete(hn.conns, e.Conn)
			c.ended = true
			c.unname()
			c.close(e.Reason)
		}
	case node.Done:
		hn.done = true
		h.checkFinished()
	default:
		h.log.Error().Str("node", hn.name).Msg(fmt.Sprintf("effect %T is not for a driver", e))
	}
}

func (h *Host) setTimer(hn *hosted, id node.TimerID, after time.Duration) {
	if old, ok := hn.timers[id]; ok {
		old.t.Stop()
	}
	hn.timerGen++
	gen := hn.timerGen
	pt := &pendingTimer{gen: gen}
	pt.t = time.AfterFunc(after, func() {
		h.loop.Post(func() {
			if cur, ok := hn.timers[id]; ok && cur.gen == gen {
				delete(hn.timers, id)
				h.deliver(hn, node.TimerFired{ID: id})
			}
		})
	})
	hn.timers[id] = pt
}

// record adds an event now.
func (h *Host) record(name string, attrs []timeline.Attr, wire *timeline.Wire) {
	e := h.tl.Add(timeline.Event{At: time.Since(h.start), Name: name, Attrs: attrs, Wire: wire})
	if e == nil { // not kept (Timeline.Keep): the trace still sees it
		e = &timeline.Event{Seq: h.tl.Len() - 1, At: time.Since(h.start), Name: name, Attrs: attrs, Wire: wire}
	}
	if h.OnEvent != nil {
		h.OnEvent(e)
	}
}

func (h *Host) recordAbout(hn *hosted, e node.Record) {
	c := (*conn)(nil)
	if e.About != nil {
		c = hn.conns[e.About.Conn]
	}
	if c == nil {
		h.record(e.Name, e.Attrs, nil)
		return
	}
	src, dst := c.remote, c.local
	if e.About.Sent {
		src, dst = dst, src
	}
	attrs := append([]timeline.Attr{timeline.A("from", h.Name(src)), timeline.A("to", h.Name(dst))}, e.Attrs...)
	var wire *timeline.Wire
	if e.About.Protocol != "" {
		wire = &timeline.Wire{Protocol: e.About.Protocol, Transport: c.transport.String(), Src: src, Dst: dst, Payload: e.About.Payload}
	}
	h.record(e.Name, attrs, wire)
}

// recordMessage records the event of a message a node sent.
func (h *Host) recordMessage(ev *node.Event, t node.Transport, src, dst netip.AddrPort, payload []byte, lost bool) {
	if ev.Name == "" {
		return
	}
	attrs := make([]timeline.Attr, 0, len(ev.Attrs)+3)
	attrs = append(attrs, timeline.A("from", h.Name(src)), timeline.A("to", h.Name(dst)))
	attrs = append(attrs, ev.Attrs...)
	if lost {
		attrs = append(attrs, timeline.A("lost", true))
	}
	var wire *timeline.Wire
	if ev.Protocol != "" {
		b := ev.Wire
		if b == nil {
			b = payload
		}
		wire = &timeline.Wire{Protocol: ev.Protocol, Transport: t.String(), Src: src, Dst: dst, Payload: b}
	}
	h.record(ev.Name, attrs, wire)
}

// received records a message from a peer the host does not run.
func (h *Host) received(protocol string, t node.Transport, src, dst netip.AddrPort, payload []byte) {
	if _, hostedPeer := h.portName(src); hostedPeer {
		return // its sender recorded it
	}
	d := h.Describe[protocol]
	if d == nil || !h.guard().trace(src, dst) {
		return // not described, or a flood: counted, not recorded
	}
	name, attrs, ok := d(payload)
	if !ok {
		return
	}
	all := append([]timeline.Attr{timeline.A("from", src.String()), timeline.A("to", h.Name(dst))}, attrs...)
	h.record(name, all, &timeline.Wire{Protocol: protocol, Transport: t.String(), Src: src, Dst: dst, Payload: payload})
}

// Link is a path's profile on a real network: what the host adds to what
// the nodes send.
type Link struct {
	Latency, Jitter time.Duration
	Loss            float64
	Down            bool
}

// Net holds the knobs of the network the hosted nodes send on. Its methods
// are safe from any goroutine.
type Net struct {
	mu      sync.Mutex
	def     Link
	links   map[[2]netip.Addr]Link
	blocked map[netip.Addr][]uint16
	rnd     *rand.Rand
}

// NewNet returns knobs with the default link def and a loss draw seeded
// with seed.
func NewNet(def Link, seed uint64) *Net {
	return &Net{def: def, links: map[[2]netip.Addr]Link{}, blocked: map[netip.Addr][]uint16{},
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func linkKey(a, b netip.Addr) [2]netip.Addr {
	if b.Less(a) {
		a, b = b, a
	}
	return [2]netip.Addr{a, b}
}

// SetDefault changes the profile of links without an override.
func (n *Net) SetDefault(l Link) { n.mu.Lock(); n.def = l; n.mu.Unlock() }

// Default is the profile of links without an override.
func (n *Net) Default() Link { n.mu.Lock(); defer n.mu.Unlock(); return n.def }

// SetLink overrides the path between a and b (both ways).
func (n *Net) SetLink(a, b netip.Addr, l Link) {
	n.mu.Lock()
	n.links[linkKey(a, b)] = l
	n.mu.Unlock()
}

// LinkOf is the profile of the path between a and b.
func (n *Net) LinkOf(a, b netip.Addr) Link {
	n.mu.Lock()
	defer n.mu.Unlock()
	if l, ok := n.links[linkKey(a, b)]; ok {
		return l
	}
	return n.def
}

// BlockOutgoing makes from unable to reach port anywhere.
func (n *Net) BlockOutgoing(from netip.Addr, port uint16) {
	n.mu.Lock()
	n.blocked[from] = append(n.blocked[from], port)
	n.mu.Unlock()
}

// UnblockOutgoing lifts BlockOutgoing.
func (n *Net) UnblockOutgoing(from netip.Addr, port uint16) {
	n.mu.Lock()
	n.blocked[from] = slices.DeleteFunc(n.blocked[from], func(p uint16) bool { return p == port })
	n.mu.Unlock()
}

// verdict is what the knobs do to one message from a to b.
func (n *Net) verdict(a, b netip.AddrPort, datagram bool) (delay time.Duration, drop bool) {
	if n == nil {
		return 0, false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.blocked[a.Addr()] {
		if p == b.Port() {
			return 0, true
		}
	}
	l, ok := n.links[linkKey(a.Addr(), b.Addr())]
	if !ok {
		l = n.def
	}
	if l.Down {
		return 0, true
	}
	if datagram && l.Loss > 0 && n.rnd.Float64() < l.Loss {
		return 0, true
	}
	delay = l.Latency
	if l.Jitter > 0 {
		delay += time.Duration(n.rnd.Int64N(int64(l.Jitter) + 1))
	}
	return delay, false
}
