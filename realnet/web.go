package realnet

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/callwake/callwake/node"

	"github.com/gorilla/websocket"
)

// Limits of the web transports.
const (
	// MaxWebMessage bounds one WebSocket message or HTTP/2 body a node
	// receives (push messages are small); a longer one ends the connection
	// or answers 413.
	MaxWebMessage = 64 << 10
	// ResponseTimeout bounds how long an HTTP/2 request waits for the
	// node's answer.
	ResponseTimeout = 30 * time.Second
	// MaxWebConns bounds the connections one WSS or HTTP2 listener holds
	// at once (pushed phones, Push objects, hostile strangers); beyond it
	// new connections wait in the kernel's accept queue.
	MaxWebConns = 4096
	// MaxWebStreams bounds the concurrent HTTP/2 streams of a connection.
	MaxWebStreams = 100
	// webIdleTimeout closes an HTTP/2 connection without requests (a
	// dialler opens a new one when it needs it).
	webIdleTimeout = 5 * time.Minute
	// wsCloseCode is the close code a node's Close sends with its reason
	// (4000-4999: private use, RFC 6455 7.4.2).
	wsCloseCode = 4000
)

type wsConn = *websocket.Conn

// listenWeb binds a WSS or HTTP2 listener: TLS with the node's
// certificate, then net/http (HTTP/2 negotiated by ALPN).
func (h *Host) listenWeb(hn *hosted, s *socket, addr netip.AddrPort, path string) error {
	ln, err := net.Listen("tcp", addr.String())
	if err != nil {
		return err
	}
	ln = &webSlots{Listener: ln, slots: make(chan struct{}, MaxWebConns), closed: make(chan struct{})}
	ln = limitListener{ln, h.guard()} // the caps of Limits, per source and in all
	s.ln, s.addr = ln, addrOf(ln.Addr())
	cfg := h.withKeyLog(tlsServer(s.sec))
	if len(cfg.Certificates) == 0 {
		ln.Close()
		return errors.New("realnet: a WSS or HTTP2 listener needs a certificate (Security.Own.Certificate)")
	}
	// Handshake failures of strangers are not worth a line each. A request
	// (or an upgrade) must arrive whole within ResponseTimeout; gorilla
	// clears the deadlines of an upgraded WebSocket, whose peer may stay
	// quiet for as long as it likes, within MaxWebConns.
	srv := &http.Server{TLSConfig: cfg, ReadHeaderTimeout: HandshakeTimeout, ReadTimeout: ResponseTimeout,
		IdleTimeout: webIdleTimeout, MaxHeaderBytes: 16 << 10, ErrorLog: log.New(io.Discard, "", 0),
		HTTP2: &http.HTTP2Config{MaxConcurrentStreams: MaxWebStreams, MaxReceiveBufferPerStream: MaxWebMessage,
			MaxReceiveBufferPerConnection: 1 << 20, MaxDecoderHeaderTableSize: 4 << 10}}
	if s.transport == node.WSS {
		cfg.NextProtos = []string{"http/1.1"}
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.upgrade(hn, s, path, w, r) })
	} else {
		cfg.NextProtos = []string{"h2"}
		var p http.Protocols
		p.SetHTTP2(true)
		srv.Protocols = &p
		srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			tag := &serverTag{}
			s.tags.Store(c, tag)
			return context.WithValue(ctx, webConnKey{}, tag)
		}
		srv.ConnState = func(c net.Conn, st http.ConnState) {
			if st != http.StateClosed && st != http.StateHijacked {
				return
			}
			if v, ok := s.tags.LoadAndDelete(c); ok {
				tag := v.(*serverTag)
				h.loop.Post(func() {
					if tag.conn != nil {
						tag.conn.ended1(nil, "")
					}
				})
			}
		}
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serveHTTP(hn, s, w, r) })
	}
	s.srv = srv
	h.loop.own(srv)
	h.loop.Go(func() { _ = srv.ServeTLS(ln, "", "") })
	return nil
}

// webSlots holds at most cap(slots) accepted connections at once.
type webSlots struct {
	net.Listener
	slots  chan struct{}
	once   sync.Once
	closed chan struct{}
}

func (l *webSlots) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed: // a full listener closed: Serve must return
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *webSlots) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitedConn gives its slot back once, when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// upgrade accepts a WebSocket on a WSS listener.
func (h *Host) upgrade(hn *hosted, s *socket, path string, w http.ResponseWriter, r *http.Request) {
	if path != "" && r.URL.Path != path && r.URL.Path != path+"/legacy" {
		http.NotFound(w, r)
		return
	}
	up := websocket.Upgrader{HandshakeTimeout: HandshakeTimeout}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the error
	}
	ws.SetReadLimit(MaxWebMessage)
	var peer node.Peer
	if r.TLS != nil {
		if s.sec != nil {
			peer = peerOf(*r.TLS, s.sec.Roots, s.sec.ClientAuth)
		}
	}
	reqPath := r.URL.Path
	if !h.loop.Post(func() {
		c := h.newWebSocket(hn, s.transport, s.protocol, ws)
		h.deliver(hn, node.Accepted{Listener: s.id, Conn: c.id, Local: c.local, Remote: c.remote, Peer: peer, Path: reqPath})
		h.loop.Go(c.readWS)
	}) {
		ws.Close()
	}
}

func (h *Host) newWebSocket(hn *hosted, t node.Transport, protocol string, ws *websocket.Conn) *conn {
	hn.nextConn++
	c := &conn{h: h, id: hn.nextConn, owner: hn, transport: t, protocol: protocol, ws: ws,
		local: addrOf(ws.LocalAddr()), remote: addrOf(ws.RemoteAddr()),
		writes: make(chan outMsg, writeQueue), closing: make(chan struct{})}
	hn.conns[c.id] = c
	c.nameLocal()
	release := h.loop.ownUntil(closerFunc(func() error { c.close(""); return nil }))
	h.loop.Go(func() { defer release(); c.writeWS() })
	return c
}

func (c *conn) readWS() {
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			var cerr error
			reason := ""
			switch {
			case errors.As(err, &ce):
				reason = ce.Text
			case errors.Is(err, io.EOF):
			case errors.Is(err, net.ErrClosed):
				cerr = node.ErrReset // closed by the host (see readTPKT)
			case errors.Is(err, websocket.ErrReadLimit):
				cerr = node.ErrFraming
			default:
				cerr = node.ErrReset
			}
			c.close("")
			c.h.loop.Post(func() { c.ended1(cerr, reason) })
			return
		}
		if !c.h.loop.Post(func() { c.message(msg, nil) }) {
			return
		}
	}
}

func (c *conn) writeWS() {
	defer c.ws.Close()
	write := func(m outMsg) bool {
		if d := time.Until(m.due); d > 0 {
			time.Sleep(d)
		}
		_ = c.ws.SetWriteDeadline(time.Now().Add(WriteTimeout))
		if err := c.ws.WriteMessage(websocket.TextMessage, m.payload); err != nil {
			c.close("")
			return false
		}
		return true
	}
	for {
		select {
		case m := <-c.writes:
			if !write(m) {
				return
			}
		case <-c.closing:
			for {
				select {
				case m := <-c.writes:
					if !write(m) {
						return
					}
					continue
				default:
				}
				break
			}
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			if c.reason != "" {
				msg = websocket.FormatCloseMessage(wsCloseCode, c.reason)
			}
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeFlush))
			return
		}
	}
}

func (h *Host) dialWS(ctx context.Context, hn *hosted, e node.Dial, local net.Addr) {
	host := e.To.Addr().String()
	var early netip.AddrPort
	d := websocket.Dialer{
		HandshakeTimeout: HandshakeTimeout,
		TLSClientConfig:  h.withKeyLog(tlsClient(e.Security, host)),
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{LocalAddr: local}).DialContext(ctx, network, addr)
			if err == nil && h.namePort(addrOf(c.LocalAddr()), hn.name) {
				early = addrOf(c.LocalAddr()) // named before the listener reports it
			}
			return c, err
		},
	}
	url := "wss://" + e.To.String() + e.Path
	ws, resp, err := d.DialContext(ctx, url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if early.IsValid() {
			h.unnamePort(early)
		}
		derr := dialError(err)
		h.loop.Post(func() { h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: e.To, Err: derr}) })
		return
	}
	ws.SetReadLimit(MaxWebMessage)
	var peer node.Peer
	if tc, ok := ws.NetConn().(*tls.Conn); ok {
		peer = peerOf(tc.ConnectionState(), nil, false)
	}
	if !h.loop.Post(func() {
		c := h.newWebSocket(hn, e.Transport, e.Protocol, ws)
		c.named = c.named || early.IsValid()
		h.deliver(hn, node.Dialled{Ref: e.Ref, Conn: c.id, Local: c.local, Remote: c.remote, Peer: peer})
		h.loop.Go(c.readWS)
	}) {
		ws.Close()
	}
}

// webConn is the HTTP/2 side of a conn: a client connection (dialled), or
// the requests waiting for the node's answers (accepted).
type webConn struct {
	cc        *http.ClientConn
	authority string
	tag       *serverTag
	ctx       context.Context
	cancel    context.CancelFunc
	release   func() // forgets the host's closer of a dialled connection
}

func (w *webConn) close() {
	if w.cancel != nil {
		w.cancel()
	}
	if w.cc != nil {
		_ = w.cc.Close()
	}
	if w.release != nil {
		w.release()
	}
}

type webConnKey struct{}

// serverTag follows one accepted HTTP/2 connection; loop only, except
// that the net/http goroutines carry the pointer.
type serverTag struct {
	conn    *conn
	nextID  uint32
	pending map[uint32]chan *node.HTTP
}

func (h *Host) dialHTTP2(ctx context.Context, hn *hosted, e node.Dial, local net.Addr) {
	var state tls.ConnectionState
	var mu sync.Mutex
	cfg := h.withKeyLog(tlsClient(e.Security, e.To.Addr().String()))
	cfg.VerifyConnection = func(cs tls.ConnectionState) error { mu.Lock(); state = cs; mu.Unlock(); return nil }
	var p http.Protocols
	p.SetHTTP2(true)
	var localAddr netip.AddrPort
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{LocalAddr: local}).DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			localAddr = addrOf(c.LocalAddr())
			mu.Unlock()
			h.namePort(localAddr, hn.name)
		}
		return c, err
	}
	t := &http.Transport{TLSClientConfig: cfg, Protocols: &p, ForceAttemptHTTP2: true,
		DialContext: dial, TLSHandshakeTimeout: HandshakeTimeout}
	cc, err := t.NewClientConn(ctx, "https", e.To.String())
	if err != nil {
		derr := dialError(err)
		h.loop.Post(func() { h.deliver(hn, node.Dialled{Ref: e.Ref, Remote: e.To, Err: derr}) })
		return
	}
	mu.Lock()
	peer := peerOf(state, nil, false)
	laddr := localAddr
	mu.Unlock()
	wctx, cancel := context.WithCancel(context.Background())
	if !h.loop.Post(func() {
		hn.nextConn++
		c := &conn{h: h, id: hn.nextConn, owner: hn, transport: node.HTTP2, protocol: e.Protocol,
			local: laddr, remote: e.To, closing: make(chan struct{}),
			web: &webConn{cc: cc, authority: e.To.String(), ctx: wctx, cancel: cancel}}
		hn.conns[c.id] = c
		c.nameLocal()
		c.web.release = h.loop.ownUntil(closerFunc(func() error { c.close(""); return nil }))
		h.deliver(hn, node.Dialled{Ref: e.Ref, Conn: c.id, Local: laddr, Remote: e.To, Peer: peer})
	}) {
		cancel()
		cc.Close()
	}
}

// send carries one HTTP/2 message of a node: a request on a dialled
// connection, or the answer to a request an accepted one is waiting with.
func (w *webConn) send(c *conn, m *node.HTTP, delay time.Duration) {
	if w.tag != nil {
		if ch, ok := w.tag.pending[m.Stream]; ok {
			delete(w.tag.pending, m.Stream)
			ch <- m // buffered: the handler may have given up
		}
		return
	}
	h := c.h
	h.loop.Go(func() {
		if delay > 0 {
			time.Sleep(delay)
		}
		req, err := http.NewRequestWithContext(w.ctx, m.Method, "https://"+w.authority+m.Path, bytes.NewReader(m.Body))
		answer := &node.HTTP{Stream: m.Stream}
		if err == nil {
			if m.Authority != "" {
				req.Host = m.Authority
			}
			for _, f := range m.Header {
				req.Header.Add(f.Name, f.Value)
			}
			var resp *http.Response
			if resp, err = w.cc.RoundTrip(req); err == nil {
				answer.Status = resp.StatusCode
				answer.Body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxWebMessage))
				resp.Body.Close()
				for name, values := range resp.Header {
					for _, v := range values {
						answer.Header = append(answer.Header, node.HeaderField{Name: lower(name), Value: v})
					}
				}
			}
		}
		// A request that got no answer (the connection failed) is answered
		// with status 0.
		h.loop.Post(func() { c.message(nil, answer) })
	})
}

// serveHTTP hands a request on an accepted HTTP/2 connection to the node
// and writes its answer.
func (h *Host) serveHTTP(hn *hosted, s *socket, w http.ResponseWriter, r *http.Request) {
	tag, _ := r.Context().Value(webConnKey{}).(*serverTag)
	if tag == nil {
		http.Error(w, "no connection", http.StatusInternalServerError)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebMessage+1))
	if err != nil || len(body) > MaxWebMessage {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	m := &node.HTTP{Method: r.Method, Authority: r.Host, Path: r.URL.RequestURI(), Body: body}
	for name, values := range r.Header {
		for _, v := range values {
			m.Header = append(m.Header, node.HeaderField{Name: lower(name), Value: v})
		}
	}
	answer := make(chan *node.HTTP, 1)
	var peer node.Peer
	if r.TLS != nil && s.sec != nil {
		peer = peerOf(*r.TLS, s.sec.Roots, s.sec.ClientAuth)
	}
	if !h.loop.Post(func() {
		if tag.conn == nil {
			hn.nextConn++
			c := &conn{h: h, id: hn.nextConn, owner: hn, transport: node.HTTP2, protocol: s.protocol,
				remote: addrOf(remoteAddr(r)), local: s.addr, closing: make(chan struct{}),
				web: &webConn{tag: tag}}
			tag.conn, tag.pending = c, map[uint32]chan *node.HTTP{}
			hn.conns[c.id] = c
			h.deliver(hn, node.Accepted{Listener: s.id, Conn: c.id, Local: c.local, Remote: c.remote, Peer: peer})
		}
		tag.nextID++
		m.Stream = tag.nextID
		tag.pending[m.Stream] = answer
		tag.conn.message(nil, m)
	}) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	select {
	case a := <-answer:
		for _, f := range a.Header {
			w.Header().Add(f.Name, f.Value)
		}
		status := a.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		_, _ = w.Write(a.Body)
	case <-time.After(ResponseTimeout):
		http.Error(w, "no answer", http.StatusGatewayTimeout)
	case <-r.Context().Done():
	}
}

func remoteAddr(r *http.Request) net.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return net.TCPAddrFromAddrPort(ap)
	}
	return &net.TCPAddr{}
}

// lower is ASCII lower case (HTTP/2 field names).
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
