package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// This file puts TCP data back in order with gopacket's reassembly package
// and turns what it delivers into Records. The assembler owns sequencing
// (out-of-order segments, retransmissions, overlaps, wrap-around, the
// handshake and the close); what stays here is what a capture reader adds
// on top: which packet a record points at, the Framer applied per
// direction, the bound on an incomplete message, and reporting gaps and
// unfinished messages as error Records in an order that never depends on
// the assembler's map of connections.

// segment is the part of a TCP packet the tracker needs.
type segment struct {
	index         int
	at            time.Time
	src, dst      netip.AddrPort
	seq           uint32
	syn, fin, rst bool
	payload       []byte
	// closing marks the RST the tracker adds itself to close the other
	// direction of a reset connection (see add).
	closing bool
}

// notStarted is the sequence number the assembler reports for a direction
// that has seen neither a SYN nor a forced start (reassembly's own constant
// is unexported).
const notStarted = reassembly.Sequence(-1)

// assemblerPageBytes is the size of the pages the assembler copies
// out-of-order data into (reassembly's pageBytes, unexported). The MaxPending
// byte bound is turned into a page count with it.
const assemblerPageBytes = 1900

// totalPagesFactor bounds the pages held by all connections together, as a
// multiple of the per-direction bound, so a capture with many broken
// connections cannot grow without limit either.
const totalPagesFactor = 16

// packetContext is the AssemblerContext of one packet. The assembler keeps
// it with every page it copies from the packet, so both the packet being
// assembled (the one that makes data available) and the packets that
// carried queued data can be named.
type packetContext struct {
	index int
	ci    gopacket.CaptureInfo
}

func (p *packetContext) GetCaptureInfo() gopacket.CaptureInfo { return p.ci }

func newPacketContext(index int, at time.Time) *packetContext {
	return &packetContext{index: index, ci: gopacket.CaptureInfo{Timestamp: at, AncillaryData: []any{index}}}
}

// carrierIndex is the number of the packet that carried the byte at offset
// in sg, or 0 when unknown.
func carrierIndex(sg reassembly.ScatterGather, offset int) int {
	if ad := sg.CaptureInfo(offset).AncillaryData; len(ad) > 0 {
		if index, ok := ad[0].(int); ok {
			return index
		}
	}
	return 0
}

// direction is one half of a TCP connection.
type direction struct {
	src, dst netip.AddrPort
	// next is the sequence number of the next byte expected, kept only to
	// say where a gap is.
	next    uint32
	pending []byte // bytes of an incomplete message (with a Framer)
	// last is the latest packet that delivered data, to point at when the
	// capture ends inside a message.
	last *packetContext
	// broken is set after an unrecoverable error (framing lost, too much
	// buffered); the rest of the direction is ignored, having been reported
	// once.
	broken bool
	// stream is the connection's number (Record.Stream).
	stream int
	// ended: the direction's End record was made; done: the connection is
	// complete and the tracker has forgotten it.
	ended, done bool
	// gap is the error for data found behind a hole when the capture
	// ended; it is reported by finish, in direction order.
	gap *Record
	// heldEnd is the sequence number after the furthest data the assembler
	// holds behind a hole (meaningful while after next): what a RST would
	// make it discard.
	heldEnd uint32
}

// after reports whether sequence number a comes after b (RFC 1982).
func after(a, b uint32) bool { return int32(a-b) > 0 }

type tcpTracker struct {
	framer     Framer
	maxPending int
	// ends: make End records (Options.StreamEnds).
	ends bool
	// streams counts the connections seen, to number them.
	streams int
	// doneDirs counts the directions in order whose connection is
	// complete, so that order is compacted before they pile up.
	doneDirs  int
	assembler *reassembly.Assembler
	// order keeps directions in the order they were first seen, so the
	// final report never depends on the assembler's map iteration.
	order []*direction
	// current is the segment being assembled: the stream factory takes the
	// connection's endpoints from it.
	current *segment
	// out collects the records the assembler's callbacks produce for the
	// segment being assembled.
	out []Record
	// finishing is set while the assembler flushes at the end of the
	// capture, when data behind a gap can no longer be completed.
	finishing bool
	// header is scratch space for the TCP header the assembler decodes the
	// ports from.
	header [20]byte
	// reset is the connection whose direction the segment being assembled
	// reset, to be closed in the other direction too.
	reset *connStream
	// resetDir is the direction that reset reset.
	resetDir reassembly.TCPFlowDirection
	// wasReset holds the four-tuples of reset connections until a SYN
	// opens them again: what either side sends there meanwhile belongs to
	// no connection (a receiver answers it with a RST) and is dropped.
	wasReset map[fourTuple]bool
	// live holds the four-tuples of the connections the assembler tracks,
	// so that a bare segment for none of them (the last ACK after both
	// FINs) is not handed over: the assembler would open a connection for
	// it that nothing ever closes.
	live map[fourTuple]bool
}

// fourTuple names a TCP connection whichever way its segment goes.
type fourTuple struct{ a, b netip.AddrPort }

func tupleOf(src, dst netip.AddrPort) fourTuple {
	if src.Compare(dst) > 0 {
		src, dst = dst, src
	}
	return fourTuple{src, dst}
}

func newTCPTracker(framer Framer, maxPending int) *tcpTracker {
	return &tcpTracker{framer: framer, maxPending: maxPending, live: map[fourTuple]bool{}}
}

// startAssembler creates the assembler at the first TCP segment: its stream
// pool allocates room for a thousand connections up front (most of the
// cost of reading a small capture), which a capture without TCP need not
// pay.
func (t *tcpTracker) startAssembler() {
	t.assembler = reassembly.NewAssembler(reassembly.NewStreamPool(t))
	// The assembler bounds out-of-order data in pages and flushes past the
	// gap when a direction reaches the limit (reported as an error by
	// ReassembledSG). It compares after queueing a page, so the limit is one
	// more than the whole pages MaxPending holds; a MaxPending below one page
	// allows no out-of-order data at all.
	pages := t.maxPending/assemblerPageBytes + 1
	t.assembler.MaxBufferedPagesPerConnection = pages
	t.assembler.MaxBufferedPagesTotal = pages * totalPagesFactor
}

// New is the reassembly.StreamFactory method: one connStream per TCP
// connection, its first direction being that of the segment that opened it.
func (t *tcpTracker) New(_, _ gopacket.Flow, _ *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	t.streams++
	c := &connStream{tracker: t, tuple: tupleOf(t.current.src, t.current.dst)}
	t.live[c.tuple] = true
	c.dirs[0] = &direction{src: t.current.src, dst: t.current.dst, stream: t.streams}
	c.dirs[1] = &direction{src: t.current.dst, dst: t.current.src, stream: t.streams}
	t.order = append(t.order, c.dirs[0], c.dirs[1])
	return c
}

// add feeds one segment and returns the records it completed.
func (t *tcpTracker) add(seg segment) []Record {
	tcp, err := t.layer(&seg)
	if err != nil {
		return []Record{{Index: seg.index, At: seg.at, Transport: TransportTCP, Src: seg.src, Dst: seg.dst,
			Err: fmt.Errorf("packet %d: %w", seg.index, err)}}
	}
	endpoint := layers.EndpointIPv4
	if !seg.src.Addr().Unmap().Is4() {
		endpoint = layers.EndpointIPv6
	}
	src, dst := seg.src.Addr().Unmap(), seg.dst.Addr().Unmap()
	netFlow := gopacket.NewFlow(endpoint, src.AsSlice(), dst.AsSlice())
	if t.assembler == nil {
		t.startAssembler()
	}
	tuple := tupleOf(seg.src, seg.dst)
	if t.wasReset[tuple] && !seg.closing {
		if !seg.syn {
			return nil
		}
		delete(t.wasReset, tuple)
	}
	if len(seg.payload) == 0 && !seg.syn && !t.live[tuple] {
		return nil // a bare segment of no connection can start none
	}
	t.current = &seg
	t.out = nil
	t.reset = nil
	t.assembler.AssembleWithContext(netFlow, tcp, newPacketContext(seg.index, seg.at))
	t.current = nil
	out := t.out
	if c := t.reset; c != nil && !seg.closing {
		// A RST ends the connection (RFC 9293 3.10.7.4), but the assembler
		// closes only the direction it was sent in and keeps the connection
		// while the other is open, so a SYN reusing the four-tuple later
		// would land on the closed direction and its data be dropped. A RST
		// of our own at the other direction's next sequence number closes
		// that one as well, and the assembler forgets the connection.
		other := c.direction(t.resetDir.Reverse())
		t.reset = nil
		if after(other.heldEnd, other.next) && !other.broken && other.gap == nil {
			// Closing discards what waits behind a hole: say so.
			out = append(out, t.errorRecord(other, newPacketContext(seg.index, seg.at),
				fmt.Errorf("connection reset with a gap at sequence %d never filled (data up to %d dropped)", other.next, other.heldEnd)))
		}
		if t.wasReset == nil {
			t.wasReset = make(map[fourTuple]bool)
		}
		t.wasReset[tupleOf(seg.src, seg.dst)] = true
		out = append(out, t.add(segment{index: seg.index, at: seg.at, src: other.src, dst: other.dst,
			seq: other.next, rst: true, closing: true})...)
	}
	return out
}

// layer turns a segment into the TCP layer the assembler takes. The
// assembler reads the ports from the layer's decoded header (its flow), so
// the header is encoded and decoded rather than the struct filled in.
func (t *tcpTracker) layer(seg *segment) (*layers.TCP, error) {
	h := t.header[:]
	binary.BigEndian.PutUint16(h[0:], seg.src.Port())
	binary.BigEndian.PutUint16(h[2:], seg.dst.Port())
	binary.BigEndian.PutUint32(h[4:], seg.seq)
	binary.BigEndian.PutUint32(h[8:], 0)
	h[12] = 5 << 4 // data offset: a 20-byte header
	h[13] = 0
	if seg.fin {
		h[13] |= 0x01
	}
	if seg.syn {
		h[13] |= 0x02
	}
	if seg.rst {
		h[13] |= 0x04
	}
	clear(h[14:])
	tcp := &layers.TCP{}
	if err := tcp.DecodeFromBytes(h, gopacket.NilDecodeFeedback); err != nil {
		return nil, err
	}
	tcp.Payload = seg.payload
	return tcp, nil
}

// finish flushes the assembler at the end of the capture and reports data
// that never became deliverable: data behind a gap and an incomplete last
// message.
func (t *tcpTracker) finish() []Record {
	if t.assembler == nil {
		return nil // no TCP in the capture
	}
	t.finishing = true
	t.out = nil
	t.assembler.FlushAll()
	recs := t.out
	t.out = nil
	for _, d := range t.order {
		if d.done {
			continue
		}
		if d.gap != nil {
			recs = append(recs, *d.gap)
		}
		if !d.broken && len(d.pending) > 0 {
			recs = append(recs, t.errorRecord(d, d.last, fmt.Errorf("capture ends inside a message (%d bytes pending)", len(d.pending))))
		}
	}
	return recs
}

// connStream is the reassembly.Stream of one connection.
type connStream struct {
	tracker *tcpTracker
	tuple   fourTuple
	dirs    [2]*direction // index 0: the direction that opened the connection
}

func (c *connStream) direction(dir reassembly.TCPFlowDirection) *direction {
	if dir == reassembly.TCPDirClientToServer {
		return c.dirs[0]
	}
	return c.dirs[1]
}

// Accept takes every segment, and starts a direction at its first data
// when the capture began after its SYN. A bare segment (an ACK) on such a
// direction does not start it: its sequence number need not be that of the
// next data byte (a keep-alive probe sits one before it).
func (c *connStream) Accept(tcp *layers.TCP, _ gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, _ reassembly.AssemblerContext) bool {
	d := c.direction(dir)
	if nextSeq != notStarted {
		if end := tcp.Seq + uint32(len(tcp.Payload)); len(tcp.Payload) > 0 && after(tcp.Seq, d.next) && after(end, d.heldEnd) {
			d.heldEnd = end // queued behind a hole
		}
		return true
	}
	switch {
	case tcp.SYN:
		d.next = tcp.Seq + 1
	case c.tracker.current != nil && c.tracker.current.closing:
		*start = true // a direction that never started is closed all the same
	case len(tcp.Payload) == 0:
		return false
	default:
		*start = true
		d.next = tcp.Seq
	}
	return true
}

// ReassembledSG receives in-order data of one direction. The records it
// makes point at the packet being assembled (ac), which is the packet that
// made the data available, even when part of the data was carried by
// earlier out-of-order packets.
func (c *connStream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	t := c.tracker
	dir, _, end, skip := sg.Info()
	d := c.direction(dir)
	length, _ := sg.Lengths()
	pc, ok := ac.(*packetContext)
	if !ok {
		pc = newPacketContext(carrierIndex(sg, 0), sg.CaptureInfo(0).Timestamp)
	}
	if end && !t.finishing && t.current != nil {
		// After the data the last segment carries: what a reset cuts,
		// then the End record.
		defer c.ended(dir, d, pc, t.current.rst)
	}
	if d.broken || d.gap != nil {
		return
	}
	if skip != 0 {
		// The assembler gave up waiting for missing data: at the end of the
		// capture, or because a direction held too much behind a gap.
		var err error
		if t.finishing {
			err = fmt.Errorf("a gap of %d bytes at sequence %d was never filled (%d bytes after it dropped)", skip, d.next, length)
			rec := t.errorRecord(d, pc, err)
			d.gap = &rec
			return
		}
		d.broken = true
		err = fmt.Errorf("more than %d bytes of TCP data waiting for a missing segment", t.maxPending)
		t.out = append(t.out, t.errorRecord(d, pc, err))
		return
	}
	if length == 0 {
		return // a SYN or FIN without data
	}
	d.next += uint32(length)
	d.last = pc
	if t.framer == nil {
		// One record per segment that carried the data, so that the chunks
		// are those a dissector shows.
		for offset := 0; offset < length; {
			carrier := carrierIndex(sg, offset)
			run := sort.Search(length-offset, func(i int) bool { return carrierIndex(sg, offset+i) != carrier })
			chunk := slices.Clone(sg.Fetch(offset + run)[offset:])
			t.out = append(t.out, t.dataRecord(d, pc, chunk))
			offset += run
		}
		return
	}
	t.out = append(t.out, t.deliver(d, pc, sg.Fetch(length))...)
}

// ended handles the end of direction dir at packet pc: a reset first, then
// the End record when they were asked for.
func (c *connStream) ended(dir reassembly.TCPFlowDirection, d *direction, pc *packetContext, reset bool) {
	t := c.tracker
	if reset {
		c.resetBy(dir, pc)
	}
	if t.ends && !d.ended {
		d.ended = true
		t.out = append(t.out, Record{Index: pc.index, At: pc.ci.Timestamp, Transport: TransportTCP,
			Src: d.src, Dst: d.dst, Stream: d.stream, End: true, Reset: reset})
	}
}

// resetBy notes that a RST ended direction dir: an incomplete message in
// it will never be completed and is reported now, and, unless this is the
// tracker's own closing RST, the other direction is to be closed too.
func (c *connStream) resetBy(dir reassembly.TCPFlowDirection, pc *packetContext) {
	t := c.tracker
	d := c.direction(dir)
	if !d.broken && len(d.pending) > 0 {
		t.out = append(t.out, t.errorRecord(d, pc, fmt.Errorf("connection reset inside a message (%d bytes pending)", len(d.pending))))
		d.pending = nil
	}
	if !t.current.closing {
		t.reset, t.resetDir = c, dir
	}
}

// ReassemblyComplete lets the assembler forget the connection once both
// directions are closed, and the tracker too: an incomplete message can no
// longer be completed, so it is reported now. At the end of the capture
// finish reports what is left instead, in its fixed order.
func (c *connStream) ReassemblyComplete(reassembly.AssemblerContext) bool {
	t := c.tracker
	delete(t.live, c.tuple)
	if t.finishing {
		return true
	}
	for _, d := range c.dirs {
		if !d.broken && len(d.pending) > 0 && d.last != nil {
			t.out = append(t.out, t.errorRecord(d, d.last, fmt.Errorf("connection closed inside a message (%d bytes pending)", len(d.pending))))
		}
		d.pending = nil
		d.done = true
	}
	t.doneDirs += len(c.dirs)
	if t.doneDirs > 64 && t.doneDirs > len(t.order)/2 {
		t.order = slices.DeleteFunc(t.order, func(d *direction) bool { return d.done })
		t.doneDirs = 0
	}
	return true
}

// deliver frames in-order data of a direction and returns the records it
// completes; pc is the packet that made the data available.
func (t *tcpTracker) deliver(d *direction, pc *packetContext, data []byte) []Record {
	d.pending = append(d.pending, data...)
	var recs []Record
	consumed := 0
	for consumed < len(d.pending) {
		rest := d.pending[consumed:]
		n, err := t.framer(rest)
		if err != nil {
			d.broken = true
			d.pending = nil
			return append(recs, t.errorRecord(d, pc, fmt.Errorf("framing TCP stream: %w", err)))
		}
		if n < 0 || n > len(rest) {
			d.broken = true
			d.pending = nil
			return append(recs, t.errorRecord(d, pc, fmt.Errorf("framer returned length %d for %d pending bytes", n, len(rest))))
		}
		if n == 0 {
			break
		}
		recs = append(recs, t.dataRecord(d, pc, slices.Clone(rest[:n])))
		consumed += n
	}
	d.pending = slices.Clone(d.pending[consumed:])
	if len(d.pending) > t.maxPending {
		d.broken = true
		d.pending = nil
		recs = append(recs, t.errorRecord(d, pc, fmt.Errorf("more than %d bytes of TCP data without a complete message", t.maxPending)))
	}
	return recs
}

func (t *tcpTracker) dataRecord(d *direction, pc *packetContext, payload []byte) Record {
	return Record{Index: pc.index, At: pc.ci.Timestamp, Transport: TransportTCP, Src: d.src, Dst: d.dst, Stream: d.stream, Payload: payload}
}

func (t *tcpTracker) errorRecord(d *direction, pc *packetContext, err error) Record {
	return Record{Index: pc.index, At: pc.ci.Timestamp, Transport: TransportTCP, Src: d.src, Dst: d.dst, Stream: d.stream,
		Err: fmt.Errorf("packet %d: %v -> %v: %w", pc.index, d.src, d.dst, err)}
}
