// Package loopback hands out loopback addresses to tests that run actors on
// real sockets, each actor on an address of its own with the well-known
// ports (RAS 1719, call signalling 1720 and 1300, the myApps session 443).
// An address is 127.a.b.c outside 127.0.0.0/16 (which fixed addresses of
// tests and runs use), taken from a random starting point and skipped when
// one of those ports is in use there, so that test processes running at
// once — the packages of one go test, another worktree's tests — do not
// meet.
package loopback

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
)

// Ports are the ports an address must have free.
var Ports = []uint16{1719, 1720, 1300, 443}

var (
	mu      sync.Mutex
	next    uint32 // a, b and c of the last address handed out
	started bool
)

// Addr returns a loopback address this process did not hand out before, on
// which the Ports are free now (UDP and TCP).
func Addr() netip.Addr {
	mu.Lock()
	defer mu.Unlock()
	if !started {
		next, started = rand.Uint32N(1<<24), true
	}
	for range 1 << 24 {
		next = (next + 1) & 0xffffff
		a, b, c := byte(next>>16), byte(next>>8), byte(next)
		if a == 0 || a == 255 || c == 0 || c == 255 {
			continue
		}
		ip := netip.AddrFrom4([4]byte{127, a, b, c})
		if free(ip) {
			return ip
		}
	}
	panic("loopback: no loopback address with the ports free")
}

// free reports whether the Ports can be bound at ip, UDP and TCP.
func free(ip netip.Addr) bool {
	for _, p := range Ports {
		hostPort := net.JoinHostPort(ip.String(), strconv.Itoa(int(p)))
		u, err := net.ListenPacket("udp", hostPort)
		if err != nil {
			return false
		}
		u.Close()
		l, err := net.Listen("tcp", hostPort)
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
