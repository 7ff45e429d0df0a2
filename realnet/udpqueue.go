package realnet

import (
	"errors"
	"net"
	"net/netip"
	"slices"

	"github.com/callwake/callwake/node"
)

// UDPBacklog bounds the datagrams read off a UDP socket that wait for the
// loop. The socket's reader empties the kernel's buffer into this queue as
// fast as datagrams come, so that a burst (a registration storm of 10,000
// RRQs) is held here rather than dropped by a kernel buffer that the
// system caps (net.core.rmem_max); beyond it datagrams are dropped, as a
// full buffer drops them.
const UDPBacklog = 16384

// udpBatch is how many queued datagrams one closure hands the loop: a
// burst costs one post per batch, not one per datagram.
const udpBatch = 256

type inDatagram struct {
	from    netip.AddrPort
	payload []byte
}

// readUDP reads a node's UDP socket until it closes: one goroutine reads
// into the backlog, this one posts batches of it to the loop.
func (h *Host) readUDP(hn *hosted, s *socket, c *net.UDPConn) {
	backlog := make(chan inDatagram, UDPBacklog)
	h.loop.Go(func() {
		defer close(backlog)
		buf := make([]byte, MaxDatagram)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // ICMP errors and the like concern one datagram
			}
			select {
			case backlog <- inDatagram{unmapped(from), slices.Clone(buf[:n])}:
			default: // the loop is this far behind: dropped
			}
		}
	})
	for d := range backlog {
		batch := []inDatagram{d}
	more:
		for len(batch) < udpBatch {
			select {
			case d, ok := <-backlog:
				if !ok {
					break more
				}
				batch = append(batch, d)
			default:
				break more
			}
		}
		if !h.loop.Post(func() {
			for _, d := range batch {
				h.received(s.protocol, s.transport, d.from, s.addr, d.payload)
				h.deliver(hn, node.Datagram{Sock: s.id, From: d.from, To: s.addr, Payload: d.payload})
			}
		}) {
			for range backlog { // drain until the reader sees the socket closed
			}
			return
		}
	}
}
