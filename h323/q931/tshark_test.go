package q931

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/internal/tsharktest"
)

// tcpSegment is one direction's payload in the test conversation.
type tcpSegment struct {
	fromCaller bool
	payload    []byte
}

// writeH225Pcap writes a TCP conversation to port 1720 with the project's
// capture writer: handshake, each segment 10 ms after the previous one with
// correct sequence and acknowledgement numbers, and the orderly close.
func writeH225Pcap(t *testing.T, path string, segments []tcpSegment) {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	caller, callee := netip.MustParseAddrPort("192.0.2.10:40000"), netip.MustParseAddrPort("192.0.2.20:1720")
	const step = 10 * time.Millisecond
	conn, err := w.OpenTCP(0, caller, callee)
	if err != nil {
		t.Fatal(err)
	}
	at := step
	for _, s := range segments {
		if err := conn.Write(at, s.fromCaller, s.payload); err != nil {
			t.Fatal(err)
		}
		at += step
	}
	if err := conn.Close(at); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTsharkDecodes checks the known-answer messages against an independent
// Q.931/H.225.0 decoder: right message types, cause values, numbers and no
// malformed packet and no expert info of warning or error level.
func TestTsharkDecodes(t *testing.T) {
	tsharktest.Require(t)
	messages := []struct {
		fromCaller bool
		hex        string
	}{
		{true, hexSetup},
		{false, hexCallProceeding},
		{false, hexAlerting},
		{false, hexConnect},
		{false, hexReleaseComplete16},
		{true, hexReleaseComplete17},
		{false, hexReleaseComplete18},
		{true, hexFacilityEmpty},
	}
	var segments []tcpSegment
	for _, m := range messages {
		msg, err := Decode(fromHex(t, m.hex))
		if err != nil {
			t.Fatal(err)
		}
		encoded, err := msg.Encode()
		if err != nil {
			t.Fatal(err)
		}
		framed, err := Frame(encoded)
		if err != nil {
			t.Fatal(err)
		}
		segments = append(segments, tcpSegment{m.fromCaller, framed})
	}
	path := filepath.Join(t.TempDir(), "h225.pcap")
	writeH225Pcap(t, path, segments)

	fields := []string{"q931.message_type", "q931.cause_value", "q931.calling_party_number.digits",
		"q931.called_party_number.digits", "q931.display_information", "h225.h323_message_body", "q931.call_ref_flag"}
	var got []string
	for _, p := range tsharktest.Fields(t, path, "q931", fields...) {
		line := make([]string, len(fields))
		for i, f := range fields {
			line[i] = p[f]
		}
		got = append(got, strings.Join(line, "|"))
	}
	want := []string{
		"5||1001|2002|Alice|0|0", // type|cause|calling|called|display|H.225 body choice|flag
		"2|||||1|1",
		"1|||||3|1",
		"7||||Bob|2|1",
		"5a|16||||5|1",
		"5a|17||||5|0",
		"5a|18||||5|0",
		"62|||||8|0", // "empty" is extension alternative 8 overall
	}
	if len(got) != len(want) {
		t.Fatalf("tshark decoded %d q931 packets, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if normalizeFields(got[i]) != want[i] {
			t.Errorf("packet %d: tshark fields %q, want %q", i, got[i], want[i])
		}
	}

	for _, problem := range tsharktest.Problems(t, path, tsharktest.CheckChecksums...) {
		t.Error(problem)
	}

	// Control: the same check must notice a broken message, here an
	// Alerting whose H.225.0 payload stops inside the protocol identifier.
	broken := fromHex(t, "08 02 80 01 01 7e 00 06 05 03 00 06 00 08")
	brokenPath := filepath.Join(t.TempDir(), "broken.pcap")
	writeH225Pcap(t, brokenPath, []tcpSegment{{false, mustFrame(t, broken)}})
	if problems := tsharktest.Problems(t, brokenPath); len(problems) == 0 {
		t.Error("tshark check did not flag a truncated H.225.0 payload; the check is blind")
	}
}

// normalizeFields drops tshark's 0x prefixes and folds booleans so the
// expectation does not depend on the tshark version's number formatting.
func normalizeFields(line string) string {
	fields := strings.Split(line, "|")
	for i, f := range fields {
		f = strings.TrimPrefix(f, "0x")
		f = strings.TrimLeft(f, "0")
		switch {
		case f == "" && fields[i] != "":
			f = "0"
		case f == "True" || f == "true":
			f = "1"
		case f == "False" || f == "false":
			f = "0"
		}
		fields[i] = f
	}
	return strings.Join(fields, "|")
}
