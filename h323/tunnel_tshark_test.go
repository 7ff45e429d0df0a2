package h323

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callwake/capture"
	"callwake/h323/h225"
	"callwake/h323/q931"
	"callwake/internal/tsharktest"
)

// TestTsharkDecodesWireAdditions: tshark reads the additions of this
// package as what they claim to be — the silent Setup's Signal "alerting
// off", the display update Facility, and an H.460.17 Facility whose generic
// data (feature 17, parameter 1) it decodes as the RAS message inside.
func TestTsharkDecodesWireAdditions(t *testing.T) {
	tsharktest.Require(t)
	grq := h225.RasMessage{Choice: h225.RasMessageGatekeeperRequest, GatekeeperRequest: &h225.GatekeeperRequest{
		RequestSeqNum:      7,
		ProtocolIdentifier: protocolID(),
		RasAddress:         *transportAddress(phoneSignal),
		EndpointType:       terminal(),
	}}
	ras, err := grq.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tunnel, err := EncodeRASTunnel(ras)
	if err != nil {
		t.Fatal(err)
	}
	cfg := callerConfig()
	cfg.Silent = true
	pbx := NewLeg(cfg)
	messages := []struct {
		fromPhone bool
		payload   []byte
	}{
		{true, tunnel},
		{false, onlySend(t, pbx.Setup()).Payload},
		{false, onlySend(t, pbx.UpdateDisplay("Bob Example")).Payload},
	}
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
	path := filepath.Join(t.TempDir(), "additions.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(p) != 0 {
		t.Errorf("tshark problems:\n%s", strings.Join(p, "\n"))
	}
	got := tsharktest.Fields(t, path, "q931", "q931.message_type", "q931.call_ref", "q931.signal",
		"q931.display_information", "h225.standard", "h225.RasMessage")
	want := []string{
		"0x62|0000||||0", // RAS message 0 = gatekeeperRequest, inside feature 17
		"0x05|1234|0x4f|Alice Example||",
		"0x62|1234||Bob Example||",
	}
	if len(got) != len(want) {
		t.Fatalf("tshark decoded %d messages, want %d: %v", len(got), len(want), got)
	}
	for i, p := range got {
		std := p["h225.standard"]
		line := strings.Join([]string{p["q931.message_type"], p["q931.call_ref"], p["q931.signal"], p["q931.display_information"], "", p["h225.RasMessage"]}, "|")
		if line != want[i] {
			t.Errorf("message %d: tshark gives %q, want %q", i, line, want[i])
		}
		if i == 0 && !strings.Contains(std, "17") {
			t.Errorf("tunnel: generic identifiers %q, want feature 17", std)
		}
	}
}
