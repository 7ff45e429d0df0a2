package realnet

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// Limits bound what strangers on a real network can make the driver hold:
// connections, time, frame sizes, log lines and trace events. The defaults
// (DefaultLimits) suit one phone or one PBX facing an open network; the
// commands expose every field as a flag (AddFlags), so that phonesim,
// pbxsim serve and pushsim share names and defaults. A zero field means
// "no limit" except where said.
type Limits struct {
	// MaxConns caps the concurrent accepted connections of the host, all
	// listeners together; MaxConnsPerIP those from one source address. A
	// connection over either cap is closed as soon as it is accepted
	// (before any TLS handshake), so a flood cannot reach the fd limit and
	// starve the honest peer's connections.
	MaxConns, MaxConnsPerIP int
	// IdleTimeout closes an accepted signalling connection that delivered
	// no message yet (half-open, a scan, a Setup that never comes). Once a
	// message arrived the connection belongs to a call and lasts as long as
	// its node keeps it: calls last hours without a message, and H.225.0
	// keep-alives (empty TPKTs, which do not count as a message) are
	// optional.
	IdleTimeout time.Duration
	// ReadTimeout bounds the arrival of one TPKT frame once its first byte
	// came, on every signalling connection: a peer trickling a frame a byte
	// at a time (slowloris) is dropped after it.
	ReadTimeout time.Duration
	// MaxTPKT is the largest TPKT frame accepted, header included (at most
	// 65535, the field's range); a longer one closes the connection
	// (node.ErrFraming). 0 = 65535.
	MaxTPKT int
	// UDPReceiveBuffer is asked of the kernel for each UDP socket (bytes),
	// so that a burst (a registration storm) is not dropped before the loop
	// reads it. Linux caps it at net.core.rmem_max (often 208 KiB): the host
	// logs once what it was granted when that is less; raise it with
	// `sysctl -w net.core.rmem_max=8388608`. 0 = the system's default.
	UDPReceiveBuffer int
	// LogInterval is the window of the rate-limited log: per cause and
	// source address the first line of a window is written, the others are
	// counted and summed up in one line when the next window starts.
	LogInterval time.Duration
	// TraceBurst is how many received messages per source IP and
	// destination address the host records (and so prints and keeps) per LogInterval
	// from peers it does not run; the others are counted in the log. It
	// bounds the trace a flood of junk or forgeries makes. 0 = no bound.
	TraceBurst int
}

// DefaultLimits are the limits of a Host made by NewHost.
func DefaultLimits() Limits {
	return Limits{
		MaxConns:         1024,
		MaxConnsPerIP:    64,
		IdleTimeout:      15 * time.Second,
		ReadTimeout:      10 * time.Second,
		MaxTPKT:          32 << 10,
		UDPReceiveBuffer: 4 << 20,
		LogInterval:      10 * time.Second,
		TraceBurst:       200,
	}
}

// AddFlags defines the limits as flags of fs, with l's values as defaults;
// the flags write into l.
func (l *Limits) AddFlags(fs *flag.FlagSet) {
	fs.IntVar(&l.MaxConns, "max-conns", l.MaxConns, "most concurrent accepted connections (0: no cap)")
	fs.IntVar(&l.MaxConnsPerIP, "max-conns-per-ip", l.MaxConnsPerIP, "most concurrent accepted connections from one address (0: no cap)")
	fs.DurationVar(&l.IdleTimeout, "idle-timeout", l.IdleTimeout, "close an accepted connection that sent no message for this long (0: never)")
	fs.DurationVar(&l.ReadTimeout, "read-timeout", l.ReadTimeout, "drop a connection whose frame takes longer than this to arrive (0: never)")
	fs.IntVar(&l.MaxTPKT, "max-tpkt", l.MaxTPKT, "largest TPKT frame accepted, in bytes (at most 65535)")
	fs.IntVar(&l.UDPReceiveBuffer, "udp-rcvbuf", l.UDPReceiveBuffer, "UDP receive buffer to ask for, in bytes (capped by net.core.rmem_max)")
	fs.DurationVar(&l.LogInterval, "log-interval", l.LogInterval, "rate-limited log window: one line per cause and source per window")
	fs.IntVar(&l.TraceBurst, "trace-burst", l.TraceBurst, "messages recorded per foreign source per --log-interval (0: all)")
}

// Check reports a limit out of its range.
func (l *Limits) Check() error {
	switch {
	case l.MaxConns < 0 || l.MaxConnsPerIP < 0 || l.UDPReceiveBuffer < 0 || l.TraceBurst < 0:
		return fmt.Errorf("--max-conns, --max-conns-per-ip, --udp-rcvbuf and --trace-burst must not be negative")
	case l.IdleTimeout < 0 || l.ReadTimeout < 0:
		return fmt.Errorf("--idle-timeout and --read-timeout must not be negative")
	case l.MaxTPKT < 0 || l.MaxTPKT > 0xffff:
		return fmt.Errorf("--max-tpkt %d: want 0..65535", l.MaxTPKT)
	case l.LogInterval <= 0:
		return fmt.Errorf("--log-interval must be positive")
	}
	return nil
}

// guard keeps the counters behind Limits; safe from any goroutine.
type guard struct {
	lim Limits
	log zerolog.Logger

	mu    sync.Mutex
	conns int
	perIP map[netip.Addr]int

	rcvbufOnce sync.Once
	// Granted is the UDP receive buffer the kernel gave the first socket.
	granted int

	logs   windowCounter // (cause, source) → lines this window
	traces windowCounter // (source, destination) → events this window
}

func newGuard(lim Limits, log zerolog.Logger) *guard {
	if lim.LogInterval <= 0 {
		lim.LogInterval = DefaultLimits().LogInterval
	}
	return &guard{lim: lim, log: log, perIP: map[netip.Addr]int{}}
}

// admit takes a connection slot for a peer at ip, or reports which cap is
// reached.
func (g *guard) admit(ip netip.Addr) (ok bool, why string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.lim.MaxConns > 0 && g.conns >= g.lim.MaxConns:
		return false, "too many connections"
	case g.lim.MaxConnsPerIP > 0 && g.perIP[ip] >= g.lim.MaxConnsPerIP:
		return false, "too many connections from one address"
	}
	g.conns++
	g.perIP[ip]++
	return true, ""
}

func (g *guard) release(ip netip.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.conns--
	if g.perIP[ip]--; g.perIP[ip] <= 0 {
		delete(g.perIP, ip)
	}
}

// Conns is the number of accepted connections held now.
func (g *guard) Conns() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.conns
}

// warn writes a line for cause about a peer, at most one per cause and
// source address per LogInterval; the lines held back are counted in the
// next one.
func (g *guard) warn(cause string, from netip.AddrPort, err error) {
	if n, ok := g.logs.take(time.Now(), g.lim.LogInterval, cause+" "+from.Addr().String(), 1, g.flushLogs); ok {
		ev := g.log.Warn().Str("from", from.String())
		if err != nil {
			ev = ev.Err(err)
		}
		if n > 0 {
			ev = ev.Int("suppressed", n)
		}
		ev.Msg(cause)
	}
}

func (g *guard) flushLogs(key string, held int) {
	g.log.Warn().Int("suppressed", held).Msg(key + " (lines held back in the last window)")
}

// trace reports whether a message from a peer the host does not run may
// be recorded: TraceBurst per (source IP, destination) per LogInterval.
func (g *guard) trace(from, to netip.AddrPort) bool {
	if g.lim.TraceBurst <= 0 {
		return true
	}
	// By source IP: a stranger's fresh source ports share its budget.
	_, ok := g.traces.take(time.Now(), g.lim.LogInterval, from.Addr().String()+" > "+to.String(), g.lim.TraceBurst, g.flushTraces)
	return ok
}

func (g *guard) flushTraces(key string, held int) {
	g.log.Warn().Int("dropped", held).Str("path", key).Msg("messages from a foreign peer not recorded (--trace-burst)")
}

// maxWindowKeys bounds the keys a window counts one by one; beyond it the
// rest share one key, so a flood from many source ports costs a bounded
// map.
const maxWindowKeys = 1024

// windowCounter counts events per key in fixed windows. When a window ends
// it reports (flush) each key whose events were held back, then forgets
// every key: its memory is bounded by maxWindowKeys.
type windowCounter struct {
	mu    sync.Mutex
	start time.Time
	keys  map[string]*windowCount
}

type windowCount struct{ seen, held, pending int }

// take counts one event of key: ok when it is among the first burst of
// the window. n is how many of the key's events were held back since the
// last one let through (in this window).
func (w *windowCounter) take(now time.Time, every time.Duration, key string, burst int, flush func(string, int)) (n int, ok bool) {
	w.mu.Lock()
	var report []func()
	if w.keys == nil || now.Sub(w.start) >= every {
		for k, c := range w.keys {
			if c.pending > 0 {
				k, held := k, c.pending
				report = append(report, func() { flush(k, held) })
			}
		}
		w.start, w.keys = now, map[string]*windowCount{}
	}
	c := w.keys[key]
	if c == nil {
		if len(w.keys) >= maxWindowKeys {
			key = "(others)"
			c = w.keys[key]
		}
		if c == nil {
			c = &windowCount{}
			w.keys[key] = c
		}
	}
	c.seen++
	if c.seen <= burst {
		n, ok = c.pending, true
		c.pending = 0
	} else {
		c.held++
		c.pending++
	}
	w.mu.Unlock()
	for _, r := range report {
		r()
	}
	return n, ok
}

// flush reports what every key held back (at the end of a run).
func (w *windowCounter) flush(fn func(string, int)) {
	w.mu.Lock()
	keys := w.keys
	w.keys = nil
	w.mu.Unlock()
	for k, c := range keys {
		if c.pending > 0 {
			fn(k, c.pending)
		}
	}
}

// sizeUDP asks the kernel for the receive buffer and logs once what it
// granted when that is less (Linux reports twice the usable size it
// grants, and caps the request at net.core.rmem_max).
func (g *guard) sizeUDP(c *net.UDPConn) {
	want := g.lim.UDPReceiveBuffer
	if want <= 0 {
		return
	}
	_ = c.SetReadBuffer(want)
	got := receiveBuffer(c)
	g.rcvbufOnce.Do(func() {
		g.mu.Lock()
		g.granted = got
		g.mu.Unlock()
		if got > 0 && got < want {
			g.log.Warn().Int("asked", want).Int("granted", got).
				Msg("UDP receive buffer capped by the kernel; raise net.core.rmem_max for bursts")
		}
	})
}

// receiveBuffer is SO_RCVBUF of c as the kernel reports it (0 unknown).
func receiveBuffer(c *net.UDPConn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	size := 0
	_ = rc.Control(func(fd uintptr) {
		size, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	return size
}

// limitListener applies the connection caps to a listener's accepted
// connections: one over a cap is closed at once and not returned.
type limitListener struct {
	net.Listener
	g *guard
}

func (l limitListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		from := addrOf(nc.RemoteAddr())
		if ok, why := l.g.admit(from.Addr()); !ok {
			nc.Close()
			l.g.warn(why, from, nil)
			continue
		}
		return &countedConn{Conn: nc, g: l.g, ip: from.Addr()}, nil
	}
}

// countedConn gives its slot back once closed.
type countedConn struct {
	net.Conn
	g    *guard
	ip   netip.Addr
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.g.release(c.ip) })
	return err
}

// deadlineConn arms the read deadlines of a TPKT reader: before a frame
// the idle deadline (none once a message arrived), and from a frame's
// first byte the read deadline, which later bytes do not extend and which
// never outlives the idle deadline (a trickle is no way around it).
type deadlineConn struct {
	net.Conn
	idle, read time.Duration
	inFrame    bool
	spoke      bool      // a message arrived: the idle timeout no longer applies
	idleAt     time.Time // the idle deadline armed at the last boundary
}

// between is called at a frame boundary; message tells whether the frame
// just read carried a message (not an empty keep-alive).
func (d *deadlineConn) between(message bool) {
	d.inFrame = false
	d.spoke = d.spoke || message
	d.idleAt = time.Time{}
	if d.idle > 0 && !d.spoke {
		d.idleAt = time.Now().Add(d.idle)
	}
	_ = d.Conn.SetReadDeadline(d.idleAt)
}

func (d *deadlineConn) Read(p []byte) (int, error) {
	n, err := d.Conn.Read(p)
	if n > 0 && !d.inFrame {
		d.inFrame = true
		if d.read > 0 {
			dl := time.Now().Add(d.read)
			if !d.idleAt.IsZero() && d.idleAt.Before(dl) {
				dl = d.idleAt
			}
			_ = d.Conn.SetReadDeadline(dl)
		}
	}
	return n, err
}
