package h323

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/control"
	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/h245"
	"github.com/callwake/callwake/h323/q931"
)

// The real captures of ../shared/captures hold what H323Plus 1.28 (simph323) sent through
// GNU Gatekeeper 5.15 to and from phonesim. They hold no H.245 message: simph323 offered
// tunnelling in its Setup without tunnelled messages, and when phonesim answered without
// H.245 it asked for a separate connection (Facility startH245, or the h245Address of its
// Connect) that phonesim never opened. The tests below feed those messages to our legs and
// require the answers a real endpoint gives.

// capturePath returns ../shared/captures/name (from the repository root) or skips the test
// when the folder is absent; in CI its absence is a failure.
func capturePath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "captures", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", p, err)
		}
		t.Skipf("%s not available: %v", p, err)
	}
	return p
}

// recorded is one Q.931 message of a capture.
type recorded struct {
	frame    int
	src, dst netip.AddrPort
	msg      q931.Message
	payload  []byte // without TPKT
	info     *h225.H323UserInformation
}

// q931Messages returns the call-signalling messages of a capture whose destination (to) or
// source (!to) port is port, in capture order: each TCP direction's data reassembled into
// TPKT frames.
func q931Messages(t *testing.T, name string, port uint16, to bool) []recorded {
	t.Helper()
	c, err := capture.ReadFile(capturePath(t, name), capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type direction struct{ src, dst netip.AddrPort }
	streams := map[direction]*q931.Reassembler{}
	var out []recorded
	for _, r := range c.Records {
		if r.Err != nil {
			t.Fatalf("%s frame %d: %v", name, r.Index, r.Err)
		}
		p := r.Src.Port()
		if to {
			p = r.Dst.Port()
		}
		if r.Transport != capture.TransportTCP || p != port {
			continue
		}
		d := direction{r.Src, r.Dst}
		if streams[d] == nil {
			streams[d] = &q931.Reassembler{}
		}
		streams[d].Feed(r.Payload)
		for {
			payload, ok, err := streams[d].Next()
			if err != nil {
				t.Fatalf("%s frame %d: %v", name, r.Index, err)
			}
			if !ok {
				break
			}
			if len(payload) == 0 {
				continue
			}
			payload = slices.Clone(payload)
			msg, err := q931.Decode(payload)
			if err != nil {
				t.Fatalf("%s frame %d: %v", name, r.Index, err)
			}
			rec := recorded{frame: r.Index, src: r.Src, dst: r.Dst, msg: msg, payload: payload}
			if uu, err := msg.UserUser(); err == nil {
				if rec.info, err = h225.UnmarshalH323UserInformation(uu.Data); err != nil {
					t.Fatalf("%s frame %d: %v", name, r.Index, err)
				}
			}
			out = append(out, rec)
		}
	}
	return out
}

func findRecorded(t *testing.T, msgs []recorded, typ q931.MessageType) recorded {
	t.Helper()
	for _, m := range msgs {
		if m.msg.Type == typ {
			return m
		}
	}
	t.Fatalf("no %v in the capture", typ)
	return recorded{}
}

// phonesimAsCallee is phonesim's leg for the recorded call from simph323 (phonesim listened on
// 1722 behind the gatekeeper).
func phonesimAsCallee(h H245Config) LegConfig {
	return LegConfig{Local: netip.MustParseAddrPort("127.0.0.1:1722"), Remote: netip.MustParseAddrPort("127.0.0.1:1720"), H245: h}
}

var (
	captureRTP  = netip.MustParseAddrPort("127.0.0.1:40000")
	captureRTCP = netip.MustParseAddrPort("127.0.0.1:40001")
)

func tunnelledOf(t *testing.T, s Send) (bool, []string, *h225.H323UserInformation) {
	t.Helper()
	_, info := checkWire(t, s.Payload)
	var names []string
	for _, m := range info.H323UuPdu.H245Control {
		names = append(names, decodeH245Name(t, m))
	}
	tun := info.H323UuPdu.H245Tunnelling
	return tun != nil && *tun, names, info
}

// TestCaptureSetupFromH323Plus: the Setup simph323 sent through the gatekeeper is taken as a
// real endpoint takes it — the name without H323Plus's trailing NUL, tunnelling accepted and
// answered with our capability set and determination in the Call Proceeding.
func TestCaptureSetupFromH323Plus(t *testing.T) {
	msgs := q931Messages(t, "simph323-calls-phonesim.pcapng", 1722, true)
	setup := findRecorded(t, msgs, q931.Setup)
	if tun := setup.info.H323UuPdu.H245Tunnelling; tun == nil || !*tun || len(setup.info.H323UuPdu.H245Control) != 0 {
		t.Fatalf("frame %d: the recorded Setup does not offer tunnelling as expected", setup.frame)
	}
	leg := NewLeg(phonesimAsCallee(H245Config{Enabled: true, Tunnelling: true, Control: control.Config{RTP: captureRTP, RTCP: captureRTCP}}))
	effects := leg.HandleMessage(setup.payload)
	var ps PeerSetup
	for _, e := range effects {
		switch e := e.(type) {
		case PeerSetup:
			ps = e
		case ProtocolError:
			t.Fatalf("frame %d: %v", setup.frame, e.Err)
		case Send, H245Connect, H245Listen:
			t.Errorf("the Setup was answered with %T before the call was", e)
		}
	}
	if ps.CallingName != "alice" || ps.CallingNumber != "201" || ps.CalledNumber != "202" || ps.SourceAlias != "alice" {
		t.Errorf("PeerSetup %+v", ps)
	}
	s := onlySend(t, leg.CallProceeding())
	tun, names, _ := tunnelledOf(t, s)
	if !tun || !slices.Equal(names, []string{"terminalCapabilitySet", "masterSlaveDetermination"}) {
		t.Errorf("Call Proceeding: h245Tunnelling %v, tunnelled %v", tun, names)
	}
}

// TestCaptureStartH245: in the recorded call simph323 answered phonesim's Connect, which had no
// H.245, with Facility startH245 and its H.245 address (127.0.0.1:51737). Our leg connects
// there, and on the connection sends its capability set and determination.
func TestCaptureStartH245(t *testing.T) {
	msgs := q931Messages(t, "simph323-calls-phonesim.pcapng", 1722, true)
	setup, facility := findRecorded(t, msgs, q931.Setup), findRecorded(t, msgs, q931.Facility)
	if f := facility.info.H323UuPdu.H323MessageBody.Facility; f == nil || f.Reason.Choice != h225.FacilityReasonStartH245 {
		t.Fatalf("frame %d is no Facility startH245", facility.frame)
	}
	// Not tunnelling and not listening, as phonesim was: the Connect carries no H.245.
	leg := NewLeg(phonesimAsCallee(H245Config{Enabled: true, Control: control.Config{RTP: captureRTP, RTCP: captureRTCP}}))
	sends(t, leg.HandleMessage(setup.payload))
	onlySend(t, leg.CallProceeding())
	onlySend(t, leg.Alerting())
	connect := onlySend(t, leg.Connect())
	if tun, names, info := tunnelledOf(t, connect); tun || len(names) > 0 || info.H323UuPdu.H323MessageBody.Connect.H245Address != nil {
		t.Fatalf("Connect offers H.245: tunnelling %v %v", tun, names)
	}
	effects := leg.HandleMessage(facility.payload)
	var connectTo []netip.AddrPort
	for _, e := range effects {
		switch e := e.(type) {
		case H245Connect:
			connectTo = append(connectTo, e.Address)
		case ProtocolError:
			t.Fatalf("frame %d: %v", facility.frame, e.Err)
		}
	}
	if want := netip.MustParseAddrPort("127.0.0.1:51737"); !slices.Equal(connectTo, []netip.AddrPort{want}) {
		t.Fatalf("startH245 answered with connections to %v, want %v", connectTo, want)
	}
	ours := leg.H245Connected()
	var h245Events []string
	for _, e := range ours {
		if s, ok := e.(H245Send); ok {
			h245Events = append(h245Events, s.Event)
		}
	}
	if !slices.Equal(h245Events, []string{"h245.terminal_capability_set", "h245.master_slave_determination"}) {
		t.Errorf("on the H.245 connection: %v", h245Events)
	}
	// The same startH245 again, or the connection reported twice, opens nothing more.
	for _, e := range append(leg.HandleMessage(facility.payload), leg.H245Connected()...) {
		switch e.(type) {
		case H245Connect, H245Send:
			t.Errorf("a second startH245 gave %T", e)
		}
	}
	answersAsEndpoint(t, leg, ours)
}

// answersAsEndpoint plays simph323's side of the H.245 connection — its capability set (G.711
// µ-law and A-law, as H323Plus offers them), a determination with the terminal type of an
// endpoint and a number of its own, then a G.711 channel — and requires the answers a real
// endpoint gives: the capability set acknowledged with its sequence number, the determination
// acknowledged with the decision H.245's rule gives, our channel opened and the peer's
// acknowledged with our RTP and RTCP addresses.
func answersAsEndpoint(t *testing.T, leg *Leg, ours []Effect) {
	t.Helper()
	var ourNumber uint32
	for _, e := range ours {
		if s, ok := e.(H245Send); ok && s.Event == "h245.master_slave_determination" {
			ourNumber = uint32(decodeH245(t, s.Payload).Request.MasterSlaveDetermination.StatusDeterminationNumber)
		}
	}
	const theirNumber = 0x00abcdef
	remote, err := control.New(control.Config{Codecs: []control.Codec{control.G711Ulaw, control.G711Alaw}, RTP: netip.MustParseAddrPort("127.0.0.1:5004"),
		Random: func() uint32 { return theirNumber }})
	if err != nil {
		t.Fatal(err)
	}
	var answers []*h245.MultimediaSystemControlMessage
	var reports []control.Effect
	queue := remote.Start()
	for _, e := range ours {
		if s, ok := e.(H245Send); ok {
			queue = append(queue, remote.Handle(s.Payload)...)
		}
	}
	for steps := 0; len(queue) > 0 && steps < 100; steps++ {
		e := queue[0]
		queue = queue[1:]
		s, ok := e.(control.Send)
		if !ok {
			continue
		}
		for _, le := range leg.HandleH245(s.Message) {
			switch le := le.(type) {
			case H245Send:
				answers = append(answers, decodeH245(t, le.Payload))
				queue = append(queue, remote.Handle(le.Payload)...)
			case H245:
				reports = append(reports, le.Effect)
			case ProtocolError:
				t.Fatal(le.Err)
			}
		}
	}
	byName := map[string]*h245.MultimediaSystemControlMessage{}
	for _, m := range answers {
		byName[control.MessageName(m)] = m
	}
	if ack := byName["terminalCapabilitySetAck"]; ack == nil || ack.Response.TerminalCapabilitySetAck.SequenceNumber != 1 {
		t.Errorf("capability set answered with %v", ack)
	}
	// H.245: equal terminal types, and (remote - local) mod 2^24 below 2^23 makes us master;
	// the Ack tells the peer its own role.
	wantDecision := "master"
	if d := (theirNumber - ourNumber) & 0xFFFFFF; d != 0 && d < 0x800000 {
		wantDecision = "slave"
	}
	if ack := byName["masterSlaveDeterminationAck"]; ack == nil || ack.Response.MasterSlaveDeterminationAck.Decision.Choice.String() != wantDecision {
		t.Errorf("determination (ours %#x, theirs %#x) answered with %v, want decision %s", ourNumber, theirNumber, ack, wantDecision)
	}
	ack := byName["openLogicalChannelAck"]
	if ack == nil {
		t.Fatalf("the peer's channel was not acknowledged; answers %d", len(answers))
	}
	h := ack.Response.OpenLogicalChannelAck.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters
	if h245Addr(h.MediaChannel) != captureRTP || h245Addr(h.MediaControlChannel) != captureRTCP {
		t.Errorf("channel acknowledged with RTP %v, RTCP %v", h245Addr(h.MediaChannel), h245Addr(h.MediaControlChannel))
	}
	if ch, ok := report[control.ChannelOpened](reports); !ok || ch.Codec != control.G711Alaw || ch.RTP.Port() != 5004 {
		t.Errorf("our channel: %+v %v", ch, ok)
	}
}

func decodeH245(t *testing.T, b []byte) *h245.MultimediaSystemControlMessage {
	t.Helper()
	m, err := h245.UnmarshalMultimediaSystemControlMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// h245Addr reads a unicast IPv4 H.245 TransportAddress.
func h245Addr(ta *h245.TransportAddress) netip.AddrPort {
	if ta == nil || ta.UnicastAddress == nil || ta.UnicastAddress.IPAddress == nil {
		return netip.AddrPort{}
	}
	ip, _ := netip.AddrFromSlice(ta.UnicastAddress.IPAddress.Network)
	return netip.AddrPortFrom(ip, uint16(ta.UnicastAddress.IPAddress.TsapIdentifier))
}

// TestCaptureConnectH245Address: in the recorded call from phonesim, simph323's Connect carried
// its H.245 address (127.0.0.1:33409); our calling leg connects to it.
func TestCaptureConnectH245Address(t *testing.T) {
	// phonesim called from 56090 to the gatekeeper's 1720; what it received came from 1720.
	sent := q931Messages(t, "phonesim-calls-simph323.pcapng", 56090, false)
	received := q931Messages(t, "phonesim-calls-simph323.pcapng", 56090, true)
	ourSetup := findRecorded(t, sent, q931.Setup)
	body := ourSetup.info.H323UuPdu.H323MessageBody.Setup
	cfg := LegConfig{Outgoing: true, CallReference: ourSetup.msg.CallReference, CallID: guid16(body.CallIdentifier.Guid), ConferenceID: guid16(body.ConferenceID),
		CalledNumber: "202", CallingNumber: "201", Local: ourSetup.src, Remote: ourSetup.dst,
		H245: H245Config{Enabled: true, Control: control.Config{RTP: captureRTP, RTCP: captureRTCP}}}
	leg := NewLeg(cfg)
	onlySend(t, leg.Setup())
	var connectTo []netip.AddrPort
	for _, m := range received {
		for _, e := range leg.HandleMessage(m.payload) {
			switch e := e.(type) {
			case H245Connect:
				connectTo = append(connectTo, e.Address)
			case ProtocolError:
				t.Fatalf("frame %d (%v): %v", m.frame, m.msg.Type, e.Err)
			}
		}
		if m.msg.Type == q931.Connect {
			break
		}
	}
	if want := netip.MustParseAddrPort("127.0.0.1:33409"); !slices.Equal(connectTo, []netip.AddrPort{want}) {
		t.Errorf("connected to %v, want %v", connectTo, want)
	}
	if leg.State() != StateActive {
		t.Errorf("leg %v after the recorded Connect", leg.State())
	}
}

// TestCaptureSetupLikeH323Plus compares our Setup with simph323's: the same bearer capability
// (speech, 64 kbit/s, H.221), an endpointIdentifier when we have one, a Display with the name.
func TestCaptureSetupLikeH323Plus(t *testing.T) {
	theirs := findRecorded(t, q931Messages(t, "simph323-calls-phonesim.pcapng", 1720, true), q931.Setup)
	bc, ok := theirs.msg.Find(q931.IEBearerCapability)
	if !ok {
		t.Fatal("H323Plus's Setup has no bearer capability")
	}
	cfg := callerConfig()
	cfg.EndpointIdentifier = "4123396231_endp"
	s := onlySend(t, NewLeg(cfg).Setup())
	ours, info := checkWire(t, s.Payload)
	obc, _ := ours.Find(q931.IEBearerCapability)
	if !bytes.Equal(obc.Contents, bc.Contents) {
		t.Errorf("bearer capability % x, H323Plus sends % x", obc.Contents, bc.Contents)
	}
	if got := theirs.info.H323UuPdu.H323MessageBody.Setup.EndpointIdentifier; got == nil || *got != "4123396231_endp" {
		t.Fatalf("H323Plus's endpointIdentifier %v", got)
	}
	if got := info.H323UuPdu.H323MessageBody.Setup.EndpointIdentifier; got == nil || *got != "4123396231_endp" {
		t.Errorf("our endpointIdentifier %v", got)
	}
	if d, err := ours.Display(); err != nil || d != "Alice Example" {
		t.Errorf("Display %q %v", d, err)
	}
}
