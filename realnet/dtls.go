package realnet

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/callwake/callwake/node"

	"github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/protocol"
)

// DTLS sockets. A node's DTLS socket is one UDP socket carrying one DTLS
// association per peer, as RAS over DTLS needs: the gatekeeper answers on
// the association the request came on, and a phone's first RRQ opens one
// from its own RAS socket. A reader goroutine demultiplexes the socket's
// datagrams by source address onto the associations (pion/dtls runs each
// over a net.PacketConn of its own, dtlsPeer); a datagram from an unknown
// source opens a server association only when it is a DTLS handshake
// record, so that stray datagrams cost nothing. A SendTo to a peer without
// an association dials one (the socket's end is the DTLS client) and sends
// once the handshake is over.
//
// A listener with Security.ClientAuth asks the peer for its certificate and
// reports in Datagram.Peer whether it chains to Security.Roots; a dialling
// socket whose Security has a trust list refuses a peer whose certificate
// does not chain to it (or has expired): the handshake fails, what was
// queued for the peer is dropped, and the node's RAS times out as it would
// on a lost datagram. DTLS 1.2 only: it is what H.323 equipment and
// Wireshark's key-log decryption speak.

// Limits of DTLS sockets (small constants until the driver's Limits carry
// them).
const (
	// MaxDTLSPeers bounds the associations of one socket; a handshake from
	// a further source is ignored.
	MaxDTLSPeers = 16384
	// DTLSIdle closes an association that carried nothing for this long
	// (a registration's keep-alives keep it open).
	DTLSIdle = 10 * time.Minute
	// dtlsQueue bounds the datagrams waiting on one association, in and
	// out; beyond it they are dropped, as a full socket buffer does.
	dtlsQueue = 64
)

type dtlsSocket struct {
	h    *Host
	hn   *hosted
	s    *socket
	udp  *net.UDPConn
	done chan struct{}
	once sync.Once

	mu    sync.Mutex
	peers map[netip.AddrPort]*dtlsPeer
}

// dtlsPeer is one association: the net.PacketConn pion/dtls runs over
// (reading what the socket's reader hands it, writing to the socket), and
// the plaintext waiting to be sent once the handshake is over.
type dtlsPeer struct {
	ds     *dtlsSocket
	remote netip.AddrPort
	raddr  *net.UDPAddr
	in     chan []byte
	out    chan []byte
	done   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	deadline time.Time
	changed  chan struct{} // closed and replaced when the deadline changes
}

func (h *Host) listenDTLS(hn *hosted, s *socket, addr netip.AddrPort) error {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return err
	}
	h.guard().sizeUDP(c)
	ds := &dtlsSocket{h: h, hn: hn, s: s, udp: c, done: make(chan struct{}), peers: map[netip.AddrPort]*dtlsPeer{}}
	s.udp, s.dtls, s.addr = c, ds, addrOf(c.LocalAddr())
	h.loop.own(closerFunc(func() error { ds.close(); return nil }))
	h.loop.Go(ds.read)
	return nil
}

// close ends every association and the socket.
func (ds *dtlsSocket) close() {
	ds.once.Do(func() {
		close(ds.done)
		_ = ds.udp.Close()
		ds.mu.Lock()
		peers := make([]*dtlsPeer, 0, len(ds.peers))
		for _, p := range ds.peers {
			peers = append(peers, p)
		}
		ds.mu.Unlock()
		for _, p := range peers {
			p.Close()
		}
	})
}

// read demultiplexes the socket's datagrams onto the associations.
func (ds *dtlsSocket) read() {
	buf := make([]byte, MaxDatagram)
	for {
		n, from, err := ds.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		from = unmapped(from)
		ds.mu.Lock()
		p := ds.peers[from]
		if p == nil && isDTLSHandshake(buf[:n]) && len(ds.peers) < MaxDTLSPeers {
			p = ds.newPeer(from)
			ds.h.loop.Go(func() { p.run(false) })
		}
		ds.mu.Unlock()
		if p == nil {
			continue // not DTLS, or too many associations
		}
		select {
		case p.in <- slices.Clone(buf[:n]):
		default: // the association is not keeping up: dropped as by a full buffer
		}
	}
}

// isDTLSHandshake tells whether a datagram starts with a DTLS 1.x
// handshake record (content type 22, version 254.x).
func isDTLSHandshake(b []byte) bool {
	return len(b) >= 13 && b[0] == byte(protocol.ContentTypeHandshake) && b[1] == 0xfe
}

// newPeer adds an association (ds.mu held).
func (ds *dtlsSocket) newPeer(remote netip.AddrPort) *dtlsPeer {
	p := &dtlsPeer{ds: ds, remote: remote, raddr: net.UDPAddrFromAddrPort(remote),
		in: make(chan []byte, dtlsQueue), out: make(chan []byte, dtlsQueue), done: make(chan struct{}), changed: make(chan struct{})}
	ds.peers[remote] = p
	return p
}

// sendDTLS sends a node's datagram on the peer's association, dialling one
// if there is none.
func (h *Host) sendDTLS(s *socket, e node.SendTo) {
	ds := s.dtls
	delay, drop := h.Net.verdict(s.addr, e.To, true)
	h.recordMessage(&e.Event, s.transport, s.addr, e.To, e.Payload, drop)
	if drop {
		return
	}
	ds.mu.Lock()
	p := ds.peers[e.To]
	if p == nil {
		select {
		case <-ds.done:
			ds.mu.Unlock()
			return
		default:
		}
		if len(ds.peers) >= MaxDTLSPeers {
			ds.mu.Unlock()
			h.log.Warn().Stringer("to", e.To).Msg("dtls: too many associations; datagram dropped")
			return
		}
		p = ds.newPeer(e.To)
		h.loop.Go(func() { p.run(true) })
	}
	ds.mu.Unlock()
	send := func() {
		select {
		case p.out <- e.Payload:
		default:
			h.log.Debug().Stringer("to", e.To).Msg("dtls: send queue full; datagram dropped")
		}
	}
	if delay <= 0 {
		send()
		return
	}
	time.AfterFunc(delay, send)
}

// run handshakes (as the client when dial), then reads the association's
// datagrams for the node and writes what it sends, until the association
// idles out, fails or the socket closes.
func (p *dtlsPeer) run(dial bool) {
	ds := p.ds
	defer p.Close()
	conn, err := p.handshake(dial)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return
		}
		ev := ds.h.log.Debug()
		if dial {
			ev = ds.h.log.Warn() // our own dial failing is worth a line; strangers' handshakes are not
		}
		ev.Err(err).Stringer("remote", p.remote).Str("node", ds.hn.name).Msg("dtls handshake")
		return
	}
	defer conn.Close()
	peer := dtlsPeerOf(conn, ds.s.sec, dial)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case b := <-p.out:
				_ = conn.SetWriteDeadline(time.Now().Add(WriteTimeout))
				if _, err := conn.Write(b); err != nil {
					p.Close()
					return
				}
			case <-p.done:
				return
			}
		}
	})
	defer wg.Wait()
	buf := make([]byte, MaxDatagram)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(DTLSIdle))
		n, err := conn.Read(buf)
		if err != nil {
			p.Close()
			return
		}
		payload := slices.Clone(buf[:n])
		s, hn, h := ds.s, ds.hn, ds.h
		if !h.loop.Post(func() {
			h.received(s.protocol, s.transport, p.remote, s.addr, payload)
			h.deliver(hn, node.Datagram{Sock: s.id, From: p.remote, To: s.addr, Payload: payload, Peer: peer})
		}) {
			return
		}
	}
}

func (p *dtlsPeer) handshake(dial bool) (*dtls.Conn, error) {
	ds := p.ds
	sec := ds.s.sec
	common := []dtls.Option{dtls.WithMaxVersion(protocol.Version1_2), dtls.WithMinVersion(protocol.Version1_2),
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret)}
	if ds.h.KeyLog != nil {
		common = append(common, dtls.WithKeyLogWriter(ds.h.KeyLog))
	}
	if sec != nil && sec.Own != nil && sec.Own.Certificate != nil {
		common = append(common, dtls.WithCertificates(*sec.Own.Certificate))
	}
	var conn *dtls.Conn
	var err error
	if dial {
		opts := make([]dtls.ClientOption, 0, len(common)+2)
		for _, o := range common {
			opts = append(opts, o)
		}
		if sec != nil && len(sec.Trust) > 0 && sec.Roots != nil {
			name := sec.ServerName
			if name == "" {
				name = p.remote.Addr().String()
			}
			opts = append(opts, dtls.WithRootCAs(sec.Roots), dtls.WithServerName(name))
		} else {
			opts = append(opts, dtls.WithInsecureSkipVerify(true)) // the node checks nothing of the peer
		}
		conn, err = dtls.Client(p, p.raddr, opts...)
	} else {
		opts := make([]dtls.ServerOption, 0, len(common)+1)
		for _, o := range common {
			opts = append(opts, o)
		}
		if sec != nil && sec.ClientAuth {
			opts = append(opts, dtls.WithClientAuth(dtls.RequestClientCert))
		}
		conn, err = dtls.Server(p, p.raddr, opts...)
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
	defer cancel()
	go func() {
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := conn.HandshakeContext(ctx); err != nil {
		conn.Close()
		select {
		case <-p.done:
			return nil, net.ErrClosed
		default:
		}
		return nil, err
	}
	return conn, nil
}

// dtlsPeerOf reads the peer's identity off a finished handshake; a
// listener checks a presented certificate against its roots, a dialler's
// was verified by the handshake if the node has a trust list.
func dtlsPeerOf(conn *dtls.Conn, sec *node.Security, dial bool) node.Peer {
	state, ok := conn.ConnectionState()
	if !ok || len(state.PeerCertificates) == 0 {
		return node.Peer{}
	}
	var chain []*x509.Certificate
	for _, raw := range state.PeerCertificates {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return node.Peer{}
		}
		chain = append(chain, c)
	}
	leaf := chain[0]
	id := &node.Identity{Subject: leaf.Subject.CommonName, Issuer: leaf.Issuer.CommonName, Serial: leaf.SerialNumber.String()}
	if sec == nil || sec.Roots == nil {
		return node.Peer{Identity: id}
	}
	if dial {
		return node.Peer{Identity: id, Verified: len(sec.Trust) > 0}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: sec.Roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return node.Peer{Identity: id, Verified: err == nil}
}

// The association's net.PacketConn, for pion/dtls.

func (p *dtlsPeer) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		p.mu.Lock()
		dl, changed := p.deadline, p.changed
		p.mu.Unlock()
		var expire <-chan time.Time
		var t *time.Timer
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			t = time.NewTimer(d)
			expire = t.C
		}
		var n int
		var err error
		got := true
		select {
		case pkt := <-p.in:
			n = copy(b, pkt)
		case <-p.done:
			err = net.ErrClosed
		case <-expire:
			err = os.ErrDeadlineExceeded
		case <-changed:
			got = false
		}
		if t != nil {
			t.Stop()
		}
		if got {
			if err != nil {
				return 0, nil, err
			}
			return n, p.raddr, nil
		}
	}
}

func (p *dtlsPeer) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-p.done:
		return 0, net.ErrClosed
	default:
	}
	return p.ds.udp.WriteToUDPAddrPort(b, p.remote)
}

// Close ends the association and forgets it.
func (p *dtlsPeer) Close() error {
	p.once.Do(func() {
		close(p.done)
		p.ds.mu.Lock()
		if p.ds.peers[p.remote] == p {
			delete(p.ds.peers, p.remote)
		}
		p.ds.mu.Unlock()
	})
	return nil
}

func (p *dtlsPeer) LocalAddr() net.Addr { return p.ds.udp.LocalAddr() }

func (p *dtlsPeer) SetDeadline(t time.Time) error { return p.SetReadDeadline(t) }

func (p *dtlsPeer) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	p.deadline = t
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	return nil
}

func (p *dtlsPeer) SetWriteDeadline(time.Time) error { return nil } // a UDP write does not block
