package realnet_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/loopback"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/realnet"

	"github.com/rs/zerolog"
)

// scripted is a node whose reactions are a function of its input; it logs
// what it gets.
type scripted struct {
	name  string
	log   *syncLog
	react func(in node.Input) []node.Effect
}

type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *syncLog) add(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (s *scripted) Handle(now time.Time, in node.Input) []node.Effect {
	if _, ok := in.(node.Stop); ok {
		return []node.Effect{node.Done{}}
	}
	s.log.add(s.name + " " + describe(in))
	if s.react == nil {
		return nil
	}
	return s.react(in)
}

func describe(in node.Input) string {
	switch in := in.(type) {
	case node.Listening:
		return fmt.Sprintf("listening err=%v", in.Err)
	case node.Datagram:
		return fmt.Sprintf("datagram %q", in.Payload)
	case node.Accepted:
		id := "-"
		if in.Peer.Identity != nil {
			id = in.Peer.Identity.Subject
		}
		return fmt.Sprintf("accepted peer=%s verified=%v path=%s", id, in.Peer.Verified, in.Path)
	case node.Dialled:
		id := "-"
		if in.Peer.Identity != nil {
			id = in.Peer.Identity.Subject
		}
		return fmt.Sprintf("dialled ref=%d err=%v peer=%s", in.Ref, in.Err, id)
	case node.Message:
		if in.HTTP != nil {
			return fmt.Sprintf("http %s%s %d %q", in.HTTP.Method, in.HTTP.Path, in.HTTP.Status, in.HTTP.Body)
		}
		return fmt.Sprintf("message %q", in.Payload)
	case node.Closed:
		return fmt.Sprintf("closed err=%v reason=%q", in.Err, in.Reason)
	case node.TimerFired:
		return fmt.Sprintf("timer %d", in.ID.Key)
	}
	return fmt.Sprintf("%T", in)
}

// run hosts the nodes until until() holds or 10 s pass, then stops.
func run(t *testing.T, h *realnet.Host, log *syncLog, until func(string) bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	for ctx.Err() == nil && !until(log.String()) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	return log.String()
}

func contains(all ...string) func(string) bool {
	return func(s string) bool {
		for _, a := range all {
			if !strings.Contains(s, a) {
				return false
			}
		}
		return true
	}
}

func TestHostUDPTCPAndTimers(t *testing.T) {
	log := &syncLog{}
	h := realnet.NewHost(zerolog.Nop(), nil)
	a, b := loopback.Addr(), loopback.Addr()
	srvUDP, srvTCP := netip.AddrPortFrom(a, 1719), netip.AddrPortFrom(a, 1720)
	h.Add("gk", a, &scripted{name: "gk", log: log, react: func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 1, Addr: srvUDP, Transport: node.UDP},
				node.Listen{Sock: 2, Addr: srvTCP, Transport: node.TCP}}
		case node.Datagram:
			return []node.Effect{node.SendTo{Sock: 1, To: in.From, Payload: []byte("pong"), Event: node.Event{Name: "test.pong", Protocol: "ras"}}}
		case node.Message:
			return []node.Effect{node.Send{Conn: in.Conn, Payload: []byte(strings.ToUpper(string(in.Payload)))}, node.Close{Conn: in.Conn}}
		}
		return nil
	}})
	h.Add("ep", b, &scripted{name: "ep", log: log, react: func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 1, Addr: netip.AddrPortFrom(b, 0), Transport: node.UDP},
				node.SetTimer{ID: node.TimerID{Key: 1}, After: 50 * time.Millisecond},
				node.SetTimer{ID: node.TimerID{Key: 2}, After: 10 * time.Millisecond},
				node.CancelTimer{ID: node.TimerID{Key: 2}}}
		case node.TimerFired:
			return []node.Effect{node.SendTo{Sock: 1, To: srvUDP, Payload: []byte("ping"), Event: node.Event{Name: "test.ping"}},
				node.Dial{Ref: 5, To: srvTCP, Transport: node.TCP}}
		case node.Dialled:
			if in.Err == nil {
				return []node.Effect{node.Send{Conn: in.Conn, Payload: []byte("setup")}}
			}
		}
		return nil
	}})
	got := run(t, h, log, contains(`ep datagram "pong"`, `ep message "SETUP"`, "ep closed"))
	for _, want := range []string{`gk datagram "ping"`, `ep datagram "pong"`, "ep dialled ref=5 err=<nil>", `gk message "setup"`,
		`ep message "SETUP"`, `ep closed err=<nil>`, "ep timer 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "timer 2") {
		t.Errorf("a cancelled timer fired:\n%s", got)
	}
	var names []string
	for _, e := range h.Timeline().Events() {
		from, _ := e.Get("from")
		to, _ := e.Get("to")
		names = append(names, e.Name+" "+from+">"+to)
	}
	if s := strings.Join(names, ","); s != "test.ping ep>gk,test.pong gk>ep" {
		t.Errorf("timeline %s", s)
	}
}

// testPKI makes certificates for the secure transports.
func testPKI(t *testing.T) (*pki.Set, *pki.Leaf, *pki.Leaf) {
	t.Helper()
	s, err := pki.NewSet(time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := s.IssueService("push.test", 2)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := s.IssuePBX(pki.RoleDevice, 1001, "pbx.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return s, svc, dev
}

func cred(l *pki.Leaf) *node.Credential {
	c := l.TLSCertificate()
	return &node.Credential{Identity: node.Identity{Subject: l.Cert.Subject.CommonName, Issuer: l.Cert.Issuer.CommonName,
		Serial: l.Cert.SerialNumber.String()}, Certificate: &c}
}

func pool(cas ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cas {
		p.AddCert(c)
	}
	return p
}

// TestHostSecureTransports: TLS, WSS and HTTP/2 with real certificates: an
// untrusted listener is refused with ErrUntrusted, a trusted one reports
// its identity, a listener with ClientAuth the dialler's; WebSocket close
// reasons and HTTP/2 answers reach the dialler.
func TestHostSecureTransports(t *testing.T) {
	set, svc, dev := testPKI(t)
	log := &syncLog{}
	h := realnet.NewHost(zerolog.Nop(), nil)
	a, b := loopback.Addr(), loopback.Addr()
	wss, tlsAddr, h2 := netip.AddrPortFrom(a, 8443), netip.AddrPortFrom(a, 1300), netip.AddrPortFrom(a, 9443)
	listenSec := &node.Security{Own: cred(svc), Trust: []string{pki.DeviceCAName}, Roots: pool(set.Device.Cert), ClientAuth: true}
	h.Add("svc", a, &scripted{name: "svc", log: log, react: func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{
				node.Listen{Sock: 1, Addr: wss, Transport: node.WSS, Path: "/push/ws", Security: listenSec},
				node.Listen{Sock: 2, Addr: tlsAddr, Transport: node.TLS, Security: listenSec},
				node.Listen{Sock: 3, Addr: h2, Transport: node.HTTP2, Security: listenSec}}
		case node.Message:
			if in.HTTP != nil {
				return []node.Effect{node.Send{Conn: in.Conn, HTTP: &node.HTTP{Stream: in.HTTP.Stream, Status: 410,
					Header: []node.HeaderField{{Name: "apns-id", Value: "x"}}, Body: []byte(`{"reason":"Unregistered"}`)}}}
			}
			return []node.Effect{node.Close{Conn: in.Conn, Reason: "certificate"}}
		}
		return nil
	}})
	trusted := &node.Security{Own: cred(dev), Trust: []string{pki.ServiceCAName}, Roots: pool(set.Service.Cert), ServerName: "push.test"}
	untrusted := &node.Security{Own: cred(dev), Trust: []string{pki.DeviceCAName}, Roots: pool(set.Device.Cert), ServerName: "push.test"}
	h.Add("pbx", b, &scripted{name: "pbx", log: log, react: func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{
				node.Dial{Ref: 1, To: wss, Transport: node.WSS, Path: "/push/ws", Security: untrusted},
				node.Dial{Ref: 2, To: wss, Transport: node.WSS, Path: "/push/ws", Security: trusted},
				node.Dial{Ref: 3, To: tlsAddr, Transport: node.TLS, Security: trusted},
				node.Dial{Ref: 4, To: h2, Transport: node.HTTP2, Security: trusted}}
		case node.Dialled:
			switch {
			case in.Err != nil:
			case in.Ref == 4:
				return []node.Effect{node.Send{Conn: in.Conn, HTTP: &node.HTTP{Stream: 7, Method: "POST", Authority: "api.push.apple.com",
					Path: "/3/device/abc", Header: []node.HeaderField{{Name: "apns-push-type", Value: "voip"}}, Body: []byte("{}")}}}
			default:
				return []node.Effect{node.Send{Conn: in.Conn, Payload: []byte("login")}}
			}
		}
		return nil
	}})
	want := []string{
		"pbx dialled ref=1 err=" + node.ErrUntrusted.Error(),
		"svc accepted peer=pbx.example.com verified=true path=/push/ws",
		"pbx dialled ref=2 err=<nil> peer=push.test",
		"pbx dialled ref=3 err=<nil> peer=push.test",
		`svc message "login"`,
		`pbx closed err=<nil> reason="certificate"`,
		`svc http POST/3/device/abc 0 "{}"`,
		`pbx http  410 "{\"reason\":\"Unregistered\"}"`,
	}
	// Run until all of it came (the dials answer in any order).
	got := run(t, h, log, contains(want...))
	for _, want := range want {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}
