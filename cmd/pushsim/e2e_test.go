package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// The push path across processes on loopback, with real TLS, wss and
// HTTP/2: pushsim (in this process, as its main runs it), a PBX node on
// realnet with its Push object and callers, and `phonesim app` processes.

// phonesimBinary and pushsimBinary build the commands once for the tests.
var (
	phonesimBinary = sync.OnceValues(func() (string, error) { return buildCommand("phonesim") })
	pushsimBinary  = sync.OnceValues(func() (string, error) { return buildCommand("pushsim") })
)

// builtDirs are the build directories, removed when the tests end.
var (
	builtMu   sync.Mutex
	builtDirs []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	builtMu.Lock()
	for _, d := range builtDirs {
		os.RemoveAll(d)
	}
	builtMu.Unlock()
	os.Exit(code)
}

func buildCommand(name string) (string, error) {
	dir, err := os.MkdirTemp("", "pushsim-e2e")
	if err != nil {
		return "", err
	}
	builtMu.Lock()
	builtDirs = append(builtDirs, dir)
	builtMu.Unlock()
	bin := filepath.Join(dir, name)
	out, err := exec.Command("go", "build", "-o", bin, "github.com/callwake/callwake/cmd/"+name).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", name, err, out)
	}
	return bin, nil
}

// syncBuffer is a writer many goroutines may write and read.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pushsimRun is a pushsim serving in this process.
type pushsimRun struct {
	o      *options
	out    *syncBuffer
	done   chan error
	cancel context.CancelFunc
	dir    string
}

func startPushsim(t testing.TB, extra ...string) *pushsimRun {
	t.Helper()
	return startPushsimTapped(t, nil, extra...)
}

func startPushsimTapped(t testing.TB, tap cloud.Tap, extra ...string) *pushsimRun {
	t.Helper()
	ip := loopback.Addr()
	dir := t.TempDir()
	args := append([]string{"--test-pki", filepath.Join(dir, "pki"), "--listen", netip.AddrPortFrom(ip, 8443).String(),
		"--apns", netip.AddrPortFrom(ip, 8444).String(), "--fcm", netip.AddrPortFrom(ip, 8445).String(),
		"--json", filepath.Join(dir, "run.json"), "--log-format", "json"}, extra...)
	o, err := parse(args)
	if err != nil {
		t.Fatal(err)
	}
	o.tap = tap
	ctx, cancel := context.WithCancel(context.Background())
	r := &pushsimRun{o: o, out: &syncBuffer{}, done: make(chan error, 1), cancel: cancel, dir: dir}
	go func() { r.done <- serve(ctx, o, r.out, io.Discard) }()
	t.Cleanup(func() { r.stop(t) })
	waitFor(t, "pushsim listening", 20*time.Second, func() bool { return strings.Count(r.out.String(), "listening on") == 5 })
	return r
}

func (r *pushsimRun) stop(t testing.TB) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("pushsim: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("pushsim did not stop")
	}
}

// events reads pushsim's --json after it stopped.
func (r *pushsimRun) events(t *testing.T) []eventJSON {
	t.Helper()
	r.stop(t)
	data, err := os.ReadFile(filepath.Join(r.dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Events []eventJSON }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Events
}

func (e eventJSON) get(key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// world is the PBX side: a PBX node with its Push object and one caller
// desk phone per call, on a realnet host of the test.
type world struct {
	host    *realnet.Host
	pbxIP   netip.Addr
	callers map[string]realnet.NodeRef
	mu      sync.Mutex
	events  []timeline.Event
	done    chan struct{}
	cancel  context.CancelFunc
}

// callerDisplay is the callers' display name: the push details carry it
// to the app, encrypted (B07).
const callerDisplay = "Zacharias Quellmalz"

// appUser is a user whose only device is a sleeping app.
type appUser struct {
	name, number, device string
	os                   phone.OS
}

func loadPair(t *testing.T, dir, cert, key string) *tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(filepath.Join(dir, cert), filepath.Join(dir, key))
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func pool(t *testing.T, dir string, files ...string) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	for _, f := range files {
		certs, err := readCerts(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range certs {
			p.AddCert(c)
		}
	}
	return p
}

// startWorld hosts the PBX: its Push object dials ps with the test PKI's
// device certificate and trusts the service CA unless untrusted is set
// (then only the device CA, B03).
func startWorld(t *testing.T, ps *pushsimRun, apps []appUser, untrusted bool) *world {
	t.Helper()
	return startWorldWith(t, ps, apps, worldOptions{untrusted: untrusted})
}

// worldOptions vary the PBX: its trust list (B03) and the certificate its
// Push object presents (B02, B05; nil = the test PKI's device one).
type worldOptions struct {
	untrusted bool
	cert      *tls.Certificate
	// cfnr forwards the first app user's unanswered calls to carol (399),
	// whose desk phone answers after 500 ms, after cfnrAfter (0 = 20 s).
	cfnr      bool
	cfnrAfter time.Duration
	// v12r2 makes the PBX a 12r2 one: its Push object logs in with the
	// registration password on the legacy endpoint (B06), and the first
	// app user forks to its own number (the B16 workaround).
	v12r2 bool
}

// registrationPassword is the 12r2 PBX's push registration password.
const registrationPassword = "registration-secret"

func startWorldWith(t *testing.T, ps *pushsimRun, apps []appUser, wo worldOptions) *world {
	t.Helper()
	untrusted := wo.untrusted
	pkiDir := ps.o.TestPKI
	ip := loopback.Addr()
	cfg := pbx.Config{SystemName: "pbx.example", Push: &pbx.PushObject{Name: "Push"}}
	var dir []pbx.DeviceEntry
	w := &world{pbxIP: ip, callers: map[string]realnet.NodeRef{}, done: make(chan struct{})}
	for i, a := range apps {
		cfg.Users = append(cfg.Users, pbx.User{Name: a.name, Number: a.number, Push: "Push"},
			pbx.User{Name: fmt.Sprintf("caller%d", i), Number: fmt.Sprintf("30%d", i), Display: fmt.Sprintf("%s %d", callerDisplay, i)})
		cfg.Devices = append(cfg.Devices,
			pbx.Device{Name: a.device, User: a.name, Kind: pbx.KindMyApps, Platform: pbx.Platform(a.os), PushToken: true},
			pbx.Device{Name: fmt.Sprintf("caller%d-desk", i), User: fmt.Sprintf("caller%d", i), Kind: pbx.KindDeskphone})
		dir = append(dir, pbx.DeviceEntry{Name: a.device})
	}
	if wo.v12r2 {
		cfg.Version = pbx.V12r2
		cfg.Users[0].Forks = []string{cfg.Users[0].Number}
	}
	if wo.cfnr {
		after := wo.cfnrAfter
		if after == 0 {
			after = 20 * time.Second
		}
		cfg.Users[0].CFNR = &pbx.Forward{To: "399", After: after}
		cfg.Users = append(cfg.Users, pbx.User{Name: "carol", Number: "399"})
		cfg.Devices = append(cfg.Devices, pbx.Device{Name: "carol-desk", User: "carol", Kind: pbx.KindDeskphone})
	}
	trust := []string{pki.ServiceCAName}
	roots := pool(t, pkiDir, fileServiceCA)
	if untrusted {
		trust, roots = []string{pki.DeviceCAName}, pool(t, pkiDir, fileDeviceCA)
	}
	pbxCert := wo.cert
	if pbxCert == nil {
		pbxCert = loadPair(t, pkiDir, filePBX, filePBXKey)
	}
	sec := &node.Security{Own: &node.Credential{Identity: node.Identity{Subject: "pbx", Issuer: pki.DeviceCAName, Serial: "1"},
		Certificate: pbxCert}, Trust: trust, Roots: roots, ServerName: serviceHost}
	// The PBX's own listeners (the myApps session) present a certificate
	// of the service CA; the app does not check it.
	sessCert := loadPair(t, pkiDir, fileService, fileServiceKey)
	client := push.ClientConfig{PBX: "pbx", Name: "Push", URL: "wss://" + serviceHost + ps.o.Path,
		SystemName: "pbx.example", Certificate: pki.RoleDevice, CertificateSerial: "1"}
	if wo.v12r2 {
		client.Auth, client.Password = push.AuthPassword, registrationPassword
	}
	n, err := pbx.NewNode(pbx.NodeConfig{Core: cfg, Name: "pbx", IP: ip, TimeToLive: time.Minute,
		Directory: dir, Random: rand.Reader, NoDTLS: true,
		Security: &node.Security{Own: &node.Credential{Identity: node.Identity{Subject: serviceHost}, Certificate: sessCert}},
		Listen:   pbx.Addrs{Secure: netip.AddrPortFrom(ip, 0)},
		Push:     &pbx.PushConfig{Client: client, Service: ps.o.Listen, Security: sec}})
	if err != nil {
		t.Fatal(err)
	}
	w.host = realnet.NewHost(zerolog.Nop(), nil)
	w.host.OnEvent = func(e *timeline.Event) { w.mu.Lock(); w.events = append(w.events, *e); w.mu.Unlock() }
	w.host.Add("pbx", ip, n)
	for i := range apps {
		name := fmt.Sprintf("caller%d-desk", i)
		cip := loopback.Addr()
		core := phone.Defaults(name, phone.KindDeskphone, "")
		pn, err := phone.NewNode(phone.NodeConfig{Core: core, Alias: fmt.Sprintf("caller%d", i), Number: fmt.Sprintf("30%d", i),
			DeviceAlias: name, IP: cip, Discover: true, PBX: "pbx",
			Gatekeeper: netip.AddrPortFrom(ip, pbx.PortRAS), PBXSignal: netip.AddrPortFrom(ip, pbx.PortSignalling),
			SetupTimeout: phone.DefaultSetupTimeout, ProceedingTimeout: phone.DefaultProceedingTimeout, Random: rand.Reader})
		if err != nil {
			t.Fatal(err)
		}
		w.callers[name] = w.host.Add(name, cip, pn)
	}
	if wo.cfnr {
		cip := loopback.Addr()
		core := phone.Defaults("carol-desk", phone.KindDeskphone, "")
		core.Answer = phone.Answer{Mode: phone.AnswerAfter, After: 500 * time.Millisecond}
		pn, err := phone.NewNode(phone.NodeConfig{Core: core, Alias: "carol", Number: "399",
			DeviceAlias: "carol-desk", IP: cip, Discover: true, PBX: "pbx",
			Gatekeeper: netip.AddrPortFrom(ip, pbx.PortRAS), PBXSignal: netip.AddrPortFrom(ip, pbx.PortSignalling),
			SetupTimeout: phone.DefaultSetupTimeout, ProceedingTimeout: phone.DefaultProceedingTimeout, Random: rand.Reader})
		if err != nil {
			t.Fatal(err)
		}
		w.host.Add("carol-desk", cip, pn)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() { _ = w.host.Run(ctx); close(w.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.done:
		case <-time.After(15 * time.Second):
			t.Error("the PBX host did not stop")
		}
	})
	waitFor(t, "the PBX listening", 10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", netip.AddrPortFrom(ip, pbx.PortSignalling).String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return w
}

// has reports whether an event of that name with those attributes was
// recorded.
func (w *world) has(name string, attrs ...string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.events {
		if matches(&w.events[i], name, attrs) {
			return true
		}
	}
	return false
}

func matches(e *timeline.Event, name string, attrs []string) bool {
	if e.Name != name {
		return false
	}
	for _, kv := range attrs {
		k, v, _ := strings.Cut(kv, "=")
		if got, _ := e.Get(k); got != v {
			return false
		}
	}
	return true
}

// names lists the events of the names wanted, in order, with from and to.
func (w *world) sequence(keep func(name string) bool) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for i := range w.events {
		e := &w.events[i]
		if keep(e.Name) {
			from, _ := e.Get("from")
			to, _ := e.Get("to")
			out = append(out, e.Name+" "+from+">"+to)
		}
	}
	return out
}

func (w *world) call(i int, to string) {
	w.host.Deliver(w.callers[fmt.Sprintf("caller%d-desk", i)], node.Command{Cmd: phone.PlaceCall{To: to, HangupAfter: 2 * time.Second}})
}

// app is a `phonesim app` process.
type app struct {
	out  *syncBuffer
	cmd  *exec.Cmd
	done chan error
}

func startApp(t *testing.T, w *world, ps *pushsimRun, u appUser, extra ...string) *app {
	t.Helper()
	bin, err := phonesimBinary()
	if err != nil {
		t.Fatal(err)
	}
	vendor := netip.AddrPortFrom(ps.o.FCM.Addr(), ps.o.FCMDevicePort)
	if u.os == phone.IOS {
		vendor = netip.AddrPortFrom(ps.o.APNs.Addr(), ps.o.APNsDevicePort)
	}
	args := append([]string{"app", "--gk", w.pbxIP.String(), "--alias", u.name, "--number", u.number, "--device", u.device,
		"--os", string(u.os), "--vendor", vendor.String(), "--listen", loopback.Addr().String() + ":0",
		"--duration", "60s"}, extra...)
	a := &app{out: &syncBuffer{}, done: make(chan error, 1)}
	a.cmd = exec.Command(bin, args...)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() {
		_ = a.cmd.Process.Signal(os.Interrupt)
		select {
		case <-a.done:
		case <-time.After(10 * time.Second):
			_ = a.cmd.Process.Kill()
			t.Errorf("phonesim app %s did not stop on SIGINT", u.device)
		}
		if t.Failed() {
			t.Logf("phonesim app %s:\n%s", u.device, a.out.String())
		}
	})
	waitFor(t, u.device+"'s push key", 20*time.Second, func() bool { return strings.Contains(a.out.String(), "app.key_received") })
	return a
}

// lines returns the app's output lines that mention name.
func (a *app) lines(name string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(a.out.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), name) {
			out = append(out, sc.Text())
		}
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
