package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/attack"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
)

// TestHostile replays the attacks of a stranger on the network (issue 16)
// against a registered phonesim, in-process, on loopback, while an honest
// gatekeeper serves it: junk, a stranger's URQ, sweeps of forged RCF, ACF
// and GCF over every sequence number, IRQ reflection, the 60 KB H.235
// hash bomb, a Setup from a stranger, half-open and slowloris connections
// and an oversized TPKT. It checks that nothing crashes, that goroutines,
// memory and output lines stay bounded, and that the phone stays
// registered and still takes the honest caller's call. HOSTILE_SHORT=1
// (or -short) runs smaller floods (`make hostile HOSTILE_SHORT=1`, the CI
// step).
func TestHostile(t *testing.T) {
	if os.Getenv("HOSTILE") == "" && os.Getenv("HOSTILE_SHORT") == "" {
		t.Skip("the attack suite runs with `make hostile` (HOSTILE=1 or HOSTILE_SHORT=1)")
	}
	short := os.Getenv("HOSTILE_SHORT") != "" || testing.Short()
	junk, sweeps, conns := 100_000, 3, 200
	if short {
		junk, sweeps, conns = 20_000, 1, 80
	}
	started := time.Now()
	gk := startGatekeeperFor(t, nextLoopback(), time.Minute, 5*time.Minute)
	bobIP, evil := nextLoopback(), attack.Stranger{IP: nextLoopback()}
	bobRAS, bobSig := netip.AddrPortFrom(bobIP, 1719), netip.AddrPortFrom(bobIP, 1720)

	runtime.GC()
	baseGoroutines := runtime.NumGoroutine()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	ctx, stopBob := context.WithCancel(context.Background())
	defer stopBob()
	bobOut, bobErr := &lineCounter{}, &lineCounter{}
	bobDone := make(chan int, 1)
	go func() {
		bobDone <- run(ctx, []string{"register", "--gk", gk.ras.String(), "--alias", "bob", "--number", "202",
			"--answer-after", "0s", "--listen", bobSig.String(), "--ras-listen", bobRAS.String(),
			"--idle-timeout", "1s", "--read-timeout", "1s"}, bobOut, bobErr)
	}()
	waitFor(t, 10*time.Second, "bob registered", func() bool { return bobOut.has("phone.registered") }, bobOut, bobErr)

	step := func(name string, fn func() error) {
		t.Helper()
		t0 := time.Now()
		if err := fn(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%-28s %8v  goroutines %d", name, time.Since(t0).Round(time.Millisecond), runtime.NumGoroutine())
	}
	noAnswer := func(what string, n int, err error) error {
		if err == nil && n > 0 {
			err = fmt.Errorf("%d datagrams came back to the stranger", n)
		}
		return err
	}
	step(fmt.Sprintf("%d junk datagrams", junk), func() error {
		n, err := evil.Send(bobRAS, attack.Junk(junk), 200*time.Millisecond)
		return noAnswer("junk", n, err)
	})
	step("URQs from a stranger", func() error {
		var urqs [][]byte
		for seq := range uint16(1000) {
			urqs = append(urqs, attack.URQ(seq+1))
		}
		n, err := evil.Send(bobRAS, urqs, 200*time.Millisecond)
		return noAnswer("urq", n, err)
	})
	evilGK := netip.AddrPortFrom(evil.IP, 1720)
	for i, build := range []struct {
		name string
		msgs func() ([][]byte, error)
	}{
		{"sweep of forged RCFs", func() ([][]byte, error) { return attack.Sweep(attack.ForgedRCF(evilGK)) }},
		{"sweep of forged ACFs", func() ([][]byte, error) { return attack.Sweep(attack.ForgedACF(evilGK)) }},
		{"sweep of forged GCFs", func() ([][]byte, error) { return attack.Sweep(attack.ForgedGCF(evilGK)) }},
	} {
		if i >= sweeps {
			break
		}
		step(build.name, func() error {
			msgs, err := build.msgs()
			if err != nil {
				return err
			}
			n, err := evil.Send(bobRAS, msgs, 200*time.Millisecond)
			return noAnswer(build.name, n, err)
		})
	}
	step("IRQ reflection", func() error {
		victim, err := attack.NewVictim(nextLoopback())
		if err != nil {
			return err
		}
		var irqs [][]byte
		for seq := range uint16(1000) {
			irqs = append(irqs, attack.IRQ(seq+1, victim.Addr))
		}
		n, err := evil.Send(bobRAS, irqs, 300*time.Millisecond)
		if hit := victim.Close(); hit > 0 {
			return fmt.Errorf("%d IRRs reflected onto the victim", hit)
		}
		return noAnswer("irq", n, err)
	})
	step("10 hash-bomb URQs", func() error {
		bomb, err := attack.HashBomb(time.Now(), "ep-0001", "gk")
		if err != nil {
			return err
		}
		bombs := [][]byte{bomb, bomb, bomb, bomb, bomb, bomb, bomb, bomb, bomb, bomb}
		if n, err := evil.Send(bobRAS, bombs, 100*time.Millisecond); n > 0 || err != nil {
			return noAnswer("bomb", n, err)
		}
		_, err = evil.Send(gk.ras, bombs, 100*time.Millisecond) // the gatekeeper answers a reject, or nothing
		return err
	})
	step("Setup from a stranger", func() error {
		n, err := evil.Setup(bobSig, 2*time.Second)
		if err == nil && n > 0 {
			err = fmt.Errorf("the phone answered a stranger's Setup with %d bytes", n)
		}
		return err
	})
	step("oversized TPKT", func() error {
		closed, err := evil.Oversized(bobSig, 3*time.Second)
		if err == nil && !closed {
			err = fmt.Errorf("the connection stayed open")
		}
		return err
	})
	// Connections from a stranger are closed by the phone at once (routed
	// mode); the same floods from the gatekeeper's host (an attacker behind
	// the PBX's NAT, or the PBX gone wrong) meet only the driver's limits:
	// the cap per address, the idle and the read timeouts.
	peakGoroutines := 0
	for _, from := range []struct {
		name string
		s    attack.Stranger
	}{{"a stranger", evil}, {"the gatekeeper's host", attack.Stranger{IP: gk.ras.Addr()}}} {
		step(fmt.Sprintf("%d half-open + %d slowloris from %s", conns, conns/2, from.name), func() error {
			half := from.s.HalfOpen(bobSig, conns)
			slow := from.s.Slowloris(bobSig, conns/2, 100*time.Millisecond)
			defer half.Stop()
			defer slow.Stop()
			peakGoroutines = max(peakGoroutines, runtime.NumGoroutine())
			t.Logf("opened %d half-open, %d slowloris; %d, %d held", half.Opened(), slow.Opened(), half.Open(), slow.Open())
			if !half.WaitClosed(8 * time.Second) {
				return fmt.Errorf("%d of %d half-open connections still held after the idle timeout", half.Open(), half.Opened())
			}
			if !slow.WaitClosed(8 * time.Second) {
				return fmt.Errorf("%d of %d slowloris connections still held after the read timeout", slow.Open(), slow.Opened())
			}
			return nil
		})
	}

	// The honest peer: carol calls bob through the gatekeeper.
	step("honest call after the attacks", func() error {
		callCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var out, errOut lineCounter
		code := run(callCtx, []string{"call", "--gk", gk.ras.String(), "--alias", "carol", "--number", "203", "--to", "202",
			"--hangup-after", "300ms", "--listen", netip.AddrPortFrom(nextLoopback(), 0).String()}, &out, &errOut)
		if code != exitOK {
			return fmt.Errorf("carol's call: exit %d\n%s\n%s", code, out.text(), errOut.text())
		}

		return nil
	})
	waitFor(t, 5*time.Second, "bob's side of the call", func() bool { return bobOut.has("q931.connect") }, bobOut, bobErr)

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(base.HeapInuse)
	goroutines := runtime.NumGoroutine()
	stopBob()
	code := <-bobDone
	elapsed := time.Since(started)

	lim := realnet.DefaultLimits()
	windows := int(elapsed/lim.LogInterval) + 2
	maxOut := lim.TraceBurst*windows + 4*(ras.RecordBurst+int(elapsed.Seconds())+1) + 100
	maxErr := 30 * windows
	t.Logf("%v: bob printed %d lines (bound %d), logged %d (bound %d); heap grew %d KiB; goroutines %d at the peak, %d after (%d before)",
		elapsed.Round(time.Millisecond), bobOut.lines(), maxOut, bobErr.lines(), maxErr, grew>>10, peakGoroutines, goroutines, baseGoroutines)
	t.Logf("bob's log:\n%s", bobErr.text())
	if code != exitOK {
		t.Errorf("bob exited %d", code)
	}
	if bobOut.has("phone.unregistered  peer") || bobOut.has("reason=gatekeeper") {
		t.Errorf("bob was unregistered by a stranger")
	}
	if bobOut.lines() > maxOut {
		t.Errorf("bob printed %d lines, want at most %d", bobOut.lines(), maxOut)
	}
	if bobErr.lines() > maxErr {
		t.Errorf("bob logged %d lines, want at most %d:\n%s", bobErr.lines(), maxErr, bobErr.text())
	}
	if grew > 64<<20 {
		t.Errorf("the heap grew by %d MiB", grew>>20)
	}
	if goroutines > baseGoroutines+40 {
		t.Errorf("%d goroutines after the attacks, %d before", goroutines, baseGoroutines)
	}
	if !short && elapsed > 2*time.Minute || short && elapsed > time.Minute {
		t.Errorf("the suite took %v", elapsed)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, out, errOut *lineCounter) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; stdout:\n%s\nstderr:\n%s", what, out.text(), errOut.text())
		}
	}
}

// lineCounter counts the lines written to it and keeps the first 64 KB.
type lineCounter struct {
	mu  sync.Mutex
	n   int
	buf bytes.Buffer
	all strings.Builder // every line's event names, for has
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n += bytes.Count(p, []byte("\n"))
	if l.buf.Len() < 64<<10 {
		l.buf.Write(p)
	}
	if l.all.Len() < 8<<20 {
		l.all.Write(p)
	}
	return len(p), nil
}

func (l *lineCounter) lines() int { l.mu.Lock(); defer l.mu.Unlock(); return l.n }
func (l *lineCounter) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
func (l *lineCounter) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.all.String(), s)
}
