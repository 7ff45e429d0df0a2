package sim

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/node"
)

// hconn is one end of a connection a hosted node holds.
type hconn struct {
	id        node.ConnID
	owner     *hosted
	c         *Conn
	transport node.Transport
	reasm     q931.Reassembler // TCP and TLS: TPKT frames
	// inbox holds the messages of a WebSocket or HTTP/2 connection that the
	// peer sent and whose octet on the stream has not arrived yet.
	inbox []message
	head  int // inbox[:head] were delivered (emptied in place, keeping its capacity)
	peer  *hconn
	// sec is the Security of the end's own socket or dial: what it
	// presented and trusts.
	sec *node.Security
	// up: Accepted or Dialled was delivered; before that (a secure
	// handshake in progress) nothing is reported to the owner.
	up bool
	// closed: the owner closed it, or its end was reported.
	closed bool
	// reason is what the peer's Close said (a WebSocket close frame).
	reason string
	// listener is the socket that accepted the connection and path the
	// path the dialler asked for (server side).
	listener node.SockID
	path     string
}

type message struct {
	payload []byte
	http    *node.HTTP
}

// framed reports whether the transport carries whole messages beside the
// stream (WebSocket, HTTP/2) rather than TPKT frames in it.
func framed(t node.Transport) bool { return t == node.WSS || t == node.HTTP2 }

func (h *Host) newConn(owner *hosted, c *Conn, t node.Transport, sec *node.Security) *hconn {
	owner.nextConn++
	hc := &hconn{id: owner.nextConn, owner: owner, c: c, transport: t, sec: sec}
	if owner.conns == nil {
		owner.conns = map[node.ConnID]*hconn{}
	}
	owner.conns[hc.id] = hc
	c.hc = hc
	c.OnData(func(b []byte) { h.data(hc, b) })
	c.OnClose(func(err error) { h.ended(hc, err) })
	return hc
}

// accept takes a connection attempt that reached a listener.
func (h *Host) accept(l *listener, c *Conn) {
	hc := h.newConn(l.owner, c, l.sock.transport, l.sock.sec)
	hc.listener = l.sock.id
	hc.path = h.dialling[c.RemoteAddr()].Path
	if l.sock.transport.Secure() {
		return // the dialler's side decides when the handshake is done
	}
	hc.up = true
	h.deliver(l.owner, node.Accepted{Listener: l.sock.id, Conn: hc.id, Local: c.LocalAddr(), Remote: c.RemoteAddr(), Path: hc.path})
}

func (h *Host) dial(hn *hosted, e node.Dial) {
	from := netip.AddrPortFrom(hn.addr, 0)
	if e.From.IsValid() && !e.From.IsUnspecified() {
		from = netip.AddrPortFrom(e.From, 0)
	}
	var src netip.AddrPort
	src = h.net.Dial(from, e.To, func(c *Conn, err error) {
		delete(h.dialling, src)
		if err != nil {
			h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: e.To, Err: dialError(err)})
			return
		}
		h.connected(hn, e, c)
	})
	h.dialling[src] = e
}

func dialError(err error) error {
	switch {
	case errors.Is(err, ErrRefused):
		return node.ErrRefused
	case errors.Is(err, ErrTimeout):
		return node.ErrUnreachable
	}
	return err
}

// connected finishes a dial: on a secure transport the dialler checks the
// listener's certificate, and both sides learn of the connection now.
func (h *Host) connected(hn *hosted, e node.Dial, c *Conn) {
	var server *hconn
	if c.peer != nil {
		server = c.peer.hc
	}
	client := h.newConn(hn, c, e.Transport, e.Security)
	client.peer = server
	if server != nil {
		server.peer = client
	}
	if server != nil && server.transport != e.Transport {
		// TLS to a plain listener or the reverse: no handshake completes.
		client.closed, server.closed = true, true
		delete(hn.conns, client.id)
		delete(server.owner.conns, server.id)
		c.Close()
		h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: c.RemoteAddr(), Err: node.ErrHandshake})
		return
	}
	if !e.Transport.Secure() || server == nil {
		client.up = true
		h.deliver(hn, node.Dialled{Ref: e.Ref, Conn: client.id, Local: c.LocalAddr(), Remote: c.RemoteAddr()})
		return
	}
	var lid *node.Identity
	if server.sec != nil && server.sec.Own != nil {
		id := server.sec.Own.Identity
		lid = &id
	}
	if e.Security != nil && len(e.Security.Trust) > 0 && !e.Security.Trusts(lid) {
		// The handshake fails: the listener never hears of the connection.
		client.closed = true
		delete(hn.conns, client.id)
		server.closed = true
		delete(server.owner.conns, server.id)
		c.Close()
		h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: c.RemoteAddr(), Err: node.ErrUntrusted})
		return
	}
	var did *node.Identity
	if e.Security != nil && e.Security.Own != nil {
		id := e.Security.Own.Identity
		did = &id
	}
	sp := node.Peer{}
	if server.sec != nil && server.sec.ClientAuth {
		sp = node.Peer{Identity: did, Verified: server.sec.Trusts(did)}
	}
	server.up, client.up = true, true
	l := server.owner
	h.deliver(l, node.Accepted{Listener: server.listener, Conn: server.id,
		Local: c.peer.LocalAddr(), Remote: c.peer.RemoteAddr(), Peer: sp, Path: server.path})
	h.deliver(hn, node.Dialled{Ref: e.Ref, Conn: client.id, Local: c.LocalAddr(), Remote: c.RemoteAddr(),
		Peer: node.Peer{Identity: lid, Verified: lid != nil}})
}

// send writes one message on a connection and records its event.
func (h *Host) send(hn *hosted, e node.Send) {
	hc := hn.conns[e.Conn]
	if hc == nil || hc.closed {
		// The connection ended meanwhile: the message goes nowhere, as on
		// a socket closed under the sender.
		return
	}
	if framed(hc.transport) {
		if hc.peer != nil {
			hc.peer.inbox = append(hc.peer.inbox, message{payload: e.Payload, http: e.HTTP})
		}
		hc.c.Write([]byte{0})
	} else {
		frame, err := q931.Frame(e.Payload)
		if err != nil {
			h.Fail(fmt.Errorf("sim: %s: %w", hn.name, err))
			return
		}
		hc.c.Write(frame)
	}
	h.recordMessage(&e.Event, hc.transport, hc.c.LocalAddr(), hc.c.RemoteAddr(), e.Payload, false)
}

// data takes stream octets that arrived and delivers the messages they
// complete.
func (h *Host) data(hc *hconn, b []byte) {
	if hc.closed || !hc.up {
		return
	}
	if framed(hc.transport) {
		for range b {
			if hc.head == len(hc.inbox) {
				break
			}
			m := hc.inbox[hc.head]
			hc.inbox[hc.head] = message{}
			if hc.head++; hc.head == len(hc.inbox) {
				hc.inbox, hc.head = hc.inbox[:0], 0
			}
			h.deliver(hc.owner, node.Message{Conn: hc.id, Payload: m.payload, HTTP: m.http})
			if hc.closed {
				return
			}
		}
		return
	}
	hc.reasm.Feed(b)
	for !hc.closed {
		msg, ok, err := hc.reasm.Next()
		if err != nil {
			h.closeConn(hc, "")
			h.deliver(hc.owner, node.Closed{Conn: hc.id, Err: node.ErrFraming})
			return
		}
		if !ok {
			return
		}
		if len(msg) == 0 {
			continue // an empty TPKT keeps the connection alive (H.225.0)
		}
		h.deliver(hc.owner, node.Message{Conn: hc.id, Payload: append([]byte(nil), msg...)})
	}
}

// ended: the peer closed the stream, or it broke.
func (h *Host) ended(hc *hconn, err error) {
	if hc.closed {
		return
	}
	hc.closed = true
	delete(hc.owner.conns, hc.id)
	if !hc.up {
		return
	}
	if err != nil {
		err = node.ErrReset
	}
	h.deliver(hc.owner, node.Closed{Conn: hc.id, Err: err, Reason: hc.reason})
}

// closeConn closes a connection on its owner's behalf; the peer learns the
// reason with the close.
func (h *Host) closeConn(hc *hconn, reason string) {
	if hc.closed {
		return
	}
	hc.closed = true
	delete(hc.owner.conns, hc.id)
	if hc.peer != nil && reason != "" {
		hc.peer.reason = reason
	}
	hc.c.Close()
}
