package decode

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/internal/tsharktest"
)

var (
	gkRAS     = netip.MustParseAddrPort("192.0.2.1:1719")
	aliceRAS  = netip.MustParseAddrPort("192.0.2.10:1719")
	pbxSignal = netip.MustParseAddrPort("192.0.2.1:1720")
	aliceCall = netip.MustParseAddrPort("192.0.2.10:40001")
)

// golden reads a vector of testdata/golden (lines starting with '#' are
// comments).
func golden(t testing.TB, rel string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "testdata", "golden", rel))
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			digits.WriteString(line)
		}
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return b
}

// mixedCapture is a capture that mixes RAS and call signalling: alice
// registers, then calls; the Setup is split across two TCP segments (inside
// the Q.931 header's neighbourhood, after octet 7 of the TPKT frame, where a
// dissector's heuristic can still find the message), and one RAS datagram
// is cut short on purpose. It returns the file and the number of the
// corrupted packet.
type mixed struct {
	file          []byte
	corrupted     int
	splitSetup    int // the packet that completes the split Setup
	messages      int // messages in the capture, the corrupted one included
	signallingEnd int
}

func mixedCapture(t testing.TB) mixed {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var m mixed
	packet := 0
	at := time.Duration(0)
	ras := func(src, dst netip.AddrPort, payload []byte) {
		at += 20 * time.Millisecond
		must(w.WriteUDP(at, src, dst, payload))
		packet++
		m.messages++
	}
	ras(aliceRAS, gkRAS, golden(t, "ras/01-grq.hex"))
	ras(gkRAS, aliceRAS, golden(t, "ras/02-gcf.hex"))
	ras(aliceRAS, gkRAS, golden(t, "ras/04-rrq-h235.hex"))
	rcf := golden(t, "ras/05-rcf.hex")
	ras(gkRAS, aliceRAS, rcf[:len(rcf)/2]) // cut short: does not decode
	m.corrupted = packet
	ras(aliceRAS, gkRAS, golden(t, "ras/08-arq.hex"))
	ras(gkRAS, aliceRAS, golden(t, "ras/09-acf.hex"))

	s, err := w.OpenTCP(at, aliceCall, pbxSignal)
	must(err)
	packet += 3
	for i, name := range []string{"01-setup", "02-call-proceeding", "03-progress", "04-alerting", "05-connect", "06-facility", "07-release-complete-16"} {
		at += 20 * time.Millisecond
		frame, err := q931.Frame(golden(t, "q931/"+name+".hex"))
		must(err)
		fromClient := name == "01-setup" || name == "06-facility" || name == "07-release-complete-16"
		if i == 0 {
			must(s.WriteSplit(at, fromClient, frame, 10))
			packet += 2
			m.splitSetup = packet
		} else {
			must(s.Write(at, fromClient, frame))
			packet++
		}
		m.messages++
	}
	m.signallingEnd = packet
	must(s.Close(at))
	ras(aliceRAS, gkRAS, golden(t, "ras/11-drq.hex"))
	ras(gkRAS, aliceRAS, golden(t, "ras/12-dcf.hex"))
	m.file = buf.Bytes()
	return m
}

func decodeBytes(t testing.TB, file []byte, opts Options) Result {
	t.Helper()
	c, err := capture.Read(bytes.NewReader(file), capture.Options{StreamEnds: true})
	if err != nil {
		t.Fatal(err)
	}
	return Decode(c, opts)
}

func TestMixedCaptureVerify(t *testing.T) {
	m := mixedCapture(t)
	res := decodeBytes(t, m.file, Options{Verify: true})
	if len(res.Messages) != m.messages {
		t.Fatalf("%d messages, want %d", len(res.Messages), m.messages)
	}
	if res.Failed != 1 || res.Decoded != m.messages-1 || res.OK() {
		t.Errorf("failed %d decoded %d, want 1 and %d", res.Failed, res.Decoded, m.messages-1)
	}
	var types []string
	for _, msg := range res.Messages {
		if msg.Packet == m.corrupted {
			if msg.Error == "" || !strings.HasPrefix(msg.Error, "RAS:") {
				t.Errorf("corrupted packet %d: %+v, want a RAS decoding error", msg.Packet, msg)
			}
			continue
		}
		if msg.Error != "" || msg.Mismatch != "" || !msg.Verified {
			t.Errorf("packet %d: %+v, want decoded and verified", msg.Packet, msg)
		}
		types = append(types, msg.Protocol+" "+msg.Type+" "+msg.Body)
	}
	want := []string{
		"RAS gatekeeperRequest ", "RAS gatekeeperConfirm ", "RAS registrationRequest ",
		"RAS admissionRequest ", "RAS admissionConfirm ",
		"Q.931 setup setup", "Q.931 call_proceeding callProceeding", "Q.931 progress progress",
		"Q.931 alerting alerting", "Q.931 connect connect", "Q.931 facility facility",
		"Q.931 release_complete releaseComplete",
		"RAS disengageRequest ", "RAS disengageConfirm ",
	}
	if strings.Join(types, "|") != strings.Join(want, "|") {
		t.Errorf("types\n got %q\nwant %q", types, want)
	}
	setup := res.Messages[6] // after GRQ, GCF, RRQ, the cut RCF, ARQ and ACF
	if setup.Type != "setup" || setup.Packet != m.splitSetup {
		t.Errorf("split setup reported as %+v, want packet %d", setup, m.splitSetup)
	}
	f := setup.Fields
	if f.CallingNumber != "2001" || f.CalledNumber != "2002" || f.Display != "Alice" ||
		len(f.CallIdentifier) != 36 || f.CallReference == nil || *f.CallReference != 1 {
		t.Errorf("setup fields %+v", f)
	}
	rc := res.Messages[len(res.Messages)-3]
	if rc.Fields.Cause == nil || *rc.Fields.Cause != 16 {
		t.Errorf("release complete fields %+v, want cause 16", rc.Fields)
	}
}

func TestKeyFields(t *testing.T) {
	m := mixedCapture(t)
	res := decodeBytes(t, m.file, Options{})
	byType := map[string]Fields{}
	for _, msg := range res.Messages {
		byType[msg.Type] = msg.Fields
	}
	rrq := byType["registrationRequest"]
	if strings.Join(rrq.Aliases, ",") != "h323-ID:alice,dialledDigits:2001" || *rrq.TimeToLive != 300 ||
		strings.Join(rrq.CallSignalAddress, ",") != "192.0.2.10:1720" || strings.Join(rrq.RASAddress, ",") != "192.0.2.10:1719" {
		t.Errorf("RRQ fields %+v", rrq)
	}
	arq := byType["admissionRequest"]
	if arq.EndpointIdentifier != "EP-alice-0001" || strings.Join(arq.Destination, ",") != "dialledDigits:2002" ||
		len(arq.CallIdentifier) != 36 {
		t.Errorf("ARQ fields %+v", arq)
	}
	if setup := byType["setup"]; setup.CallIdentifier != arq.CallIdentifier {
		t.Errorf("setup call identifier %q, ARQ's %q", setup.CallIdentifier, arq.CallIdentifier)
	}
	if res.Verified || res.Messages[0].Verified {
		t.Error("verification reported without being asked for")
	}
}

func TestEveryGoldenVectorDecodes(t *testing.T) {
	for _, dir := range []string{"ras", "q931"} {
		paths, err := filepath.Glob(filepath.Join("..", "testdata", "golden", dir, "*.hex"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no vectors in %s: %v", dir, err)
		}
		for _, p := range paths {
			payload := golden(t, filepath.Join(dir, filepath.Base(p)))
			m := Message{}
			if dir == "ras" {
				decodeRAS(&m, payload, true)
			} else {
				decodeSignalling(&m, payload, true)
			}
			if m.Failed() || !m.Verified || m.Type == "" {
				t.Errorf("%s: %+v", p, m)
			}
		}
	}
}

func TestRejectReasonAndKeepAlive(t *testing.T) {
	tests := []struct {
		file, typ, reject string
		keepAlive         bool
	}{
		{"03-grj.hex", "gatekeeperReject", "terminalExcluded", false},
		{"06-rrj.hex", "registrationReject", "securityDenial", false},
		{"10-arj.hex", "admissionReject", "callerNotRegistered", false},
		{"07-rrq-keepalive.hex", "registrationRequest", "", true},
	}
	for _, tt := range tests {
		var m Message
		decodeRAS(&m, golden(t, "ras/"+tt.file), false)
		if m.Type != tt.typ || m.Fields.RejectReason != tt.reject || m.Fields.KeepAlive != tt.keepAlive {
			t.Errorf("%s: %+v", tt.file, m)
		}
	}
}

// TestVerifyReportsMismatch feeds a Setup whose H.225.0 body is followed by
// two stray octets: whether the codec rejects them or ignores them, the
// message must not pass as verified.
func TestVerifyReportsMismatch(t *testing.T) {
	setup := golden(t, "q931/01-setup.hex")
	msg, err := q931.Decode(setup)
	if err != nil {
		t.Fatal(err)
	}
	last := &msg.Elements[len(msg.Elements)-1]
	if last.ID != q931.IEUserUser {
		t.Fatalf("last element 0x%02x is not user-user", last.ID)
	}
	last.Contents = append(append([]byte(nil), last.Contents...), 0x00, 0x00)
	padded, err := msg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var m Message
	decodeSignalling(&m, padded, true)
	if m.Error == "" && (m.Mismatch == "" || m.Verified) {
		t.Errorf("trailing octets after the H.225.0 body went unnoticed: %+v", m)
	}
	if !m.Failed() {
		t.Error("message with trailing octets not counted as failed")
	}
}

func TestRealCapture(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "captures", "ras-h235-register-unregister.pcapng")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared capture missing in CI: %v", err)
		}
		t.Skipf("shared capture absent: %v", err)
	}
	res, err := File(path, Options{Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 9 || !res.OK() || res.Decoded != 9 {
		t.Fatalf("decoded %d of %d, failed %d", res.Decoded, len(res.Messages), res.Failed)
	}
	for _, m := range res.Messages {
		if !m.Verified {
			t.Errorf("packet %d not verified: %+v", m.Packet, m)
		}
	}
	if m := res.Messages[8]; m.Type != "unregistrationRequest" || m.Fields.GatekeeperIdentifier != "GnuGk" {
		t.Errorf("last message %+v", m)
	}
}

func TestNotACapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("these are not packets\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := File(path, Options{}); !errors.Is(err, capture.ErrNotCapture) {
		t.Errorf("err = %v, want ErrNotCapture", err)
	}
}

func TestOutputs(t *testing.T) {
	m := mixedCapture(t)
	res := decodeBytes(t, m.file, Options{Verify: true})
	var text bytes.Buffer
	if err := WriteText(&text, res); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	// A line per message, one per endpoint that named its vendor, and the
	// summary.
	if len(lines) != len(res.Messages)+len(res.Endpoints)+1 {
		t.Fatalf("%d lines for %d messages and %d endpoints", len(lines), len(res.Messages), len(res.Endpoints))
	}
	if l := lines[m.corrupted-1]; !strings.Contains(l, "ERROR: RAS:") || !strings.HasPrefix(strings.TrimSpace(l), itoa(m.corrupted)+" ") {
		t.Errorf("corrupted packet line %q", l)
	}
	if !strings.Contains(text.String(), "192.0.2.1:1720 → 192.0.2.10:40001 Q.931 alerting [alerting]") {
		t.Errorf("no alerting line in\n%s", text.String())
	}
	var a, b bytes.Buffer
	if err := WriteJSON(&a, res); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&b, decodeBytes(t, m.file, Options{Verify: true})); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("JSON output differs between two runs")
	}
	var back Result
	if err := json.Unmarshal(a.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Messages) != len(res.Messages) || back.Failed != 1 || back.Messages[0].Type != "gatekeeperRequest" {
		t.Errorf("JSON round trip %+v", back)
	}
	first := a.String()
	for _, key := range []string{`"packet"`, `"time"`, `"source"`, `"destination"`, `"protocol"`, `"type"`, `"fields"`} {
		i := strings.Index(first, key)
		if i < 0 {
			t.Fatalf("JSON lacks %s", key)
		}
		first = first[i:]
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestDissectorAgrees has the independent dissector read the mixed capture:
// it must reassemble the split Setup into the same packet the decoder names,
// find the seven Q.931 messages, and complain about the cut packet only.
func TestDissectorAgrees(t *testing.T) {
	tsharktest.Require(t)
	m := mixedCapture(t)
	path := filepath.Join(t.TempDir(), "mixed.pcap")
	if err := os.WriteFile(path, m.file, 0o644); err != nil {
		t.Fatal(err)
	}
	frames := tsharktest.Fields(t, path, "q931", "q931.message_type")
	if len(frames) != 7 {
		t.Fatalf("dissector found %d Q.931 frames, want 7", len(frames))
	}
	if got := frames[0]["frame.number"]; got != itoa(m.splitSetup) || frames[0]["q931.message_type"] != "0x05" {
		t.Errorf("dissector's Setup: %v, want frame %d", frames[0], m.splitSetup)
	}
	res := decodeBytes(t, m.file, Options{})
	for i, f := range frames {
		if want := itoa(res.Messages[6+i].Packet); f["frame.number"] != want {
			t.Errorf("Q.931 message %d: dissector frame %s, decoder packet %s", i, f["frame.number"], want)
		}
	}
	problems := tsharktest.Problems(t, path, tsharktest.CheckChecksums...)
	if len(problems) == 0 {
		t.Fatal("the dissector found nothing wrong with the cut RAS packet")
	}
	for _, p := range problems {
		if !strings.HasPrefix(p, "frame "+itoa(m.corrupted)+" ") {
			t.Errorf("unexpected dissector problem: %s", p)
		}
	}
}
