package decode

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/q931"
)

// Call signalling is found on any TCP stream, the way a dissector's
// heuristic finds it: each direction is cut into TPKT frames here, and a
// direction is H.225.0 when one of its ends is a call-signalling address
// (TCP 1720, or an address the capture's own messages announced), or when
// its first non-empty frame starts with the Q.931 protocol discriminator.
//
// A direction that is neither is other traffic, but the address that would
// make it H.225.0 may come later in the capture (a Setup to a port an RRQ
// announces afterwards, a capture that starts after the registration): its
// last few frames are kept (MaxHeldFrames, at most MaxHeldBytes) for a
// second look, which decodes them, late but with their own packet numbers,
// when the address is learnt.
//
// A direction whose bytes are not TPKT (another protocol, or a capture
// that starts in the middle of a message) is re-synchronised at the next
// segment that starts with a TPKT header.
//
// Memory per open direction is bounded by one TPKT frame (at most 65,535
// octets) being assembled, plus the frames held for a second look.

// Bounds on what an undecided direction keeps for a second look.
const (
	MaxHeldFrames = 16
	MaxHeldBytes  = 64 << 10
)

// q931Discriminator is the Q.931 protocol discriminator, the first octet
// of every Q.931 message.
const q931Discriminator = 0x08

type dirState uint8

const (
	dirUndecided dirState = iota // no non-empty frame yet
	dirH225                      // call signalling
	dirOther                     // not Q.931, and on no known address
)

// dirKey names a direction: its stream and its sender. Records of a
// capture read without stream numbers (Stream 0) are told apart by their
// four-tuple alone.
type dirKey struct {
	stream   int
	src, dst netip.AddrPort
}

type tcpDir struct {
	key   dirKey
	state dirState
	// r frames the direction; nil while it is not in step with TPKT
	// frames (until a segment starts one). chunks counts the segments
	// that contributed to the frame being assembled.
	r      *q931.Reassembler
	chunks int
	// lost: the loss of framing was reported, once until it is regained.
	lost bool
	// last is the latest record that gave the direction data.
	lastIndex int
	lastAt    time.Time
	held      []heldFrame
	heldBytes int
}

// heldFrame is a frame kept for a second look.
type heldFrame struct {
	index   int
	at      time.Time
	payload []byte // the TPKT payload
	chunks  int
}

type tcpState struct {
	dirs map[dirKey]*tcpDir
	// order keeps the directions in the order they were opened, so that
	// what the end of the capture reports never depends on map order.
	order []*tcpDir
	dead  int
	// byAddr indexes the undecided and other directions by their two
	// addresses, for the second look.
	byAddr map[netip.AddrPort][]*tcpDir
}

func (s *tcpState) init() {
	s.dirs = map[dirKey]*tcpDir{}
	s.byAddr = map[netip.AddrPort][]*tcpDir{}
}

func (s *tcpState) get(rec capture.Record) *tcpDir {
	k := dirKey{stream: rec.Stream, src: rec.Src, dst: rec.Dst}
	if d, ok := s.dirs[k]; ok {
		return d
	}
	d := &tcpDir{key: k}
	s.dirs[k] = d
	s.order = append(s.order, d)
	s.byAddr[rec.Src] = append(s.byAddr[rec.Src], d)
	s.byAddr[rec.Dst] = append(s.byAddr[rec.Dst], d)
	return d
}

// forget drops a direction that ended.
func (s *tcpState) forget(d *tcpDir) {
	delete(s.dirs, d.key)
	s.unindex(d)
	d.r, d.held = nil, nil
	s.dead++
	if s.dead > 64 && s.dead > len(s.order)/2 {
		s.order = slices.DeleteFunc(s.order, func(x *tcpDir) bool { return s.dirs[x.key] != x })
		s.dead = 0
	}
}

func (s *tcpState) unindex(d *tcpDir) {
	for _, a := range []netip.AddrPort{d.key.src, d.key.dst} {
		list := slices.DeleteFunc(s.byAddr[a], func(x *tcpDir) bool { return x == d })
		if len(list) == 0 {
			delete(s.byAddr, a)
		} else {
			s.byAddr[a] = list
		}
	}
}

// tcpRecord handles one TCP record: data, a direction's end, or an error.
func (d *Decoder) tcpRecord(rec capture.Record) {
	dir := d.tcp.get(rec)
	switch {
	case rec.End:
		d.endDirection(dir, rec, "connection reset inside a message", "connection closed inside a message")
		d.tcp.forget(dir)
	case rec.Err != nil:
		if d.ours(dir) {
			d.add(dir.message(rec.Index, rec.At, "", rec.Err.Error()))
		} else {
			d.sum.Skips.OtherTCP++
		}
	default:
		d.tcpData(dir, rec)
	}
}

// ours reports whether a direction carries call signalling, or runs
// between addresses that say it must.
func (d *Decoder) ours(dir *tcpDir) bool {
	return dir.state == dirH225 || d.learnt.isSignalling(dir.key.src) || d.learnt.isSignalling(dir.key.dst)
}

// message starts a Message of the direction at the given packet.
func (dir *tcpDir) message(index int, at time.Time, typ, err string) Message {
	m := Message{Packet: index, Time: at, Source: dir.key.src.String(), Destination: dir.key.dst.String(),
		Protocol: ProtocolQ931, Transport: TransportTCP, Type: typ, Error: err}
	m.report = err != ""
	return m
}

// endDirection reports an incomplete frame a direction's end leaves.
func (d *Decoder) endDirection(dir *tcpDir, rec capture.Record, reset, closed string) {
	if dir.r == nil || dir.r.Buffered() == 0 || !d.ours(dir) {
		return
	}
	why := closed
	if rec.Reset {
		why = reset
	}
	index, at := rec.Index, rec.At
	if index == 0 {
		index, at = dir.lastIndex, dir.lastAt
	}
	d.add(dir.message(index, at, "", fmt.Sprintf("packet %d: %v -> %v: %s (%d bytes pending)", index, dir.key.src, dir.key.dst, why, dir.r.Buffered())))
	dir.r = nil
}

// finish reports the frames the end of the capture leaves incomplete.
func (s *tcpState) finish(d *Decoder) {
	for _, dir := range s.order {
		if s.dirs[dir.key] == dir {
			d.endDirection(dir, capture.Record{}, "", "capture ends inside a message")
		}
	}
}

// tcpData frames a direction's new data.
func (d *Decoder) tcpData(dir *tcpDir, rec capture.Record) {
	data := rec.Payload
	dir.lastIndex, dir.lastAt = rec.Index, rec.At
	if dir.r == nil {
		// Out of step: only a segment that starts a TPKT frame can bring
		// the direction back (or, at its start, in).
		if !startsTPKT(data) {
			if !dir.lost && d.ours(dir) {
				d.add(dir.message(rec.Index, rec.At, "", fmt.Sprintf("packet %d: %v -> %v: TCP data is not TPKT (starts % x); looking for the next segment that starts a frame",
					rec.Index, dir.key.src, dir.key.dst, data[:min(len(data), 4)])))
			}
			dir.lost = true
			if dir.state != dirH225 {
				dir.state = dirOther
				d.sum.Skips.OtherTCP++
			}
			return
		}
		dir.r, dir.lost = &q931.Reassembler{}, false
	}
	dir.r.Feed(data)
	dir.chunks++
	for {
		payload, ok, err := dir.r.Next()
		if err != nil {
			if d.ours(dir) {
				d.add(dir.message(rec.Index, rec.At, "", fmt.Sprintf("packet %d: %v -> %v: framing TCP stream: %v", rec.Index, dir.key.src, dir.key.dst, err)))
			} else {
				d.sum.Skips.OtherTCP += dir.chunks
				dir.state = dirOther
			}
			dir.r, dir.chunks, dir.lost = nil, 0, true
			return
		}
		if !ok {
			break
		}
		d.frame(dir, rec.Index, rec.At, payload)
		dir.chunks = 0 // the segment that completed a frame counts for it alone
	}
}

// frame handles one whole TPKT frame of a direction.
func (d *Decoder) frame(dir *tcpDir, index int, at time.Time, payload []byte) {
	if len(payload) == 0 {
		if d.ours(dir) {
			d.sum.Found.TPKTKeepAlives++
		}
		return // H.225.0's keep-alive: no message
	}
	if dir.state != dirH225 && (d.ours(dir) || payload[0] == q931Discriminator) {
		dir.state = dirH225
		d.tcp.unindex(dir)
		dir.held, dir.heldBytes = nil, 0
	}
	if dir.state == dirH225 {
		d.signalling(dir.message(index, at, "", ""), payload)
		return
	}
	dir.state = dirOther
	d.sum.Skips.OtherTCP += dir.chunks
	dir.held = append(dir.held, heldFrame{index: index, at: at, payload: append([]byte(nil), payload...), chunks: dir.chunks})
	dir.heldBytes += len(payload)
	for len(dir.held) > MaxHeldFrames || dir.heldBytes > MaxHeldBytes {
		dir.heldBytes -= len(dir.held[0].payload)
		dir.held = slices.Delete(dir.held, 0, 1)
	}
}

// secondLook gives the directions open on a newly learnt call-signalling
// address their second look: what they held is decoded now.
func (s *tcpState) secondLook(d *Decoder, a netip.AddrPort) {
	for _, dir := range slices.Clone(s.byAddr[a]) {
		if dir.state == dirH225 {
			continue
		}
		held := dir.held
		dir.held, dir.heldBytes = nil, 0
		dir.state = dirH225
		s.unindex(dir)
		for _, f := range held {
			d.sum.Skips.OtherTCP -= f.chunks
			d.signalling(dir.message(f.index, f.at, "", ""), f.payload)
		}
	}
}

// startsTPKT reports whether data can start a TPKT frame: version 3, the
// reserved octet 0 (what is known of a header cut short); the reassembler
// checks the rest.
func startsTPKT(data []byte) bool {
	return len(data) > 0 && data[0] == q931.TPKTVersion && (len(data) < 2 || data[1] == 0)
}
