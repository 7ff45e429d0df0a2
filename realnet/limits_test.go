package realnet_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// limitsHost is a host with one TCP listener node and lim.
func limitsHost(t *testing.T, lim realnet.Limits, logTo io.Writer) (*realnet.Host, *syncLog, netip.AddrPort) {
	t.Helper()
	log := &syncLog{}
	lg := zerolog.Nop()
	if logTo != nil {
		lg = zerolog.New(logTo)
	}
	h := realnet.NewHost(lg, nil)
	h.Limits = lim
	addr := netip.AddrPortFrom(loopback.Addr(), 1720)
	h.Add("n", addr.Addr(), listener("n", addr, log, nil))
	return h, log, addr
}

// closedWithin reports whether the peer closed c within d (a read sees
// EOF or a reset rather than the deadline).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 64))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestIdleTimeoutDropsHalfOpen: a connection that never sends a message
// (half-open, or only keep-alives) is closed after IdleTimeout, and its
// slot is given back; one that delivered a message is not (a call).
func TestIdleTimeoutDropsHalfOpen(t *testing.T) {
	lim := realnet.DefaultLimits()
	lim.IdleTimeout = 300 * time.Millisecond
	h, log, addr := limitsHost(t, lim, nil)
	runWith(t, h, log, func(ctx context.Context) {
		silent, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		keepalive, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer keepalive.Close()
		talker, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer talker.Close()
		if _, err := talker.Write([]byte{3, 0, 0, 9, 8, 2, 0, 1, 5}); err != nil {
			t.Fatal(err)
		}
		waitLog(t, ctx, log, "n message")
		go func() { // empty TPKTs keep a connection alive but are no message
			for range 10 {
				if _, err := keepalive.Write([]byte{3, 0, 0, 4}); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		if !closedWithin(silent, 5*time.Second) {
			t.Error("a silent connection outlived the idle timeout")
		}
		if !closedWithin(keepalive, 5*time.Second) {
			t.Error("keep-alives alone kept a connection past the idle timeout")
		}
		if closedWithin(talker, time.Second) {
			t.Error("a connection that carried a message was closed for idling")
		}
		for deadline := time.Now().Add(5 * time.Second); h.AcceptedConns() != 1; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d accepted connections held, want 1", h.AcceptedConns())
			}
		}
	})
}

// TestReadTimeoutDropsSlowloris: a frame trickled a byte at a time is
// dropped after ReadTimeout, however steadily it trickles.
func TestReadTimeoutDropsSlowloris(t *testing.T) {
	lim := realnet.DefaultLimits()
	lim.IdleTimeout = 0 // only the read timeout
	lim.ReadTimeout = 400 * time.Millisecond
	h, log, addr := limitsHost(t, lim, nil)
	runWith(t, h, log, func(ctx context.Context) {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		frame := append([]byte{3, 0, 0x10, 0}, make([]byte, 4092)...)
		start := time.Now()
		for _, b := range frame {
			if _, err := c.Write([]byte{b}); err != nil {
				break // closed under us: dropped
			}
			if time.Since(start) > 5*time.Second {
				t.Fatal("a trickled frame was held for 5 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !closedWithin(c, 5*time.Second) {
			t.Fatal("the slowloris connection stayed open")
		}
		if strings.Contains(log.String(), "n message") {
			t.Error("a trickled frame reached the node")
		}
	})
}

// TestConnectionCaps: the connection over MaxConnsPerIP (then over
// MaxConns) is closed at once; those under the cap stay.
func TestConnectionCaps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		total, per int
	}{{"per-ip", 0, 3}, {"total", 3, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			lim := realnet.DefaultLimits()
			lim.MaxConns, lim.MaxConnsPerIP = tc.total, tc.per
			var logBuf syncBuffer
			h, log, addr := limitsHost(t, lim, &logBuf)
			runWith(t, h, log, func(ctx context.Context) {
				var held []net.Conn
				defer func() {
					for _, c := range held {
						c.Close()
					}
				}()
				for range 3 {
					c, err := net.Dial("tcp", addr.String())
					if err != nil {
						t.Fatal(err)
					}
					held = append(held, c)
				}
				for deadline := time.Now().Add(5 * time.Second); h.AcceptedConns() != 3; time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%d accepted, want 3", h.AcceptedConns())
					}
				}
				extra, err := net.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				defer extra.Close()
				if !closedWithin(extra, 5*time.Second) {
					t.Fatal("the connection over the cap was kept")
				}
				for i, c := range held {
					if closedWithin(c, 50*time.Millisecond) {
						t.Errorf("connection %d under the cap was closed", i)
					}
				}
				if !strings.Contains(logBuf.String(), "too many connections") {
					t.Errorf("no log line names the cap: %s", logBuf.String())
				}
			})
		})
	}
}

// TestOversizedTPKTCloses: a frame longer than MaxTPKT closes the
// connection before its body is read; the node hears ErrFraming.
func TestOversizedTPKTCloses(t *testing.T) {
	lim := realnet.DefaultLimits()
	lim.MaxTPKT = 1024
	h, log, addr := limitsHost(t, lim, nil)
	runWith(t, h, log, func(ctx context.Context) {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte{3, 0, 0x08, 0x01, 8, 2, 0, 1}); err != nil { // 2049 bytes announced
			t.Fatal(err)
		}
		waitLog(t, ctx, log, "n closed err="+node.ErrFraming.Error())
		if !closedWithin(c, 5*time.Second) {
			t.Fatal("the connection stayed open")
		}
	})
}

// TestJunkDatagramFlood: 100,000 junk datagrams from a stranger cost a
// bounded trace (TraceBurst per window), a bounded number of log lines
// and bounded memory; the node still gets them (its core decides).
func TestJunkDatagramFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of 100,000 datagrams")
	}
	const count = 100_000
	var logBuf syncBuffer
	h := realnet.NewHost(zerolog.New(&logBuf), nil)
	h.Limits.TraceBurst = 50
	h.Describe = map[string]realnet.Describer{"ras": func([]byte) (string, []timeline.Attr, bool) {
		return "ras.junk", nil, true
	}}
	addr := netip.AddrPortFrom(loopback.Addr(), 1719)
	var mu sync.Mutex
	got := 0
	h.Add("n", addr.Addr(), funcNode(func(now time.Time, in node.Input) []node.Effect {
		switch in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 1, Addr: addr, Transport: node.UDP, Protocol: "ras"}}
		case node.Datagram:
			mu.Lock()
			got++
			mu.Unlock()
		case node.Stop:
			return []node.Effect{node.Done{}}
		}
		return nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var c *net.UDPConn
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var err error
		if c, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr)); err == nil {
			if _, err = c.Write([]byte("probe")); err == nil {
				mu.Lock()
				n := got
				mu.Unlock()
				if n > 0 {
					break
				}
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("the node never got a datagram")
		}
	}
	defer c.Close()
	junk := bytes.Repeat([]byte{0xff}, 64)
	for i := range count {
		junk[0] = byte(i)
		_, _ = c.Write(junk)
		if i%2000 == 0 {
			time.Sleep(time.Millisecond) // let the reader keep up; drops are the kernel's, not ours
		}
	}
	time.Sleep(300 * time.Millisecond)
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	cancel()
	<-done
	mu.Lock()
	delivered := got
	mu.Unlock()
	recorded := h.Timeline().Len()
	lines := strings.Count(logBuf.String(), "\n")
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("delivered %d of %d, recorded %d events, %d log lines, heap grew %d KiB, UDP buffer granted %d",
		delivered, count+1, recorded, lines, grew/1024, h.UDPReceiveBuffer())
	if delivered < count/10 {
		t.Errorf("only %d datagrams reached the node", delivered)
	}
	if recorded > 2*50 { // a run under two windows of 10 s
		t.Errorf("%d events recorded, want at most %d", recorded, 2*50)
	}
	if lines > 10 {
		t.Errorf("%d log lines:\n%s", lines, logBuf.String())
	}
	if grew > 16<<20 {
		t.Errorf("heap grew by %d MiB", grew>>20)
	}
	if !strings.Contains(logBuf.String(), `"dropped"`) {
		t.Errorf("the dropped trace events are not counted in the log:\n%s", logBuf.String())
	}
}

// TestLimitsFlags: every limit is a flag, with the defaults documented.
func TestLimitsFlags(t *testing.T) {
	lim := realnet.DefaultLimits()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	lim.AddFlags(fs)
	if err := fs.Parse([]string{"--max-conns=7", "--max-conns-per-ip=2", "--idle-timeout=3s", "--read-timeout=4s",
		"--max-tpkt=2000", "--udp-rcvbuf=1024", "--log-interval=1s", "--trace-burst=9"}); err != nil {
		t.Fatal(err)
	}
	want := realnet.Limits{MaxConns: 7, MaxConnsPerIP: 2, IdleTimeout: 3 * time.Second, ReadTimeout: 4 * time.Second,
		MaxTPKT: 2000, UDPReceiveBuffer: 1024, LogInterval: time.Second, TraceBurst: 9}
	if lim != want {
		t.Errorf("flags gave %+v, want %+v", lim, want)
	}
	if err := lim.Check(); err != nil {
		t.Error(err)
	}
	lim.MaxTPKT = 70000
	if lim.Check() == nil {
		t.Error("--max-tpkt 70000 passed the check")
	}
}

// funcNode is a node that is one function.
type funcNode func(now time.Time, in node.Input) []node.Effect

func (f funcNode) Handle(now time.Time, in node.Input) []node.Effect { return f(now, in) }

// syncBuffer is a log sink safe from the host's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
