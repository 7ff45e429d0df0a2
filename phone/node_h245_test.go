package phone_test

import (
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
	nt "github.com/callwake/callwake/internal/nodetest"
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
)

// The recorded call from H323Plus 1.28's simph323 through GNU Gatekeeper 5.15 to phonesim
// (../shared/captures/simph323-calls-phonesim.pcapng, phonesim on 127.0.0.1:1722): its Setup
// offers H.245 tunnelling, and after phonesim's Connect without H.245 it sent Facility
// startH245 with its own H.245 address. Fed to a phone node, they get what a real endpoint
// answers.

// recordedToPhone returns the Q.931 messages of the capture sent to port 1722, in order.
func recordedToPhone(t *testing.T) [][]byte {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "captures", "simph323-calls-phonesim.pcapng")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", p, err)
		}
		t.Skipf("%s not available: %v", p, err)
	}
	c, err := capture.ReadFile(p, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var r q931.Reassembler
	var out [][]byte
	for _, rec := range c.Records {
		if rec.Err != nil || rec.Transport != capture.TransportTCP || rec.Dst.Port() != 1722 {
			continue
		}
		r.Feed(rec.Payload)
		for {
			b, ok, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if len(b) > 0 {
				out = append(out, slices.Clone(b))
			}
		}
	}
	return out
}

func recordedOf(t *testing.T, msgs [][]byte, typ q931.MessageType) []byte {
	t.Helper()
	for _, b := range msgs {
		if m, err := q931.Decode(b); err == nil && m.Type == typ {
			return b
		}
	}
	t.Fatalf("no %v in the capture", typ)
	return nil
}

// uuOf decodes the H.225.0 part of a message the node sent.
func uuOf(t *testing.T, payload []byte) *h225.H323UserInformation {
	t.Helper()
	m, err := q931.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	uu, err := m.UserUser()
	if err != nil {
		t.Fatal(err)
	}
	info, err := h225.UnmarshalH323UserInformation(uu.Data)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func h245Names(t *testing.T, msgs [][]byte) []string {
	t.Helper()
	var names []string
	for _, b := range msgs {
		m, err := h245.UnmarshalMultimediaSystemControlMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, control.MessageName(m))
	}
	return names
}

// registeredPhone is a desk phone that answers without admission, registered and ready for a
// call on connection conn from the gatekeeper.
func registeredPhone(t *testing.T, mode phone.H245Mode, conn node.ConnID, codecs ...control.Codec) *rig {
	cfg := deskConfig()
	cfg.Admission, cfg.H245, cfg.Codecs = phone.AdmissionNever, mode, codecs
	r := newRig(t, cfg)
	r.register(r.listen(), nil)
	// From the gatekeeper's host: in routed mode the phone takes calls from no one else.
	r.do(node.Accepted{Listener: r.sigSock, Conn: conn, Local: r.sigAddr, Remote: netip.AddrPortFrom(pbxSignal.Addr(), 49200)})
	return r
}

// TestPhoneNodeAcceptsRecordedTunnelling: simph323's Setup offers tunnelling; the phone
// accepts it as H323Plus does, its Call Proceeding saying h245Tunnelling true and carrying its
// capability set and master-slave determination.
func TestPhoneNodeAcceptsRecordedTunnelling(t *testing.T) {
	msgs := recordedToPhone(t)
	const conn node.ConnID = 5
	r := registeredPhone(t, phone.H245Tunnel, conn)
	effs := r.do(node.Message{Conn: conn, Payload: recordedOf(t, msgs, q931.Setup)})
	_, cp := nt.SentQ931(t, effs, conn, q931.CallProceeding)
	info := uuOf(t, cp)
	if tun := info.H323UuPdu.H245Tunnelling; tun == nil || !*tun {
		t.Errorf("Call Proceeding does not accept tunnelling")
	}
	if got := h245Names(t, info.H323UuPdu.H245Control); !slices.Equal(got, []string{"terminalCapabilitySet", "masterSlaveDetermination"}) {
		t.Errorf("tunnelled in the Call Proceeding: %v", got)
	}
	if len(nt.All[node.Dial](effs)) != 0 || len(nt.All[node.Listen](effs)) != 0 {
		t.Errorf("a tunnelled call opens H.245 connections: %s", nt.Show(effs))
	}
}

// TestPhoneNodeAnswersRecordedStartH245: with tunnelling off (as phonesim was in the capture),
// the recorded Facility startH245 makes the phone connect to simph323's H.245 address; on that
// connection it sends its capability set and determination and answers a real endpoint's
// session (capability set acknowledged, determination acknowledged, its channel opened and the
// peer's acknowledged with the phone's RTP address), and at release sends endSessionCommand
// and closes the connection.
func TestPhoneNodeAnswersRecordedStartH245(t *testing.T) {
	msgs := recordedToPhone(t)
	const conn, h245Conn node.ConnID = 5, 6
	r := registeredPhone(t, phone.H245Separate, conn)
	effs := r.do(node.Message{Conn: conn, Payload: recordedOf(t, msgs, q931.Setup)})
	_, cp := nt.SentQ931(t, effs, conn, q931.CallProceeding)
	if tun := uuOf(t, cp).H323UuPdu.H245Tunnelling; tun != nil && *tun {
		t.Fatal("a phone set to separate accepts tunnelling")
	}
	effs = r.do(node.Message{Conn: conn, Payload: recordedOf(t, msgs, q931.Facility)})
	dial := nt.DialTo(t, effs, netip.MustParseAddrPort("127.0.0.1:51737"))
	if dial.Transport != node.TCP || dial.Protocol != "h245" {
		t.Errorf("H.245 dial %+v", dial)
	}
	effs = r.do(node.Dialled{Ref: dial.Ref, Conn: h245Conn, Local: netip.MustParseAddrPort("127.0.0.1:50002"), Remote: dial.To})
	var ours [][]byte
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn == h245Conn {
			ours = append(ours, s.Payload)
		}
	}
	if got := h245Names(t, ours); !slices.Equal(got, []string{"terminalCapabilitySet", "masterSlaveDetermination"}) {
		t.Fatalf("on the H.245 connection: %v", got)
	}
	// A real endpoint's side: H323Plus offers µ-law first, as an endpoint (terminal type 50).
	remote, err := control.New(control.Config{Codecs: []control.Codec{control.G711Ulaw, control.G711Alaw},
		RTP: netip.MustParseAddrPort("127.0.0.1:5004"), Random: func() uint32 { return 0xabcdef }})
	if err != nil {
		t.Fatal(err)
	}
	queue := remote.Start()
	for _, b := range ours {
		queue = append(queue, remote.Handle(b)...)
	}
	var answers [][]byte
	var all []node.Effect
	for steps := 0; len(queue) > 0 && steps < 100; steps++ {
		s, ok := queue[0].(control.Send)
		queue = queue[1:]
		if !ok {
			continue
		}
		effs := r.do(node.Message{Conn: h245Conn, Payload: s.Message})
		all = append(all, effs...)
		for _, e := range nt.All[node.Send](effs) {
			if e.Conn == h245Conn {
				answers = append(answers, e.Payload)
				queue = append(queue, remote.Handle(e.Payload)...)
			}
		}
	}
	names := h245Names(t, answers)
	for _, want := range []string{"terminalCapabilitySetAck", "masterSlaveDeterminationAck", "openLogicalChannel", "openLogicalChannelAck"} {
		if !slices.Contains(names, want) {
			t.Errorf("the phone's answers %v lack %s", names, want)
		}
	}
	opened := nt.Record(t, all, "h245.channel_opened")
	nt.WantAttrs(t, opened, "device", "bob-desk", "codec", "g711Alaw64k", "rtp", "127.0.0.1:5004")
	for _, b := range answers {
		m, _ := h245.UnmarshalMultimediaSystemControlMessage(b)
		if control.MessageName(m) != "openLogicalChannelAck" {
			continue
		}
		rtp := m.Response.OpenLogicalChannelAck.ForwardMultiplexAckParameters.H2250LogicalChannelAckParameters.MediaChannel
		if rtp == nil || rtp.UnicastAddress == nil || rtp.UnicastAddress.IPAddress == nil || rtp.UnicastAddress.IPAddress.TsapIdentifier%2 != 0 ||
			rtp.UnicastAddress.IPAddress.TsapIdentifier < phone.RTPPortBase {
			t.Errorf("the phone's RTP address %+v", rtp)
		}
	}
	// Stopping the phone releases the call: the session ends on its connection first.
	effs = r.do(node.Stop{})
	var end []string
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn == h245Conn {
			end = append(end, s.Event.Name)
		}
	}
	if !slices.Equal(end, []string{"h245.end_session_command"}) {
		t.Errorf("at release on the H.245 connection: %v", end)
	}
	closed := false
	for _, c := range nt.All[node.Close](effs) {
		closed = closed || c.Conn == h245Conn
	}
	if !closed {
		t.Errorf("the H.245 connection stays open: %s", nt.Show(effs))
	}
}

// TestPhoneNodeClearsWithoutCommonCodec: a phone that takes only µ-law, called by a peer that
// offers only A-law, clears the call once capability exchange is over: Release Complete with
// cause 88 (incompatible destination), after endSessionCommand.
func TestPhoneNodeClearsWithoutCommonCodec(t *testing.T) {
	msgs := recordedToPhone(t)
	const conn, h245Conn node.ConnID = 5, 6
	r := registeredPhone(t, phone.H245Separate, conn, control.G711Ulaw)
	r.do(node.Message{Conn: conn, Payload: recordedOf(t, msgs, q931.Setup)})
	dial := nt.DialTo(t, r.do(node.Message{Conn: conn, Payload: recordedOf(t, msgs, q931.Facility)}), netip.MustParseAddrPort("127.0.0.1:51737"))
	effs := r.do(node.Dialled{Ref: dial.Ref, Conn: h245Conn, Local: netip.MustParseAddrPort("127.0.0.1:50002"), Remote: dial.To})
	remote, err := control.New(control.Config{Codecs: []control.Codec{control.G711Alaw},
		RTP: netip.MustParseAddrPort("127.0.0.1:5004"), Random: func() uint32 { return 0xabcdef }})
	if err != nil {
		t.Fatal(err)
	}
	queue := remote.Start()
	for _, s := range nt.All[node.Send](effs) {
		if s.Conn == h245Conn {
			queue = append(queue, remote.Handle(s.Payload)...)
		}
	}
	var all []node.Effect
	for steps := 0; len(queue) > 0 && steps < 100; steps++ {
		s, ok := queue[0].(control.Send)
		queue = queue[1:]
		if !ok {
			continue
		}
		effs := r.do(node.Message{Conn: h245Conn, Payload: s.Message})
		all = append(all, effs...)
		for _, e := range nt.All[node.Send](effs) {
			if e.Conn == h245Conn {
				queue = append(queue, remote.Handle(e.Payload)...)
			}
		}
	}
	nt.Record(t, all, "h245.no_common_codec")
	if cause := nt.ReleaseCause(t, all, conn); cause != phone.CauseIncompatibleDestination {
		t.Errorf("released with cause %d, want %d", cause, phone.CauseIncompatibleDestination)
	}
}
