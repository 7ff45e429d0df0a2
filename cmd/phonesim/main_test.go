package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// startGatekeeper runs a PBX (the pbx node, as pbxsim serve would) on a
// loopback address of its own until the test ends, and returns its RAS
// address. Its users: alice (201, H.235 password "secret"), bob (202),
// carol (203), alice0 (password "secret"), and the load populations'
// load0..load9 and load00..load29 aliases; each has one desk phone.
func startGatekeeper(t *testing.T) netip.AddrPort {
	t.Helper()
	return startGatekeeperAt(t, nextLoopback(), time.Minute).ras
}

// testGatekeeper is a running test PBX: its RAS address, what it recorded
// (its own messages and, described, those it received), and how to stop
// it before the test ends.
type testGatekeeper struct {
	ras  netip.AddrPort
	rec  *recorder
	stop func()
}

// startGatekeeperAt runs the test PBX at ip, granting ttl, for at most
// 20 s.
func startGatekeeperAt(t *testing.T, ip netip.Addr, ttl time.Duration) *testGatekeeper {
	t.Helper()
	return startGatekeeperFor(t, ip, ttl, 20*time.Second)
}

// startGatekeeperFor runs the test PBX at ip, granting ttl, for at most life.
func startGatekeeperFor(t *testing.T, ip netip.Addr, ttl, life time.Duration) *testGatekeeper {
	t.Helper()
	gk := &testGatekeeper{ras: netip.AddrPortFrom(ip, pbx.PortRAS), rec: &recorder{}}
	gk.start(t, ip, ttl, life)
	return gk
}

// restartAt starts a new PBX (none of the old one's registrations) at ip
// in place of the stopped one; its events go on in the same recorder.
func (gk *testGatekeeper) restartAt(t *testing.T, ip netip.Addr, ttl time.Duration) {
	t.Helper()
	gk.start(t, ip, ttl, 20*time.Second)
}

func (gk *testGatekeeper) start(t *testing.T, ip netip.Addr, ttl, life time.Duration) {
	t.Helper()
	cfg := pbx.Config{SystemName: "gk", Users: []pbx.User{
		{Name: "alice", Number: "201", Password: "secret"}, {Name: "bob", Number: "202"}, {Name: "carol", Number: "203"},
		{Name: "alice0", Number: "2010", Password: "secret"}}}
	for _, width := range []int{1, 2} {
		for k := 0; k < 30 && (width == 2 || k < 10); k++ {
			cfg.Users = append(cfg.Users, pbx.User{Name: fmt.Sprintf("load%0*d", width, k), Number: fmt.Sprintf("7%d%03d", width, k)})
		}
	}
	for _, u := range cfg.Users {
		cfg.Devices = append(cfg.Devices, pbx.Device{Name: u.Name + "-phone", User: u.Name, Kind: pbx.KindDeskphone})
	}
	n, err := pbx.NewNode(pbx.NodeConfig{Core: cfg, Name: "gk", IP: ip, TimeToLive: ttl, Random: rand.Reader,
		Listen: pbx.Addrs{DTLS: netip.AddrPortFrom(ip, 0), Secure: netip.AddrPortFrom(ip, 0), Session: netip.AddrPortFrom(ip, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	host := realnet.NewHost(zerolog.Nop(), nil)
	host.Describe = describers
	host.OnEvent = gk.rec.add
	host.Add("gk", ip, n)
	ctx, cancel := context.WithTimeout(context.Background(), life)
	var wg sync.WaitGroup
	wg.Go(func() { _ = host.Run(ctx) })
	gk.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(gk.stop)
	// The PBX binds every socket when it starts: once its call-signalling
	// port answers, its RAS port is bound too.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", netip.AddrPortFrom(ip, pbx.PortSignalling).String(), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the PBX did not start: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder keeps a host's events for the test goroutine.
type recorder struct {
	mu     sync.Mutex
	events []timeline.Event
}

func (r *recorder) add(e *timeline.Event) {
	r.mu.Lock()
	r.events = append(r.events, *e)
	r.mu.Unlock()
}

func (r *recorder) snapshot() []timeline.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// nextLoopback is a loopback address of its own for each test PBX and
// population, so that tests running at once do not share the well-known
// ports (see package loopback).
func nextLoopback() netip.Addr { return loopback.Addr() }

func TestExitStatus(t *testing.T) {
	gk := startGatekeeper(t).String()
	tests := []struct {
		name   string
		args   []string
		want   int
		stdout []string // substrings of the trace
		stderr string
	}{
		{name: "no command", args: nil, want: exitUsage, stderr: "usage:"},
		{name: "unknown command", args: []string{"dial"}, want: exitUsage, stderr: `unknown command "dial"`},
		{name: "no gatekeeper", args: []string{"register", "--alias", "alice"}, want: exitUsage, stderr: "--gk is required"},
		{name: "bad answer", args: []string{"register", "--gk", gk, "--alias", "a", "--answer-after", "soon"}, want: exitUsage, stderr: "--answer-after"},
		{name: "bad answer-arq", args: []string{"register", "--gk", gk, "--alias", "a", "--answer-arq", "sometimes"}, want: exitUsage, stderr: "want auto, always or never"},
		{name: "bad number", args: []string{"register", "--gk", gk, "--alias", "a", "--number", "12a"}, want: exitUsage, stderr: "dialled digits"},
		{name: "bad listen", args: []string{"register", "--gk", gk, "--alias", "a", "--listen", "nowhere"}, want: exitUsage, stderr: "--listen"},
		{name: "bad ras listen", args: []string{"register", "--gk", gk, "--alias", "a", "--ras-listen", "x"}, want: exitUsage, stderr: "--ras-listen"},
		{name: "negative timer", args: []string{"call", "--gk", gk, "--alias", "a", "--to", "1", "--setup-timeout", "-1s"}, want: exitUsage, stderr: "--setup-timeout"},
		{name: "call without --to", args: []string{"call", "--gk", gk, "--alias", "a"}, want: exitUsage, stderr: "--to is required"},
		{name: "unknown flag", args: []string{"register", "--gk", gk, "--alias", "a", "--colour"}, want: exitUsage, stderr: "colour"},
		{name: "bad max-tpkt", args: []string{"register", "--gk", gk, "--alias", "a", "--max-tpkt", "70000"}, want: exitUsage, stderr: "--max-tpkt 70000"},
		{name: "negative max-conns", args: []string{"register", "--gk", gk, "--alias", "a", "--max-conns", "-1"}, want: exitUsage, stderr: "must not be negative"},
		{name: "load bad read-timeout", args: []string{"load", "--gk", gk, "--count", "1", "--read-timeout", "-1s"}, want: exitUsage, stderr: "must not be negative"},
		{name: "wrong password", args: []string{"register", "--gk", gk, "--alias", "alice", "--number", "201", "--password", "guess"},
			want: exitFailed, stdout: []string{"->  ras.rrq", "<-  ras.rrj", "reason=securityDenial"}, stderr: "registration failed: securityDenial"},
		{name: "registered", args: []string{"register", "--gk", gk, "--alias", "alice", "--number", "201", "--password", "secret", "--discover", "--duration", "1s"},
			want: exitOK, stdout: []string{"->  ras.grq", "<-  ras.gcf", "<-  ras.rcf", "phone.registered", "->  ras.urq", "<-  ras.ucf"}},
		{name: "call not placed", args: []string{"call", "--gk", gk, "--alias", "bob", "--number", "202", "--to", "999"},
			want: exitFailed, stdout: []string{"->  ras.arq", "<-  ras.arj", "reason=calledPartyNotRegistered", "->  ras.urq", "<-  ras.ucf"},
			stderr: "call to 999 not placed: calledPartyNotRegistered"},
		{name: "no gatekeeper answers", args: []string{"register", "--gk", "127.0.0.1:9", "--alias", "bob", "--duration", "1s"},
			want: exitFailed, stderr: "never registered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if got := run(ctx, tc.args, &stdout, &stderr); got != tc.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tc.want, stdout.String(), stderr.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
		})
	}
}

func TestGatekeeperAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1:1719"},
		{"127.0.0.1:2719", "127.0.0.1:2719"},
		{"[::1]", "[::1]:1719"},
		{"[::1]:1720", "[::1]:1720"},
	}
	for _, tc := range tests {
		got, err := gatekeeperAddr(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("gatekeeperAddr(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:99999", "127.0.0.1:x"} {
		if _, err := gatekeeperAddr(bad); err == nil {
			t.Errorf("gatekeeperAddr(%q) accepted", bad)
		}
	}
}

func TestPcapOption(t *testing.T) {
	gk := startGatekeeper(t).String()
	path := filepath.Join(t.TempDir(), "run.pcap")
	var stdout, stderr strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := run(ctx, []string{"register", "--gk", gk, "--alias", "carol", "--duration", "1s", "--pcap", path}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	c, err := capture.ReadFile(path, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// RRQ, RCF, URQ, UCF.
	if len(c.Records) != 4 {
		t.Fatalf("%d records, want 4:\n%s", len(c.Records), stdout.String())
	}
	for i, r := range c.Records {
		m, err := ras.Decode(r.Payload)
		if r.Transport != capture.TransportUDP || err != nil {
			t.Errorf("record %d: %s, %v", i, r.Transport, err)
			continue
		}
		if name := ras.EventName(m); !strings.Contains(stdout.String(), name) {
			t.Errorf("record %d is %s, not in the trace", i, name)
		}
	}
}

func TestAnswerARQOption(t *testing.T) {
	for arg, want := range map[string]phone.AnswerAdmission{
		"auto": phone.AdmissionAuto, "always": phone.AdmissionAlways, "never": phone.AdmissionNever,
	} {
		cfg, _, err := parse("register", []string{"--gk", "127.0.0.1", "--alias", "a", "--answer-arq", arg}, io.Discard)
		if err != nil || cfg.Admission != want {
			t.Errorf("--answer-arq %s: %v, %v; want %v", arg, cfg.Admission, err, want)
		}
	}
}

// TestLimitAndDirectFlags: the shared limit flags and --direct reach the
// run's configuration; the defaults are realnet's.
func TestLimitAndDirectFlags(t *testing.T) {
	cfg, _, err := parse("register", []string{"--gk", "127.0.0.1", "--alias", "a"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Direct || cfg.Limits != realnet.DefaultLimits() {
		t.Errorf("defaults: direct %v, limits %+v", cfg.Direct, cfg.Limits)
	}
	cfg, _, err = parse("call", []string{"--gk", "127.0.0.1", "--alias", "a", "--to", "1", "--direct", "--max-conns", "5", "--idle-timeout", "2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Direct || cfg.Limits.MaxConns != 5 || cfg.Limits.IdleTimeout != 2*time.Second {
		t.Errorf("direct %v, limits %+v", cfg.Direct, cfg.Limits)
	}
	n, err := cfg.nodeConfig()
	if err != nil || !n.DirectCalls {
		t.Errorf("node config: direct %v, %v", n.DirectCalls, err)
	}
}

// TestH245Option: --h245 chooses how calls carry H.245 (tunnel by default) and refuses
// anything else.
func TestH245Option(t *testing.T) {
	for _, c := range []struct {
		args []string
		want phone.H245Mode
	}{{nil, phone.H245Tunnel}, {[]string{"--h245", "tunnel"}, phone.H245Tunnel},
		{[]string{"--h245", "separate"}, phone.H245Separate}, {[]string{"--h245", "off"}, phone.H245Off}} {
		for _, command := range []string{"register", "call"} {
			args := append([]string{"--gk", "127.0.0.1", "--alias", "a", "--to", "201"}[:map[string]int{"register": 4, "call": 6}[command]], c.args...)
			cfg, _, err := parse(command, args, io.Discard)
			if err != nil || cfg.H245 != c.want {
				t.Errorf("%s %v: %v, %v; want %v", command, c.args, cfg.H245, err, c.want)
			}
			if n, err := cfg.nodeConfig(); err != nil || n.H245 != c.want {
				t.Errorf("%s %v: node config %v, %v", command, c.args, n.H245, err)
			}
		}
	}
	if _, _, err := parse("call", []string{"--gk", "127.0.0.1", "--alias", "a", "--to", "201", "--h245", "both"}, io.Discard); err == nil {
		t.Error("--h245 both accepted")
	}
}
