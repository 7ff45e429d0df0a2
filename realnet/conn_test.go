package realnet_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/realnet"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
)

// The host's loop, timers and TPKT connections, with scripted nodes (see
// host_test.go) and raw peers.

// TestHostTimersReplaceAndCancel: a timer set again with its ID replaces
// the pending one, a cancelled timer never fires, a timer is one per ID and
// node (another kind, another node: another timer), and a node may set a
// timer again from its firing.
func TestHostTimersReplaceAndCancel(t *testing.T) {
	log := &syncLog{}
	h := realnet.NewHost(zerolog.Nop(), nil)
	fired := func(name string, in node.Input) {
		if f, ok := in.(node.TimerFired); ok {
			log.add(fmt.Sprintf("%s fired %d/%d", name, f.ID.Kind, f.ID.Key))
		}
	}
	h.Add("a", loopback.Addr(), &scripted{name: "a", log: &syncLog{}, react: func(in node.Input) []node.Effect {
		fired("a", in)
		if _, ok := in.(node.Start); ok {
			return []node.Effect{
				node.SetTimer{ID: node.TimerID{Key: 1}, After: 10 * time.Millisecond},
				node.SetTimer{ID: node.TimerID{Key: 1}, After: 300 * time.Millisecond}, // replaces
				node.SetTimer{ID: node.TimerID{Key: 2}, After: 10 * time.Millisecond},
				node.CancelTimer{ID: node.TimerID{Key: 2}},
				node.CancelTimer{ID: node.TimerID{Key: 99}}, // unknown: harmless
				node.SetTimer{ID: node.TimerID{Kind: 1, Key: 1}, After: 20 * time.Millisecond},
				// The end of the test: well after a replaced timer would
				// have fired twice.
				node.SetTimer{ID: node.TimerID{Key: 3}, After: 600 * time.Millisecond},
			}
		}
		return nil
	}})
	h.Add("b", loopback.Addr(), &scripted{name: "b", log: &syncLog{}, react: func(in node.Input) []node.Effect {
		fired("b", in)
		if _, ok := in.(node.Start); ok {
			return []node.Effect{node.SetTimer{ID: node.TimerID{Key: 1}, After: 20 * time.Millisecond}}
		}
		return nil
	}})
	rearmed := 0
	h.Add("c", loopback.Addr(), &scripted{name: "c", log: &syncLog{}, react: func(in node.Input) []node.Effect {
		fired("c", in)
		switch in.(type) {
		case node.Start:
			return []node.Effect{node.SetTimer{ID: node.TimerID{Key: 5}, After: 5 * time.Millisecond}}
		case node.TimerFired:
			if rearmed++; rearmed < 3 {
				return []node.Effect{node.SetTimer{ID: node.TimerID{Key: 5}, After: 5 * time.Millisecond}}
			}
		}
		return nil
	}})
	got := run(t, h, log, contains("a fired 0/3"))
	// Wall-clock order between timers is not asserted: a loaded machine
	// may run them late. What must hold is which fire, and how often.
	for want, n := range map[string]int{"a fired 0/1": 1, "a fired 0/2": 0, "a fired 1/1": 1, "a fired 0/3": 1, "b fired 0/1": 1, "c fired 0/5": 3} {
		if c := strings.Count(got+"\n", want+"\n"); c != n {
			t.Errorf("%q %d times, want %d:\n%s", want, c, n, got)
		}
	}
}

// TestPostAfterShutdown: a closure posted to a running loop runs; once the
// loop is down, Post refuses, and so does a host's Deliver after Run.
func TestPostAfterShutdown(t *testing.T) {
	loop := realnet.NewLoop(zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = loop.Run(ctx); close(stopped) }()
	ran := make(chan struct{})
	if !loop.Post(func() { close(ran) }) {
		t.Fatal("Post refused by a running loop")
	}
	select {
	case <-ran:
	case <-time.After(testTimeout):
		t.Fatal("the posted closure did not run")
	}
	cancel()
	<-stopped
	if loop.Post(func() { t.Error("ran after shutdown") }) {
		t.Error("Post accepted after shutdown")
	}

	h := realnet.NewHost(zerolog.Nop(), nil)
	ref := h.Add("a", loopback.Addr(), &scripted{name: "a", log: &syncLog{}})
	hctx, hcancel := context.WithCancel(context.Background())
	hcancel()
	_ = h.Run(hctx)
	if h.Deliver(ref, node.Command{Cmd: "late"}) {
		t.Error("Deliver accepted after Run")
	}
}

// listener is a scripted node listening for TCP at addr; react adds to
// what it does.
func listener(name string, addr netip.AddrPort, log *syncLog, react func(in node.Input) []node.Effect) *scripted {
	return &scripted{name: name, log: log, react: func(in node.Input) []node.Effect {
		if _, ok := in.(node.Start); ok {
			return []node.Effect{node.Listen{Sock: 1, Addr: addr, Transport: node.TCP, Protocol: "q931"}}
		}
		if react != nil {
			return react(in)
		}
		return nil
	}}
}

// runWith runs the host while fn speaks to it, then stops it. fn starts
// once the node logged that it listens.
func runWith(t *testing.T, h *realnet.Host, log *syncLog, fn func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitLog(t, ctx, log, "listening err=<nil>")
	fn(ctx)
}

// waitLog waits until the log holds all of want.
func waitLog(t *testing.T, ctx context.Context, log *syncLog, want ...string) string {
	t.Helper()
	for !contains(want...)(log.String()) {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %q: %v\n%s", want, ctx.Err(), log.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return log.String()
}

// TestTPKTFraming: frames split across writes and several in one write
// reach the node one message each, an empty keep-alive frame none; a
// broken header closes the connection and the node gets Closed with
// ErrFraming.
func TestTPKTFraming(t *testing.T) {
	for _, tc := range []struct {
		name   string
		broken []byte
	}{
		{"version", []byte{4, 0, 0, 8, 1, 2, 3, 4}},
		{"reserved", []byte{3, 1, 0, 8, 1, 2, 3, 4}},
		{"short", []byte{3, 0, 0, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncLog{}
			h := realnet.NewHost(zerolog.Nop(), nil)
			addr := netip.AddrPortFrom(loopback.Addr(), 1720)
			h.Add("n", addr.Addr(), listener("n", addr, log, nil))
			runWith(t, h, log, func(ctx context.Context) {
				c, err := net.Dial("tcp", addr.String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				one, _ := q931.Frame([]byte{8, 2, 0, 1, 5})
				two, _ := q931.Frame([]byte{8, 2, 0x80, 1, 0x5a})
				empty, _ := q931.Frame(nil)
				for _, w := range [][]byte{one[:2], one[2:6], append(one[6:], two...), empty, tc.broken} {
					if _, err := c.Write(w); err != nil {
						t.Fatal(err)
					}
					time.Sleep(5 * time.Millisecond) // most likely separate segments
				}
				got := waitLog(t, ctx, log, "n closed")
				want := fmt.Sprintf("n message %q\nn message %q\nn closed err=%v reason=\"\"", []byte{8, 2, 0, 1, 5}, []byte{8, 2, 0x80, 1, 0x5a}, node.ErrFraming)
				if !strings.HasSuffix(got, want) {
					t.Errorf("node saw\n%s\nwant it to end with\n%s", got, want)
				}
				_ = c.SetReadDeadline(time.Now().Add(testTimeout / 2))
				if n, err := c.Read(make([]byte, 16)); err != io.EOF {
					t.Errorf("the connection stayed open: read %d, %v", n, err)
				}
			})
		})
	}
}

// TestSendFramesAndCloseFlushes: Send adds TPKT; Close sends what was
// sent before it and then ends the connection; a Send after Close goes
// nowhere, and the node hears nothing of a connection it closed.
func TestSendFramesAndCloseFlushes(t *testing.T) {
	log := &syncLog{}
	h := realnet.NewHost(zerolog.Nop(), nil)
	addr := netip.AddrPortFrom(loopback.Addr(), 1720)
	payload := []byte{8, 2, 0x80, 1, 0x5a}
	h.Add("n", addr.Addr(), listener("n", addr, log, func(in node.Input) []node.Effect {
		if a, ok := in.(node.Accepted); ok {
			return []node.Effect{node.Send{Conn: a.Conn, Payload: payload}, node.Close{Conn: a.Conn}, node.Send{Conn: a.Conn, Payload: []byte{1}}}
		}
		return nil
	}))
	runWith(t, h, log, func(ctx context.Context) {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(testTimeout / 2))
		rd := q931.NewReader(c, 0)
		if msg, err := rd.ReadMessage(); err != nil || string(msg) != string(payload) {
			t.Fatalf("read % x, %v; want % x", msg, err, payload)
		}
		if msg, err := rd.ReadMessage(); err != io.EOF {
			t.Errorf("after the flush: % x, %v; want the end of the connection", msg, err)
		}
	})
	if got := log.String(); strings.Contains(got, "closed") {
		t.Errorf("the node heard of the connection it closed:\n%s", got)
	}
}

// TestPeerNeverReads: a peer that reads nothing while the node sends is
// dropped once the write queue is full, not after a write timeout; the
// node gets Closed with ErrReset, and its loop runs on meanwhile. A peer
// that closes is reported as such (Closed without error).
func TestPeerNeverReads(t *testing.T) {
	_, svc, _ := testPKI(t)
	for _, tc := range []struct {
		transport node.Transport
		// dial connects a peer; bye closes it politely.
		dial func(t *testing.T, addr netip.AddrPort) (bye func())
	}{
		{node.TCP, func(t *testing.T, addr netip.AddrPort) func() {
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return func() { c.Close() }
		}},
		{node.WSS, func(t *testing.T, addr netip.AddrPort) func() {
			d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, HandshakeTimeout: testTimeout / 2}
			ws, _, err := d.Dial("wss://"+addr.String()+"/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ws.Close() })
			return func() {
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
				ws.Close()
			}
		}},
	} {
		t.Run(tc.transport.String(), func(t *testing.T) {
			log := &syncLog{}
			h := realnet.NewHost(zerolog.Nop(), nil)
			addr := netip.AddrPortFrom(loopback.Addr(), 8443)
			big := make([]byte, 60000)
			accepted := 0
			h.Add("n", addr.Addr(), &scripted{name: "n", log: log, react: func(in node.Input) []node.Effect {
				switch in := in.(type) {
				case node.Start:
					return []node.Effect{node.Listen{Sock: 1, Addr: addr, Transport: tc.transport, Path: "/ws",
						Security: &node.Security{Own: cred(svc)}}}
				case node.Accepted:
					if accepted++; accepted > 1 {
						return nil // the polite peer
					}
					// Far more than the kernel's buffers and the write
					// queue hold.
					out := []node.Effect{node.SetTimer{ID: node.TimerID{Key: 1}, After: 10 * time.Millisecond}}
					for range 1000 {
						out = append(out, node.Send{Conn: in.Conn, Payload: big})
					}
					return out
				}
				return nil
			}})
			runWith(t, h, log, func(ctx context.Context) {
				// Less than the write timeout: a stalled writer must not be
				// what ends the connection.
				ctx, cancel := context.WithTimeout(ctx, realnet.WriteTimeout*3/4)
				defer cancel()
				tc.dial(t, addr) // never reads
				waitLog(t, ctx, log, "n closed err="+node.ErrReset.Error(), "n timer 1")
				bye := tc.dial(t, addr)
				for strings.Count(log.String(), "n accepted") < 2 {
					select {
					case <-ctx.Done():
						t.Fatalf("second connection not accepted:\n%s", log.String())
					case <-time.After(5 * time.Millisecond):
					}
				}
				bye()
				waitLog(t, ctx, log, "n closed err=<nil>")
			})
		})
	}
}

// TestDialRefused: a dial to a port where nothing listens reports
// ErrRefused.
func TestDialRefused(t *testing.T) {
	l, err := net.Listen("tcp", netip.AddrPortFrom(loopback.Addr(), 1720).String())
	if err != nil {
		t.Fatal(err)
	}
	to := netip.MustParseAddrPort(l.Addr().String())
	l.Close()
	log := &syncLog{}
	h := realnet.NewHost(zerolog.Nop(), nil)
	h.Add("n", loopback.Addr(), &scripted{name: "n", log: log, react: func(in node.Input) []node.Effect {
		if _, ok := in.(node.Start); ok {
			return []node.Effect{node.Dial{Ref: 1, To: to, Transport: node.TCP}}
		}
		return nil
	}})
	got := run(t, h, log, contains("n dialled"))
	if want := "n dialled ref=1 err=" + node.ErrRefused.Error(); !strings.Contains(got, want) {
		t.Errorf("got\n%s\nwant %q", got, want)
	}
}

func BenchmarkPost(b *testing.B) {
	loop := realnet.NewLoop(zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = loop.Run(ctx); close(done) }()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		loop.Post(func() { n++ })
	}
	flushed := make(chan struct{})
	loop.Post(func() { close(flushed) })
	<-flushed
	cancel()
	<-done
}
