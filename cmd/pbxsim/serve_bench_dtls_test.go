package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/ras"

	"github.com/pion/dtls/v4"
	"github.com/pion/dtls/v4/pkg/protocol"
)

// benchDTLSEndpoints endpoints register over DTLS: each completes a
// handshake from a socket of its own (at most benchDTLSParallel at a time),
// then sends a full RRQ and a keep-alive on its association. Reported:
// handshakes, full RRQs and keep-alives per second, and requests without
// an answer (none is sent again).
const (
	benchDTLSEndpoints = 1000
	benchDTLSParallel  = 64
)

func BenchmarkServeDTLS(b *testing.B) {
	file := benchFile(b, false)
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
		gk = a.DTLS
	case c := <-code:
		b.Fatalf("serve exited %d: %s", c, stderr.String())
	}
	defer func() { cancel(); <-code }()
	a := loopback.Addr().As4()[1]
	var hs, full, keep, lost float64
	b.ResetTimer()
	for range b.N {
		conns := make([]*dtls.Conn, benchDTLSEndpoints)
		infos := make([]ras.Info, benchDTLSEndpoints)
		start := time.Now()
		sem := make(chan struct{}, benchDTLSParallel)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for k := range conns {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				local := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, a, byte(k / 250), byte(k%250 + 1)}), 0)
				u, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(local))
				if err != nil {
					failed.Add(1)
					return
				}
				c, err := dtls.Client(u, net.UDPAddrFromAddrPort(gk), dtls.WithInsecureSkipVerify(true),
					dtls.WithMaxVersion(protocol.Version1_2), dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret))
				if err == nil {
					hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
					err = c.HandshakeContext(hctx)
					hcancel()
				}
				if err != nil {
					u.Close()
					failed.Add(1)
					return
				}
				addr := u.LocalAddr().(*net.UDPAddr).AddrPort()
				conns[k] = c
				infos[k] = ras.Info{Alias: fmt.Sprintf("u%05d", k), Number: fmt.Sprintf("1%05d", k), RASAddress: addr, CallSignalAddress: addr}
			})
		}
		wg.Wait()
		hs += float64(benchDTLSEndpoints-int(failed.Load())) / time.Since(start).Seconds()
		if failed.Load() > 0 {
			b.Errorf("%d handshakes failed", failed.Load())
		}
		round := func(keepAlive bool) float64 {
			start := time.Now()
			var ok atomic.Int64
			var wg sync.WaitGroup
			for k, c := range conns {
				if c == nil {
					continue
				}
				wg.Go(func() {
					seq := uint16(k%60000 + 1)
					var m *h225.RasMessage
					if keepAlive {
						m = ras.NewKeepAliveRRQ(seq+1, infos[k], time.Hour)
					} else {
						m = ras.NewRRQ(seq, infos[k], true, time.Hour, false)
					}
					req, err := ras.Encode(m)
					if err != nil {
						return
					}
					_ = c.SetDeadline(time.Now().Add(20 * time.Second))
					if _, err := c.Write(req); err != nil {
						return
					}
					buf := make([]byte, 2048)
					n, err := c.Read(buf)
					if err != nil {
						b.Logf("endpoint %d keepAlive=%v: %v", k, keepAlive, err)
						return
					}
					ans, err := ras.Decode(buf[:n])
					if err == nil && ans.Choice != h225.RasMessageRegistrationConfirm {
						b.Logf("endpoint %d keepAlive=%v: %v %v", k, keepAlive, ans.Choice, ras.Attrs(ans))
					}
					if err == nil && ans.Choice == h225.RasMessageRegistrationConfirm {
						infos[k].EndpointID = string(ans.RegistrationConfirm.EndpointIdentifier)
						ok.Add(1)
					}
				})
			}
			wg.Wait()
			lost += float64(benchDTLSEndpoints - int(ok.Load())) // no retransmission: a lost datagram counts
			return float64(ok.Load()) / time.Since(start).Seconds()
		}
		full += round(false)
		keep += round(true)
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(hs/float64(b.N), "handshakes/s")
	b.ReportMetric(full/float64(b.N), "fullRRQ/s")
	b.ReportMetric(keep/float64(b.N), "keepalive/s")
	b.ReportMetric(lost/float64(b.N), "unanswered/op")
	b.ReportMetric(0, "ns/op")
}
