package sim

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	pbxRAS   = netip.MustParseAddrPort("10.0.0.1:1719")
	phoneRAS = netip.MustParseAddrPort("10.1.0.1:1719")
	deskRAS  = netip.MustParseAddrPort("10.1.0.2:1719")
)

// arrival is one delivered datagram as a receiver saw it.
type arrival struct {
	at      time.Duration
	from    netip.AddrPort
	payload string
}

func newWorld(seed uint64, link LinkProfile) (*Loop, *Network) {
	l := NewLoop()
	return l, NewNetwork(l, NewRand(seed), link)
}

func listen(t *testing.T, n *Network, addr netip.AddrPort) *[]arrival {
	t.Helper()
	var got []arrival
	if err := n.ListenUDP(addr, func(from netip.AddrPort, p []byte) {
		got = append(got, arrival{n.Loop().Now(), from, string(p)})
	}); err != nil {
		t.Fatal(err)
	}
	return &got
}

func TestUDPDeliveryAfterLatency(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 20 * time.Millisecond})
	got := listen(t, n, pbxRAS)
	buf := []byte("rrq")
	l.At(time.Second, func() {
		if !n.SendUDP(phoneRAS, pbxRAS, buf) {
			t.Error("datagram dropped on a clean link")
		}
		buf[0] = 'X' // the network must have copied the payload
	})
	l.Run(2 * time.Second)
	want := []arrival{{time.Second + 20*time.Millisecond, phoneRAS, "rrq"}}
	if !slices.Equal(*got, want) {
		t.Fatalf("got %v, want %v", *got, want)
	}
	if err := n.ListenUDP(pbxRAS, nil); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second ListenUDP: %v", err)
	}
}

func TestUDPDrops(t *testing.T) {
	tests := []struct {
		name  string
		setup func(n *Network)
		to    netip.AddrPort
		want  Drop
	}{
		{"clean", func(n *Network) {}, pbxRAS, NotDropped},
		{"no listener on port", func(n *Network) {}, netip.MustParseAddrPort("10.0.0.1:1718"), DropNoListener},
		{"no such address", func(n *Network) {}, netip.MustParseAddrPort("10.0.0.9:1719"), DropNoListener},
		{"blocked port", func(n *Network) { n.BlockPort(pbxRAS.Addr(), 1719) }, pbxRAS, DropBlocked},
		{"blocked then unblocked", func(n *Network) {
			n.BlockPort(pbxRAS.Addr(), 1719)
			n.BlockPort(pbxRAS.Addr(), 1719)
			n.UnblockPort(pbxRAS.Addr(), 1719)
		}, pbxRAS, NotDropped},
		{"other port blocked", func(n *Network) { n.BlockPort(pbxRAS.Addr(), 1720) }, pbxRAS, NotDropped},
		{"pair down", func(n *Network) {
			n.SetLink(pbxRAS.Addr(), phoneRAS.Addr(), LinkProfile{Down: true})
		}, pbxRAS, DropDown},
		{"default down", func(n *Network) { n.SetDefaultLink(LinkProfile{Down: true}) }, pbxRAS, DropDown},
		{"pair override beats default", func(n *Network) {
			n.SetDefaultLink(LinkProfile{Down: true})
			n.SetLink(phoneRAS.Addr(), pbxRAS.Addr(), LinkProfile{Latency: time.Millisecond})
		}, pbxRAS, NotDropped},
		{"override cleared", func(n *Network) {
			n.SetLink(phoneRAS.Addr(), pbxRAS.Addr(), LinkProfile{Down: true})
			n.ClearLink(pbxRAS.Addr(), phoneRAS.Addr())
		}, pbxRAS, NotDropped},
		{"total loss", func(n *Network) {
			n.SetLink(pbxRAS.Addr(), phoneRAS.Addr(), LinkProfile{Loss: 1})
		}, pbxRAS, DropLoss},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond})
			got := listen(t, n, pbxRAS)
			tt.setup(n)
			if d := n.SendDatagram(phoneRAS, tt.to, []byte("x")); d != tt.want {
				t.Fatalf("SendDatagram = %v, want %v", d, tt.want)
			}
			l.Run(time.Second)
			if delivered := len(*got) == 1; delivered != (tt.want == NotDropped) {
				t.Fatalf("delivered %d datagrams, verdict %v", len(*got), tt.want)
			}
		})
	}
}

func TestUDPListenerGoneInFlight(t *testing.T) {
	l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond})
	got := listen(t, n, pbxRAS)
	if !n.SendUDP(phoneRAS, pbxRAS, []byte("x")) {
		t.Fatal("dropped")
	}
	n.UnlistenUDP(pbxRAS)
	l.Run(time.Second)
	if len(*got) != 0 {
		t.Fatal("delivered to a closed listener")
	}
	if n.SendUDP(phoneRAS, pbxRAS, []byte("x")) {
		t.Fatal("carried to a closed listener")
	}
}

func TestUDPLinkChangeAtRunTime(t *testing.T) {
	// A timed action (`network: {device: alice-iphone, loss: 1.0}` at 5s)
	// changes the link between sends.
	l, n := newWorld(1, LinkProfile{Latency: 10 * time.Millisecond})
	got := listen(t, n, pbxRAS)
	var verdicts []bool
	for i := range 10 {
		l.At(time.Duration(i)*time.Second, func() {
			verdicts = append(verdicts, n.SendUDP(phoneRAS, pbxRAS, []byte(fmt.Sprint(i))))
		})
	}
	l.At(5*time.Second, func() { n.SetLink(phoneRAS.Addr(), pbxRAS.Addr(), LinkProfile{Loss: 1}) })
	l.At(8*time.Second, func() { n.ClearLink(phoneRAS.Addr(), pbxRAS.Addr()) })
	l.Run(time.Minute)
	// The actions were scheduled after the sends, so at 5s the send still
	// goes through and at 8s it is still lost (equal times keep their order).
	want := []bool{true, true, true, true, true, true, false, false, false, true}
	if !slices.Equal(verdicts, want) {
		t.Fatalf("verdicts %v, want %v", verdicts, want)
	}
	if len(*got) != 7 {
		t.Fatalf("%d delivered, want 7", len(*got))
	}
}

// schedule sends 2,000 datagrams from three senders over a jittery, lossy
// link and returns the receiver's view.
func schedule(seed uint64) []arrival {
	l, n := newWorld(seed, LinkProfile{Latency: 20 * time.Millisecond, Jitter: 15 * time.Millisecond, Loss: 0.05})
	var got []arrival
	n.ListenUDP(pbxRAS, func(from netip.AddrPort, p []byte) {
		got = append(got, arrival{l.Now(), from, string(p)})
	})
	senders := []netip.AddrPort{phoneRAS, deskRAS, netip.MustParseAddrPort("10.1.0.3:1719")}
	for i := range 2000 {
		l.At(time.Duration(i)*time.Millisecond, func() {
			n.SendUDP(senders[i%3], pbxRAS, []byte(fmt.Sprint(i)))
		})
	}
	l.Run(10 * time.Second)
	return got
}

func TestUDPDeterminism(t *testing.T) {
	a, b, c := schedule(11), schedule(11), schedule(12)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different delivery schedule")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, identical schedule under jitter and loss")
	}
	reordered := false
	for i := 1; i < len(a); i++ {
		var x, y int
		fmt.Sscan(a[i-1].payload, &x)
		fmt.Sscan(a[i].payload, &y)
		reordered = reordered || y < x
	}
	if !reordered {
		t.Fatal("jitter larger than the send interval never reordered datagrams")
	}
}

func TestUDPPerSenderStreamsAreIndependent(t *testing.T) {
	// What happens to the phone's datagrams must not depend on whether the
	// desk phone also sends (adding an actor does not perturb the others).
	run := func(withDesk bool) []arrival {
		l, n := newWorld(4, LinkProfile{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.2})
		var got []arrival
		n.ListenUDP(pbxRAS, func(from netip.AddrPort, p []byte) {
			if from == phoneRAS {
				got = append(got, arrival{l.Now(), from, string(p)})
			}
		})
		for i := range 300 {
			l.At(time.Duration(i)*time.Millisecond, func() {
				if withDesk {
					n.SendUDP(deskRAS, pbxRAS, []byte("desk"))
				}
				n.SendUDP(phoneRAS, pbxRAS, []byte(fmt.Sprint(i)))
			})
		}
		l.Run(time.Second)
		return got
	}
	if !slices.Equal(run(false), run(true)) {
		t.Fatal("another sender's traffic changed the phone's deliveries")
	}
}

func TestUDPStatistics(t *testing.T) {
	const n = 20_000
	tests := []struct {
		name string
		link LinkProfile
	}{
		{"latency only", LinkProfile{Latency: 30 * time.Millisecond}},
		{"jitter", LinkProfile{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}},
		{"loss", LinkProfile{Latency: 5 * time.Millisecond, Loss: 0.1}},
		{"all", LinkProfile{Latency: 80 * time.Millisecond, Jitter: 40 * time.Millisecond, Loss: 0.02}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, net := newWorld(99, tt.link)
			sent := map[string]time.Duration{}
			var delays []time.Duration
			net.ListenUDP(pbxRAS, func(_ netip.AddrPort, p []byte) {
				delays = append(delays, l.Now()-sent[string(p)])
			})
			lost := 0
			for i := range n {
				l.At(time.Duration(i)*time.Millisecond, func() {
					key := fmt.Sprint(i)
					sent[key] = l.Now()
					if !net.SendUDP(phoneRAS, pbxRAS, []byte(key)) {
						lost++
					}
				})
			}
			l.Run(time.Hour)
			if lost+len(delays) != n {
				t.Fatalf("lost %d + delivered %d != sent %d", lost, len(delays), n)
			}
			p := tt.link.Loss
			if math.Abs(float64(lost)-n*p) > 6*math.Sqrt(n*p*(1-p)) {
				t.Fatalf("lost %d of %d, want about %.0f", lost, n, n*p)
			}
			var sum float64
			for _, d := range delays {
				if d < tt.link.Latency || d > tt.link.Latency+tt.link.Jitter {
					t.Fatalf("delay %v outside [%v, %v]", d, tt.link.Latency, tt.link.Latency+tt.link.Jitter)
				}
				sum += float64(d)
			}
			mean := sum / float64(len(delays))
			want := float64(tt.link.Latency) + float64(tt.link.Jitter)/2
			if sd := float64(tt.link.Jitter) / math.Sqrt(12*float64(len(delays))); math.Abs(mean-want) > 6*sd+1 {
				t.Fatalf("mean delay %v, want about %v", time.Duration(mean), time.Duration(want))
			}
		})
	}
}
