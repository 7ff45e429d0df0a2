package realnet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/q931"

	"github.com/rs/zerolog"
)

// runLoop runs loop until the returned stop is called; stop waits for Run.
func runLoop(t *testing.T, loop *Loop) (stop func()) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	var wg sync.WaitGroup
	wg.Go(func() { _ = loop.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

// onLoop runs fn on the loop and waits for it.
func onLoop(loop *Loop, fn func()) {
	done := make(chan struct{})
	if loop.Post(func() { fn(); close(done) }) {
		<-done
	}
}

func TestTimersReplaceAndCancel(t *testing.T) {
	loop := NewLoop(testLog(t))
	stop := runLoop(t, loop)
	defer stop()
	timers := NewTimers[string](loop)
	fired := make(chan string, 8)
	onLoop(loop, func() {
		timers.Set("a", 50*time.Millisecond, func() { fired <- "a-old" })
		timers.Set("a", 20*time.Millisecond, func() { fired <- "a" }) // replaces
		timers.Set("b", 10*time.Millisecond, func() { fired <- "b" })
		timers.Set("c", 10*time.Millisecond, func() { fired <- "c" })
		timers.Cancel("c")
		timers.Cancel("unknown")
	})
	// Wait for the two that must fire (however loaded the machine), then a
	// little longer for any that must not.
	var got []string
	deadline := time.After(5 * time.Second)
	var grace <-chan time.Time
collect:
	for {
		select {
		case f := <-fired:
			got = append(got, f)
			if len(got) == 2 {
				grace = time.After(100 * time.Millisecond)
			}
		case <-grace:
			break collect
		case <-deadline:
			break collect
		}
	}
	// Wall-clock order between timers is not asserted: a loaded machine
	// may run them late. What must hold: the replaced and the cancelled
	// timer never fire, the others once.
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("fired %v, want a and b", got)
	}
	onLoop(loop, func() {
		if n := timers.Pending(); n != 0 {
			t.Errorf("%d timers pending after firing", n)
		}
	})
}

func TestPostAfterShutdown(t *testing.T) {
	loop := NewLoop(zerolog.Nop())
	stop := runLoop(t, loop)
	ran := false
	onLoop(loop, func() { ran = true })
	stop()
	if !ran {
		t.Fatal("posted closure did not run")
	}
	if loop.Post(func() { t.Error("ran after shutdown") }) {
		t.Error("Post accepted after shutdown")
	}
}

// TestConnFraming sends TPKT frames split across writes, several in one
// write and an empty keep-alive frame, then a broken header.
func TestConnFraming(t *testing.T) {
	base := runtime.NumGoroutine()
	loop := NewLoop(testLog(t))
	got := make(chan []byte, 8)
	closed := make(chan error, 1)
	ln, err := ListenTCP(loop, netip.MustParseAddrPort("127.0.0.1:0"), func(c *Conn) {
		c.OnMessage(func(p []byte) { got <- p })
		c.OnClose(func(err error) { closed <- err })
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runLoop(t, loop)
	defer func() { stop(); settle(t, base) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	one, _ := q931.Frame([]byte{8, 2, 0, 1, 5})
	two, _ := q931.Frame([]byte{8, 2, 0x80, 1, 0x5a})
	empty, _ := q931.Frame(nil)
	writes := [][]byte{one[:2], one[2:6], append(one[6:], two...), empty, {3, 0, 0, 2}} // the last: length 2 < 4
	for _, w := range writes {
		if _, err := c.Write(w); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // separate TCP segments
	}
	want := [][]byte{{8, 2, 0, 1, 5}, {8, 2, 0x80, 1, 0x5a}, {}}
	for i, w := range want {
		select {
		case p := <-got:
			if string(p) != string(w) {
				t.Errorf("message %d: % x, want % x", i, p, w)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("message %d not received", i)
		}
	}
	select {
	case err := <-closed:
		if !errors.Is(err, q931.ErrTPKTShort) {
			t.Errorf("closed with %v, want a TPKT error", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a broken TPKT stream did not close the connection")
	}
}

// TestConnSendFrames checks that Send adds TPKT and that Close flushes.
func TestConnSendFrames(t *testing.T) {
	loop := NewLoop(testLog(t))
	ln, err := ListenTCP(loop, netip.MustParseAddrPort("127.0.0.1:0"), func(c *Conn) {
		_ = c.Send([]byte{8, 2, 0x80, 1, 0x5a})
		c.Close()
		if err := c.Send([]byte{1}); err == nil {
			t.Error("Send after Close accepted")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := runLoop(t, loop)
	defer stop()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	rd := q931.NewReader(c, 0)
	msg, err := rd.ReadMessage()
	if err != nil || string(msg) != string([]byte{8, 2, 0x80, 1, 0x5a}) {
		t.Fatalf("read % x, %v", msg, err)
	}
	if _, err := rd.ReadMessage(); err == nil {
		t.Error("connection not closed after the flush")
	}
}

func TestDialRefused(t *testing.T) {
	// A port that was just free: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(l.Addr().String())
	l.Close()
	loop := NewLoop(testLog(t))
	stop := runLoop(t, loop)
	defer stop()
	result := make(chan error, 1)
	Dial(loop, addr, time.Second, func(c *Conn, err error) { result <- err })
	select {
	case err := <-result:
		if err == nil {
			t.Error("dial to a closed port succeeded")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("dial did not report")
	}
}

func BenchmarkPost(b *testing.B) {
	loop := NewLoop(zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = loop.Run(ctx) })
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		loop.Post(func() { n++ })
	}
	onLoop(loop, func() {})
	cancel()
	wg.Wait()
}
