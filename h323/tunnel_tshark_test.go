package h323

import (
	"strings"
	"testing"

	"github.com/callwake/callwake/h323/h225"
	"github.com/callwake/callwake/internal/tsharktest"
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
	messages := []wireMessage{
		{true, tunnel},
		{false, onlySend(t, pbx.Setup()).Payload},
		{false, onlySend(t, pbx.UpdateDisplay("Bob Example")).Payload},
	}
	path := signallingCapture(t, "additions.pcap", messages)
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
