package realnet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/callwake/callwake/node"
)

// UDPBacklog bounds the datagrams read off a UDP socket that wait for the
// loop. The socket's reader empties the kernel's buffer as fast as
// datagrams come, holding what the loop has not taken yet, so that a burst
// (a registration storm of 10,000 RRQs) waits here rather than being
// dropped by a kernel buffer the system caps (net.core.rmem_max); beyond
// it datagrams are dropped, as a full buffer drops them.
const UDPBacklog = 16384

// udpBatch is how many waiting datagrams one closure hands the loop: a
// burst costs one post per batch, not one per datagram.
const udpBatch = 256

// udpRetry is how soon a reader holding datagrams tries the loop again
// when no further datagram comes.
const udpRetry = time.Millisecond

type inDatagram struct {
	from    netip.AddrPort
	payload []byte
}

// readUDP reads a node's UDP socket until it closes. What it reads goes to
// the loop at once when the loop has room (one hop, as for any socket);
// when the loop is busy it waits in a bounded backlog, handed over in
// batches as the loop takes them, while the reader goes on reading.
func (h *Host) readUDP(hn *hosted, s *socket, c *net.UDPConn) {
	buf := make([]byte, MaxDatagram)
	// queue holds full batches in order, cur the one being filled; held
	// counts both. A batch handed to the loop is never touched again.
	var queue [][]inDatagram
	var cur []inDatagram
	held := 0
	waiting := false // a read deadline is set to retry the loop
	for {
		if held > 0 {
			_ = c.SetReadDeadline(time.Now().Add(udpRetry))
			waiting = true
		} else if waiting {
			_ = c.SetReadDeadline(time.Time{})
			waiting = false
		}
		n, from, err := c.ReadFromUDPAddrPort(buf)
		switch {
		case err == nil:
			if held < UDPBacklog {
				cur = append(cur, inDatagram{unmapped(from), slices.Clone(buf[:n])})
				held++
				if len(cur) == udpBatch {
					queue, cur = append(queue, cur), nil
				}
			}
		case errors.Is(err, net.ErrClosed):
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
		default:
			continue // ICMP errors and the like concern one datagram
		}
		if len(queue) == 0 && len(cur) > 0 {
			queue, cur = append(queue, cur), nil
		}
		if len(queue) == 0 {
			continue
		}
		batch := queue[0]
		posted, open := h.loop.tryPost(func() {
			for _, d := range batch {
				h.received(s.protocol, s.transport, d.from, s.addr, d.payload)
				h.deliver(hn, node.Datagram{Sock: s.id, From: d.from, To: s.addr, Payload: d.payload})
			}
		})
		if !open {
			return
		}
		if posted {
			queue[0] = nil
			queue = queue[1:]
			held -= len(batch)
		}
	}
}

// tryPost is Post without waiting: posted false when the loop's queue is
// full; open false once the loop shuts down.
func (l *Loop) tryPost(fn func()) (posted, open bool) {
	select {
	case <-l.done:
		return false, false
	default:
	}
	select {
	case l.posts <- fn:
		return true, true
	default:
		return false, true
	}
}
