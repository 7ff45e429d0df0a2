package decode

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
)

// h245Samples are aligned PER MultimediaSystemControlMessages written by
// hand from the module (X.691): each is complete, so a dissector decodes
// them whole.
var h245Samples = []struct {
	name string
	per  []byte
}{
	// request: masterSlaveDetermination {terminalType 60, statusDeterminationNumber 0x123456}
	{"masterSlaveDetermination", []byte{0x01, 0x00, 0x3c, 0x80, 0x12, 0x34, 0x56}},
	// response: masterSlaveDeterminationAck {decision slave}
	{"masterSlaveDeterminationAck", []byte{0x20, 0xa0}},
	// command: endSessionCommand disconnect
	{"endSessionCommand", []byte{0x4a, 0x40}},
	// request: roundTripDelayRequest {sequenceNumber 5}
	{"roundTripDelayRequest", []byte{0x09, 0x00, 0x05}},
}

// TestH245Name: prefixes worked out by hand, bit by bit (extension bit,
// index in the fewest bits, or a normally small index for an addition).
func TestH245Name(t *testing.T) {
	tests := []struct {
		per  []byte
		want string
	}{
		{[]byte{0x10, 0x80}, "genericRequest"},               // request: 0 00, addition: 1 0 000100
		{[]byte{0x15, 0x00}, "request extension(#40)"},       // request: 0 00, addition: 1 0 101000
		{[]byte{0x00, 0x00}, "nonStandard request"},          // every kind has a nonStandard
		{[]byte{0x60, 0x00}, "nonStandard indication"},       // 0 11, 0 0000
		{[]byte{0x69, 0x00}, "miscellaneousIndication"},      // 0 11, 0 1001 (9 of 14)
		{[]byte{0x22, 0x80}, "openLogicalChannelAck"},        // 0 01, 0 00101 (5 of 19)
		{[]byte{0x27, 0x00}, "requestModeAck"},               // 0 01, 0 01110 (14 of 19)
		{[]byte{0x0c, 0x00}, "request alternative 12"},       // 0 00, 0 1100: beyond the 11 root alternatives
		{[]byte{0x70}, "indication, undecodable (1 octets)"}, // 0 11, 1 and the addition's index cut short
		{[]byte{0x80}, "undecodable H.245 (1 octets)"},       // an addition to MultimediaSystemControlMessage
		{nil, "undecodable H.245 (0 octets)"},
	}
	for _, s := range h245Samples {
		tests = append(tests, struct {
			per  []byte
			want string
		}{s.per, s.name})
	}
	for _, tt := range tests {
		if got := H245Name(tt.per); got != tt.want {
			t.Errorf("H245Name(% x) = %q, want %q", tt.per, got, tt.want)
		}
	}
}

// TestH245TablesFollowTheModule reads the CHOICEs the names come from out
// of the ASN.1 module: root alternatives and extension additions, in order.
func TestH245TablesFollowTheModule(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "reference", "MULTIMEDIA-SYSTEM-CONTROL.asn")
	text, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("reference module missing in CI: %v", err)
		}
		t.Skipf("reference module absent: %v", err)
	}
	comment := regexp.MustCompile(`--.*?(--|$)`)
	src := comment.ReplaceAllString(string(text), "")
	alternatives := func(name string) (root, ext []string) {
		t.Helper()
		start := regexp.MustCompile(`(?m)^` + name + `\s*::=\s*CHOICE\s*\{`).FindStringIndex(src)
		if start == nil {
			t.Fatalf("%s not in the module", name)
		}
		body := src[start[1]:]
		body = body[:strings.Index(body, "}")]
		seenExt := false
		for _, item := range strings.Split(body, ",") {
			f := strings.Fields(item)
			switch {
			case len(f) == 0:
			case f[0] == "...":
				seenExt = true
			case seenExt:
				ext = append(ext, f[0])
			default:
				root = append(root, f[0])
			}
		}
		return root, ext
	}
	root, ext := alternatives("MultimediaSystemControlMessage")
	if !slices.Equal(root, h245Kinds) || len(ext) != 0 {
		t.Errorf("MultimediaSystemControlMessage: module %v + %v, table %v", root, ext, h245Kinds)
	}
	for i, name := range []string{"RequestMessage", "ResponseMessage", "CommandMessage", "IndicationMessage"} {
		root, ext := alternatives(name)
		if !slices.Equal(root, h245Message[i][0]) || !slices.Equal(ext, h245Message[i][1]) {
			t.Errorf("%s: module %v + %v\ntable %v + %v", name, root, ext, h245Message[i][0], h245Message[i][1])
		}
	}
}

// setupWithH245 is the golden Setup carrying the given tunnelled H.245.
func setupWithH245(t *testing.T, control [][]byte) []byte {
	t.Helper()
	msg, err := q931.Decode(golden(t, "q931/01-setup.hex"))
	if err != nil {
		t.Fatal(err)
	}
	uu, err := msg.UserUser()
	if err != nil {
		t.Fatal(err)
	}
	info, err := h225.UnmarshalH323UserInformation(uu.Data)
	if err != nil {
		t.Fatal(err)
	}
	tunnelling := true
	info.H323UuPdu.H245Tunnelling = &tunnelling
	info.H323UuPdu.H245Control = control
	per, err := info.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Set(q931.H225UserUser(per)); err != nil {
		t.Fatal(err)
	}
	b, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTunnelledH245NamedAsTheDissectorDoes: the names given to the
// h245Control of a Setup are those of the alternatives the independent
// dissector decodes.
func TestTunnelledH245NamedAsTheDissectorDoes(t *testing.T) {
	var control [][]byte
	var want []string
	for _, s := range h245Samples {
		control = append(control, s.per)
		want = append(want, s.name)
	}
	b := newBuilder(t)
	s := b.open(aliceCall, pbxSignal)
	b.send(s, true, frame(t, setupWithH245(t, control)))
	res := b.decode(Options{Verify: true})
	if len(res.Messages) != 1 || !slices.Equal(res.Messages[0].Fields.H245, want) || res.Found.H245Tunnelled != len(want) || !res.OK() {
		t.Fatalf("messages %+v, found %+v", res.Messages, res.Found)
	}

	tsharktest.Require(t)
	path := writeTemp(t, "h245.pcap", b.buf.Bytes())
	kinds := []string{"h245.request", "h245.response", "h245.command", "h245.indication"}
	packets := tsharktest.FieldValues(t, path, "h245", append([]string{"h245.pdu_type"}, kinds...)...)
	if len(packets) != 1 {
		t.Fatalf("dissector found H.245 in %d packets, want 1", len(packets))
	}
	p := packets[0]
	var got []string
	next := map[string]int{}
	for _, pdu := range p["h245.pdu_type"] {
		k, err := strconv.Atoi(pdu)
		if err != nil || k < 0 || k >= len(kinds) {
			t.Fatalf("pdu type %q", pdu)
		}
		values := p[kinds[k]]
		if next[kinds[k]] >= len(values) {
			t.Fatalf("dissector gave no %s for pdu %d", kinds[k], len(got))
		}
		index, err := strconv.Atoi(values[next[kinds[k]]])
		if err != nil {
			t.Fatal(err)
		}
		next[kinds[k]]++
		all := append(slices.Clone(h245Message[k][0]), h245Message[k][1]...)
		got = append(got, all[index])
	}
	if !slices.Equal(got, want) {
		t.Errorf("dissector decodes %v, decoder names %v", got, want)
	}
}
