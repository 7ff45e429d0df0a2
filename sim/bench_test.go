package sim

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// BenchmarkTimerScheduleFire schedules and fires timers with a standing
// queue of 10,000 pending ones, the steady state of a busy world.
func BenchmarkTimerScheduleFire(b *testing.B) {
	l := NewLoop()
	r := NewRand(1)
	var tick func()
	tick = func() { l.After(r.Duration(time.Millisecond, time.Second), tick) }
	for range 10_000 {
		l.After(r.Duration(0, time.Second), tick)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.Step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkTimerCancelRearm is a keep-alive being pushed back: cancel the
// pending timer and schedule a new one.
func BenchmarkTimerCancelRearm(b *testing.B) {
	l := NewLoop()
	ids := make([]TimerID, 10_000)
	for i := range ids {
		ids[i] = l.After(time.Hour, func() {})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		j := i % len(ids)
		l.Cancel(ids[j])
		ids[j] = l.After(time.Hour+time.Duration(i), func() {})
	}
}

// BenchmarkIdleTimers measures the memory of a million pending timers (one
// keep-alive per phone in a million-phone world). The callback is shared, as
// an actor's method value would be allocated once per actor, not per timer.
func BenchmarkIdleTimers(b *testing.B) {
	const timers = 1_000_000
	fn := func() {}
	var perTimer float64
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l := NewLoop()
		for i := range timers {
			l.At(time.Duration(i%3600)*time.Second, fn)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perTimer = float64(after.HeapAlloc-before.HeapAlloc) / timers
		runtime.KeepAlive(l)
	}
	b.ReportMetric(perTimer, "bytes/timer")
}

// BenchmarkDatagram sends and delivers datagrams between 1,000 phones and a
// PBX over a jittery, lossy link.
func BenchmarkDatagram(b *testing.B) {
	l := NewLoop()
	n := NewNetwork(l, NewRand(1), LinkProfile{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.01})
	pbx := netip.MustParseAddrPort("10.0.0.1:1719")
	received := 0
	n.ListenUDP(pbx, func(netip.AddrPort, []byte) { received++ })
	phones := make([]netip.AddrPort, 1000)
	for i := range phones {
		phones[i] = netip.AddrPortFrom(deviceAddr(i), 1719)
	}
	payload := make([]byte, 120) // about an RRQ
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n.SendUDP(phones[i%len(phones)], pbx, payload)
		if i%1000 == 999 {
			l.Run(l.Now() + time.Second)
		}
	}
	l.Run(l.Now() + time.Second)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "datagrams/s")
	if received == 0 {
		b.Fatal("nothing delivered")
	}
}

// BenchmarkStreamWrite writes TPKT-sized messages over established streams
// with splitting, and delivers them.
func BenchmarkStreamWrite(b *testing.B) {
	l := NewLoop()
	n := NewNetwork(l, NewRand(1), LinkProfile{Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, SplitProbability: 0.1})
	pbx := netip.MustParseAddrPort("10.0.0.1:1720")
	received := 0
	n.ListenStream(pbx, func(c *Conn) { c.OnData(func(p []byte) { received += len(p) }) })
	conns := make([]*Conn, 100)
	for i := range conns {
		n.Dial(netip.AddrPortFrom(deviceAddr(i), 0), pbx, func(c *Conn, err error) {
			if err != nil {
				b.Fatal(err)
			}
			conns[i] = c
		})
	}
	l.Run(time.Second)
	msg := make([]byte, 200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		conns[i%len(conns)].Write(msg)
		if i%1000 == 999 {
			l.Run(l.Now() + time.Second)
		}
	}
	l.Run(l.Now() + time.Second)
	if received != 200*b.N {
		b.Fatal(fmt.Sprintf("received %d of %d bytes", received, 200*b.N))
	}
}

// BenchmarkIdlePhones measures the network side of a million registered,
// idle phones: a UDP listener (RAS) and one keep-alive timer each.
func BenchmarkIdlePhones(b *testing.B) {
	const phones = 1_000_000
	var perPhone float64
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l := NewLoop()
		n := NewNetwork(l, NewRand(1), LinkProfile{Latency: 20 * time.Millisecond})
		handler := func(netip.AddrPort, []byte) {}
		keepAlive := func() {}
		for i := range phones {
			if err := n.ListenUDP(netip.AddrPortFrom(deviceAddr(i), 1719), handler); err != nil {
				b.Fatal(err)
			}
			l.At(time.Duration(i%3600)*time.Second, keepAlive)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perPhone = float64(after.HeapAlloc-before.HeapAlloc) / phones
		runtime.KeepAlive(n)
	}
	b.ReportMetric(perPhone, "bytes/phone")
}
