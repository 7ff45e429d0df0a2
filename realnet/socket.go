package realnet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/node"
)

// Limits of the real driver's sockets.
const (
	// MaxDatagram is the read buffer of a UDP socket: the largest payload.
	MaxDatagram = 65535
	// DialTimeout bounds a connection attempt (and, on a downed link, is
	// how long it takes to fail, as a dropped SYN does).
	DialTimeout = 5 * time.Second
	// HandshakeTimeout bounds a TLS handshake or WebSocket upgrade.
	HandshakeTimeout = 5 * time.Second
	// writeQueue bounds the messages waiting for a slow peer; a peer that
	// lets it fill is dropped rather than stalling the loop.
	writeQueue = 256
	// WriteTimeout bounds one write to a peer that reads slowly.
	WriteTimeout = 10 * time.Second
	closeFlush   = time.Second
)

// socket is a bound UDP socket or a stream listener of a node.
type socket struct {
	id        node.SockID
	transport node.Transport
	protocol  string
	addr      netip.AddrPort
	sec       *node.Security
	udp       *net.UDPConn
	ln        net.Listener
	srv       *http.Server
	dtls      *dtlsSocket // DTLS: the associations on udp
	tags      sync.Map    // HTTP2: net.Conn → *serverTag
}

func (s *socket) close() {
	switch {
	case s.dtls != nil:
		s.dtls.close()
	case s.srv != nil:
		_ = s.srv.Close()
	case s.ln != nil:
		_ = s.ln.Close()
	case s.udp != nil:
		_ = s.udp.Close()
	}
}

func unmapped(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

func addrOf(a net.Addr) netip.AddrPort {
	switch t := a.(type) {
	case *net.TCPAddr:
		return unmapped(t.AddrPort())
	case *net.UDPAddr:
		return unmapped(t.AddrPort())
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return unmapped(ap)
	}
	return netip.AddrPort{}
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// listen binds a socket for a node and answers Listening.
func (h *Host) listen(hn *hosted, e node.Listen) {
	s := &socket{id: e.Sock, transport: e.Transport, protocol: e.Protocol, sec: e.Security}
	var err error
	switch e.Transport {
	case node.UDP:
		err = h.listenUDP(hn, s, e.Addr)
	case node.DTLS:
		err = h.listenDTLS(hn, s, e.Addr)
	case node.TCP, node.TLS:
		err = h.listenStream(hn, s, e.Addr)
	case node.WSS, node.HTTP2:
		err = h.listenWeb(hn, s, e.Addr, e.Path)
	default:
		err = fmt.Errorf("realnet: transport %v is not supported by this driver", e.Transport)
	}
	if err == nil {
		hn.socks[e.Sock] = s
		h.namePort(s.addr, hn.name)
	}
	h.deliver(hn, node.Listening{Sock: e.Sock, Addr: s.addr, Err: err})
}

func (h *Host) listenUDP(hn *hosted, s *socket, addr netip.AddrPort) error {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return err
	}
	h.guard().sizeUDP(c)
	s.udp, s.addr = c, addrOf(c.LocalAddr())
	h.loop.own(c)
	h.loop.Go(func() { h.readUDP(hn, s, c) })
	return nil
}

func (h *Host) sendTo(hn *hosted, e node.SendTo) {
	s := hn.socks[e.Sock]
	if s != nil && s.dtls != nil {
		h.sendDTLS(s, e)
		return
	}
	if s == nil || s.udp == nil {
		h.log.Warn().Str("node", hn.name).Msg("send on a socket that is not a bound UDP socket")
		return
	}
	delay, drop := h.Net.verdict(s.addr, e.To, true)
	h.recordMessage(&e.Event, s.transport, s.addr, e.To, e.Payload, drop)
	if drop {
		return
	}
	write := func() {
		if _, err := s.udp.WriteToUDPAddrPort(e.Payload, e.To); err != nil && !errors.Is(err, net.ErrClosed) {
			h.log.Debug().Err(err).Stringer("to", e.To).Msg("udp send")
		}
	}
	if delay <= 0 {
		write()
		return
	}
	time.AfterFunc(delay, write)
}

func (h *Host) listenStream(hn *hosted, s *socket, addr netip.AddrPort) error {
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return err
	}
	ln = limitListener{ln, h.guard()}
	s.ln, s.addr = ln, addrOf(ln.Addr())
	h.loop.own(ln)
	h.loop.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				h.guard().warn("accept", s.addr, err)
				time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: do not spin
				continue
			}
			go h.handshakeAccepted(hn, s, nc)
		}
	})
	return nil
}

// handshakeAccepted finishes an accepted connection (the TLS handshake of a
// TLS listener) before the node hears of it.
func (h *Host) handshakeAccepted(hn *hosted, s *socket, nc net.Conn) {
	var peer node.Peer
	if s.transport == node.TLS {
		tc := tls.Server(nc, h.withKeyLog(tlsServer(s.sec)))
		ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			h.log.Debug().Err(err).Stringer("remote", nc.RemoteAddr()).Msg("tls handshake")
			nc.Close()
			return
		}
		var roots *x509.CertPool
		if s.sec != nil {
			roots = s.sec.Roots
		}
		peer = peerOf(tc.ConnectionState(), roots, s.sec != nil && s.sec.ClientAuth)
		nc = tc
	}
	h.loop.Post(func() {
		c := h.newConn(hn, s.transport, s.protocol, nc)
		c.accepted = true
		h.deliver(hn, node.Accepted{Listener: s.id, Conn: c.id, Local: c.local, Remote: c.remote, Peer: peer})
		c.startReading()
	})
}

// conn is one connection of a node.
type conn struct {
	h         *Host
	id        node.ConnID
	owner     *hosted
	transport node.Transport
	protocol  string
	local     netip.AddrPort
	remote    netip.AddrPort

	nc      net.Conn    // TCP, TLS
	ws      wsConn      // WSS
	web     *webConn    // HTTP2
	writes  chan outMsg // to the writer goroutine
	closing chan struct{}
	once    sync.Once
	reason  string // the close reason to send (WSS)
	ended   bool   // Closed was reported or the owner closed it (loop only)
	named   bool   // nameLocal named the local end
	// accepted: a peer connected to us (the idle timeout applies).
	accepted bool
	lastDue  time.Time
}

type outMsg struct {
	due     time.Time
	payload []byte
}

func (h *Host) newConn(hn *hosted, t node.Transport, protocol string, nc net.Conn) *conn {
	hn.nextConn++
	c := &conn{h: h, id: hn.nextConn, owner: hn, transport: t, protocol: protocol, nc: nc,
		writes: make(chan outMsg, writeQueue), closing: make(chan struct{})}
	if nc != nil {
		c.local, c.remote = addrOf(nc.LocalAddr()), addrOf(nc.RemoteAddr())
		h.loop.own(closerFunc(func() error { c.close(""); return nil }))
		h.loop.Go(c.writeTPKT)
	}
	hn.conns[c.id] = c
	c.nameLocal()
	return c
}

// nameLocal names the connection's local end after its node, unless a
// listener's address already does (an accepted connection's local end).
func (c *conn) nameLocal() {
	if c.h.namePort(c.local, c.owner.name) {
		c.named = true
	}
}

// unname forgets the name nameLocal gave.
func (c *conn) unname() {
	if c.named {
		c.h.unnamePort(c.local)
		c.named = false
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// startReading runs the reader once the node knows the connection.
func (c *conn) startReading() {
	if c.nc != nil {
		c.h.loop.Go(c.readTPKT)
	}
}

func (c *conn) readTPKT() {
	lim := c.h.guard().lim
	dc := &deadlineConn{Conn: c.nc, read: lim.ReadTimeout}
	if c.accepted {
		dc.idle = lim.IdleTimeout
	}
	rd := q931.NewReader(dc, lim.MaxTPKT)
	dc.between(false)
	for {
		msg, err := rd.ReadMessage()
		if err != nil {
			var cerr error
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				cerr = node.ErrReset
				why := "read timeout: frame incomplete"
				if !dc.inFrame {
					why = "idle timeout: no message"
				}
				c.h.guard().warn(why, c.remote, nil)
			case errors.Is(err, io.EOF):
			case errors.Is(err, net.ErrClosed):
				// Closed under the reader by the host: a write failed or
				// the peer stopped reading (a close of the node's own is
				// not reported).
				cerr = node.ErrReset
			case errors.Is(err, q931.ErrTPKTVersion), errors.Is(err, q931.ErrTPKTReserved),
				errors.Is(err, q931.ErrTPKTShort), errors.Is(err, q931.ErrTPKTTooLong):
				cerr = node.ErrFraming
				c.h.guard().warn("bad TPKT frame", c.remote, err)
			default:
				cerr = node.ErrReset
			}
			c.close("")
			c.h.loop.Post(func() { c.ended1(cerr, "") })
			return
		}
		dc.between(len(msg) > 0)
		if len(msg) == 0 {
			continue // an empty TPKT keeps the connection alive (H.225.0)
		}
		msg = slices.Clone(msg)
		if !c.h.loop.Post(func() { c.message(msg, nil) }) {
			return
		}
	}
}

// message hands a received message to the owner (loop only).
func (c *conn) message(payload []byte, web *node.HTTP) {
	if c.ended {
		return
	}
	if web == nil {
		c.h.received(c.protocol, c.transport, c.remote, c.local, payload)
	}
	c.h.deliver(c.owner, node.Message{Conn: c.id, Payload: payload, HTTP: web})
}

// ended1 reports the end of the connection once (loop only).
func (c *conn) ended1(err error, reason string) {
	if c.ended {
		return
	}
	c.ended = true
	delete(c.owner.conns, c.id)
	c.unname()
	c.h.deliver(c.owner, node.Closed{Conn: c.id, Err: err, Reason: reason})
}

func (c *conn) writeTPKT() {
	defer c.nc.Close()
	for {
		select {
		case m := <-c.writes:
			if !c.writeAt(m) {
				return
			}
		case <-c.closing:
			for { // flush what was queued before Close: a Release Complete must reach the peer
				select {
				case m := <-c.writes:
					if !c.writeAt(m) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

func (c *conn) writeAt(m outMsg) bool {
	if d := time.Until(m.due); d > 0 {
		time.Sleep(d)
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	if _, err := c.nc.Write(m.payload); err != nil {
		c.close("")
		return false
	}
	return true
}

// queue hands a message to the writer, after the knobs' delay and never
// before an earlier one.
func (c *conn) queue(payload []byte, delay time.Duration) bool {
	due := time.Now().Add(delay)
	if due.Before(c.lastDue) {
		due = c.lastDue
	}
	c.lastDue = due
	select {
	case <-c.closing:
		return false
	default:
	}
	select {
	case c.writes <- outMsg{due: due, payload: payload}:
		return true
	default:
		c.h.guard().warn("peer not reading; dropping the connection", c.remote, nil)
		c.abort()
		return false
	}
}

// abort ends the connection at once, dropping what is queued: a peer that
// does not read must not hold the writer until its write timeout.
func (c *conn) abort() {
	c.close("")
	switch {
	case c.nc != nil:
		_ = c.nc.Close()
	case c.ws != nil:
		_ = c.ws.Close()
	}
}

// close ends the connection after what is queued; safe from any goroutine.
func (c *conn) close(reason string) {
	c.once.Do(func() {
		c.reason = reason
		close(c.closing)
		if c.web != nil {
			c.web.close()
		}
	})
}

// send writes one message of a node on a connection.
func (h *Host) send(hn *hosted, e node.Send) {
	c := hn.conns[e.Conn]
	if c == nil {
		return // the connection ended meanwhile
	}
	delay, drop := h.Net.verdict(c.local, c.remote, false)
	h.recordMessage(&e.Event, c.transport, c.local, c.remote, e.Payload, false)
	if drop {
		return // a downed link: the data never arrives
	}
	switch c.transport {
	case node.TCP, node.TLS:
		frame, err := q931.Frame(e.Payload)
		if err != nil {
			h.log.Error().Err(err).Str("node", hn.name).Msg("tpkt")
			return
		}
		c.queue(frame, delay)
	case node.WSS:
		c.queue(e.Payload, delay)
	case node.HTTP2:
		if c.web != nil && e.HTTP != nil {
			c.web.send(c, e.HTTP, delay)
		}
	}
}

// dial opens a connection for a node in the background.
func (h *Host) dial(hn *hosted, e node.Dial) {
	from := e.From
	if !from.IsValid() || from.IsUnspecified() {
		from = hn.ip
	}
	// A connection takes a round trip on the knobs' link: the SYN one way
	// (then the listener hears of it), the answer the other.
	delay, drop := h.Net.verdict(netip.AddrPortFrom(from, 0), e.To, false)
	run := h.loop.Go
	if h.starting {
		run = func(fn func()) { h.deferred = append(h.deferred, fn) }
	}
	run(func() {
		if drop {
			// A blocked port or a downed link drops the SYN: the attempt
			// times out.
			select {
			case <-time.After(DialTimeout):
			case <-h.loop.Done():
				return
			}
			h.loop.Post(func() { h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: e.To, Err: node.ErrUnreachable}) })
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
		defer cancel()
		go func() {
			select {
			case <-h.loop.Done():
				cancel()
			case <-ctx.Done():
			}
		}()
		var local net.Addr
		if from.IsValid() && !from.IsUnspecified() {
			local = &net.TCPAddr{IP: from.AsSlice()}
		}
		if delay > 0 {
			time.Sleep(delay)
			defer time.Sleep(delay) // before Dialled is posted
		}
		switch e.Transport {
		case node.TCP, node.TLS:
			h.dialStream(ctx, hn, e, local)
		case node.WSS:
			h.dialWS(ctx, hn, e, local)
		case node.HTTP2:
			h.dialHTTP2(ctx, hn, e, local)
		default:
			err := fmt.Errorf("realnet: transport %v is not supported by this driver", e.Transport)
			h.loop.Post(func() { h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: e.To, Err: err}) })
		}
	})
}

func (h *Host) dialStream(ctx context.Context, hn *hosted, e node.Dial, local net.Addr) {
	d := net.Dialer{LocalAddr: local}
	nc, err := d.DialContext(ctx, "tcp", e.To.String())
	early := false
	if err == nil {
		// Named before the listener can report the connection.
		early = h.namePort(addrOf(nc.LocalAddr()), hn.name)
	}
	var peer node.Peer
	if err == nil && e.Transport == node.TLS {
		tc := tls.Client(nc, h.withKeyLog(tlsClient(e.Security, e.To.Addr().String())))
		if err = tc.HandshakeContext(ctx); err != nil {
			nc.Close()
		} else {
			peer = peerOf(tc.ConnectionState(), nil, false)
			nc = tc
		}
	}
	if err != nil {
		if early {
			h.unnamePort(addrOf(nc.LocalAddr()))
		}
		derr := dialError(err)
		h.loop.Post(func() { h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: e.To, Err: derr}) })
		return
	}
	if !h.loop.Post(func() {
		c := h.newConn(hn, e.Transport, e.Protocol, nc)
		c.named = c.named || early
		h.deliver(hn, node.Dialled{Ref: e.Ref, Conn: c.id, Local: c.local, Remote: c.remote, Peer: peer})
		c.startReading()
	}) {
		nc.Close()
	}
}
