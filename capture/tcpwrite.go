package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Stream is one TCP connection being written to a capture: it keeps the
// sequence numbers of both sides so every segment acknowledges exactly what
// the peer has sent.
type Stream struct {
	w              *Writer
	client, server netip.AddrPort
	// next is the sequence number each side sends next; index 0 is the client.
	next [2]uint32
	// unacked counts the bytes each side sent that the peer has not yet
	// acknowledged in a segment of its own.
	unacked [2]int
	closed  bool
}

const (
	clientSide = 0
	serverSide = 1
)

// ISN returns the initial sequence number the writer uses for the side that
// sends from `from` to `to`. It is derived from the two endpoints only, so a
// connection between the same endpoints always starts at the same numbers
// (and the two directions differ).
func ISN(from, to netip.AddrPort) uint32 {
	h := fnv.New32a()
	for _, ap := range []netip.AddrPort{from, to} {
		a := ap.Addr().Unmap().As16()
		h.Write(a[:])
		var p [2]byte
		binary.BigEndian.PutUint16(p[:], ap.Port())
		h.Write(p[:])
	}
	return h.Sum32()
}

// OpenTCP writes the three-way handshake (SYN, SYN-ACK, ACK) of a connection
// from client to server at the given offset and returns the Stream to write
// its data on.
func (w *Writer) OpenTCP(at time.Duration, client, server netip.AddrPort) (*Stream, error) {
	if err := checkEndpoints(client, server); err != nil {
		return nil, err
	}
	if client == server {
		return nil, fmt.Errorf("capture: TCP connection from %v to itself", client)
	}
	s := &Stream{w: w, client: client, server: server}
	s.next[clientSide] = ISN(client, server)
	s.next[serverSide] = ISN(server, client)
	mss := []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{MSS >> 8, MSS & 0xff}}}
	if err := s.segment(at, clientSide, flagSYN, mss, nil); err != nil {
		return nil, err
	}
	if err := s.segment(at, serverSide, flagSYN|flagACK, mss, nil); err != nil {
		return nil, err
	}
	if err := s.segment(at, clientSide, flagACK, nil, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// Client and Server return the connection's endpoints.
func (s *Stream) Client() netip.AddrPort { return s.client }

// Server returns the endpoint that accepted the connection.
func (s *Stream) Server() netip.AddrPort { return s.server }

// Write writes payload as one or more PSH|ACK segments from the client
// (fromClient) or the server, splitting at the MSS.
func (s *Stream) Write(at time.Duration, fromClient bool, payload []byte) error {
	return s.WriteSplit(at, fromClient, payload)
}

// WriteSplit is Write with forced segment boundaries: every offset in splitAt
// (strictly increasing, inside the payload) starts a new segment, so a test
// can make one message span two segments. Segments are still split at the
// MSS.
func (s *Stream) WriteSplit(at time.Duration, fromClient bool, payload []byte, splitAt ...int) error {
	if s.closed {
		return errors.New("capture: write on a closed TCP stream")
	}
	if len(payload) == 0 {
		return errors.New("capture: empty TCP write (nothing to put in a segment)")
	}
	prev := 0
	for _, cut := range splitAt {
		if cut <= prev || cut >= len(payload) {
			return fmt.Errorf("capture: split points %v are not strictly increasing inside a %d-byte payload", splitAt, len(payload))
		}
		prev = cut
	}
	side := serverSide
	if fromClient {
		side = clientSide
	}
	start := 0
	cuts := append(append([]int(nil), splitAt...), len(payload))
	for _, end := range cuts {
		for start < end {
			n := min(end-start, MSS)
			if err := s.ackIfWindowFull(at, side, n); err != nil {
				return err
			}
			if err := s.segment(at, side, flagPSH|flagACK, nil, payload[start:start+n]); err != nil {
				return err
			}
			start += n
		}
	}
	return nil
}

// ackIfWindowFull makes the peer acknowledge (a pure ACK) before side sends n
// more bytes that would exceed the window the peer announced.
func (s *Stream) ackIfWindowFull(at time.Duration, side, n int) error {
	if s.unacked[side]+n <= tcpWindow {
		return nil
	}
	return s.segment(at, 1-side, flagACK, nil, nil)
}

// Close writes the orderly release: FIN|ACK from the client, FIN|ACK from the
// server, and the client's final ACK.
func (s *Stream) Close(at time.Duration) error {
	if s.closed {
		return errors.New("capture: TCP stream closed twice")
	}
	s.closed = true
	if err := s.segment(at, clientSide, flagFIN|flagACK, nil, nil); err != nil {
		return err
	}
	if err := s.segment(at, serverSide, flagFIN|flagACK, nil, nil); err != nil {
		return err
	}
	return s.segment(at, clientSide, flagACK, nil, nil)
}

type tcpFlags uint8

const (
	flagFIN tcpFlags = 1 << iota
	flagSYN
	_ // RST: the writer never resets
	flagPSH
	flagACK
)

// segment writes one segment from side and advances that side's sequence
// number by what the segment occupies in sequence space (payload, SYN, FIN).
func (s *Stream) segment(at time.Duration, side int, flags tcpFlags, opts []layers.TCPOption, payload []byte) error {
	src, dst := s.client, s.server
	if side == serverSide {
		src, dst = dst, src
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()),
		DstPort: layers.TCPPort(dst.Port()),
		Seq:     s.next[side],
		FIN:     flags&flagFIN != 0,
		SYN:     flags&flagSYN != 0,
		PSH:     flags&flagPSH != 0,
		ACK:     flags&flagACK != 0,
		Window:  tcpWindow,
		Options: opts,
	}
	if tcp.ACK {
		tcp.Ack = s.next[1-side]
		s.unacked[1-side] = 0
	}
	if err := s.w.writeIP(at, src.Addr(), dst.Addr(), layers.IPProtocolTCP, tcp, payload); err != nil {
		return err
	}
	s.next[side] += uint32(len(payload))
	s.unacked[side] += len(payload)
	if tcp.SYN || tcp.FIN {
		s.next[side]++
	}
	return nil
}
