package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// scripted is a node whose reactions are a function of the input; it logs
// every input it gets.
type scripted struct {
	name  string
	log   *[]string
	react func(in node.Input) []node.Effect
}

func (s *scripted) Handle(now time.Time, in node.Input) []node.Effect {
	*s.log = append(*s.log, fmt.Sprintf("%s %s", s.name, describe(in)))
	if s.react == nil {
		return nil
	}
	return s.react(in)
}

func describe(in node.Input) string {
	switch in := in.(type) {
	case node.Start:
		return "start"
	case node.Listening:
		return fmt.Sprintf("listening %v err=%v", in.Addr, in.Err)
	case node.Datagram:
		return fmt.Sprintf("datagram %q from %v", in.Payload, in.From)
	case node.Accepted:
		id := "-"
		if in.Peer.Identity != nil {
			id = in.Peer.Identity.Subject
		}
		return fmt.Sprintf("accepted conn=%d peer=%s verified=%v", in.Conn, id, in.Peer.Verified)
	case node.Dialled:
		return fmt.Sprintf("dialled ref=%d conn=%d err=%v", in.Ref, in.Conn, in.Err)
	case node.Message:
		if in.HTTP != nil {
			return fmt.Sprintf("http stream=%d %s%d", in.HTTP.Stream, in.HTTP.Path, in.HTTP.Status)
		}
		return fmt.Sprintf("message %q", in.Payload)
	case node.Closed:
		return fmt.Sprintf("closed conn=%d err=%v reason=%q", in.Conn, in.Err, in.Reason)
	case node.TimerFired:
		return fmt.Sprintf("timer %d", in.ID.Key)
	}
	return fmt.Sprintf("%T", in)
}

type hostWorld struct {
	loop *Loop
	net  *Network
	tl   *timeline.Timeline
	host *Host
	log  []string
}

func newHostWorld(t *testing.T) *hostWorld {
	loop := NewLoop()
	net := NewNetwork(loop, NewRand(1), LinkProfile{Latency: 10 * time.Millisecond, SplitProbability: 0.5})
	w := &hostWorld{loop: loop, net: net, tl: &timeline.Timeline{}}
	w.host = NewHost(loop, net, w.tl, time.Unix(0, 0))
	return w
}

func (w *hostWorld) add(name, addr string, react func(node.Input) []node.Effect) NodeRef {
	return w.host.Add(name, netip.MustParseAddr(addr), &scripted{name: name, log: &w.log, react: react})
}

func (w *hostWorld) run(t *testing.T, until time.Duration) string {
	t.Helper()
	w.host.Start()
	w.loop.Run(until)
	if err := w.host.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(w.log, "\n")
}

func TestHostDatagramsAndTimers(t *testing.T) {
	w := newHostWorld(t)
	srv := netip.MustParseAddrPort("10.0.0.1:1719")
	w.add("gk", "10.0.0.1", func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 1, Addr: srv, Transport: node.UDP}}
		case node.Datagram:
			return []node.Effect{node.SendTo{Sock: 1, To: in.From, Payload: []byte("pong"),
				Event: node.Event{Name: "test.pong", Protocol: "ras"}}}
		}
		return nil
	})
	w.add("ep", "10.1.0.1", func(in node.Input) []node.Effect {
		switch in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 7, Addr: netip.MustParseAddrPort("10.1.0.1:1719"), Transport: node.UDP},
				node.SetTimer{ID: node.TimerID{Key: 1}, After: time.Second},
				node.SetTimer{ID: node.TimerID{Key: 2}, After: 2 * time.Second},
				node.SetTimer{ID: node.TimerID{Key: 1}, After: 3 * time.Second}, // replaces the first
				node.CancelTimer{ID: node.TimerID{Key: 2}}}
		case node.TimerFired:
			return []node.Effect{node.SendTo{Sock: 7, To: srv, Payload: []byte("ping"), Event: node.Event{Name: "test.ping"}}}
		}
		return nil
	})
	got := w.run(t, 10*time.Second)
	want := `gk start
gk listening 10.0.0.1:1719 err=<nil>
ep start
ep listening 10.1.0.1:1719 err=<nil>
ep timer 1
gk datagram "ping" from 10.1.0.1:1719
ep datagram "pong" from 10.0.0.1:1719`
	if got != want {
		t.Fatalf("inputs:\n%s\nwant:\n%s", got, want)
	}
	ev := w.tl.Events()
	if len(ev) != 2 || ev[0].Name != "test.ping" || ev[0].At != 3*time.Second || ev[1].At != 3*time.Second+10*time.Millisecond {
		t.Fatalf("events: %v", ev)
	}
	if from, _ := ev[1].Get("from"); from != "gk" {
		t.Errorf("pong from %q, want gk", from)
	}
	if ev[1].Wire == nil || string(ev[1].Wire.Payload) != "pong" || ev[1].Wire.Transport != "udp" || ev[0].Wire != nil {
		t.Errorf("wires: %+v %+v", ev[0].Wire, ev[1].Wire)
	}
}

// A TCP connection carries TPKT frames that arrive split; the receiver
// gets whole messages, then the close.
func TestHostStreamMessagesAndClose(t *testing.T) {
	w := newHostWorld(t)
	srv := netip.MustParseAddrPort("10.0.0.1:1720")
	w.add("pbx", "10.0.0.1", func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 1, Addr: srv, Transport: node.TCP}}
		case node.Message:
			if string(in.Payload) == "bye" {
				return []node.Effect{node.Close{Conn: in.Conn}}
			}
			return []node.Effect{node.Send{Conn: in.Conn, Payload: []byte(strings.ToUpper(string(in.Payload))),
				Event: node.Event{Name: "test.echo", Protocol: "q931"}}}
		}
		return nil
	})
	var conn node.ConnID
	w.add("phone", "10.1.0.1", func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Dial{Ref: 9, To: srv, Transport: node.TCP}}
		case node.Dialled:
			conn = in.Conn
			return []node.Effect{node.Send{Conn: conn, Payload: []byte("setup, a long message that may be split")},
				node.Send{Conn: conn, Payload: []byte("bye")}}
		}
		return nil
	})
	got := w.run(t, 10*time.Second)
	for _, want := range []string{
		"pbx accepted conn=1 peer=- verified=false",
		"phone dialled ref=9 conn=1 err=<nil>",
		`pbx message "setup, a long message that may be split"`,
		`pbx message "bye"`,
		`phone message "SETUP, A LONG MESSAGE THAT MAY BE SPLIT"`,
		`phone closed conn=1 err=<nil> reason=""`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "pbx closed") {
		t.Errorf("the side that closed was told:\n%s", got)
	}
}

// A dialler that does not trust the listener's issuer fails with
// ErrUntrusted and the listener never hears of it; a trusted one gets the
// listener's identity, and the listener the dialler's.
func TestHostSecureIdentities(t *testing.T) {
	w := newHostWorld(t)
	svc := netip.MustParseAddrPort("10.0.0.2:443")
	w.add("push", "10.0.0.2", func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 1, Addr: svc, Transport: node.WSS, Security: &node.Security{
				Own:   &node.Credential{Identity: node.Identity{Subject: "push.test", Issuer: "Service CA"}},
				Trust: []string{"Device CA"}, ClientAuth: true}}}
		case node.Message:
			return []node.Effect{node.Close{Conn: in.Conn, Reason: "certificate"}}
		}
		return nil
	})
	dial := func(ref uint64, trust string) node.Effect {
		return node.Dial{Ref: ref, To: svc, Transport: node.WSS, Security: &node.Security{
			Own:   &node.Credential{Identity: node.Identity{Subject: fmt.Sprintf("pbx%d", ref), Issuer: "Device CA"}},
			Trust: []string{trust}}}
	}
	w.add("pbx", "10.0.0.1", func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{dial(1, "Other CA"), dial(2, "Service CA")}
		case node.Dialled:
			if in.Err == nil {
				return []node.Effect{node.Send{Conn: in.Conn, Payload: []byte("login")}}
			}
		}
		return nil
	})
	got := w.run(t, 10*time.Second)
	for _, want := range []string{
		"pbx dialled ref=1 conn=0 err=" + node.ErrUntrusted.Error(),
		"push accepted conn=2 peer=pbx2 verified=true",
		"pbx dialled ref=2 conn=2 err=<nil>",
		`push message "login"`,
		`pbx closed conn=2 err=<nil> reason="certificate"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "push accepted conn=1") {
		t.Errorf("the listener heard of the failed handshake:\n%s", got)
	}
}

// HTTP/2 requests and responses travel whole and in order; a refused dial
// says so.
func TestHostHTTPAndRefused(t *testing.T) {
	w := newHostWorld(t)
	api := netip.MustParseAddrPort("10.0.0.3:443")
	w.add("apns", "10.0.0.3", func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Listen{Sock: 1, Addr: api, Transport: node.HTTP2}}
		case node.Message:
			return []node.Effect{node.Send{Conn: in.Conn, HTTP: &node.HTTP{Stream: in.HTTP.Stream, Status: 200}}}
		}
		return nil
	})
	w.add("push", "10.0.0.2", func(in node.Input) []node.Effect {
		switch in := in.(type) {
		case node.Start:
			return []node.Effect{node.Dial{Ref: 1, To: api, Transport: node.HTTP2},
				node.Dial{Ref: 2, To: netip.MustParseAddrPort("10.0.0.3:444"), Transport: node.TCP}}
		case node.Dialled:
			if in.Err != nil {
				if !errors.Is(in.Err, node.ErrRefused) {
					return []node.Effect{node.Record{Name: "unexpected"}}
				}
				return nil
			}
			return []node.Effect{node.Send{Conn: in.Conn, HTTP: &node.HTTP{Stream: 1, Method: "POST", Path: "/3/device/a"}},
				node.Send{Conn: in.Conn, HTTP: &node.HTTP{Stream: 3, Method: "POST", Path: "/3/device/b"}}}
		}
		return nil
	})
	got := w.run(t, 10*time.Second)
	for _, want := range []string{"apns http stream=1 /3/device/a0", "apns http stream=3 /3/device/b0",
		"push http stream=1 200", "push http stream=3 200", "push dialled ref=2 conn=0 err=connection refused"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if w.tl.Len() != 0 {
		t.Errorf("events: %v", w.tl.Events())
	}
}
