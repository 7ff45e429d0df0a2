package main

import (
	"context"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/sim/realnet"

	"github.com/rs/zerolog"
)

// startGatekeeper runs a RAS-only gatekeeper on loopback until the test
// ends: the password of alice (and of aliases starting so) is "secret".
// Expiry timers are not needed by these short runs and are not armed.
func startGatekeeper(t *testing.T) netip.AddrPort {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	loop := realnet.NewLoop(zerolog.Nop())
	var gk *ras.Gatekeeper
	var sock *realnet.UDPSocket
	sock, err := realnet.ListenUDP(loop, netip.MustParseAddrPort("127.0.0.1:0"), func(from netip.AddrPort, b []byte) {
		for _, e := range gk.HandleDatagram(loop.Now(), from, b) {
			if s, ok := e.(ras.Send); ok {
				_ = sock.Send(s.To, s.Payload)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The ACF sends callers to a port where nothing listens.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := netip.MustParseAddrPort(closed.Addr().String())
	closed.Close()
	gk = ras.NewGatekeeper(ras.GatekeeperConfig{ID: "gk", RASAddress: sock.LocalAddr(), TimeToLive: time.Minute, CallSignalAddress: refused,
		Password: func(alias string) (string, bool) { return "secret", strings.HasPrefix(alias, "alice") }})
	var wg sync.WaitGroup
	wg.Go(func() { _ = loop.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return sock.LocalAddr()
}

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
		{name: "wrong password", args: []string{"register", "--gk", gk, "--alias", "alice", "--number", "201", "--password", "guess"},
			want: exitFailed, stdout: []string{"->  ras.rrq", "<-  ras.rrj", "reason=securityDenial"}, stderr: "registration failed: securityDenial"},
		{name: "registered", args: []string{"register", "--gk", gk, "--alias", "alice", "--number", "201", "--password", "secret", "--discover", "--duration", "1s"},
			want: exitOK, stdout: []string{"->  ras.grq", "<-  ras.gcf", "<-  ras.rcf", "phone.registered", "->  ras.urq", "<-  ras.ucf"}},
		{name: "call not placed", args: []string{"call", "--gk", gk, "--alias", "bob", "--number", "202", "--to", "201"},
			want: exitFailed, stdout: []string{"->  ras.arq", "<-  ras.acf", "->  ras.drq", "<-  ras.ucf"}, stderr: "call to 201 not placed: dial"},
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
		t.Fatalf("exit %d: %s", code, stderr.String())
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
	for arg, want := range map[string]realnet.AnswerAdmission{
		"auto": realnet.AnswerAdmissionAuto, "always": realnet.AnswerAdmissionAlways, "never": realnet.AnswerAdmissionNever,
	} {
		cfg, _, err := parse("register", []string{"--gk", "127.0.0.1", "--alias", "a", "--answer-arq", arg}, io.Discard)
		if err != nil || cfg.AnswerAdmission != want {
			t.Errorf("--answer-arq %s: %v, %v; want %v", arg, cfg.AnswerAdmission, err, want)
		}
	}
}
