package capture

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// This file is a small in-order TCP reassembler. gopacket's reassembly
// package was considered and not used: it delivers data through stream
// factories and flush calls whose timing decides which packet "completed" a
// chunk, while the callers here need exactly that packet's number (to point
// at frame N in a dissector) and records in capture order. Reading a capture
// file is also simpler than what reassembly handles (no live timeouts): the
// tracker below keeps, per direction, the next expected sequence number, a
// bounded list of segments that arrived early, and the bytes of an
// incomplete message.

// segment is the part of a TCP packet the tracker needs.
type segment struct {
	index    int
	at       time.Time
	src, dst netip.AddrPort
	seq      uint32
	// syn marks a segment that (re)starts its direction; FIN and RST need
	// no handling, as the data before them is delivered as it arrives.
	syn     bool
	payload []byte
}

type flowKey struct{ src, dst netip.AddrPort }

// direction is one half of a TCP connection.
type direction struct {
	src, dst   netip.AddrPort
	started    bool
	next       uint32 // next expected sequence number
	early      []segment
	earlyBytes int // bytes held in early
	pending    []byte
	// last is the latest packet that delivered data, to point at when the
	// capture ends inside a message.
	last segment
	// broken is set after an unrecoverable error (framing lost, too much
	// buffered); the rest of the direction is ignored, having been reported
	// once.
	broken bool
}

type tcpTracker struct {
	framer     Framer
	maxPending int
	dirs       map[flowKey]*direction
	// order keeps directions in the order they were first seen, so the
	// final report never depends on map iteration.
	order []*direction
}

func newTCPTracker(framer Framer, maxPending int) *tcpTracker {
	return &tcpTracker{framer: framer, maxPending: maxPending, dirs: make(map[flowKey]*direction)}
}

// seqAfter is the serial-number offset of a from b (RFC 1982 style), so
// comparisons survive sequence number wrap-around.
func seqAfter(a, b uint32) int32 { return int32(a - b) }

// add feeds one segment and returns the records it completed.
func (t *tcpTracker) add(seg segment) []Record {
	key := flowKey{seg.src, seg.dst}
	d := t.dirs[key]
	if d == nil {
		d = &direction{src: seg.src, dst: seg.dst}
		t.dirs[key] = d
		t.order = append(t.order, d)
	}
	if seg.syn {
		// A SYN (re)starts the direction: a new connection may reuse the
		// same four-tuple.
		*d = direction{src: seg.src, dst: seg.dst, started: true, next: seg.seq + 1}
		if len(seg.payload) == 0 {
			return nil
		}
		seg.seq++
	}
	if d.broken || len(seg.payload) == 0 {
		return nil
	}
	if !d.started {
		// The capture began mid-connection: take the first data seen as
		// the start of the stream.
		d.started = true
		d.next = seg.seq
	}
	data, seq := seg.payload, seg.seq
	if off := seqAfter(seq, d.next); off < 0 {
		if int(-off) >= len(data) {
			return nil // a retransmission of data already delivered
		}
		data = data[-off:]
	} else if off > 0 {
		return t.holdEarly(d, seg)
	}
	recs := t.deliver(d, seg, data)
	// The segment may have filled a gap: deliver what waited behind it.
	for len(d.early) > 0 && !d.broken {
		e := d.early[0]
		off := seqAfter(e.seq, d.next)
		if off > 0 {
			break
		}
		d.early = d.early[1:]
		d.earlyBytes -= len(e.payload)
		if int(-off) < len(e.payload) {
			recs = append(recs, t.deliver(d, seg, e.payload[-off:])...)
		}
	}
	return recs
}

// holdEarly keeps a copy of a segment that arrived before the data preceding
// it, sorted by its distance from the next expected byte.
func (t *tcpTracker) holdEarly(d *direction, seg segment) []Record {
	if d.earlyBytes+len(seg.payload) > t.maxPending {
		d.broken = true
		return []Record{t.errorRecord(d, seg, fmt.Errorf("more than %d bytes of TCP data waiting for a missing segment", t.maxPending))}
	}
	seg.payload = slices.Clone(seg.payload)
	off := uint32(seg.seq - d.next)
	i, _ := slices.BinarySearchFunc(d.early, off, func(e segment, target uint32) int {
		switch rel := uint32(e.seq - d.next); {
		case rel < target:
			return -1
		case rel > target:
			return 1
		}
		return 0
	})
	d.early = slices.Insert(d.early, i, seg)
	d.earlyBytes += len(seg.payload)
	return nil
}

// deliver appends in-order data to the direction and returns the records it
// completes; seg is the packet that made the data available.
func (t *tcpTracker) deliver(d *direction, seg segment, data []byte) []Record {
	d.next += uint32(len(data))
	d.last = segment{index: seg.index, at: seg.at}
	if t.framer == nil {
		return []Record{t.dataRecord(d, seg, slices.Clone(data))}
	}
	d.pending = append(d.pending, data...)
	var recs []Record
	consumed := 0
	for consumed < len(d.pending) {
		rest := d.pending[consumed:]
		n, err := t.framer(rest)
		if err != nil {
			d.broken = true
			d.pending = nil
			return append(recs, t.errorRecord(d, seg, fmt.Errorf("framing TCP stream: %w", err)))
		}
		if n < 0 || n > len(rest) {
			d.broken = true
			d.pending = nil
			return append(recs, t.errorRecord(d, seg, fmt.Errorf("framer returned length %d for %d pending bytes", n, len(rest))))
		}
		if n == 0 {
			break
		}
		recs = append(recs, t.dataRecord(d, seg, slices.Clone(rest[:n])))
		consumed += n
	}
	d.pending = slices.Clone(d.pending[consumed:])
	if len(d.pending) > t.maxPending {
		d.broken = true
		d.pending = nil
		recs = append(recs, t.errorRecord(d, seg, fmt.Errorf("more than %d bytes of TCP data without a complete message", t.maxPending)))
	}
	return recs
}

func (t *tcpTracker) dataRecord(d *direction, seg segment, payload []byte) Record {
	return Record{Index: seg.index, At: seg.at, Transport: TransportTCP, Src: d.src, Dst: d.dst, Payload: payload}
}

func (t *tcpTracker) errorRecord(d *direction, seg segment, err error) Record {
	return Record{Index: seg.index, At: seg.at, Transport: TransportTCP, Src: d.src, Dst: d.dst,
		Err: fmt.Errorf("packet %d: %v -> %v: %w", seg.index, d.src, d.dst, err)}
}

// finish reports, at the end of the capture, data that never became
// deliverable: segments behind a gap and an incomplete last message.
func (t *tcpTracker) finish() []Record {
	var recs []Record
	for _, d := range t.order {
		if d.broken {
			continue
		}
		if len(d.early) > 0 {
			e := d.early[0]
			recs = append(recs, t.errorRecord(d, e, fmt.Errorf("%d bytes after a gap at sequence %d that was never filled", d.earlyBytes, d.next)))
		}
		if len(d.pending) > 0 {
			recs = append(recs, t.errorRecord(d, d.last, fmt.Errorf("capture ends inside a message (%d bytes pending)", len(d.pending))))
		}
	}
	return recs
}
