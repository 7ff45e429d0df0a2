package report

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/timeline"
)

// Well-known ports of H.323 (H.225.0): RAS, call signalling in clear, and
// call signalling over TLS as the simulated PBX offers it.
const (
	portRAS        = 1719
	portSignalling = 1720
	portTLS        = 1300
)

// WritePcap writes every RAS and Q.931 message event of the timeline (the
// events whose Wire protocol is "ras" or "q931") to w as a classic pcap
// file, timestamped capture.DefaultEpoch + the event's time, so the same
// timeline always gives the same bytes.
//
//   - RAS is written as UDP datagrams between the Wire's addresses. RAS
//     that crossed a TCP or TLS connection (H.460.17) is written as UDP
//     too, with the signalling port of the PBX's side replaced by 1719, so
//     a dissector decodes it as RAS without being told.
//   - Q.931 is written as TCP: one connection per pair of endpoints, opened
//     (three-way handshake) at its first message, each message framed in
//     TPKT. The server is the endpoint on port 1720 or 1300 (else the
//     first sender is the client). TLS is written as its cleartext, and
//     port 1300 as 1720, so Wireshark decodes it without a key log.
//   - DTLS-protected RAS is likewise written as cleartext UDP, port 1300
//     as 1719.
//   - A datagram the network lost (attribute lost=true) is still written:
//     the capture is taken at the sender, as a capture on the sending host
//     would show it.
//   - H.245 on a call's separate connection is written as TCP too, each
//     message in TPKT; the server is the end with the lower port (the
//     listener's announced port, below the dialler's ephemeral one).
//
// Push-path messages (WebSocket, HTTP/2 to the vendors) are not written;
// they appear in the HTML ladder.
func WritePcap(w io.Writer, events []timeline.Event) error {
	return WritePcapAt(w, capture.DefaultEpoch, events)
}

// WritePcapAt is WritePcap with the capture's timestamps counted from epoch
// (a real run's start) instead of the fixed epoch of simulated runs.
func WritePcapAt(w io.Writer, epoch time.Time, events []timeline.Event) error {
	p, err := NewPcapStream(w, epoch)
	if err != nil {
		return err
	}
	for i := range events {
		if err := p.Add(&events[i]); err != nil {
			return err
		}
	}
	return nil
}

// PcapStream writes a timeline's messages as WritePcapAt does, one event at
// a time as a run records them: a storm's capture is written as it happens
// instead of from every event's bytes kept to the end. It holds one TCP
// stream state per connection, nothing of the messages.
type PcapStream struct {
	cw      *capture.Writer
	streams map[connKey]*capture.Stream
}

// NewPcapStream writes the pcap header to w.
func NewPcapStream(w io.Writer, epoch time.Time) (*PcapStream, error) {
	cw, err := capture.NewWriter(w, epoch)
	if err != nil {
		return nil, err
	}
	return &PcapStream{cw: cw, streams: map[connKey]*capture.Stream{}}, nil
}

// Add writes e if it is a RAS, Q.931 or H.245 message with its wire bytes;
// other events are skipped. Events must come in timeline order.
func (p *PcapStream) Add(e *timeline.Event) error {
	if e.Wire == nil {
		return nil
	}
	switch e.Wire.Protocol {
	case "ras":
		src, dst := rasEndpoints(e.Wire)
		if err := p.cw.WriteUDP(e.At, src, dst, e.Wire.Payload); err != nil {
			return fmt.Errorf("report: pcap: event %d (%s): %w", e.Seq, e.Name, err)
		}
	case "q931", "h245":
		// H.245 on its own connection is TPKT-framed like Q.931; a dissector follows it
		// from the h245Address the call signalling announced.
		if err := writeQ931(p.cw, p.streams, e); err != nil {
			return fmt.Errorf("report: pcap: event %d (%s): %w", e.Seq, e.Name, err)
		}
	}
	return nil
}

// connKey identifies a TCP connection by its two endpoints in a fixed
// order, whichever side sends.
type connKey struct{ a, b netip.AddrPort }

func keyOf(x, y netip.AddrPort) connKey {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return connKey{x, y}
}

// rasEndpoints returns the addresses a RAS message is written with.
func rasEndpoints(wire *timeline.Wire) (src, dst netip.AddrPort) {
	src, dst = wire.Src, wire.Dst
	switch wire.Transport {
	case "udp":
		return src, dst
	case "dtls":
		// Secure RAS (DTLS on 1300) is written as its cleartext on the
		// RAS port, as TLS signalling is written on 1720.
		if src.Port() == portTLS {
			src = netip.AddrPortFrom(src.Addr(), portRAS)
		}
		if dst.Port() == portTLS {
			dst = netip.AddrPortFrom(dst.Addr(), portRAS)
		}
		return src, dst
	}
	if isSignallingPort(src.Port()) {
		src = netip.AddrPortFrom(src.Addr(), portRAS)
	}
	if isSignallingPort(dst.Port()) {
		dst = netip.AddrPortFrom(dst.Addr(), portRAS)
	}
	return src, dst
}

func isSignallingPort(p uint16) bool { return p == portSignalling || p == portTLS }

// cleartextPort writes TLS signalling on the clear signalling port.
func cleartextPort(a netip.AddrPort) netip.AddrPort {
	if a.Port() == portTLS {
		return netip.AddrPortFrom(a.Addr(), portSignalling)
	}
	return a
}

func writeQ931(cw *capture.Writer, streams map[connKey]*capture.Stream, e *timeline.Event) error {
	src, dst := cleartextPort(e.Wire.Src), cleartextPort(e.Wire.Dst)
	framed, err := q931.Frame(e.Wire.Payload)
	if err != nil {
		return err
	}
	key := keyOf(src, dst)
	s, ok := streams[key]
	if !ok {
		client, server := src, dst
		switch {
		case isSignallingPort(src.Port()) && !isSignallingPort(dst.Port()):
			client, server = dst, src
		case e.Wire.Protocol == "h245" && src.Port() < dst.Port():
			// The H.245 listener announced a port of its own below the dialler's ephemeral one.
			client, server = dst, src
		}
		if s, err = cw.OpenTCP(e.At, client, server); err != nil {
			return err
		}
		streams[key] = s
	}
	return s.Write(e.At, src == s.Client(), framed)
}
