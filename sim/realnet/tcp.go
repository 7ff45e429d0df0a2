package realnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/callwake/callwake/h323/q931"
)

// writeQueue bounds the frames waiting for a slow peer; a peer that lets it
// fill is dropped rather than stalling the loop.
const writeQueue = 64

// writeTimeout bounds one TCP write.
const writeTimeout = 10 * time.Second

// Conn is a call-signalling connection carrying TPKT-framed messages. Its
// handlers run on the loop; Send and Close are called from the loop.
type Conn struct {
	loop   *Loop
	conn   net.Conn
	local  netip.AddrPort
	remote netip.AddrPort
	writes chan []byte

	onMessage func(payload []byte)
	onClose   func(err error)

	closeOnce sync.Once
	closing   chan struct{} // closed by Close: the writer flushes, then closes the socket
	ended     bool          // onClose was called (loop goroutine only)
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

func newConn(loop *Loop, c net.Conn) *Conn {
	conn := &Conn{loop: loop, conn: c, local: addrPort(c.LocalAddr()), remote: addrPort(c.RemoteAddr()),
		writes: make(chan []byte, writeQueue), closing: make(chan struct{})}
	loop.own(conn)
	// The writer runs from the start, so that messages sent from the accept
	// or dial handler (before reading starts) go out; it owns closing the socket.
	loop.Go(conn.write)
	return conn
}

// OnMessage sets the handler of received messages (TPKT removed). The
// payload is the handler's to keep.
func (c *Conn) OnMessage(fn func(payload []byte)) { c.onMessage = fn }

// OnClose sets the handler called once when the connection ends: err is nil
// after a clean end of stream or a local Close.
func (c *Conn) OnClose(fn func(err error)) { c.onClose = fn }

// LocalAddr and RemoteAddr are the connection's addresses.
func (c *Conn) LocalAddr() netip.AddrPort  { return c.local }
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// start runs the reader; called on the loop once the handlers are set.
func (c *Conn) start() { c.loop.Go(c.read) }

func (c *Conn) read() {
	rd := q931.NewReader(c.conn, 0)
	for {
		msg, err := rd.ReadMessage()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = nil
			} else {
				c.loop.Log.Warn().Err(err).Stringer("remote", c.remote).Msg("tcp read")
			}
			c.Close()
			c.loop.Post(func() { c.end(err) })
			return
		}
		msg = slices.Clone(msg)
		if !c.loop.Post(func() {
			if c.onMessage != nil && !c.ended {
				c.onMessage(msg)
			}
		}) {
			return
		}
	}
}

func (c *Conn) end(err error) {
	if c.ended {
		return
	}
	c.ended = true
	if c.onClose != nil {
		c.onClose(err)
	}
}

func (c *Conn) write() {
	defer c.conn.Close()
	for {
		select {
		case frame := <-c.writes:
			if !c.writeFrame(frame, writeTimeout) {
				return
			}
		case <-c.closing:
			// Flush what the loop queued before Close: a Release Complete
			// followed by Close must reach the peer.
			for {
				select {
				case frame := <-c.writes:
					if !c.writeFrame(frame, closeFlush) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// closeFlush bounds the writes still queued when a connection is closed.
const closeFlush = time.Second

func (c *Conn) writeFrame(frame []byte, timeout time.Duration) bool {
	_ = c.conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.conn.Write(frame); err != nil {
		if !errors.Is(err, net.ErrClosed) {
			c.loop.Log.Warn().Err(err).Stringer("remote", c.remote).Msg("tcp write")
		}
		c.Close()
		return false
	}
	return true
}

// Send frames payload (a Q.931 message) with TPKT and queues it.
func (c *Conn) Send(payload []byte) error {
	frame, err := q931.Frame(payload)
	if err != nil {
		return err
	}
	select {
	case <-c.closing:
		return net.ErrClosed
	default:
	}
	select {
	case c.writes <- frame:
		return nil
	default:
		c.loop.Log.Warn().Stringer("remote", c.remote).Msg("tcp peer not reading; dropping the connection")
		c.Close()
		return errors.New("realnet: write queue full")
	}
}

// Close ends the connection after the frames already queued are written
// (bounded by closeFlush). It is safe from any goroutine and idempotent.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closing)
	})
	return nil
}

// Listener accepts call-signalling connections.
type Listener struct {
	loop *Loop
	ln   *net.TCPListener
}

// ListenTCP binds addr and calls onAccept on the loop for each connection;
// onAccept sets the connection's handlers, and reading starts after it.
func ListenTCP(loop *Loop, addr netip.AddrPort, onAccept func(*Conn)) (*Listener, error) {
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
	if err != nil {
		return nil, err
	}
	l := &Listener{loop: loop, ln: ln}
	loop.own(ln)
	loop.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					loop.Log.Warn().Err(err).Msg("tcp accept")
					time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: do not spin
					continue
				}
				return
			}
			c := newConn(loop, nc)
			if !loop.Post(func() { onAccept(c); c.start() }) {
				c.Close()
				return
			}
		}
	})
	return l, nil
}

// Addr is the bound address.
func (l *Listener) Addr() netip.AddrPort { return addrPort(l.ln.Addr()) }

// Dial connects to addr in the background and calls done on the loop with
// the connection (reading starts after done returns) or the error.
func Dial(loop *Loop, addr netip.AddrPort, timeout time.Duration, done func(*Conn, error)) {
	loop.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		go func() {
			select {
			case <-loop.Done():
				cancel()
			case <-ctx.Done():
			}
		}()
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			loop.Post(func() { done(nil, err) })
			return
		}
		c := newConn(loop, nc)
		if !loop.Post(func() { done(c, nil); c.start() }) {
			c.Close()
		}
	})
}
