package h323

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
)

// wireMessage is one message of a capture for tshark, in wire order.
type wireMessage struct {
	fromPhone bool
	payload   []byte
}

// signallingCapture writes messages as one TCP stream between the phone's
// and the PBX's signalling addresses, 10 ms apart, into a pcap file named
// name in a temporary directory, and fails the test when tshark finds a
// malformed packet, an expert warning or a bad checksum in it.
func signallingCapture(t *testing.T, name string, messages []wireMessage) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := w.OpenTCP(0, phoneSignal, pbxSignal)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Millisecond
	for _, m := range messages {
		framed, err := q931.Frame(m.payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Write(at, m.fromPhone, framed); err != nil {
			t.Fatal(err)
		}
		at += 10 * time.Millisecond
	}
	if err := stream.Close(at); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(p) != 0 {
		t.Errorf("tshark problems:\n%s", strings.Join(p, "\n"))
	}
	return path
}

// action is one thing a leg of a scripted call does.
type action struct {
	byPhone bool
	act     func(*Leg) []Effect
}

func phoneSends(act func(*Leg) []Effect) action { return action{true, act} }
func pbxSends(act func(*Leg) []Effect) action   { return action{false, act} }

// inject makes the phone's connection carry a message its leg would not
// send (built by a phone-side builder), to provoke an answer.
func inject(build func(message) Effect) action {
	return phoneSends(func(l *Leg) []Effect {
		cfg := l.Config()
		return []Effect{build(message{cfg: &cfg, fromOrig: false})}
	})
}

// callScript drives a PBX leg (outgoing) and a phone leg (incoming) through
// the actions and returns every message in wire order, answers included.
func callScript(t *testing.T, ref uint16, cfgEdit func(*LegConfig), actions []action) []wireMessage {
	t.Helper()
	pbxCfg, phoneCfg := callerConfig(), calleeConfig()
	pbxCfg.CallReference, phoneCfg.CallReference = ref, ref
	if cfgEdit != nil {
		cfgEdit(&pbxCfg)
	}
	pbx, phone := NewLeg(pbxCfg), NewLeg(phoneCfg)
	var out []wireMessage
	var deliver func(fromPhone bool, effects []Effect)
	deliver = func(fromPhone bool, effects []Effect) {
		to := phone
		if fromPhone {
			to = pbx
		}
		for _, e := range effects {
			s, ok := e.(Send)
			if !ok {
				continue // the provoked ProtocolError; the answer is the Send
			}
			out = append(out, wireMessage{fromPhone: fromPhone, payload: s.Payload})
			deliver(!fromPhone, to.HandleMessage(s.Payload))
		}
	}
	for _, a := range actions {
		actor := pbx
		if a.byPhone {
			actor = phone
		}
		deliver(a.byPhone, a.act(actor))
	}
	return out
}

func release(cause int) func(*Leg) []Effect { return func(l *Leg) []Effect { return l.Release(cause) } }

// TestTsharkDecodesCalls writes calls as one TCP stream (the phone's
// maintained connection to the PBX's port 1720) and has tshark decode
// them: message types, H.225.0 bodies, numbers, causes, flags, and no
// malformed packet or expert warning.
func TestTsharkDecodesCalls(t *testing.T) {
	tsharktest.Require(t)
	type scripted struct {
		ref     uint16
		edit    func(*LegConfig)
		actions []action
	}
	calls := []scripted{
		{0x0101, nil, []action{
			pbxSends((*Leg).Setup), phoneSends((*Leg).CallProceeding), phoneSends((*Leg).Progress), phoneSends((*Leg).Alerting),
			phoneSends((*Leg).Connect), pbxSends(func(l *Leg) []Effect { return l.Facility("undefinedReason") }), phoneSends(release(16)),
		}},
		{0x0102, func(c *LegConfig) { c.CallingName = "Jürgen"; c.CallingNumber = "0401111"; c.CalledNumber = "202" }, []action{
			pbxSends((*Leg).Setup), phoneSends((*Leg).CallProceeding), phoneSends(release(17)),
		}},
		{0x0103, nil, []action{
			pbxSends((*Leg).Setup), phoneSends((*Leg).Alerting), inject(message.callProceeding), pbxSends(release(18)),
		}},
		{0x7fff, nil, []action{
			pbxSends((*Leg).Setup), phoneSends(release(21)),
		}},
	}
	var messages []wireMessage
	for _, c := range calls {
		msgs := callScript(t, c.ref, c.edit, c.actions)
		messages = append(messages, msgs...)
	}
	path := signallingCapture(t, "calls.pcap", messages)
	fields := []string{"q931.message_type", "h225.h323_message_body", "q931.call_ref_flag", "q931.call_ref",
		"q931.calling_party_number.digits", "q931.called_party_number.digits", "q931.display_information",
		"q931.cause_value", "q931.cause_location", "h225.protocolIdentifier", "h225.reason", "h225.maintainConnection"}
	got := tsharktest.Fields(t, path, "q931", fields...)
	// message type | body | flag | ref (hex) | calling | called | display | cause | location | h225.reason
	// (releaseComplete: 10 inConf, 3 destinationRejection; facility: 3 undefinedReason)
	want := []string{
		"0x05|0|0|0101|0301234567|201|Alice Example||||",
		"0x02|1|1|0101|||||||",
		"0x03|7|1|0101|||||||",
		"0x01|3|1|0101|||||||",
		"0x07|2|1|0101|||||||",
		"0x62|6|0|0101||||||3|",
		"0x5a|5|1|0101||||16|0||",
		"0x05|0|0|0102|0401111|202|J?rgen||||",
		"0x02|1|1|0102|||||||",
		"0x5a|5|1|0102||||17|0|10|",
		"0x05|0|0|0103|0301234567|201|Alice Example||||",
		"0x01|3|1|0103|||||||",
		"0x02|1|1|0103|||||||",
		"0x7d|9|0|0103||||101|1||",
		"0x5a|5|0|0103||||18|1||",
		"0x05|0|0|7fff|0301234567|201|Alice Example||||",
		"0x5a|5|1|7fff||||21|0|3|",
	}
	if len(got) != len(want) {
		t.Fatalf("tshark decoded %d q931 messages, want %d: %v", len(got), len(want), got)
	}
	for i, p := range got {
		line := strings.Join([]string{p["q931.message_type"], p["h225.h323_message_body"], normBool(p["q931.call_ref_flag"]), p["q931.call_ref"],
			p["q931.calling_party_number.digits"], p["q931.called_party_number.digits"], p["q931.display_information"],
			p["q931.cause_value"], p["q931.cause_location"], p["h225.reason"], ""}, "|")
		if line != want[i] {
			t.Errorf("message %d: tshark gives %q, want %q", i, line, want[i])
		}
		// Every UUIE that has maintainConnection carries it as configured.
		hasField := p["h225.h323_message_body"] != "5" && p["h225.h323_message_body"] != "9"
		if mc := normBool(p["h225.maintainConnection"]); hasField && mc != "1" || !hasField && mc != "" {
			t.Errorf("message %d: maintainConnection %q", i, p["h225.maintainConnection"])
		}
		if p["h225.protocolIdentifier"] != "0.0.8.2250.0.7" {
			t.Errorf("message %d: protocolIdentifier %q", i, p["h225.protocolIdentifier"])
		}
	}
}

// normBool folds tshark's boolean spellings.
func normBool(s string) string {
	switch strings.ToLower(s) {
	case "true", "1":
		return "1"
	case "false", "0":
		return "0"
	}
	return s
}
