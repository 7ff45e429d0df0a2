package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/ras"
)

// The registration benchmark: a load generator of ours against serve, in
// one process on loopback. benchEndpoints endpoints, each with its own
// alias, number and UDP socket (so its own RAS and call-signalling
// address), send a full RRQ each, as fast as the answers come (at most
// benchWindow outstanding); then each sends a keep-alive RRQ. Reported:
// full RRQs and keep-alives answered per second, RRQs lost (no answer
// within benchWait; none are sent again), and the heap the first round of
// registrations added, per registration. With H.235 every RRQ carries an
// HMAC-SHA1-96 token the gatekeeper checks; over DTLS every endpoint first
// completes a handshake (its association then carries both rounds).
//
//	go test ./cmd/pbxsim -run '^$' -bench Serve -benchtime 3x

const (
	benchEndpoints = 10000
	benchWindow    = 10000 // a burst: the UDP receive buffer must hold it
	benchWait      = 20 * time.Second
)

func BenchmarkServeRegistrations(b *testing.B)     { benchServe(b, false) }
func BenchmarkServeRegistrationsH235(b *testing.B) { benchServe(b, true) }

// benchFile is a serve file with benchEndpoints users u00000.. (numbers
// 100000..), with passwords when h235.
func benchFile(b *testing.B, h235 bool) string {
	pw := ""
	if h235 {
		pw = `, password: "pw{i}"`
	}
	src := fmt.Sprintf(`name: bench
pbx:
  users:
    - population: {count: %d, name: "u{i:05}", number: "1{i:05}"%s}
devices:
  - {name: u00000, user: u00000, kind: deskphone}
expect: []
`, benchEndpoints, pw)
	path := filepath.Join(b.TempDir(), "bench.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchEndpoint is one endpoint of the generator: its socket, its RAS
// core (which builds its requests and checks its answers, tokens
// included) and its state.
type benchEndpoint struct {
	sock *net.UDPConn
	ep   *ras.Endpoint
	info ras.Info
	id   string // endpointIdentifier once registered
	seq  uint16 // of its last request
}

func benchServe(b *testing.B, h235 bool) {
	file := benchFile(b, h235)
	ip := loopback.Addr()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan pbx.Addrs, 1)
	code := make(chan int, 1)
	var stderr syncBuffer
	go func() {
		code <- runServe(ctx, []string{"--ip", ip.String(), "--log-format", "json", "--ttl", "1h", file},
			&syncBuffer{}, &stderr, &serveHooks{ready: func(a pbx.Addrs) { ready <- a }})
	}()
	var gk netip.AddrPort
	select {
	case a := <-ready:
		gk = a.RAS
	case c := <-code:
		b.Fatalf("serve exited %d: %s", c, stderr.String())
	}
	defer func() { cancel(); <-code }()

	// Every endpoint on an address of its own, as phones are: 127.a.x.y.
	a := loopback.Addr().As4()[1]
	eps := make([]*benchEndpoint, benchEndpoints)
	for k := range eps {
		gen := netip.AddrFrom4([4]byte{127, a, byte(k / 250), byte(k%250 + 1)})
		s, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(gen, 0)))
		if err != nil {
			b.Fatal(err)
		}
		_ = s.SetReadBuffer(1 << 16)
		defer s.Close()
		addr := s.LocalAddr().(*net.UDPAddr).AddrPort()
		e := &benchEndpoint{sock: s, info: ras.Info{Alias: fmt.Sprintf("u%05d", k), Number: fmt.Sprintf("1%05d", k),
			RASAddress: addr, CallSignalAddress: addr}}
		if h235 {
			e.ep = ras.NewEndpoint(ras.EndpointConfig{Alias: e.info.Alias, Number: e.info.Number, Password: fmt.Sprintf("pw%d", k),
				RASAddress: addr, CallSignalAddress: addr, Gatekeeper: gk, TimeToLive: time.Hour, Random: rand.Reader,
				Authentication: ras.AuthHMACSHA1, KeepAlive: true})
		}
		eps[k] = e
	}
	var heapBefore, heapAfter uint64
	var full, keep, lost float64
	b.ResetTimer()
	for i := range b.N {
		if i == 0 {
			heapBefore = heap()
		}
		n, d, l := benchRound(b, eps, gk, false)
		if i == 0 {
			heapAfter = heap()
		}
		full += float64(n) / d.Seconds()
		lost += float64(l)
		n, d, l = benchRound(b, eps, gk, true)
		keep += float64(n) / d.Seconds()
		lost += float64(l)
	}
	b.StopTimer()
	b.ReportMetric(full/float64(b.N), "fullRRQ/s")
	b.ReportMetric(keep/float64(b.N), "keepalive/s")
	b.ReportMetric(lost/float64(b.N), "lost/op")
	b.ReportMetric(float64(int64(heapAfter)-int64(heapBefore))/benchEndpoints, "heapB/reg")
	b.ReportMetric(0, "ns/op")
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// benchRound sends every endpoint's RRQ (full or keep-alive) with at most
// benchWindow outstanding and waits for the answers; it returns how many
// were confirmed, the time from the first send to the last answer, and how
// many got none.
func benchRound(b *testing.B, eps []*benchEndpoint, gk netip.AddrPort, keepAlive bool) (int, time.Duration, int) {
	reqs := make([][]byte, len(eps))
	for k, e := range eps {
		var err error
		e.seq = e.seq%60000 + 1 // a new number each round: the same one would be a retransmission
		switch {
		case e.ep != nil && !keepAlive:
			reqs[k] = rrqOf(b, e.ep.Register(time.Now()))
		case e.ep != nil:
			reqs[k] = rrqOf(b, e.ep.HandleTimer(time.Now(), keepAliveTimer))
		case keepAlive:
			info := e.info
			info.EndpointID = e.id
			reqs[k], err = ras.Encode(ras.NewKeepAliveRRQ(e.seq, info, time.Hour))
		default:
			reqs[k], err = ras.Encode(ras.NewRRQ(e.seq, e.info, true, time.Hour, false))
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	window := make(chan struct{}, benchWindow)
	var confirmed, answered atomic.Int64
	var last atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for _, e := range eps {
		wg.Go(func() {
			buf := make([]byte, 2048)
			_ = e.sock.SetReadDeadline(time.Now().Add(benchWait))
			n, err := e.sock.Read(buf)
			if err != nil {
				return
			}
			answered.Add(1)
			last.Store(int64(time.Since(start)))
			<-window
			m, err := ras.Decode(buf[:n])
			if err != nil || m.Choice != h225.RasMessageRegistrationConfirm {
				return
			}
			if e.ep != nil {
				e.ep.HandleDatagram(time.Now(), gk, buf[:n])
				if !e.ep.Registered() {
					return
				}
			}
			e.id = string(m.RegistrationConfirm.EndpointIdentifier)
			confirmed.Add(1)
		})
	}
	for k, e := range eps {
		window <- struct{}{}
		if _, err := e.sock.WriteToUDPAddrPort(reqs[k], gk); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	return int(confirmed.Load()), time.Duration(last.Load()), len(eps) - int(answered.Load())
}

// keepAliveTimer is the RAS core's keep-alive timer (ras.timerKeepAlive):
// firing it by hand makes the core send its keep-alive RRQ now.
const keepAliveTimer ras.TimerID = 1

// rrqOf is the RRQ among a RAS core's effects.
func rrqOf(b *testing.B, effects []ras.Effect) []byte {
	for _, e := range effects {
		if s, ok := e.(ras.Send); ok {
			return s.Payload
		}
	}
	b.Fatal("the endpoint sent no RRQ")
	return nil
}
