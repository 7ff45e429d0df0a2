package realnet

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
)

func loadConfig(t *testing.T, gk netip.AddrPort, count int) LoadConfig {
	return LoadConfig{Gatekeeper: gk, IP: netip.MustParseAddr("127.0.0.1"), Count: count, AliasPrefix: "load",
		FirstNumber: 5000, TTL: 60 * time.Second, Log: testLog(t)}
}

// TestLoadRegistersKeepsAliveAndLeaves: a population registers at the
// given rate, stays registered with keep-alives (the harness grants 1 s),
// and unregisters at the end: the gatekeeper then holds none of it.
func TestLoadRegistersKeepsAliveAndLeaves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Second, nil)
	cfg := loadConfig(t, gk.RAS, 30)
	cfg.Rate, cfg.Duration = 300, 1500*time.Millisecond
	var progress strings.Builder
	cfg.Progress = &syncWriter{w: &progress}
	res, err := RunLoad(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Endpoints != 30 || res.Registered != 30 || len(res.Failed) != 0 || len(res.Lost) != 0 || res.KeepAlives < 30 {
		t.Fatalf("result %+v", res)
	}
	if len(res.Latencies) != 30 || res.Percentile(50) <= 0 || res.Percentile(100) < res.Percentile(50) {
		t.Errorf("latencies %v", res.Latencies)
	}
	if !strings.Contains(progress.String(), "registered 30/30") {
		t.Errorf("progress lines:\n%s", progress.String())
	}
	var registered map[string]int
	var left int
	gk.onLoop(func() {
		registered = gk.registrations
		for alias := range registered {
			if _, ok := gk.gk.Lookup(alias); ok {
				left++
			}
		}
	})
	if len(registered) != 30 || registered["load00"] != 1 || registered["load29"] != 1 {
		t.Errorf("the gatekeeper registered %v", registered)
	}
	if left != 0 {
		t.Errorf("%d endpoints still registered after the run", left)
	}
}

// TestLoadShard: shard 1 of 3 runs the endpoints 1, 4, 7, ... of the
// population, numbered as in the whole population.
func TestLoadShard(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, nil)
	cfg := loadConfig(t, gk.RAS, 30)
	cfg.Shard, cfg.Shards, cfg.Duration = 1, 3, 100*time.Millisecond
	res, err := RunLoad(ctx, cfg)
	if err != nil || res.Endpoints != 10 || res.Registered != 10 {
		t.Fatalf("result %+v, %v", res, err)
	}
	var registered map[string]int
	gk.onLoop(func() { registered = gk.registrations })
	for k := range 30 {
		alias := fmt.Sprintf("load%02d", k)
		if want := k%3 == 1; (registered[alias] == 1) != want {
			t.Errorf("%s registered %d times; in shard 1/3: %v", alias, registered[alias], want)
		}
	}
}

// TestLoadReregisters: a gatekeeper that refuses at first (security
// denial for a wrong password) refuses every attempt, and with Reregister
// the population tries again until the run ends; ctx ending ends the run.
func TestLoadReregisters(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, map[string]string{"load0": "secret", "load1": "secret"})
	cfg := loadConfig(t, gk.RAS, 2)
	cfg.Password, cfg.Reregister = "wrong", 100*time.Millisecond
	runCtx, stop := context.WithTimeout(ctx, 700*time.Millisecond)
	defer stop()
	res, err := RunLoad(runCtx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Registered != 0 || res.Failed["securityDenial"] < 4 {
		t.Errorf("result %+v: want only failures, retried", res)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	for _, cfg := range []LoadConfig{
		{Count: 0},
		{Count: 3, Shard: 3, Shards: 3},
		{Count: 3, Rate: -1},
	} {
		if _, err := RunLoad(context.Background(), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// syncWriter lets the loop goroutine write while the test reads afterwards.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// TestLoadRefusesCalls: a Setup to the population's call-signalling address
// gets Release Complete 17 at once, and is counted.
func TestLoadRefusesCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	gk := startGatekeeper(t, ctx, time.Minute, nil)
	cfg := loadConfig(t, gk.RAS, 1)
	runCtx, stop := context.WithCancel(ctx)
	var res LoadResult
	var err error
	done := make(chan struct{})
	go func() { defer close(done); res, err = RunLoad(runCtx, cfg) }()
	var signal netip.AddrPort
	for ok := false; !ok; {
		if signal, ok = lookupSignal(gk, "load0"); !ok {
			select {
			case <-ctx.Done():
				t.Fatal("the endpoint did not register")
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	c, derr := net.Dial("tcp", signal.String())
	if derr != nil {
		t.Fatal(derr)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	leg := h323.NewLeg(h323.LegConfig{Outgoing: true, CallReference: 5, CallingNumber: "201", CalledNumber: "5000"})
	for _, e := range leg.Setup() {
		if s, ok := e.(h323.Send); ok {
			frame, _ := q931.Frame(s.Payload)
			if _, err := c.Write(frame); err != nil {
				t.Fatal(err)
			}
		}
	}
	msg, rerr := q931.NewReader(c, 0).ReadMessage()
	if rerr != nil {
		t.Fatal(rerr)
	}
	var cause int
	for _, e := range leg.HandleMessage(slices.Clone(msg)) {
		if r, ok := e.(h323.PeerReleased); ok {
			cause = r.Cause
		}
	}
	stop()
	<-done
	if err != nil || cause != 17 || res.Calls != 1 {
		t.Errorf("release cause %d, calls %d, %v; want 17, 1", cause, res.Calls, err)
	}
}
