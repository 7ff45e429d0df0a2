package push_test

import (
	"bytes"
	"fmt"
	"github.com/callwake/callwake/node"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/apns"
	"github.com/callwake/callwake/push/fcm"
)

// This file is a minimal synchronous driver for the tests: it carries the
// cores' effects between one Service, the vendor emulators and any number
// of Clients, records every byte the service and the emulators handled, and
// keeps the timers a Client armed (the test fires them).

const (
	testBundle  = "com.example.softphone"
	testProject = "callwake-test"
	testBearer  = "ya29.test-access-token"
)

// testProvider signs the service's APNs provider tokens: a key drawn from a
// fixed stream, so that the tokens are the same on every run.
var testProvider = func() *push.APNsProvider {
	key, err := push.NewAPNsProviderKey(bytes.NewReader(bytes.Repeat([]byte{3}, 32)))
	if err != nil {
		panic(err)
	}
	return &push.APNsProvider{Key: key, KeyID: "KEY1234567", TeamID: "TEAM123456"}
}()

func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return rand.NewChaCha8(s)
}

type pbxLink struct {
	name string
	// untrusted: the PBX's trust list lacks the service CA (B03); the
	// harness, as a driver, fails the TLS handshake.
	untrusted bool
	client    *push.Client
	conn      push.ConnID // current service connection, 0 = none
	timers    map[push.Timer]time.Duration
}

type harness struct {
	t         testing.TB
	now       time.Time // when everything happens (the test moves it)
	svc       *push.Service
	apns      *apns.Emulator
	fcm       *fcm.Emulator
	links     []*pbxLink
	nextConn  push.ConnID
	reachable bool
	events    []push.Event
	delivered []push.Deliver
	done      []push.PostDone
	failed    []push.PostFailed
	// serviceSaw holds every byte the push service received or sent;
	// vendorSaw every byte the emulators received or sent.
	serviceSaw, vendorSaw [][]byte
}

type queued struct {
	link *pbxLink // the PBX side the effect belongs to (nil: service/vendor)
	eff  push.Effect
}

func newHarness(t testing.TB, cfg push.ServiceConfig) *harness {
	t.Helper()
	if cfg.APNsBundle == "" {
		cfg.APNsBundle = testBundle
	}
	if cfg.FCMProject == "" {
		cfg.FCMProject, cfg.FCMAccessToken = testProject, testBearer
	}
	if cfg.APNsProvider == nil {
		cfg.APNsProvider = testProvider
	}
	svc, err := push.NewService(cfg, seeded(99))
	if err != nil {
		t.Fatal(err)
	}
	a, err := apns.New(apns.Config{Topic: testBundle + ".voip", Available: true,
		ProviderKey: &testProvider.Key.PublicKey, KeyID: testProvider.KeyID, TeamID: testProvider.TeamID})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fcm.New(fcm.Config{Project: testProject, AccessToken: testBearer, Available: true})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, now: time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC), svc: svc, apns: a, fcm: f, reachable: true}
}

func (h *harness) addPBX(name string, cfg push.ClientConfig) *pbxLink {
	h.t.Helper()
	if cfg.URL == "" {
		cfg.URL = "wss://push.test/push/ws"
	}
	cfg.PBX = name
	c, err := push.NewClient(cfg, seeded(uint64(len(h.links)+1)))
	if err != nil {
		h.t.Fatal(err)
	}
	l := &pbxLink{name: name, client: c, timers: map[push.Timer]time.Duration{}}
	h.links = append(h.links, l)
	return l
}

func (h *harness) linkOf(conn push.ConnID) *pbxLink {
	for _, l := range h.links {
		if l.conn == conn && conn != 0 {
			return l
		}
	}
	return nil
}

func (h *harness) run(l *pbxLink, effs []push.Effect) {
	q := make([]queued, 0, len(effs))
	for _, e := range effs {
		q = append(q, queued{l, e})
	}
	for steps := 0; len(q) > 0; steps++ {
		if steps > 10000 {
			h.t.Fatal("harness: effects do not settle")
		}
		it := q[0]
		q = q[1:]
		var more []push.Effect
		owner := it.link
		switch e := it.eff.(type) {
		case push.Dial:
			switch {
			case !h.reachable:
				more = owner.client.Failed(push.ReasonUnreachable)
			case owner.untrusted:
				more = owner.client.Failed(push.ReasonUntrusted)
			default:
				h.nextConn++
				owner.conn = h.nextConn
				more = h.svc.Accept(owner.conn, push.Peer{Certificate: e.Certificate, Serial: e.Serial, Legacy: e.Legacy})
			}
		case push.Accepted:
			owner = h.linkOf(e.Conn)
			more = owner.client.Opened()
		case push.Send:
			if e.Event != nil {
				h.events = append(h.events, *e.Event)
			}
			h.serviceSaw = append(h.serviceSaw, e.Data)
			h.svc.SetTime(h.now)
			more = h.svc.Receive(owner.conn, e.Data)
		case push.SendTo:
			h.serviceSaw = append(h.serviceSaw, e.Data)
			owner = h.linkOf(e.Conn)
			if owner != nil {
				more = owner.client.Receive(e.Data)
			}
		case push.CloseConn:
			owner = h.linkOf(e.Conn)
			if owner != nil {
				owner.conn = 0
				more = owner.client.Failed(e.Reason)
			}
		case push.Close:
			if owner.conn != 0 {
				more = h.svc.Closed(owner.conn)
				owner.conn = 0
			}
		case push.VendorRequest:
			h.vendorSaw = append(h.vendorSaw, []byte(e.Request.Path), e.Request.Body)
			for _, f := range e.Request.Header {
				h.vendorSaw = append(h.vendorSaw, []byte(f.Name+": "+f.Value))
			}
			var resp push.HTTPResponse
			var vendorEffs []push.Effect
			if e.Platform == push.PlatformAPNs {
				resp, vendorEffs = h.apns.Handle(h.now, e.Request)
			} else {
				resp, vendorEffs = h.fcm.Handle(e.Request)
			}
			h.vendorSaw = append(h.vendorSaw, resp.Body)
			more = append(vendorEffs, h.svc.VendorResponse(e.ID, resp)...)
		case push.Deliver:
			h.delivered = append(h.delivered, e)
		case push.Event:
			h.events = append(h.events, e)
		case node.SetTimer:
			owner.timers[push.TimerOf(e.ID)] = e.After
		case node.CancelTimer:
			delete(owner.timers, push.TimerOf(e.ID))
		case push.PostDone:
			h.done = append(h.done, e)
		case push.PostFailed:
			h.failed = append(h.failed, e)
		default:
			h.t.Fatalf("harness: unhandled effect %T", e)
		}
		for _, m := range more {
			q = append(q, queued{owner, m})
		}
	}
}

// fire fires a pending timer of l and reports whether there was one.
func (h *harness) fire(l *pbxLink, t push.Timer) bool {
	if _, ok := l.timers[t]; !ok {
		return false
	}
	delete(l.timers, t)
	h.run(l, l.client.TimerFired(t))
	return true
}

func (h *harness) start(l *pbxLink) { h.run(l, l.client.Start()) }

// names renders the recorded events as "name k=v ..." lines.
func (h *harness) names() []string {
	var out []string
	for _, e := range h.events {
		var b strings.Builder
		b.WriteString(e.Name)
		for _, a := range e.Attrs {
			fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
		}
		out = append(out, b.String())
	}
	return out
}

// count returns how many recorded events have the name and contain every
// given "k=v" attribute.
func (h *harness) count(name string, attrs ...string) int {
	n := 0
	for _, line := range h.names() {
		if line != name && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, a := range attrs {
			if !strings.Contains(line+" ", " "+a+" ") {
				ok = false
			}
		}
		if ok {
			n++
		}
	}
	return n
}

func (h *harness) sawAny(needle string) bool {
	for _, set := range [][][]byte{h.serviceSaw, h.vendorSaw} {
		for _, b := range set {
			if bytes.Contains(b, []byte(needle)) {
				return true
			}
		}
	}
	return false
}

func certConfig(system, serial string) push.ClientConfig {
	return push.ClientConfig{URL: "wss://push.test/push/ws", Name: "Push", SystemName: system, Auth: push.AuthCertificate,
		Certificate: "device", CertificateSerial: serial}
}
