package main

import (
	"crypto/rand"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/realnet"
)

// TestServeHostileInput: every listening port of serve gets what a hostile
// or broken peer sends — random datagrams on RAS and DTLS, truncated DTLS
// records from many sources, TLS handshakes that never finish, oversized,
// malformed and slow TPKT — and serve neither crashes nor stops serving:
// phones register over UDP and DTLS meanwhile, and once the peers are gone
// and the handshake timeout passed, its goroutines (associations,
// connections) are back to what they were.
func TestServeHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the handshake timeouts")
	}
	dir := writeTestPKI(t)
	s := startServe(t, "--cert", dir+"/pbx-pbx.pem", "--key", dir+"/pbx-pbx.key")
	ctx := serveContext(t)
	time.Sleep(100 * time.Millisecond)
	base := runtime.NumGoroutine()
	from := loopback.Addr()
	junk := func(n int) []byte { b := make([]byte, n); _, _ = rand.Read(b); return b }

	// Random datagrams on RAS and DTLS.
	u, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i := range 2000 {
		to := s.addrs.RAS
		if i%2 == 1 {
			to = s.addrs.DTLS
		}
		_, _ = u.WriteToUDPAddrPort(junk(1+i%1400), to)
	}
	// Truncated DTLS handshake records from many sources: each opens an
	// association that never completes.
	var sockets []*net.UDPConn
	for range 200 {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
		if err != nil {
			t.Fatal(err)
		}
		sockets = append(sockets, c)
		rec := []byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 1, 0, 0}
		_, _ = c.WriteToUDPAddrPort(rec, s.addrs.DTLS)
	}
	// TLS handshakes that never finish: silent connections and half a
	// ClientHello.
	var conns []net.Conn
	dial := func(to netip.AddrPort) net.Conn {
		c, err := net.DialTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0)), net.TCPAddrFromAddrPort(to))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		return c
	}
	for i := range 100 {
		c := dial(s.addrs.Secure)
		if i%2 == 0 {
			_, _ = c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03})
		}
	}
	// Oversized and malformed TPKT, and a slow one, on 1720.
	big := append([]byte{3, 0, 0xff, 0xff}, junk(0xffff-4)...)
	_, _ = dial(s.addrs.Signal).Write(big)
	_, _ = dial(s.addrs.Signal).Write([]byte{3, 0, 0, 2, 1, 2, 3})
	_, _ = dial(s.addrs.Signal).Write([]byte{9, 9, 9, 9})
	slow := dial(s.addrs.Signal)
	for _, b := range []byte{3, 0, 0, 12, 8, 2} {
		_, _ = slow.Write([]byte{b})
		time.Sleep(20 * time.Millisecond)
	}

	// Serve still serves, over UDP and DTLS.
	for _, tr := range []phone.Transport{phone.H323, phone.DTLS} {
		cfg := securePhone(t, s, dir, "alice", "201", tr, "trust.pem")
		p := runTestPhone(t, ctx, cfg)
		p.rec.waitFor(t, ctx, "phone.registered")
		p.stop()
		p.wait(t)
	}
	if !s.rec.find("q931.malformed") && !s.rec.find("pbx.malformed") && !s.rec.find("ras.malformed") {
		t.Logf("no malformed event recorded:\n%s", s.rec.dump())
	}

	// The half-open associations and handshakes hold goroutines now.
	if held := runtime.NumGoroutine(); held < base+100 {
		t.Errorf("%d goroutines with 200 half-open associations and 100 handshakes (%d before): were they opened?", held, base)
	}
	// The hostile peers leave; what they held is released.
	for _, c := range conns {
		c.Close()
	}
	for _, c := range sockets {
		c.Close()
	}
	deadline := time.Now().Add(realnet.HandshakeTimeout + 5*time.Second)
	for runtime.NumGoroutine() > base+10 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, %d before the hostile input:\n%s", runtime.NumGoroutine(), base, buf[:n])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
