package main

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"
)

// An iOS app and an Android app sleep unregistered; a call to each is
// pushed through pushsim (APNs, FCM), wakes the app, which registers,
// rings and answers.
func TestWokenAppsAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	var tapMu sync.Mutex
	seen := map[string]int{}
	var leaks []string
	ps := startPushsimTapped(t, func(hop string, data []byte) {
		tapMu.Lock()
		defer tapMu.Unlock()
		seen[hop] += len(data)
		if bytes.Contains(data, []byte("Quellmalz")) || bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString([]byte(callerDisplay)))) {
			leaks = append(leaks, hop)
		}
	})
	apps := []appUser{{"alice", "201", "alice-iphone", phone.IOS}, {"dave", "202", "dave-pixel", phone.Android}}
	w := startWorld(t, ps, apps, false)
	waitFor(t, "the Push object logged in", 15*time.Second, func() bool { return w.has("pbx.push_connected") })
	var procs []*app
	for _, u := range apps {
		procs = append(procs, startApp(t, w, ps, u, "--wake", "500ms", "--answer-after", "500ms"))
	}
	time.Sleep(300 * time.Millisecond) // the hellos reach the vendors
	for i, u := range apps {
		w.call(i, u.number)
	}
	for i, u := range apps {
		waitFor(t, u.device+" answering", 30*time.Second, func() bool {
			return w.has("q931.connect", "from=pbx", "to="+"caller"+string(rune('0'+i))+"-desk")
		})
	}
	for i, u := range apps {
		if len(procs[i].lines("phone.registered")) == 0 {
			t.Errorf("%s never registered", u.device)
		}
		if l := procs[i].lines("device.answered"); len(l) == 0 {
			t.Errorf("%s's trace shows no answer", u.device)
		}
		compareWithSimulation(t, wokenScenario, u.device, procs[i].lines(""))
	}
	if w.has("q931.release_complete", "cause=18") {
		t.Error("a call ended with cause 18")
	}
	evs := ps.events(t)
	// B07 across the real processes: what the service and the emulators
	// handled never held the caller's name in clear; the apps read it.
	tapMu.Lock()
	if len(leaks) > 0 {
		t.Errorf("the caller's name in clear at %v", leaks)
	}
	for _, hop := range []string{cloud.HopPBXMessage, cloud.HopVendorReq, cloud.HopVendorPhone} {
		if seen[hop] == 0 {
			t.Errorf("the tap saw nothing at %q", hop)
		}
	}
	tapMu.Unlock()
	for i, u := range apps {
		if l := procs[i].lines("device.ringing"); len(l) == 0 || !strings.Contains(l[0], callerDisplay) {
			t.Errorf("%s rang without the caller's name: %v", u.device, l)
		}
	}
	platforms := map[string]bool{}
	for _, e := range evs {
		if e.Name == "push.forwarded" && e.get("status") == "200" {
			platforms[e.get("platform")] = true
		}
	}
	if !platforms["apns"] || !platforms["fcm"] {
		t.Errorf("pushes forwarded with 200: %v, want apns and fcm", platforms)
	}
}

// The app never wakes in time: the PBX gives up after its registration
// timeout (10 s) and clears the call with cause 18.
func TestAppNeverWakesCause18(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ps := startPushsim(t)
	apps := []appUser{{"erin", "201", "erin-iphone", phone.IOS}}
	w := startWorld(t, ps, apps, false)
	waitFor(t, "the Push object logged in", 15*time.Second, func() bool { return w.has("pbx.push_connected") })
	a := startApp(t, w, ps, apps[0], "--wake", "40s")
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	w.call(0, "201")
	waitFor(t, "cause 18", 30*time.Second, func() bool { return w.has("q931.release_complete", "cause=18", "to=caller0-desk") })
	if d := time.Since(start); d < 9*time.Second {
		t.Errorf("cause 18 after %v, want the 10 s registration timeout", d)
	}
	if len(a.lines("ras.rrq")) > 0 {
		t.Error("the app registered though it was still waking")
	}
	if len(a.lines("push.delivered")) == 0 {
		t.Error("the push never reached the app")
	}
}

// A token the vendor answers 410 Unregistered: the post fails (the PBX
// records call.push_failed {reason: Unregistered}), no push arrives, and
// the call ends with cause 18 after the registration timeout, as in the
// simulator (scenario apns-unavailable-push-failed, with 503).
func TestVendorUnregistered(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	u := appUser{"carol", "201", "carol-iphone", phone.IOS}
	ps := startPushsim(t, "--unregistered", derivedTokenForTest(u.device))
	w := startWorld(t, ps, []appUser{u}, false)
	waitFor(t, "the Push object logged in", 15*time.Second, func() bool { return w.has("pbx.push_connected") })
	a := startApp(t, w, ps, u, "--wake", "500ms")
	time.Sleep(300 * time.Millisecond)
	w.call(0, "201")
	waitFor(t, "the call to end", 30*time.Second, func() bool { return w.has("q931.release_complete", "to=caller0-desk") })
	if len(a.lines("push.delivered")) > 0 {
		t.Error("a push reached an unregistered token")
	}
	if !w.has("call.push_failed", "device=carol-iphone", "reason=Unregistered") {
		t.Error("no call.push_failed {reason: Unregistered} at the PBX")
	}
	if !w.has("q931.release_complete", "to=caller0-desk", "cause=18") {
		t.Error("the call did not end with cause 18")
	}
	found := false
	for _, e := range ps.events(t) {
		if e.Name == "push.forwarded" && e.get("status") == "410" && e.get("platform") == "apns" {
			found = true
		}
	}
	if !found {
		t.Error("no push.forwarded with status 410 Unregistered in pushsim's events")
	}
}

// A PBX whose trust list lacks the service CA refuses the service's
// certificate: its Push object never logs in (B03).
func TestUntrustedServiceCertificate(t *testing.T) {
	ps := startPushsim(t)
	w := startWorld(t, ps, []appUser{{"frank", "201", "frank-iphone", phone.IOS}}, true)
	waitFor(t, "the Push object refused", 15*time.Second, func() bool { return w.has("pbx.push_disconnected") })
	if w.has("pbx.push_connected") {
		t.Error("the Push object logged in to an untrusted service")
	}
	if !w.has("pbx.push_disconnected", "reason=untrusted") {
		w.mu.Lock()
		for _, e := range w.events {
			if e.Name == "pbx.push_disconnected" {
				t.Errorf("pbx.push_disconnected %v, want reason untrusted", e.Attrs)
			}
		}
		w.mu.Unlock()
	}
}

func derivedTokenForTest(device string) string {
	// phonesim app's default token for an iOS device (cmd/phonesim/app.go).
	return sha256Hex(device)
}

// A certificate the customer uploaded (any CA but the device CAs) is
// refused: the Push object reports certificate (B02).
func TestCustomerCertificateRefused(t *testing.T) {
	ps := startPushsim(t)
	set, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := set.IssuePBX(pki.RoleOwn, 7, "pbx.example")
	if err != nil {
		t.Fatal(err)
	}
	c := leaf.TLSCertificate()
	w := startWorldWith(t, ps, []appUser{{"gina", "201", "gina-iphone", phone.IOS}}, worldOptions{cert: &c})
	waitFor(t, "the Push object refused", 15*time.Second, func() bool { return w.has("pbx.push_disconnected") })
	if w.has("pbx.push_connected") || !w.has("pbx.push_disconnected", "reason=certificate") {
		t.Errorf("events %v, want pbx.push_disconnected {reason: certificate} and no login", w.sequence(func(n string) bool { return strings.HasPrefix(n, "pbx.push") }))
	}
}

// Two PBXs with one certificate serial (a cloned appliance, B05): the
// service keeps one connection per serial, the newer takes over and the
// older is told replaced.
func TestClonedSerialReplaced(t *testing.T) {
	ps := startPushsim(t)
	first := startWorld(t, ps, []appUser{{"hugo", "201", "hugo-iphone", phone.IOS}}, false)
	waitFor(t, "the first Push object logged in", 15*time.Second, func() bool { return first.has("pbx.push_connected") })
	second := startWorld(t, ps, []appUser{{"ida", "201", "ida-iphone", phone.IOS}}, false)
	waitFor(t, "the second Push object logged in", 15*time.Second, func() bool { return second.has("pbx.push_connected") })
	waitFor(t, "the first one replaced", 15*time.Second, func() bool { return first.has("pbx.push_disconnected", "reason=replaced") })
}

// The app never wakes in time and the user forwards on no response: at
// the push timeout the PBX forwards to the CFNR target, who answers; the
// PBX's side runs as in the simulator.
func TestCFNRAfterPushTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ps := startPushsim(t)
	apps := []appUser{{"erin", "201", "erin-iphone", phone.IOS}}
	w := startWorldWith(t, ps, apps, worldOptions{cfnr: true})
	waitFor(t, "the Push object logged in", 15*time.Second, func() bool { return w.has("pbx.push_connected") })
	startApp(t, w, ps, apps[0], "--wake", "40s")
	waitFor(t, "carol registered", 10*time.Second, func() bool { return w.has("ras.rcf", "to=carol-desk") })
	time.Sleep(300 * time.Millisecond)
	w.call(0, "201")
	waitFor(t, "the forwarded call answered", 30*time.Second, func() bool { return w.has("q931.connect", "from=pbx", "to=caller0-desk") })
	comparePBXSide(t, w, cfnrScenario)
}

// comparePBXSide compares what the PBX, the caller and carol did in the
// real run with the simulated run of scenario (the same world as a file),
// up to the caller's Connect: forwards, push timeouts and the Q.931
// messages between the actors the test hosts.
func comparePBXSide(t *testing.T, w *world, src string) {
	t.Helper()
	hosted := map[string]bool{"pbx": true, "caller0-desk": true, "carol-desk": true, "": true}
	keep := func(e *timeline.Event) (string, bool) {
		from, _ := e.Get("from")
		to, _ := e.Get("to")
		switch {
		case e.Name == "call.push_timeout", e.Name == "call.forwarded":
		case e.Name == "q931.facility":
			// Facilities carry tunnelled H.245 only: when they go, between
			// the other messages, is the wall clock's on real sockets.
			return "", false
		case strings.HasPrefix(e.Name, "q931.") && hosted[from] && hosted[to] && e.Name != "q931.release_complete":
		default:
			return "", false
		}
		return e.Name + " " + from + ">" + to, true
	}
	cut := func(s []string) []string {
		if i := slices.Index(s, "q931.connect pbx>caller0-desk"); i >= 0 {
			return s[:i+1]
		}
		return s
	}
	var real []string
	w.mu.Lock()
	for i := range w.events {
		if s, ok := keep(&w.events[i]); ok {
			real = append(real, s)
		}
	}
	w.mu.Unlock()
	f, err := scenario.Parse("compare.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r, err := scenario.Run(f, scenario.RunOptions{})
	if err != nil || !r.Passed() {
		t.Fatalf("simulated: %v %v", err, r)
	}
	var sim []string
	for _, e := range r.Timeline.Events() {
		if s, ok := keep(&e); ok {
			sim = append(sim, s)
		}
	}
	if real, sim = cut(real), cut(sim); !slices.Equal(real, sim) || !slices.Contains(sim, "call.forwarded >399") {
		t.Errorf("the real run and the simulated one differ:\n  real: %v\n  sim:  %v", real, sim)
	}
}

const cfnrScenario = `name: cfnr-after-push-timeout
duration: 30s
pbx:
  system_name: pbx.example
  push: {name: Push}
  users:
    - {name: erin, number: "201", push: Push, cfnr: {to: "399", after: 20s}}
    - {name: caller0, number: "300"}
    - {name: carol, number: "399"}
devices:
  - {name: erin-iphone, user: erin, kind: myapps, os: ios, app: background, wake: 40s}
  - {name: caller0-desk, user: caller0, kind: deskphone}
  - {name: carol-desk, user: carol, kind: deskphone, answer: {after: 500ms}}
calls:
  - {at: 2s, from: caller0-desk, to: "201", hangup_after: 2s}
expect:
  - event: call.forwarded
    reason: cfnr
    to: "399"
`

// A 12r2 PBX logs in with its registration password on the legacy
// endpoint (B06); its user forks to its own number (B16), so the push
// goes out although CFNR is set (B15), the woken myPBX app rings, and CFNR
// takes the call to carol after its 15 s, as in the simulator.
func TestForkToSelf12r2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ps := startPushsim(t, "--registration", "pbx.example="+registrationPassword)
	apps := []appUser{{"alice", "201", "alice-phone", phone.Android}}
	w := startWorldWith(t, ps, apps, worldOptions{v12r2: true, cfnr: true, cfnrAfter: 15 * time.Second})
	waitFor(t, "the 12r2 Push object logged in", 15*time.Second, func() bool { return w.has("pbx.push_connected") })
	a := startApp(t, w, ps, apps[0], "--kind", "mypbx", "--push-mode", "on", "--wake", "2s", "--answer-after", "never")
	waitFor(t, "carol registered", 10*time.Second, func() bool { return w.has("ras.rcf", "to=carol-desk") })
	time.Sleep(300 * time.Millisecond)
	w.call(0, "201")
	waitFor(t, "the forwarded call answered", 40*time.Second, func() bool { return w.has("q931.connect", "from=pbx", "to=caller0-desk") })
	if len(a.lines("device.ringing")) == 0 {
		t.Error("the woken myPBX app never rang")
	}
	if w.has("call.push_skipped") || w.has("q931.release_complete", "cause=18") {
		t.Error("the push was skipped or the call ended with cause 18")
	}
	comparePBXSide(t, w, fork12r2Scenario)
}

const fork12r2Scenario = `name: fork-to-self-12r2
duration: 30s
pbx:
  version: 12r2
  system_name: pbx.example
  push: {name: Push, password: registration-secret}
  users:
    - {name: alice, number: "201", push: Push, forks: ["201"], cfnr: {to: "399", after: 15s}}
    - {name: caller0, number: "300"}
    - {name: carol, number: "399"}
devices:
  - {name: alice-phone, user: alice, kind: mypbx, os: android, app: background, android: {push: "on"}, wake: 2s}
  - {name: caller0-desk, user: caller0, kind: deskphone}
  - {name: carol-desk, user: carol, kind: deskphone, answer: {after: 500ms}}
calls:
  - {at: 2s, from: caller0-desk, to: "201", hangup_after: 2s}
expect:
  - event: call.forwarded
    reason: cfnr
    to: "399"
`

// A virtual appliance's certificate (the Unverified Device CA, 14r1+) logs
// in by default and is refused when the service admits only the device
// role (B02).
func TestUnverifiedDeviceCertificate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		accept string
		ok     bool
	}{{"accepted by default", "device,unverified_device", true}, {"refused with --accept device", "device", false}} {
		t.Run(tt.name, func(t *testing.T) {
			ps := startPushsim(t, "--accept", tt.accept)
			ca, err := tls.LoadX509KeyPair(filepath.Join(ps.o.TestPKI, fileUnverifiedCA), filepath.Join(ps.o.TestPKI, "unverified-ca-key.pem"))
			if err != nil {
				t.Fatal(err)
			}
			caCert, err := x509.ParseCertificate(ca.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			// A set of our own for its validity period, issuing from the
			// PKI's Unverified Device CA.
			set, err := pki.NewSet(time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			set.UnverifiedDevice = &pki.Authority{Cert: caCert, Key: ca.PrivateKey.(crypto.Signer)}
			leaf, err := set.IssuePBX(pki.RoleUnverifiedDevice, 14, "vm.example")
			if err != nil {
				t.Fatal(err)
			}
			c := leaf.TLSCertificate()
			w := startWorldWith(t, ps, []appUser{{"jan", "201", "jan-iphone", phone.IOS}}, worldOptions{cert: &c})
			waitFor(t, "the Push object's outcome", 15*time.Second, func() bool {
				return w.has("pbx.push_connected") || w.has("pbx.push_disconnected")
			})
			if got := w.has("pbx.push_connected"); got != tt.ok {
				t.Errorf("logged in %v, want %v: %v", got, tt.ok, w.sequence(func(n string) bool { return strings.HasPrefix(n, "pbx.push") }))
			}
			if !tt.ok && !w.has("pbx.push_disconnected", "reason=certificate") {
				t.Error("refused without reason certificate")
			}
		})
	}
}

// An Android app on H.460.17 (RAS and the call on one TCP connection it
// keeps to the PBX) woken and answering, as in the simulator.
func TestWokenAppOverH46017(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ps := startPushsim(t)
	apps := []appUser{{"lena", "201", "lena-pixel", phone.Android}}
	w := startWorld(t, ps, apps, false)
	waitFor(t, "the Push object logged in", 15*time.Second, func() bool { return w.has("pbx.push_connected") })
	a := startApp(t, w, ps, apps[0], "--wake", "500ms", "--answer-after", "500ms", "--transport", "h323-tcp")
	time.Sleep(300 * time.Millisecond)
	w.call(0, "201")
	waitFor(t, "lena answering", 30*time.Second, func() bool { return w.has("q931.connect", "from=pbx", "to=caller0-desk") })
	compareWithSimulation(t, h46017Scenario, "lena-pixel", a.lines(""))
}

const h46017Scenario = `name: woken-app-h46017
duration: 20s
pbx:
  system_name: pbx.example
  push: {name: Push}
  users:
    - {name: lena, number: "201", push: Push}
    - {name: caller0, number: "300"}
devices:
  - {name: lena-pixel, user: lena, kind: myapps, os: android, app: background, wake: 500ms, answer: {after: 500ms}, transport: h323-tcp}
  - {name: caller0-desk, user: caller0, kind: deskphone}
calls:
  - {at: 2s, from: caller0-desk, to: "201", hangup_after: 2s}
expect:
  - event: q931.connect
    to: caller0-desk
`

// The app's Wi-Fi blocks its vendor's push port (B20, `phonesim app
// --vendor-port blocked`): it never holds its vendor connection, APNs has
// no phone to deliver the push to, and the call ends with cause 18 after
// the registration timeout, as in the simulator (where the vendor knows
// the phone from its registration and drops the push; pushsim's emulator
// knows a phone only from its hello and refuses the unknown token).
func TestVendorPortBlocked(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ps := startPushsim(t)
	apps := []appUser{{"erin", "201", "erin-iphone", phone.IOS}}
	w := startWorld(t, ps, apps, false)
	waitFor(t, "the Push object logged in", 15*time.Second, func() bool { return w.has("pbx.push_connected") })
	a := startApp(t, w, ps, apps[0], "--vendor-port", "blocked")
	time.Sleep(300 * time.Millisecond)
	w.call(0, "201")
	waitFor(t, "cause 18", 30*time.Second, func() bool { return w.has("q931.release_complete", "cause=18", "to=caller0-desk") })
	if len(a.lines("push.delivered")) > 0 || len(a.lines("ras.rrq")) > 0 {
		t.Error("a push reached the app behind the blocked port")
	}
	// The vendor never heard from the phone: pushsim's APNs answers the
	// post 400 (a token it does not know), or drops the push for want of a
	// connection when the phone said hello before; never delivers it.
	refused := false
	for _, e := range ps.events(t) {
		refused = refused || e.Name == "push.forwarded" && e.get("platform") == "apns" && e.get("status") == "400" ||
			e.Name == "push.dropped" && e.get("reason") == "vendor_unreachable"
		if e.Name == "push.delivered" {
			t.Errorf("pushsim delivered a push: %v", e.Attrs)
		}
	}
	if !refused {
		t.Error("pushsim neither refused the post nor dropped the push")
	}
}
