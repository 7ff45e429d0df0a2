package capture

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
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
	Payload   []byte
	Err       error
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
	// Skipped counts packets that carry no UDP or TCP payload of interest:
	// non-IP frames, other IP protocols, bare TCP control segments.
	Skipped int
}

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

// Read reads a pcap or pcapng capture from r.
func Read(r io.Reader, opts Options) (*Capture, error) {
	src, err := newPacketReader(r)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	maxPending := opts.MaxPending
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	c := &Capture{}
	tcp := newTCPTracker(opts.Framer, maxPending)
	for {
		raw, err := src.next()
		if err == io.EOF {
			break
		}
		index := c.Packets + 1
		if err != nil {
			// The file's framing is lost (cut, or a block or record that
			// cannot be read): nothing after this point can be trusted.
			c.Records = append(c.Records, Record{Index: index, Err: fmt.Errorf("packet %d: %s: %w", index, src.format, noEOF(err))})
			break
		}
		c.Packets++
		recs, used := decodePacket(index, raw, tcp)
		if !used {
			c.Skipped++
		}
		c.Records = append(c.Records, recs...)
	}
	c.Records = append(c.Records, tcp.finish()...)
	return c, nil
}

// decodePacket turns one frame into records. used is false when the packet
// carried nothing of interest (it is then counted as skipped).
func decodePacket(index int, raw rawPacket, tcp *tcpTracker) (recs []Record, used bool) {
	errRec := func(err error) []Record {
		return []Record{{Index: index, At: raw.at, Err: fmt.Errorf("packet %d: %w", index, err)}}
	}
	first, ok := firstDecoder(raw.linkType)
	if !ok {
		return nil, false
	}
	pkt := gopacket.NewPacket(raw.data, first, gopacket.DecodeOptions{NoCopy: true})
	truncated := len(raw.data) < raw.origLen || pkt.Metadata().Truncated

	var src, dst netip.Addr
	switch nl := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		src, _ = netip.AddrFromSlice(nl.SrcIP)
		dst, _ = netip.AddrFromSlice(nl.DstIP)
		if nl.Flags&layers.IPv4MoreFragments != 0 || nl.FragOffset != 0 {
			return errRec(errors.New("fragmented IPv4 datagram (fragments are not reassembled)")), true
		}
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(nl.SrcIP)
		dst, _ = netip.AddrFromSlice(nl.DstIP)
	default:
		if el := pkt.ErrorLayer(); el != nil && isIPFrame(pkt) {
			return errRec(el.Error()), true
		}
		return nil, false
	}

	switch tl := pkt.TransportLayer().(type) {
	case *layers.UDP:
		if truncated {
			return errRec(fmt.Errorf("UDP datagram truncated (%d of %d bytes captured)", len(raw.data), raw.origLen)), true
		}
		if el := pkt.ErrorLayer(); el != nil {
			return errRec(el.Error()), true
		}
		return []Record{{
			Index:     index,
			At:        raw.at,
			Transport: TransportUDP,
			Src:       netip.AddrPortFrom(src, uint16(tl.SrcPort)),
			Dst:       netip.AddrPortFrom(dst, uint16(tl.DstPort)),
			Payload:   append([]byte(nil), tl.Payload...),
		}}, true
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
			return errRec(fmt.Errorf("TCP segment truncated (%d of %d bytes captured)", len(raw.data), raw.origLen)), true
		}
		if el := pkt.ErrorLayer(); el != nil {
			return errRec(el.Error()), true
		}
		seg.payload = tl.Payload
		recs := tcp.add(seg)
		return recs, len(seg.payload) > 0 || len(recs) > 0
	default:
		if el := pkt.ErrorLayer(); el != nil {
			return errRec(el.Error()), true
		}
		return nil, false
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
