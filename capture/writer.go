package capture

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// DefaultEpoch is the timestamp of simulated time zero in the project's pcap
// files. It is fixed so that files are reproducible byte for byte.
var DefaultEpoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Snaplen is the snapshot length declared in written files; packets are never
// truncated below it.
const Snaplen = 65535

// MSS is the TCP maximum segment size the writer announces and honours:
// payloads longer than this are split over several segments, as a real stack
// on an Ethernet link would.
const MSS = 1460

// tcpWindow is the receive window both sides announce. It is also the most a
// side may have in flight before the writer makes the peer acknowledge, so a
// dissector never sees a sender overrun the window it was given.
const tcpWindow = 65535

const ipTTL = 64

// Writer writes a classic pcap file (Ethernet link type, nanosecond
// timestamps). It is not safe for concurrent use; a simulation writes from
// its single event loop.
type Writer struct {
	pcap  *pcapgo.Writer
	epoch time.Time
	// ipID is the IPv4 identification of the next packet: a plain counter,
	// deterministic and unique within the file.
	ipID uint16
	buf  gopacket.SerializeBuffer
}

// NewWriter writes the pcap file header to w and returns a Writer whose
// packets are timestamped epoch + the offset given with each packet.
func NewWriter(w io.Writer, epoch time.Time) (*Writer, error) {
	if w == nil {
		return nil, errors.New("capture: NewWriter needs a destination")
	}
	pw, err := newFileWriter(w, Snaplen, layers.LinkTypeEthernet)
	if err != nil {
		return nil, fmt.Errorf("capture: writing pcap header: %w", err)
	}
	return &Writer{pcap: pw, epoch: epoch, ipID: 1, buf: gopacket.NewSerializeBuffer()}, nil
}

// MAC returns the Ethernet address the writer gives to addr (see the package
// documentation for the rule).
func MAC(addr netip.Addr) net.HardwareAddr {
	addr = addr.Unmap()
	if addr.Is4() {
		a := addr.As4()
		return net.HardwareAddr{0x02, 0x00, a[0], a[1], a[2], a[3]}
	}
	h := fnv.New32a()
	b := addr.As16()
	h.Write(b[:])
	s := h.Sum32()
	return net.HardwareAddr{0x02, 0x01, byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
}

// WriteUDP writes one UDP datagram from src to dst at the given offset from
// the epoch.
func (w *Writer) WriteUDP(at time.Duration, src, dst netip.AddrPort, payload []byte) error {
	if err := checkEndpoints(src, dst); err != nil {
		return err
	}
	if len(payload) > 65507 {
		return fmt.Errorf("capture: UDP payload of %d bytes does not fit in one IP datagram", len(payload))
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	return w.writeIP(at, src.Addr(), dst.Addr(), layers.IPProtocolUDP, udp, payload)
}

// checkEndpoints rejects what cannot be put in one IP header: invalid
// addresses and a mix of IPv4 and IPv6.
func checkEndpoints(src, dst netip.AddrPort) error {
	if !src.Addr().IsValid() || !dst.Addr().IsValid() {
		return fmt.Errorf("capture: invalid endpoint %v -> %v", src, dst)
	}
	if src.Addr().Unmap().Is4() != dst.Addr().Unmap().Is4() {
		return fmt.Errorf("capture: %v and %v are not of the same IP version", src, dst)
	}
	return nil
}

// transport is a UDP or TCP layer that needs the network layer for its
// checksum.
type transport interface {
	gopacket.SerializableLayer
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}

// writeIP wraps a transport layer and payload in IP and Ethernet headers and
// writes the frame.
func (w *Writer) writeIP(at time.Duration, src, dst netip.Addr, proto layers.IPProtocol, tl transport, payload []byte) error {
	src, dst = src.Unmap(), dst.Unmap()
	eth := &layers.Ethernet{SrcMAC: MAC(src), DstMAC: MAC(dst)}
	var network gopacket.SerializableLayer
	if src.Is4() {
		eth.EthernetType = layers.EthernetTypeIPv4
		s, d := src.As4(), dst.As4()
		ip := &layers.IPv4{
			Version:  4,
			TTL:      ipTTL,
			Id:       w.ipID,
			Flags:    layers.IPv4DontFragment,
			Protocol: proto,
			SrcIP:    net.IP(s[:]),
			DstIP:    net.IP(d[:]),
		}
		w.ipID++
		if err := tl.SetNetworkLayerForChecksum(ip); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		network = ip
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		s, d := src.As16(), dst.As16()
		ip := &layers.IPv6{
			Version:    6,
			HopLimit:   ipTTL,
			NextHeader: proto,
			SrcIP:      net.IP(s[:]),
			DstIP:      net.IP(d[:]),
		}
		if err := tl.SetNetworkLayerForChecksum(ip); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		network = ip
	}
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	if err := gopacket.SerializeLayers(w.buf, opts, eth, network, tl, gopacket.Payload(payload)); err != nil {
		return fmt.Errorf("capture: serializing packet: %w", err)
	}
	frame := w.buf.Bytes()
	if err := writeFrame(w.pcap, w.epoch.Add(at), frame); err != nil {
		return fmt.Errorf("capture: writing packet: %w", err)
	}
	return nil
}
