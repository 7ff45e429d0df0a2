package loopback

import (
	"net"
	"net/netip"
	"testing"
)

// TestAddr: an address whose ports are taken is passed by; addresses are
// loopback, outside 127.0.0.0/16 and never the same twice.
func TestAddr(t *testing.T) {
	mu.Lock()
	next, started = 0xfeff01-1, true // the next candidate: 127.254.255.1
	mu.Unlock()
	busy := netip.MustParseAddr("127.254.255.1")
	l, err := net.Listen("tcp", netip.AddrPortFrom(busy, 1720).String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if a := Addr(); a != netip.MustParseAddr("127.254.255.2") {
		t.Errorf("first address %v, want 127.254.255.2 (127.254.255.1:1720 is taken)", a)
	}
	seen := map[netip.Addr]bool{}
	for range 600 { // on past 127.255/16 and 127.0/16 to 127.1.0.1 and beyond
		a := Addr()
		b := a.As4()
		if !a.IsLoopback() || b[1] == 0 || b[1] == 255 || b[3] == 0 || b[3] == 255 || seen[a] {
			t.Fatalf("address %v", a)
		}
		seen[a] = true
	}
}
