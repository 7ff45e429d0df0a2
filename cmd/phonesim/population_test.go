package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// A population of phone nodes (runLoadNodes) against the pbx node on
// loopback sockets. The runs end when the PBX saw what a test waits for,
// not after a time: a loaded machine only makes them slower.

// population is a load of count phones named load00.. on an address of its
// own, keeping its registrations for a minute unless told otherwise.
func population(gk netip.AddrPort, count int) loadConfigT {
	return loadConfigT{Gatekeeper: gk, IP: nextLoopback(), Count: count, AliasPrefix: "load", TTL: time.Minute, Log: zerolog.Nop()}
}

// runPopulation runs a population until until holds for the PBX's events
// (checked as they come) or the test's time is up, and returns its result.
func runPopulation(t *testing.T, cfg loadConfigT, gk *testGatekeeper, until func([]timeline.Event) bool) loadResult {
	cfg.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var res loadResult
	var err error
	phones := &recorder{}
	cfg.Observe = phones.add
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { res, err = runLoadNodes(runCtx, cfg) })
	// Until what the test waits for holds, and every answer the PBX sent
	// has reached its phone: an answer still in flight when the run ends
	// would leave a phone short of what the PBX counts.
	for !until(gk.rec.snapshot()) || !arrived(gk.rec.snapshot(), phones.snapshot(), cfg.AliasPrefix) {
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			t.Fatalf("the PBX did not see what the test waits for:\n%s", dump(gk.rec.snapshot()))
		case <-time.After(5 * time.Millisecond):
		}
	}
	stop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// arrived says whether every RAS message the PBX sent has been received
// by the phones (each named by its alias as the receiver).
func arrived(pbx, phones []timeline.Event, prefix string) bool {
	want := map[string]int{}
	for _, e := range pbx {
		if from, _ := e.Get("from"); from == "gk" && strings.HasPrefix(e.Name, "ras.") {
			want[e.Name]++
		}
	}
	for _, e := range phones {
		if to, _ := e.Get("to"); strings.HasPrefix(to, prefix) {
			want[e.Name]--
		}
	}
	for _, n := range want {
		if n > 0 {
			return false
		}
	}
	return true
}

func dump(events []timeline.Event) string {
	var b strings.Builder
	for i := range events {
		b.WriteString(events[i].String() + "\n")
	}
	return b.String()
}

// rrqs decodes the full RRQs the PBX received: the phone's h323-ID alias
// and call-signalling address of each.
func rrqs(events []timeline.Event) (aliases []string, signal []netip.AddrPort) {
	for _, e := range events {
		if e.Name != "ras.rrq" || e.Wire == nil {
			continue
		}
		m, err := ras.Decode(e.Wire.Payload)
		if err != nil || ras.IsKeepAlive(m) {
			continue
		}
		rrq := m.RegistrationRequest
		if len(rrq.TerminalAlias) > 0 {
			aliases = append(aliases, ras.AliasText(rrq.TerminalAlias[0]))
		}
		if len(rrq.CallSignalAddress) > 0 {
			if a, ok := ras.AddrPort(&rrq.CallSignalAddress[0]); ok {
				signal = append(signal, a)
			}
		}
	}
	return aliases, signal
}

// requests counts the requests named name the PBX received, keep-alives
// or the others.
func requests(events []timeline.Event, name string, keepAlive bool) int {
	n := 0
	for _, e := range events {
		if e.Name == name {
			k, _ := e.Get("keepalive")
			if (k == "true") == keepAlive {
				n++
			}
		}
	}
	return n
}

// sent counts the messages named name the PBX sent.
func sent(events []timeline.Event, name string) int {
	n := 0
	for _, e := range events {
		if from, _ := e.Get("from"); e.Name == name && from == "gk" {
			n++
		}
	}
	return n
}

// TestPopulationRegistersKeepsAliveAndLeaves: a population registers at a
// rate, each phone from a call-signalling address of its own and with an
// endpointIdentifier of its own, keeps its registration with keep-alives
// (the PBX grants 1 s), and unregisters at the end.
func TestPopulationRegistersKeepsAliveAndLeaves(t *testing.T) {
	gk := startGatekeeperAt(t, nextLoopback(), time.Second)
	cfg := population(gk.ras, 30)
	cfg.Rate = 300
	res := runPopulation(t, cfg, gk, func(evs []timeline.Event) bool { return requests(evs, "ras.rrq", true) >= 30 })
	if res.Endpoints != 30 || res.Registered != 30 || len(res.Failed) != 0 || len(res.Lost) != 0 || res.KeepAlives < 30 {
		t.Errorf("result %+v", res)
	}
	if len(res.Latencies) != 30 || res.Percentile(50) <= 0 || res.Percentile(100) < res.Percentile(50) {
		t.Errorf("registration times %v", res.Latencies)
	}
	if len(res.EndpointIDs) != 30 || res.Duplicates() != 0 {
		t.Errorf("endpoint identifiers %v: want 30 distinct", res.EndpointIDs)
	}
	evs := gk.rec.snapshot()
	aliases, signal := rrqs(evs)
	slices.Sort(aliases)
	if len(aliases) != 30 || aliases[0] != "load00" || aliases[29] != "load29" || len(slices.Compact(aliases)) != 30 {
		t.Errorf("the PBX registered %v", aliases)
	}
	slices.SortFunc(signal, netip.AddrPort.Compare)
	if len(slices.Compact(signal)) != 30 {
		t.Errorf("call-signalling addresses %v: want 30 distinct", signal)
	}
	if n := sent(evs, "ras.ucf"); n != 30 {
		t.Errorf("%d UCFs, want 30: the PBX still holds registrations", n)
	}
}

// TestPopulationShard: shard 1 of 3 runs the phones 1, 4, 7, ... of the
// population, named as in the whole population.
func TestPopulationShard(t *testing.T) {
	gk := startGatekeeperAt(t, nextLoopback(), time.Minute)
	cfg := population(gk.ras, 30)
	cfg.Shard, cfg.Shards = 1, 3
	res := runPopulation(t, cfg, gk, func(evs []timeline.Event) bool { return sent(evs, "ras.rcf") >= 10 })
	if res.Endpoints != 10 || res.Registered != 10 {
		t.Errorf("result %+v", res)
	}
	aliases, _ := rrqs(gk.rec.snapshot())
	for k := range 30 {
		alias := fmt.Sprintf("load%02d", k)
		if want := k%3 == 1; slices.Contains(aliases, alias) != want {
			t.Errorf("%s registered: %v; in shard 1/3: %v", alias, !want, want)
		}
	}
}

// TestPopulationRetriesFailures: with Reregister, a phone whose
// registration was refused tries again until the run ends.
func TestPopulationRetriesFailures(t *testing.T) {
	gk := startGatekeeperAt(t, nextLoopback(), time.Minute)
	cfg := population(gk.ras, 1)
	cfg.AliasPrefix, cfg.Password, cfg.Reregister = "alice", "wrong", 100*time.Millisecond // alice0 needs "secret"
	res := runPopulation(t, cfg, gk, func(evs []timeline.Event) bool { return sent(evs, "ras.rrj") >= 3 })
	// The third RRQ went out after the second RRJ arrived.
	if res.Registered != 0 || res.Failed["securityDenial"] < 2 {
		t.Errorf("result %+v: want only failures, retried", res)
	}
}

// TestPopulationSurvivesPBXRestart: a PBX that restarts has lost every
// registration; its answer to the next keep-alive (RRJ
// fullRegistrationRequired) makes each phone register again, and each
// still has an endpointIdentifier of its own.
func TestPopulationSurvivesPBXRestart(t *testing.T) {
	ip := nextLoopback()
	gk := startGatekeeperAt(t, ip, 2*time.Second)
	cfg := population(gk.ras, 3)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the PBX saw, before and after its restart:\n%s", dump(gk.rec.snapshot()))
		}
	})
	restarted := false
	res := runPopulation(t, cfg, gk, func(evs []timeline.Event) bool {
		if !restarted {
			if sent(evs, "ras.rcf") < 3 {
				return false
			}
			// The second PBX records into the first one's history.
			gk.stop()
			gk.restartAt(t, ip, 2*time.Second)
			restarted = true
			return false
		}
		return sent(evs, "ras.rcf") >= 6 && requests(evs, "ras.rrq", false) >= 6
	})
	if res.Registered != 6 || len(res.Failed) != 0 || len(res.Lost) != 0 {
		t.Errorf("result %+v: want three phones registered twice", res)
	}
	if len(res.EndpointIDs) != 3 || res.Duplicates() != 0 {
		t.Errorf("endpoint identifiers %v: want 3, none shared", res.EndpointIDs)
	}
}

// TestPopulationRefusesCalls: a Setup to a phone of the population is
// refused as busy (cause 17) after Call Proceeding, and counted.
func TestPopulationRefusesCalls(t *testing.T) {
	gk := startGatekeeperAt(t, nextLoopback(), time.Minute)
	cfg := population(gk.ras, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var cause int
	res := runPopulation(t, cfg, gk, func(evs []timeline.Event) bool {
		_, signal := rrqs(evs)
		if len(signal) == 0 || sent(evs, "ras.rcf") == 0 {
			return false
		}
		cause = callOnce(t, ctx, gk.ras.Addr(), signal[0]) // from the gatekeeper's host: routed mode
		return true
	})
	if cause != 17 || res.Calls != 1 {
		t.Errorf("release cause %d, calls %d; want 17, 1", cause, res.Calls)
	}
}

// callOnce sends a Setup to addr on a plain TCP connection from the IP
// from and returns the cause of the Release Complete that ends the call.
func callOnce(t *testing.T, ctx context.Context, from netip.Addr, addr netip.AddrPort) int {
	t.Helper()
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0))}
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	_ = c.SetDeadline(deadline)
	leg := h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 5, CallingNumber: "201", CalledNumber: "7000"})
	for _, e := range leg.Setup() {
		if s, ok := e.(h323.Send); ok {
			frame, _ := q931.Frame(s.Payload)
			if _, err := c.Write(frame); err != nil {
				t.Fatal(err)
			}
		}
	}
	rd := q931.NewReader(c, 0)
	for {
		msg, err := rd.ReadMessage()
		if err != nil {
			t.Fatalf("no Release Complete: %v", err)
		}
		for _, e := range leg.HandleMessage(slices.Clone(msg)) {
			if r, ok := e.(h323.PeerReleased); ok {
				return r.Cause
			}
		}
	}
}

// TestPopulationCountsSharedEndpointIDs: a gatekeeper that gives every
// phone the same endpointIdentifier (it takes them for one endpoint) fails
// the load run.
func TestPopulationCountsSharedEndpointIDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// The run ends once each phone, registered, sent a keep-alive.
	gk := sameIDGatekeeper(t, 3, cancel)
	var stdout, stderr strings.Builder
	status := run(ctx, []string{"load", "--gk", gk.String(), "--count", "3", "--ip", nextLoopback().String()}, &stdout, &stderr)
	if status != exitFailed || !strings.Contains(stdout.String(), "3 phones share an endpointIdentifier (1 distinct)") {
		t.Errorf("exit %d\n%s%s", status, stdout.String(), stderr.String())
	}
}

// sameIDGatekeeper answers every RRQ on a plain UDP socket with an RCF
// naming the endpoint "ep-same" and granting 1 s, and every URQ with a
// UCF; once n phones sent a keep-alive it calls keptAlive.
func sameIDGatekeeper(t *testing.T, n int, keptAlive func()) netip.AddrPort {
	t.Helper()
	addr := netip.AddrPortFrom(nextLoopback(), 1719)
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { c.Close(); wg.Wait() })
	wg.Go(func() {
		alive := map[netip.AddrPort]bool{}
		buf := make([]byte, 2048)
		for {
			size, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			m, err := ras.Decode(buf[:size])
			if err != nil {
				continue
			}
			var answer []byte
			switch {
			case m.RegistrationRequest != nil:
				answer, err = ras.Encode(ras.NewRCF(ras.SeqNum(m), "dup-gk", netip.AddrPortFrom(addr.Addr(), 1720), ras.Info{EndpointID: "ep-same"}, time.Second))
			case m.UnregistrationRequest != nil:
				answer, err = ras.Encode(ras.NewUCF(ras.SeqNum(m)))
			default:
				continue
			}
			if err == nil {
				_, _ = c.WriteToUDPAddrPort(answer, from)
			}
			if ras.IsKeepAlive(m) && !alive[from] {
				if alive[from] = true; len(alive) == n {
					keptAlive()
				}
			}
		}
	})
	return addr
}

// TestPopulationPacesUnregistrations: at the end of the run the phones unregister at the rate
// they registered, so that the URQs are as spread as the RRQs were (not one burst), and every
// one is confirmed.
func TestPopulationPacesUnregistrations(t *testing.T) {
	gk := startGatekeeperAt(t, nextLoopback(), time.Minute)
	cfg := population(gk.ras, 20)
	cfg.Rate = 50 // one every 20 ms: 380 ms from the first to the last
	res := runPopulation(t, cfg, gk, func(evs []timeline.Event) bool { return sent(evs, "ras.rcf") >= 20 })
	if res.Registered != 20 {
		t.Fatalf("result %+v", res)
	}
	var first, last time.Duration
	n := 0
	for _, e := range gk.rec.snapshot() {
		if e.Name != "ras.urq" {
			continue
		}
		if n == 0 {
			first = e.At
		}
		last, n = e.At, n+1
	}
	if n < 20 {
		t.Fatalf("%d URQs, want 20", n)
	}
	// The pacing sleeps 19 × 20 ms at least; a burst takes a few milliseconds.
	if span := last - first; span < 300*time.Millisecond {
		t.Errorf("the URQs came within %v: not paced at 50/s", span)
	}
	if u := sent(gk.rec.snapshot(), "ras.ucf"); u != 20 {
		t.Errorf("%d UCFs, want 20", u)
	}
}
