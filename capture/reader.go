package capture

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ErrNotCapture is returned (wrapped) when the input is neither a pcap nor a
// pcapng file, so that a command line can tell "wrong file" from "broken
// packet".
var ErrNotCapture = errors.New("not a pcap or pcapng capture")

// Record is one unit of application data found in a capture: a UDP
// datagram's payload, or a piece of a TCP stream (one message when the reader
// was given a Framer). A record with Err set reports a packet that could not
// be used; its other fields are filled as far as they are known.
type Record struct {
	// Index is the 1-based number of the packet in the file (as a dissector
	// numbers frames). For TCP data it is the packet that completed it.
	Index int
	// At is the capture timestamp of that packet.
	At time.Time
	// Transport is TransportUDP or TransportTCP ("" on some error records).
	Transport string
	Src, Dst  netip.AddrPort
	// Stream numbers the TCP connections of the file from 1 in the order
	// they were first seen; both directions of a connection share it, and
	// a four-tuple reused after a close gets a new number. 0 for UDP.
	Stream  int
	Payload []byte
	Err     error
	// End marks a record without data that says the direction Src → Dst
	// of Stream ended (a FIN, or a RST when Reset is set); only a reader
	// given Options.StreamEnds makes them. A direction still open when the
	// capture ends gets none: the end of the records says it.
	End, Reset bool
}

// Transports of records.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
)

// Capture is what a capture file yielded.
type Capture struct {
	// Records holds the application data and the per-packet errors in
	// capture order.
	Records []Record
	// Packets is the number of packets in the file.
	Packets int
	// Skipped counts packets that carry no UDP or TCP payload of interest
	// (Skips.Total()); Skips says why.
	Skipped int
	Skips   Skips
}

// Skips counts the packets a reader did not turn into records, by cause.
type Skips struct {
	// LinkType: a frame of a link type the reader does not decode.
	LinkType int `json:"linkType,omitempty"`
	// NotIP: a frame that carries neither IPv4 nor IPv6 (ARP, LLDP...).
	NotIP int `json:"notIP,omitempty"`
	// OtherIP: IP carrying neither UDP nor TCP (ICMP, SCTP, ...).
	OtherIP int `json:"otherIP,omitempty"`
	// NoPayload: a TCP segment without data that completed nothing (the
	// handshake, acknowledgements, FIN, RST).
	NoPayload int `json:"noPayload,omitempty"`
}

// Total is the number of packets skipped for any cause.
func (s Skips) Total() int { return s.LinkType + s.NotIP + s.OtherIP + s.NoPayload }

// Framer finds the first complete message at the start of a TCP stream's
// pending bytes. It returns the message length, 0 when more bytes are
// needed, or an error when the bytes cannot start a message. It must not keep
// data. (TPKT, for instance, is a Framer supplied by the Q.931 package.)
type Framer func(pending []byte) (int, error)

// Options adjusts reading.
type Options struct {
	// Framer, when set, cuts each TCP direction into messages; without it
	// each record is the in-order stream data a packet made available.
	Framer Framer
	// MaxPending bounds what is held per TCP direction: the bytes of an
	// incomplete message, and out-of-order segments (counted in the
	// reassembler's pages, see the package documentation). Zero means
	// DefaultMaxPending.
	MaxPending int
	// StreamEnds asks for an End record when a TCP direction ends, for
	// callers that keep state per direction and must know when to let it
	// go (and whether a message was cut).
	StreamEnds bool
}

// DefaultMaxPending is the default bound on buffered bytes per TCP direction.
const DefaultMaxPending = 1 << 20

// ReadFile reads the capture file at path.
func ReadFile(path string, opts Options) (*Capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	c, err := Read(f, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Read reads a pcap or pcapng capture from r, all of it: the records are
// held in memory. A Reader yields them one at a time instead.
func Read(r io.Reader, opts Options) (*Capture, error) {
	rd, err := NewReader(r, opts)
	if err != nil {
		return nil, err
	}
	c := &Capture{}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		c.Records = append(c.Records, rec)
	}
	c.Packets, c.Skips = rd.Packets(), rd.Skips()
	c.Skipped = c.Skips.Total()
	return c, nil
}

// Reader reads a capture one record at a time, in the order Read gives
// them. It holds what the next records need and nothing that was already
// returned: one packet, the TCP reassembly state of the open connections
// (bounded per direction by Options.MaxPending) and, with a Framer, the
// bytes of each direction's incomplete message. Memory follows the largest
// open TCP streams, not the size of the file.
type Reader struct {
	src     *packetReader
	tcp     *tcpTracker
	queue   []Record
	head    int
	packets int
	skips   Skips
	done    bool
}

// NewReader reads the file header of a pcap or pcapng capture from r and
// returns a Reader for its records. Input that is not a capture gives
// ErrNotCapture (wrapped).
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	src, err := newPacketReader(r)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	maxPending := opts.MaxPending
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	tcp := newTCPTracker(opts.Framer, maxPending)
	tcp.ends = opts.StreamEnds
	return &Reader{src: src, tcp: tcp}, nil
}

// Next returns the next record, or io.EOF after the last one. A file whose
// framing is lost (a cut file, an impossible length) yields an error Record
// and then the records the end of the capture completes; Next itself fails
// only with io.EOF.
func (r *Reader) Next() (Record, error) {
	for r.head == len(r.queue) {
		if r.done {
			return Record{}, io.EOF
		}
		r.queue, r.head = r.queue[:0], 0
		r.step()
	}
	rec := r.queue[r.head]
	r.queue[r.head] = Record{} // let the payload go with the record
	r.head++
	return rec, nil
}

// Packets is the number of packets read so far.
func (r *Reader) Packets() int { return r.packets }

// Skips counts, by cause, the packets read so far that yielded no record.
func (r *Reader) Skips() Skips { return r.skips }

// step reads one packet into the queue, or finishes the capture.
func (r *Reader) step() {
	raw, err := r.src.next()
	if err == io.EOF {
		r.finish()
		return
	}
	index := r.packets + 1
	if err != nil {
		// The file's framing is lost (cut, or a block or record that
		// cannot be read): nothing after this point can be trusted.
		r.queue = append(r.queue, Record{Index: index, Err: fmt.Errorf("packet %d: %s: %w", index, r.src.format, noEOF(err))})
		r.finish()
		return
	}
	r.packets++
	recs, skip := decodePacket(index, raw, r.tcp)
	switch skip {
	case skipLinkType:
		r.skips.LinkType++
	case skipNotIP:
		r.skips.NotIP++
	case skipOtherIP:
		r.skips.OtherIP++
	case skipNoPayload:
		r.skips.NoPayload++
	}
	r.queue = append(r.queue, recs...)
}

func (r *Reader) finish() {
	r.queue = append(r.queue, r.tcp.finish()...)
	r.done = true
}

// skipCause says why a packet yielded nothing (skipNone: it was used).
type skipCause int

const (
	skipNone skipCause = iota
	skipLinkType
	skipNotIP
	skipOtherIP
	skipNoPayload
)

// decodePacket turns one frame into records, or says why it yielded none.
func decodePacket(index int, raw rawPacket, tcp *tcpTracker) (recs []Record, skip skipCause) {
	errRec := func(err error) []Record {
		return []Record{{Index: index, At: raw.at, Err: fmt.Errorf("packet %d: %w", index, err)}}
	}
	first, ok := firstDecoder(raw.linkType)
	if !ok {
		return nil, skipLinkType
	}
	pkt := gopacket.NewPacket(raw.data, first, gopacket.DecodeOptions{NoCopy: true})
	truncated := len(raw.data) < raw.origLen || pkt.Metadata().Truncated

	var src, dst netip.Addr
	switch nl := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		src, _ = netip.AddrFromSlice(nl.SrcIP)
		dst, _ = netip.AddrFromSlice(nl.DstIP)
		if nl.Flags&layers.IPv4MoreFragments != 0 || nl.FragOffset != 0 {
			return errRec(errors.New("fragmented IPv4 datagram (fragments are not reassembled)")), skipNone
		}
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(nl.SrcIP)
		dst, _ = netip.AddrFromSlice(nl.DstIP)
	default:
		if el := pkt.ErrorLayer(); el != nil && isIPFrame(pkt) {
			return errRec(el.Error()), skipNone
		}
		return nil, skipNotIP
	}

	switch tl := pkt.TransportLayer().(type) {
	case *layers.UDP:
		if truncated {
			return errRec(fmt.Errorf("UDP datagram truncated (%d of %d bytes captured)", len(raw.data), raw.origLen)), skipNone
		}
		if el := pkt.ErrorLayer(); el != nil {
			return errRec(el.Error()), skipNone
		}
		return []Record{{
			Index:     index,
			At:        raw.at,
			Transport: TransportUDP,
			Src:       netip.AddrPortFrom(src, uint16(tl.SrcPort)),
			Dst:       netip.AddrPortFrom(dst, uint16(tl.DstPort)),
			Payload:   append([]byte(nil), tl.Payload...),
		}}, skipNone
	case *layers.TCP:
		seg := segment{
			index: index,
			at:    raw.at,
			src:   netip.AddrPortFrom(src, uint16(tl.SrcPort)),
			dst:   netip.AddrPortFrom(dst, uint16(tl.DstPort)),
			seq:   tl.Seq,
			syn:   tl.SYN,
			fin:   tl.FIN,
			rst:   tl.RST,
		}
		if truncated {
			// The segment's data is incomplete: report it and leave a gap
			// the tracker will report too if it is never filled.
			return errRec(fmt.Errorf("TCP segment truncated (%d of %d bytes captured)", len(raw.data), raw.origLen)), skipNone
		}
		if el := pkt.ErrorLayer(); el != nil {
			return errRec(el.Error()), skipNone
		}
		seg.payload = tl.Payload
		recs := tcp.add(seg)
		if len(seg.payload) == 0 && !slices.ContainsFunc(recs, func(r Record) bool { return !r.End }) {
			// A bare segment: what it completed, if anything, is only the
			// end of a direction.
			return recs, skipNoPayload
		}
		return recs, skipNone
	default:
		if el := pkt.ErrorLayer(); el != nil {
			return errRec(el.Error()), skipNone
		}
		return nil, skipOtherIP
	}
}

// isIPFrame reports whether a frame that failed to decode claimed to carry
// IP, so a broken IP header is reported rather than silently skipped.
func isIPFrame(pkt gopacket.Packet) bool {
	for _, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.Ethernet:
			return l.EthernetType == layers.EthernetTypeIPv4 || l.EthernetType == layers.EthernetTypeIPv6
		case *layers.LinuxSLL:
			return l.EthernetType == layers.EthernetTypeIPv4 || l.EthernetType == layers.EthernetTypeIPv6
		case *layers.LinuxSLL2:
			return l.ProtocolType == layers.EthernetTypeIPv4 || l.ProtocolType == layers.EthernetTypeIPv6
		case *layers.Loopback:
			return true
		}
	}
	// Raw IP link types have no link layer: the first layer failed.
	return len(pkt.Layers()) == 1
}

// firstDecoder maps a link type to the decoder of its first layer. DLT_RAW
// appears in files both as its registered link type (101) and as the
// platform DLT values 12 and 14.
func firstDecoder(lt layers.LinkType) (gopacket.Decoder, bool) {
	switch lt {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw:
		return lt, true
	case 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return layers.LinkTypeRaw, true
	}
	return nil, false
}
