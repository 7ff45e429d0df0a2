package sim

import (
	"fmt"
	"net/netip"
	"time"
)

// Retransmission model of byte streams. A stream is lossless, like TCP: a
// segment that the link's loss draw loses is sent again after a
// retransmission timeout that doubles each time, so loss shows as delay.
const (
	// synRTO is the first retransmission timeout of a connection attempt
	// (RFC 6298's initial RTO).
	synRTO = time.Second
	// minDataRTO is the smallest retransmission timeout for data, as in
	// common TCP stacks; a link's RTO is max(minDataRTO, 2*(Latency+Jitter)).
	minDataRTO = 200 * time.Millisecond
	// maxRetransmits bounds the retransmissions of one segment. After that
	// the segment is taken as delivered: by then the delay dwarfs any
	// scenario's timers, and a link that loses everything (Loss 1) is
	// treated as Down instead.
	maxRetransmits = 6
	// maxPieces bounds how many pieces SplitProbability makes of one chunk.
	maxPieces = 8
)

// Conn is one end of a simulated byte stream (TCP or TLS call signalling; the
// stream carries bytes, framing such as TPKT is the caller's).
//
// The model, chosen to be simple and to show the effects protocols must cope
// with:
//   - Bytes arrive in order and exactly once. Each write (or each piece of it,
//     see LinkProfile.SplitProbability and MaxSegment) is delivered at
//     max(previous delivery, now + latency + jitter + retransmissions), so
//     jitter delays data but never reorders it, and the receiver sees
//     arbitrary piece boundaries.
//   - Loss delays segments (retransmission) instead of dropping them.
//   - While the link is Down (or its Loss is 1), written data stalls in the
//     writer's Conn and flows again, in order, when the link comes back.
//     Data that cannot be delivered for Network.StallTimeout aborts the
//     writer's side with ErrTimeout. The peer is not told at once (as in
//     TCP, it learns only when it next sends: its data is answered with a
//     reset, ErrReset). Data already in flight when a link goes down is
//     still delivered.
//   - Close is a full close: the peer's OnClose(nil) is called once all the
//     data written before Close has arrived, and from then on the peer's
//     Conn is closed too. The side that calls Close gets no OnClose call.
//
// Callbacks run on the loop; none is called from inside Write or Close.
type Conn struct {
	net           *Network
	local, remote netip.AddrPort
	peer          *Conn

	onData  func([]byte)
	onClose func(error)

	// horizon is when the last piece sent to the peer arrives: later pieces
	// never arrive earlier, which keeps the stream in order under jitter.
	horizon time.Duration

	closed  bool // no more writes: closed locally, by the peer, or aborted
	aborted bool // closed by a stall timeout: answers the peer's data with a reset

	// Receiving side: data and the close that arrived before the callbacks
	// were set, or while earlier data still waits for OnData.
	inbox        [][]byte // pieces arrived; those before head were delivered
	head         int
	drainPending bool
	closeArrived bool
	closeErr     error
	closeTold    bool

	// Sending side while the link is down.
	stalled    [][]byte
	finStalled bool // Close was called while data was stalled: FIN follows it
	stallTimer TimerID

	// hc is the Host's record of this end, when a Host drives it.
	hc *hconn
}

// LocalAddr returns the address of this end.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// RemoteAddr returns the address of the other end.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// OnData sets the function that receives the stream's bytes, piece by piece.
// Data that arrived before it was set is delivered (in order) in a
// separate event at the current time.
func (c *Conn) OnData(fn func([]byte)) {
	c.onData = fn
	c.scheduleDrain()
}

// OnClose sets the function told when the stream ends: nil when the peer
// closed it, ErrReset or ErrTimeout when it broke.
func (c *Conn) OnClose(fn func(error)) {
	c.onClose = fn
	c.scheduleDrain()
}

// ListenStream makes accept receive the connections made to addr. accept
// runs when the connection attempt arrives and should set OnData and OnClose.
func (n *Network) ListenStream(addr netip.AddrPort, accept func(*Conn)) error {
	nd := n.station(addr.Addr())
	if nd.streamAccept(addr.Port()) != nil {
		return fmt.Errorf("listen stream %v: %w", addr, ErrAddrInUse)
	}
	nd.streams = append(nd.streams, streamListener{port: addr.Port(), accept: accept})
	return nil
}

// UnlistenStream stops accepting connections on addr; established
// connections are not affected.
func (n *Network) UnlistenStream(addr netip.AddrPort) {
	if nd := n.nodes[keyAddr(addr.Addr())]; nd != nil {
		for i, l := range nd.streams {
			if l.port == addr.Port() {
				nd.streams = append(nd.streams[:i], nd.streams[i+1:]...)
				return
			}
		}
	}
}

// Dial opens a stream from from to to and calls onConnect, later, with the
// connection or an error. A from port of 0 picks the next ephemeral port of
// the address (49152 upwards); Dial returns the source address used.
//
// The SYN takes the link's delay (with SYN retransmissions under loss);
// the listener's accept runs when it arrives, and onConnect runs one
// further one-way delay later, so connecting takes one round trip. With no
// listener the answer is a reset: ErrRefused after a round trip. A blocked
// port or a down link (at dial time, or when the SYN arrives) loses the
// handshake: ErrTimeout, Network.ConnectTimeout after the dial.
func (n *Network) Dial(from, to netip.AddrPort, onConnect func(*Conn, error)) netip.AddrPort {
	if from.Port() == 0 {
		from = netip.AddrPortFrom(from.Addr(), n.station(from.Addr()).nextEphemeral())
	}
	n.dial(from, to, onConnect)
	return from
}

func (n *Network) dial(from, to netip.AddrPort, onConnect func(*Conn, error)) {
	giveUp := n.loop.Now() + n.ConnectTimeout
	timeout := func() { n.loop.At(giveUp, func() { onConnect(nil, ErrTimeout) }) }
	link := n.Link(from.Addr(), to.Addr())
	if dst := n.nodes[keyAddr(to.Addr())]; link.Down || link.Loss >= 1 || (dst != nil && dst.isBlocked(to.Port())) || n.outBlockedFrom(from.Addr(), to.Port()) {
		timeout()
		return
	}
	synDelay := segmentDelay(link, n.randFor(from.Addr()), synRTO)
	if synDelay > n.ConnectTimeout {
		timeout()
		return
	}
	n.loop.After(synDelay, func() {
		// The answer travels back under the link's state at the time the
		// SYN arrives, drawn from the listener's stream.
		back := n.Link(to.Addr(), from.Addr())
		if back.Down || back.Loss >= 1 {
			timeout() // the link failed while the SYN was on its way
			return
		}
		answerDelay := segmentDelay(back, n.randFor(to.Addr()), synRTO)
		var accept func(*Conn)
		if dst := n.nodes[keyAddr(to.Addr())]; dst != nil {
			accept = dst.streamAccept(to.Port())
		}
		if accept == nil {
			n.loop.After(answerDelay, func() { onConnect(nil, ErrRefused) })
			return
		}
		established := n.loop.Now() + answerDelay
		client := &Conn{net: n, local: from, remote: to, horizon: established}
		server := &Conn{net: n, local: to, remote: from, horizon: established}
		client.peer, server.peer = server, client
		// Scheduled before accept runs, so that onConnect precedes any data
		// the server writes at once, even if it arrives at the same instant.
		n.loop.At(established, func() { onConnect(client, nil) })
		accept(server)
	})
}

// Write sends b to the peer (the bytes are copied). It returns ErrClosed
// once the stream is closed, by either end, or aborted.
func (c *Conn) Write(b []byte) (int, error) {
	if c.closed {
		return 0, ErrClosed
	}
	if len(b) == 0 {
		return 0, nil
	}
	n := c.net
	link := n.Link(c.local.Addr(), c.remote.Addr())
	r := n.randFor(c.local.Addr())
	data := append([]byte(nil), b...)
	for len(data) > 0 {
		chunk := data
		if link.MaxSegment > 0 && len(chunk) > link.MaxSegment {
			chunk = chunk[:link.MaxSegment:link.MaxSegment]
		}
		data = data[len(chunk):]
		if link.SplitProbability <= 0 {
			c.send(chunk) // the common case, without a slice of one piece
			continue
		}
		for _, piece := range splitPieces(chunk, link.SplitProbability, r) {
			c.send(piece)
		}
	}
	return len(b), nil
}

// Close ends the stream (see Conn for the model). Closing twice returns
// ErrClosed.
func (c *Conn) Close() error {
	if c.closed {
		return ErrClosed
	}
	c.closed = true
	if len(c.stalled) > 0 {
		c.finStalled = true
		return nil
	}
	c.sendFIN()
	return nil
}

// send transmits one piece, or stalls it behind earlier stalled data or a
// link that is down.
func (c *Conn) send(piece []byte) {
	n := c.net
	link := n.Link(c.local.Addr(), c.remote.Addr())
	if len(c.stalled) > 0 || link.Down || link.Loss >= 1 {
		c.stall(piece)
		return
	}
	at := c.arrival(link)
	peer := c.peer
	n.loop.At(at, func() { peer.receive(c, piece) })
}

// arrival returns when a segment sent now arrives, keeping the stream in order.
func (c *Conn) arrival(link LinkProfile) time.Duration {
	rto := max(minDataRTO, 2*(link.Latency+link.Jitter))
	at := c.net.loop.Now() + segmentDelay(link, c.net.randFor(c.local.Addr()), rto)
	at = max(at, c.horizon)
	c.horizon = at
	return at
}

func (c *Conn) sendFIN() {
	at := c.arrival(c.net.Link(c.local.Addr(), c.remote.Addr()))
	peer := c.peer
	c.net.loop.At(at, func() { peer.arriveClose(nil) })
}

func (c *Conn) stall(piece []byte) {
	n := c.net
	if len(c.stalled) == 0 {
		n.stalled = append(n.stalled, c)
		c.stallTimer = n.loop.After(n.StallTimeout, c.abort)
	}
	c.stalled = append(c.stalled, piece)
}

// abort gives up on stalled data: the writer's side breaks with ErrTimeout.
func (c *Conn) abort() {
	c.stallTimer = 0
	c.stalled, c.finStalled = nil, false
	c.net.unstall(c)
	closedByOwner := c.closed
	c.closed, c.aborted = true, true
	if !closedByOwner {
		c.arriveClose(ErrTimeout)
	}
}

// resume sends the stalled data (and a stalled FIN) now that the link is up.
func (c *Conn) resume() {
	c.net.loop.Cancel(c.stallTimer)
	c.stallTimer = 0
	pieces := c.stalled
	c.stalled = nil
	for _, p := range pieces {
		c.send(p)
	}
	if c.finStalled {
		c.finStalled = false
		c.sendFIN()
	}
}

// receive delivers a piece that arrived from the peer.
func (c *Conn) receive(from *Conn, piece []byte) {
	if c.closed {
		// An aborted end answers data with a reset, as TCP does; a closed
		// one has already sent its FIN, which tells the peer enough.
		if c.aborted && !from.closed {
			at := c.net.loop.Now() + segmentDelay(c.net.Link(c.local.Addr(), c.remote.Addr()), c.net.randFor(c.local.Addr()), synRTO)
			c.net.loop.At(at, func() { from.arriveClose(ErrReset) })
		}
		return
	}
	c.inbox = append(c.inbox, piece)
	c.drain()
}

// arriveClose records the end of the stream and tells the owner once every
// piece that arrived before it has been delivered.
func (c *Conn) arriveClose(err error) {
	if c.closeArrived {
		return
	}
	if c.closed && !c.aborted {
		// Both ends closed: the local side chose to, nothing to tell.
		return
	}
	c.closed = true
	if c.stallTimer != 0 {
		c.net.loop.Cancel(c.stallTimer)
		c.stallTimer = 0
		c.stalled, c.finStalled = nil, false
		c.net.unstall(c)
	}
	c.closeArrived, c.closeErr = true, err
	c.drain()
}

func (c *Conn) scheduleDrain() {
	if c.drainPending || (c.head == len(c.inbox) && !c.closeArrived) {
		return
	}
	c.drainPending = true
	c.net.loop.After(0, func() {
		c.drainPending = false
		c.drain()
	})
}

// drain hands waiting pieces to OnData, then the close to OnClose.
func (c *Conn) drain() {
	if c.drainPending {
		return // a scheduled drain will keep the order
	}
	// The inbox is read from c.head, and emptied in place once read: a
	// slice popped from its front would lose its capacity, and every piece
	// would allocate a new one. (onData may receive and drain again.)
	for c.head < len(c.inbox) && c.onData != nil {
		p := c.inbox[c.head]
		c.inbox[c.head] = nil
		c.head++
		c.onData(p)
	}
	if c.head == len(c.inbox) {
		c.inbox, c.head = c.inbox[:0], 0
	}
	if len(c.inbox) == 0 && c.closeArrived && !c.closeTold && c.onClose != nil {
		c.closeTold = true
		c.onClose(c.closeErr)
	}
}

// unstall removes c from the network's stalled list.
func (n *Network) unstall(c *Conn) {
	for i, s := range n.stalled {
		if s == c {
			n.stalled = append(n.stalled[:i], n.stalled[i+1:]...)
			return
		}
	}
}

// resumeStalled restarts, in stall order, the connections whose link is up
// again. It runs after every link change.
func (n *Network) resumeStalled() {
	if len(n.stalled) == 0 {
		return
	}
	var still []*Conn
	var up []*Conn
	for _, c := range n.stalled {
		link := n.Link(c.local.Addr(), c.remote.Addr())
		if link.Down || link.Loss >= 1 {
			still = append(still, c)
		} else {
			up = append(up, c)
		}
	}
	n.stalled = still
	for _, c := range up {
		c.resume()
	}
}

// segmentDelay is the one-way delay of one segment: latency, a jitter draw,
// and under loss the retransmission timeouts (doubling) of the lost copies.
func segmentDelay(link LinkProfile, r *Rand, rto time.Duration) time.Duration {
	d := link.Latency + r.Duration(0, link.Jitter)
	for i := 0; i < maxRetransmits && r.Bool(link.Loss); i++ {
		d += rto
		rto *= 2
	}
	return d
}

// splitPieces cuts chunk at random points: each piece of two bytes or more
// is cut with probability p, until there are maxPieces pieces.
func splitPieces(chunk []byte, p float64, r *Rand) [][]byte {
	pieces := [][]byte{chunk}
	if p <= 0 {
		return pieces
	}
	for i := 0; i < len(pieces) && len(pieces) < maxPieces; {
		cur := pieces[i]
		if len(cur) < 2 || !r.Bool(p) {
			i++
			continue
		}
		cut := 1 + r.IntN(len(cur)-1)
		pieces = append(pieces, nil)
		copy(pieces[i+2:], pieces[i+1:])
		pieces[i], pieces[i+1] = cur[:cut:cut], cur[cut:]
	}
	return pieces
}
