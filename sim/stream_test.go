package sim

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

var (
	pbxSig   = netip.MustParseAddrPort("10.0.0.1:1720")
	phoneAny = netip.MustParseAddrPort("10.1.0.1:0")
)

// endpoint records what one end of a stream saw.
type endpoint struct {
	conn   *Conn
	pieces [][]byte
	times  []time.Duration
	closed []error
	closes []time.Duration
}

func (e *endpoint) attach(l *Loop, c *Conn) {
	e.conn = c
	c.OnData(func(b []byte) {
		e.pieces = append(e.pieces, b)
		e.times = append(e.times, l.Now())
	})
	c.OnClose(func(err error) {
		e.closed = append(e.closed, err)
		e.closes = append(e.closes, l.Now())
	})
}

func (e *endpoint) bytes() []byte { return bytes.Join(e.pieces, nil) }

// connect dials from the phone to the PBX's signalling port and runs the
// loop until the dial has an answer.
func connect(t *testing.T, l *Loop, n *Network) (client, server *endpoint) {
	t.Helper()
	client, server = &endpoint{}, &endpoint{}
	if err := n.ListenStream(pbxSig, func(c *Conn) { server.attach(l, c) }); err != nil {
		t.Fatal(err)
	}
	var dialErr error
	done := false
	n.Dial(phoneAny, pbxSig, func(c *Conn, err error) {
		done, dialErr = true, err
		if c != nil {
			client.attach(l, c)
		}
	})
	for !done && l.Step() {
	}
	if !done || dialErr != nil {
		t.Fatalf("dial: done %v err %v", done, dialErr)
	}
	return client, server
}

func TestDialTakesOneRoundTrip(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 40 * time.Millisecond})
	var acceptedAt, connectedAt time.Duration
	var server, client *Conn
	n.ListenStream(pbxSig, func(c *Conn) {
		if server == nil {
			acceptedAt, server = l.Now(), c
		}
	})
	n.Dial(phoneAny, pbxSig, func(c *Conn, err error) {
		if err != nil {
			t.Errorf("dial: %v", err)
		}
		connectedAt, client = l.Now(), c
	})
	var second *Conn
	n.Dial(phoneAny, pbxSig, func(c *Conn, err error) { second = c })
	l.Run(time.Second)
	if acceptedAt != 40*time.Millisecond || connectedAt != 80*time.Millisecond {
		t.Fatalf("accepted at %v, connected at %v; want 40ms and 80ms", acceptedAt, connectedAt)
	}
	if client.LocalAddr().String() != "10.1.0.1:49152" || client.RemoteAddr() != pbxSig ||
		server.LocalAddr() != pbxSig || server.RemoteAddr() != client.LocalAddr() {
		t.Fatalf("addresses: client %v->%v server %v->%v", client.LocalAddr(), client.RemoteAddr(), server.LocalAddr(), server.RemoteAddr())
	}
	if second == nil || second.LocalAddr().Port() != 49153 {
		t.Fatalf("second dial did not get the next ephemeral port: %v", second)
	}
	if err := n.ListenStream(pbxSig, func(*Conn) {}); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second ListenStream: %v", err)
	}
}

func TestDialFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(n *Network)
		wantErr error
		wantAt  time.Duration
	}{
		{"refused", func(n *Network) { n.UnlistenStream(pbxSig) }, ErrRefused, 60 * time.Millisecond},
		{"refused on another port", func(n *Network) {
			n.UnlistenStream(pbxSig)
			n.ListenStream(netip.MustParseAddrPort("10.0.0.1:1300"), func(*Conn) {})
		}, ErrRefused, 60 * time.Millisecond},
		{"blocked port", func(n *Network) { n.BlockPort(pbxSig.Addr(), 1720) }, ErrTimeout, 3 * time.Second},
		{"link down", func(n *Network) {
			n.SetLink(pbxSig.Addr(), phoneAny.Addr(), LinkProfile{Down: true})
		}, ErrTimeout, 3 * time.Second},
		{"link fails during the handshake", func(n *Network) {
			n.Loop().At(10*time.Millisecond, func() { n.SetDefaultLink(LinkProfile{Down: true}) })
		}, ErrTimeout, 3 * time.Second},
		{"total loss", func(n *Network) {
			n.SetLink(pbxSig.Addr(), phoneAny.Addr(), LinkProfile{Loss: 1})
		}, ErrTimeout, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, n := newWorld(1, LinkProfile{Latency: 30 * time.Millisecond})
			n.ConnectTimeout = 3 * time.Second
			accepted := 0
			n.ListenStream(pbxSig, func(*Conn) { accepted++ })
			tt.setup(n)
			var gotErr error
			var gotAt time.Duration
			calls := 0
			n.Dial(phoneAny, pbxSig, func(c *Conn, err error) {
				calls++
				gotErr, gotAt = err, l.Now()
				if c != nil {
					t.Error("conn with an error")
				}
			})
			l.Run(time.Minute)
			if calls != 1 || !errors.Is(gotErr, tt.wantErr) || gotAt != tt.wantAt || accepted != 0 {
				t.Fatalf("calls %d err %v at %v accepted %d; want %v at %v", calls, gotErr, gotAt, accepted, tt.wantErr, tt.wantAt)
			}
		})
	}
}

func TestStreamInOrderUnderJitterAndSplitting(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			link := LinkProfile{Latency: 10 * time.Millisecond, Jitter: 30 * time.Millisecond, SplitProbability: 0.4, MaxSegment: 50}
			l, n := newWorld(seed, link)
			client, server := connect(t, l, n)
			var sent, reply []byte
			for i := range 300 {
				msg := bytes.Repeat([]byte{byte(i)}, 1+i%120) // 1..120 bytes
				sent = append(sent, msg...)
				l.After(time.Duration(i)*time.Millisecond, func() {
					if _, err := client.conn.Write(msg); err != nil {
						t.Error(err)
					}
				})
				back := []byte(fmt.Sprintf("<%d>", i))
				reply = append(reply, back...)
				l.After(time.Duration(i)*time.Millisecond, func() { server.conn.Write(back) })
			}
			l.Run(time.Minute)
			if !bytes.Equal(server.bytes(), sent) || !bytes.Equal(client.bytes(), reply) {
				t.Fatal("stream bytes reordered, lost or duplicated")
			}
			if len(server.pieces) <= 300 {
				t.Fatalf("%d pieces for 300 writes: nothing was split", len(server.pieces))
			}
			for _, p := range server.pieces {
				if len(p) == 0 || len(p) > link.MaxSegment {
					t.Fatalf("piece of %d bytes with MaxSegment %d", len(p), link.MaxSegment)
				}
			}
			if !slices.IsSorted(server.times) {
				t.Fatal("delivery times go backwards")
			}
		})
	}
}

func TestStreamDeterminism(t *testing.T) {
	run := func(seed uint64) ([]time.Duration, []int) {
		l, n := newWorld(seed, LinkProfile{Latency: 10 * time.Millisecond, Jitter: 20 * time.Millisecond, SplitProbability: 0.3, Loss: 0.1})
		client, server := connect(t, l, n)
		for i := range 100 {
			l.After(time.Duration(i)*time.Millisecond, func() { client.conn.Write(make([]byte, 40)) })
		}
		l.Run(time.Minute)
		var sizes []int
		for _, p := range server.pieces {
			sizes = append(sizes, len(p))
		}
		return server.times, sizes
	}
	t1, s1 := run(5)
	t2, s2 := run(5)
	t3, s3 := run(6)
	if !slices.Equal(t1, t2) || !slices.Equal(s1, s2) {
		t.Fatal("same seed, different stream schedule")
	}
	if slices.Equal(t1, t3) && slices.Equal(s1, s3) {
		t.Fatal("different seeds, same stream schedule")
	}
}

func TestStreamLossDelaysInsteadOfDropping(t *testing.T) {
	link := LinkProfile{Latency: 20 * time.Millisecond, Loss: 0.3}
	l, n := newWorld(8, link)
	client, server := connect(t, l, n)
	var sent []byte
	var writtenAt []time.Duration
	for i := range 200 {
		l.After(time.Duration(i)*10*time.Millisecond, func() {
			writtenAt = append(writtenAt, l.Now())
			client.conn.Write([]byte{byte(i)})
		})
		sent = append(sent, byte(i))
	}
	l.Run(time.Hour)
	if !bytes.Equal(server.bytes(), sent) {
		t.Fatal("a lossy stream lost or reordered data")
	}
	retransmitted := 0
	for i, at := range server.times {
		if d := at - writtenAt[i]; d > link.Latency {
			retransmitted++
		}
	}
	// About 30% of segments are lost at least once, and in-order delivery
	// holds back some that follow them.
	if retransmitted < 40 {
		t.Fatalf("only %d of 200 segments delayed on a 30%% loss link", retransmitted)
	}
}

func TestStreamClose(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond, Jitter: 50 * time.Millisecond, SplitProbability: 0.5})
	client, server := connect(t, l, n)
	client.conn.Write([]byte("release complete"))
	if err := client.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := client.conn.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := client.conn.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	l.Run(time.Second)
	if string(server.bytes()) != "release complete" {
		t.Fatalf("server got %q", server.bytes())
	}
	if len(server.closed) != 1 || server.closed[0] != nil || server.closes[0] < server.times[len(server.times)-1] {
		t.Fatalf("server close %v at %v, data until %v", server.closed, server.closes, server.times)
	}
	if len(client.closed) != 0 {
		t.Fatalf("the closing side was told: %v", client.closed)
	}
	if _, err := server.conn.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after peer's close: %v", err)
	}
}

func TestStreamBuffersUntilCallbacksAreSet(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond})
	var server *Conn
	n.ListenStream(pbxSig, func(c *Conn) { server = c }) // sets no callbacks yet
	n.Dial(phoneAny, pbxSig, func(c *Conn, err error) {
		c.Write([]byte("setup"))
		c.Write([]byte("facility"))
		c.Close()
	})
	l.Run(time.Second)
	rec := &endpoint{}
	l.At(2*time.Second, func() { rec.attach(l, server) })
	l.Run(3 * time.Second)
	if string(rec.bytes()) != "setupfacility" || len(rec.closed) != 1 || rec.closed[0] != nil {
		t.Fatalf("late callbacks got %q and close %v", rec.bytes(), rec.closed)
	}
	if rec.times[0] != 2*time.Second || rec.closes[0] != 2*time.Second {
		t.Fatalf("buffered data delivered at %v, close at %v; want 2s", rec.times, rec.closes)
	}
}

func TestStreamStallsWhileLinkDown(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond})
	client, server := connect(t, l, n)
	down := LinkProfile{Latency: 10 * time.Millisecond, Down: true}
	up := LinkProfile{Latency: 10 * time.Millisecond}
	l.At(time.Second, func() {
		client.conn.Write([]byte("in flight")) // sent before the outage: arrives
		n.SetLink(phoneAny.Addr(), pbxSig.Addr(), down)
		client.conn.Write([]byte(" held"))
		server.conn.Write([]byte("held too"))
	})
	l.At(2*time.Second, func() { client.conn.Write([]byte(" and this")) })
	l.At(5*time.Second, func() { n.SetLink(pbxSig.Addr(), phoneAny.Addr(), up) })
	// A second outage, during which the phone writes and closes: the close
	// waits behind the stalled data.
	l.At(6*time.Second, func() {
		n.SetDefaultLink(down)
		n.SetLink(pbxSig.Addr(), phoneAny.Addr(), down)
		client.conn.Write([]byte(" bye"))
		client.conn.Close()
	})
	l.At(8*time.Second, func() { n.ClearLink(pbxSig.Addr(), phoneAny.Addr()) }) // default still down
	l.At(9*time.Second, func() { n.SetDefaultLink(up) })
	l.Run(10 * time.Second)
	if string(server.bytes()) != "in flight held and this bye" || string(client.bytes()) != "held too" {
		t.Fatalf("server got %q, client got %q", server.bytes(), client.bytes())
	}
	ms := time.Millisecond
	wantTimes := []time.Duration{time.Second + 10*ms, 5*time.Second + 10*ms, 5*time.Second + 10*ms, 9*time.Second + 10*ms}
	if !slices.Equal(server.times, wantTimes) {
		t.Fatalf("server data at %v, want %v", server.times, wantTimes)
	}
	if len(server.closed) != 1 || server.closed[0] != nil || server.closes[0] != 9*time.Second+10*ms {
		t.Fatalf("server close %v at %v", server.closed, server.closes)
	}
	if len(n.stalled) != 0 {
		t.Fatalf("%d connections still stalled", len(n.stalled))
	}
}

func TestStreamStallTimeoutAbortsAndPeerIsReset(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond})
	n.StallTimeout = 4 * time.Second
	client, server := connect(t, l, n)
	l.At(time.Second, func() {
		n.SetLink(phoneAny.Addr(), pbxSig.Addr(), LinkProfile{Down: true})
		client.conn.Write([]byte("never arrives"))
	})
	l.At(20*time.Second, func() {
		n.ClearLink(phoneAny.Addr(), pbxSig.Addr())
		if _, err := server.conn.Write([]byte("are you there")); err != nil {
			t.Errorf("server write: %v", err)
		}
	})
	l.Run(time.Minute)
	if len(client.closed) != 1 || !errors.Is(client.closed[0], ErrTimeout) || client.closes[0] != 5*time.Second {
		t.Fatalf("client close %v at %v, want ErrTimeout at 5s", client.closed, client.closes)
	}
	if len(server.pieces) != 0 || len(client.pieces) != 0 {
		t.Fatalf("data crossed an aborted stream: server %q client %q", server.bytes(), client.bytes())
	}
	// The half-open server learns of the abort only by sending: a reset one
	// round trip later.
	if len(server.closed) != 1 || !errors.Is(server.closed[0], ErrReset) || server.closes[0] != 20*time.Second+20*time.Millisecond {
		t.Fatalf("server close %v at %v, want ErrReset at 20.02s", server.closed, server.closes)
	}
}

func TestStreamCloseArrivesWhileDataStalled(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond})
	n.StallTimeout = time.Second
	client, server := connect(t, l, n)
	l.At(time.Second, func() { client.conn.Close() }) // FIN in flight...
	l.At(time.Second+time.Millisecond, func() {
		n.SetDefaultLink(LinkProfile{Latency: 10 * time.Millisecond, Down: true}) // ...then the outage
		server.conn.Write([]byte("stalled"))
	})
	l.Run(time.Minute)
	if len(server.closed) != 1 || server.closed[0] != nil || server.closes[0] != time.Second+10*time.Millisecond {
		t.Fatalf("server close %v at %v, want nil at 1.01s (not a stall timeout)", server.closed, server.closes)
	}
	if len(n.stalled) != 0 || l.Pending() != 0 || len(client.pieces) != 0 {
		t.Fatalf("stalled %d pending timers %d client data %q", len(n.stalled), l.Pending(), client.bytes())
	}
}

func TestDropString(t *testing.T) {
	for d, want := range map[Drop]string{
		NotDropped: "delivered", DropNoListener: "no listener", DropBlocked: "port blocked",
		DropDown: "link down", DropLoss: "lost", Drop(42): "Drop(42)",
	} {
		if got := d.String(); got != want {
			t.Errorf("%d: %q, want %q", d, got, want)
		}
	}
}
