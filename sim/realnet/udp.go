package realnet

import (
	"errors"
	"net"
	"net/netip"
	"slices"
)

// maxDatagram is the read buffer of a UDP socket: the largest UDP payload.
const maxDatagram = 65535

// UDPSocket is a UDP socket whose datagrams are handed to the loop.
type UDPSocket struct {
	loop *Loop
	conn *net.UDPConn
}

// ListenUDP binds addr (port 0 picks one) and calls onDatagram on the loop
// for every datagram received, until the loop shuts down or Close.
func ListenUDP(loop *Loop, addr netip.AddrPort, onDatagram func(from netip.AddrPort, payload []byte)) (*UDPSocket, error) {
	return listenUDP(loop, addr, maxDatagram, onDatagram)
}

// listenUDP is ListenUDP with a read buffer of size octets: a longer
// datagram is cut to it (and then fails to decode).
func listenUDP(loop *Loop, addr netip.AddrPort, size int, onDatagram func(from netip.AddrPort, payload []byte)) (*UDPSocket, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, err
	}
	s := &UDPSocket{loop: loop, conn: conn}
	loop.own(conn)
	loop.Go(func() { s.read(size, onDatagram) })
	return s, nil
}

func (s *UDPSocket) read(size int, onDatagram func(netip.AddrPort, []byte)) {
	buf := make([]byte, size)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// ICMP port unreachable and the like surface here on some
			// systems; they concern one datagram, not the socket.
			s.loop.Log.Warn().Err(err).Stringer("local", s.LocalAddr()).Msg("udp read")
			continue
		}
		payload := slices.Clone(buf[:n])
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if !s.loop.Post(func() { onDatagram(from, payload) }) {
			return
		}
	}
}

// LocalAddr is the bound address.
func (s *UDPSocket) LocalAddr() netip.AddrPort {
	a := s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// Send writes one datagram; a failure is logged and returned.
func (s *UDPSocket) Send(to netip.AddrPort, payload []byte) error {
	_, err := s.conn.WriteToUDPAddrPort(payload, to)
	if err != nil {
		s.loop.Log.Warn().Err(err).Stringer("to", to).Msg("udp send")
	}
	return err
}

// Close closes the socket; its reader ends.
func (s *UDPSocket) Close() error { return s.conn.Close() }
