package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// These tests run `pbxsim serve` in-process (runServe) on a loopback
// address of its own with the well-known ports, and phone nodes on realnet
// hosts of their own, configured as phonesim configures them.

const serveTimeout = 25 * time.Second

const serveFile = "../../examples/serve.yaml"

// events keeps what a host or serve recorded, for the test goroutine.
type events struct {
	mu  sync.Mutex
	evs []timeline.Event
}

func (r *events) add(e *timeline.Event) { r.mu.Lock(); r.evs = append(r.evs, *e); r.mu.Unlock() }

func (r *events) snapshot() []timeline.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

func (r *events) find(name string, attrs ...string) bool {
	for _, e := range r.snapshot() {
		if matchEvent(&e, name, attrs...) {
			return true
		}
	}
	return false
}

func matchEvent(e *timeline.Event, name string, attrs ...string) bool {
	if e.Name != name {
		return false
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		if v, ok := e.Get(attrs[i]); !ok || v != attrs[i+1] {
			return false
		}
	}
	return true
}

func (r *events) waitFor(t *testing.T, ctx context.Context, name string, attrs ...string) {
	t.Helper()
	for !r.find(name, attrs...) {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s %v: %v; events:\n%s", name, attrs, ctx.Err(), r.dump())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (r *events) dump() string {
	var b strings.Builder
	for _, e := range r.snapshot() {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

// served is a running `pbxsim serve`.
type served struct {
	ip     netip.Addr
	addrs  pbx.Addrs
	rec    *events
	stderr *syncBuffer
	cancel context.CancelFunc
	code   chan int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startServe runs serve on a fresh loopback address with args before the
// file, and waits until it listens.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ip := loopback.Addr()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{ip: ip, rec: &events{}, stderr: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	ready := make(chan pbx.Addrs, 1)
	hooks := &serveHooks{ready: func(a pbx.Addrs) { ready <- a }, event: s.rec.add}
	all := append([]string{"--ip", ip.String(), "--log-format", "json"}, args...)
	all = append(all, serveFile)
	var stdout syncBuffer
	go func() { s.code <- runServe(ctx, all, &stdout, s.stderr, hooks) }()
	t.Cleanup(func() { s.stop(t) })
	select {
	case s.addrs = <-ready:
	case code := <-s.code:
		s.code <- code
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	case <-time.After(serveTimeout):
		t.Fatal("serve did not start")
	}
	return s
}

// stop ends serve (as SIGINT does) and returns its exit status.
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.code:
		s.code <- code
		return code
	case <-time.After(serveTimeout):
		t.Fatalf("serve did not stop:\n%s", s.stderr.String())
	}
	return -1
}

// testPhone is a phone node on a host of its own.
type testPhone struct {
	n    *phone.Node
	rec  *events
	done chan struct{}
	stop context.CancelFunc
}

// phoneTo is a desk phone of alias and number registering to s over
// transport (signalling port as phonesim picks it), answering as told.
func phoneTo(s *served, alias, number string, tr phone.Transport) phone.NodeConfig {
	core := phone.Defaults(alias, phone.KindDeskphone, "")
	core.TTL = time.Minute
	core.Answer = phone.Answer{Mode: phone.AnswerNever}
	cfg := phone.NodeConfig{Core: core, Alias: alias, Number: number, IP: loopback.Addr(),
		Gatekeeper: s.addrs.RAS, PBXSignal: s.addrs.Signal, Transport: tr,
		SetupTimeout: phone.DefaultSetupTimeout, ProceedingTimeout: phone.DefaultProceedingTimeout,
		Report: true, StopOnFailure: true, Random: rand.Reader}
	switch tr {
	case phone.DTLS:
		cfg.Gatekeeper, cfg.PBXSignal = s.addrs.DTLS, s.addrs.Secure
	case phone.H460TLS:
		cfg.PBXSignal = s.addrs.Secure
	}
	return cfg
}

func runTestPhone(t *testing.T, ctx context.Context, cfg phone.NodeConfig) *testPhone {
	t.Helper()
	n, err := phone.NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := realnet.NewHost(zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), nil)
	h.Describe = map[string]realnet.Describer{"ras": ras.Describe, "q931": h323.Describe}
	p := &testPhone{n: n, rec: &events{}, done: make(chan struct{})}
	h.OnEvent = p.rec.add
	h.Add(cfg.Core.Device, cfg.IP, n)
	runCtx, cancel := context.WithCancel(ctx)
	p.stop = cancel
	go func() { _ = h.Run(runCtx); close(p.done) }()
	t.Cleanup(func() { cancel(); <-p.done })
	return p
}

func (p *testPhone) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(serveTimeout):
		t.Fatalf("phone did not end:\n%s", p.rec.dump())
	}
}

func serveContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), serveTimeout)
	t.Cleanup(cancel)
	return ctx
}

// TestServeRegisterUDP: phones register over UDP with and without H.235
// (both token methods); a wrong password gets RRJ securityDenial, an alias
// that names no user RRJ invalidAlias; serve ends with status 0 and writes
// --json.
func TestServeRegisterUDP(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, "--json", filepath.Join(dir, "run.json"))
	ctx := serveContext(t)
	for _, tc := range []struct {
		alias, number, password string
		auth                    ras.AuthMethod
		failure                 string
	}{
		{"alice", "201", "", 0, ""},
		{"bob", "202", "secret", ras.AuthHMACSHA1, ""},
		{"bob", "202", "secret", ras.AuthMD5, ""},
		{"bob", "202", "guess", ras.AuthHMACSHA1, "securityDenial"},
		{"zed", "299", "", 0, "invalidAlias"},
	} {
		cfg := phoneTo(s, tc.alias, tc.number, phone.H323)
		cfg.Password, cfg.Authentication = tc.password, tc.auth
		p := runTestPhone(t, ctx, cfg)
		if tc.failure != "" {
			p.wait(t)
			if res := p.n.Result(); res.Registered || res.Failure != tc.failure {
				t.Errorf("%s/%s: result %+v, want failure %s", tc.alias, tc.password, res, tc.failure)
			}
			continue
		}
		p.rec.waitFor(t, ctx, "phone.registered")
		p.stop()
		p.wait(t)
		if res := p.n.Result(); !res.Registered || res.Unregistered != "urq" {
			t.Errorf("%s/%v: result %+v", tc.alias, tc.auth, res)
		}
	}
	if code := s.stop(t); code != exitOK {
		t.Errorf("serve exit %d:\n%s", code, s.stderr.String())
	}
	b := string(readFile(t, filepath.Join(dir, "run.json")))
	for _, want := range []string{`"ras.rcf"`, `"securityDenial"`, `"invalidAlias"`} {
		if !strings.Contains(b, want) {
			t.Errorf("--json lacks %s", want)
		}
	}
	if !strings.Contains(s.stderr.String(), `"event":"ras.rrj"`) && !strings.Contains(s.stderr.String(), `"message":"serving"`) {
		t.Errorf("no JSON log lines:\n%s", s.stderr.String())
	}
}

var _ = node.UDP

// TestServePortTaken: a second serve on the same address cannot bind the
// well-known ports: it says so and exits 1 at once; a bad flag or file is
// a usage error.
func TestServePortTaken(t *testing.T) {
	s := startServe(t)
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), serveTimeout)
	defer cancel()
	start := time.Now()
	if code := runServe(ctx, []string{"--ip", s.ip.String(), "--log-format", "json", serveFile}, &out, &errOut, nil); code != exitFailed {
		t.Errorf("second serve: exit %d, want 1\n%s", code, errOut.String())
	}
	if time.Since(start) > 5*time.Second || !strings.Contains(errOut.String(), "could not be bound") {
		t.Errorf("second serve took %v:\n%s", time.Since(start), errOut.String())
	}
	for _, args := range [][]string{{"--ip", "nope", serveFile}, {"--log-format", "xml", serveFile}, {"no-such.yaml"}, {}} {
		if code := runServe(ctx, args, &out, &errOut, nil); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
