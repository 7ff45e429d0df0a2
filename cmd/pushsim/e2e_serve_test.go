package main

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/phone"
)

// TestServeWakesAppThroughPushsim: the whole flow across processes, as the
// README's walk-through runs it: pushsim, `pbxsim serve` whose Push object
// dials pushsim with a device certificate, a `phonesim app` that logs in
// to serve's myApps session and sleeps, and a `phonesim call` to it: the
// call is pushed through pushsim and APNs, the app wakes, registers with
// serve, rings and answers.
func TestServeWakesAppThroughPushsim(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ps := startPushsim(t)
	pbxsim, err := buildCommand("pbxsim")
	if err != nil {
		t.Fatal(err)
	}
	phonesim, err := phonesimBinary()
	if err != nil {
		t.Fatal(err)
	}
	ip := loopback.Addr()
	serveOut := startServe(t, pbxsim, ps, ip, fmt.Sprintf(`name: serve-push
pbx:
  system_name: pbx.example
  push: {name: Push, url: "wss://%s%s"}
  users:
    - {name: alice, number: "201", push: Push}
    - {name: bob, number: "202"}
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios}
  - {name: bob-desk, user: bob, kind: deskphone}
expect: []
`, serviceHost, ps.o.Path))
	waitFor(t, "serve's Push object logged in to pushsim", 20*time.Second, func() bool {
		return strings.Contains(serveOut.String(), "pbx.push_connected")
	})
	w := &world{pbxIP: ip}
	app := startApp(t, w, ps, appUser{"alice", "201", "alice-iphone", phone.IOS}, "--wake", "500ms", "--answer-after", "500ms")
	time.Sleep(300 * time.Millisecond) // the app's hello reaches APNs
	callOut := &syncBuffer{}
	call := exec.Command(phonesim, "call", "--gk", ip.String(), "--alias", "bob", "--number", "202", "--to", "201",
		"--listen", loopback.Addr().String()+":0", "--hangup-after", "1s", "--duration", "30s")
	call.Stdout, call.Stderr = callOut, callOut
	if err := call.Start(); err != nil {
		t.Fatal(err)
	}
	called := make(chan error, 1)
	go func() { called <- call.Wait() }()
	select {
	case err := <-called:
		if err != nil {
			t.Errorf("phonesim call: %v\n%s", err, callOut.String())
		}
	case <-time.After(45 * time.Second):
		_ = call.Process.Kill()
		t.Fatalf("phonesim call did not end:\n%s", callOut.String())
	}
	if !strings.Contains(callOut.String(), "q931.connect") {
		t.Errorf("the caller saw no Connect:\n%s", callOut.String())
	}
	if len(app.lines("phone.registered")) == 0 || len(app.lines("device.answered")) == 0 {
		t.Errorf("the app did not register and answer:\n%s", app.out.String())
	}
	found := false
	for _, e := range ps.events(t) {
		found = found || e.Name == "push.forwarded" && e.get("status") == "200" && e.get("platform") == "apns"
	}
	if !found {
		t.Error("pushsim forwarded no push to APNs with 200")
	}
}

// TestServePushBehindHTTPProxy: a PBX that reaches the internet only through
// an HTTP proxy cannot connect its Push object (B04): serve reports it
// disconnected with reason http_proxy and pushsim never hears from it.
func TestServePushBehindHTTPProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ps := startPushsim(t)
	pbxsim, err := buildCommand("pbxsim")
	if err != nil {
		t.Fatal(err)
	}
	serveOut := startServe(t, pbxsim, ps, loopback.Addr(), fmt.Sprintf(`name: serve-proxy
pbx:
  push: {name: Push, url: "wss://%s%s", http_proxy: true}
  users:
    - {name: alice, number: "201", push: Push}
devices:
  - {name: alice-iphone, user: alice, kind: myapps, os: ios}
expect: []
`, serviceHost, ps.o.Path))
	waitFor(t, "serve's Push object refused by the proxy", 20*time.Second, func() bool {
		return strings.Contains(serveOut.String(), "pbx.push_disconnected") && strings.Contains(serveOut.String(), "http_proxy")
	})
	if strings.Contains(serveOut.String(), "pbx.push_connected") {
		t.Error("the Push object connected through a proxy")
	}
	for _, e := range ps.events(t) {
		if e.Name == "pbx.push_connected" || e.Name == "push.rejected" {
			t.Errorf("pushsim heard from the PBX behind a proxy: %v", e)
		}
	}
}

// startServe runs `pbxsim serve` on src (a scenario file's text) at ip, its
// Push object connected to ps with the test PKI's device certificate; it
// returns serve's output, and stops serve when the test ends.
func startServe(t *testing.T, pbxsim string, ps *pushsimRun, ip netip.Addr, src string) *syncBuffer {
	t.Helper()
	file := filepath.Join(t.TempDir(), "serve.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pkiDir := ps.o.TestPKI
	out := &syncBuffer{}
	serve := exec.Command(pbxsim, "serve", file, "--ip", ip.String(), "--session", netip.AddrPortFrom(ip, 443).String(),
		"--push", ps.o.Listen.String(), "--push-cert", filepath.Join(pkiDir, filePBX), "--push-key", filepath.Join(pkiDir, filePBXKey),
		"--push-ca", filepath.Join(pkiDir, fileServiceCA), "--log-format", "json", "--duration", "60s")
	serve.Stdout, serve.Stderr = out, out
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serve.Wait() }()
	t.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			_ = serve.Process.Kill()
			t.Error("pbxsim serve did not stop on SIGINT")
		}
		if t.Failed() {
			t.Logf("pbxsim serve:\n%s", out.String())
		}
	})
	return out
}
