package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/internal/tsharktest"
	"github.com/callwake/callwake/timeline"
)

// rasNames maps the ASN.1 alternative names tshark shows for RasMessage to
// the timeline's event names.
var rasNames = map[string]string{
	"gatekeeperRequest": "ras.grq", "gatekeeperConfirm": "ras.gcf", "gatekeeperReject": "ras.grj",
	"registrationRequest": "ras.rrq", "registrationConfirm": "ras.rcf", "registrationReject": "ras.rrj",
	"unregistrationRequest": "ras.urq", "unregistrationConfirm": "ras.ucf", "unregistrationReject": "ras.urj",
	"admissionRequest": "ras.arq", "admissionConfirm": "ras.acf", "admissionReject": "ras.arj",
	"bandwidthRequest": "ras.brq", "bandwidthConfirm": "ras.bcf", "bandwidthReject": "ras.brj",
	"disengageRequest": "ras.drq", "disengageConfirm": "ras.dcf", "disengageReject": "ras.drj",
	"locationRequest": "ras.lrq", "locationConfirm": "ras.lcf", "locationReject": "ras.lrj",
	"infoRequest": "ras.irq", "infoRequestResponse": "ras.irr", "nonStandardMessage": "ras.nsm",
	"unknownMessageResponse": "ras.xrs", "requestInProgress": "ras.rip",
	"resourcesAvailableIndicate": "ras.rai", "resourcesAvailableConfirm": "ras.rac",
	"infoRequestAck": "ras.iack", "infoRequestNak": "ras.inak",
	"serviceControlIndication": "ras.sci", "serviceControlResponse": "ras.scr",
	"admissionConfirmSequence": "ras.acf_sequence",
}

// showname patterns: "RasMessage: registrationRequest (3)" and
// "Message type: RELEASE COMPLETE (0x5a)".
var (
	rasShowname  = regexp.MustCompile(`^RasMessage: (\w+) \(\d+\)$`)
	q931Showname = regexp.MustCompile(`^Message type: ([A-Z ]+) \(0x[0-9a-f]{2}\)$`)
)

// wireSequence is the names of the timeline's events that WritePcap writes,
// in order.
func wireSequence(events []timeline.Event) []string {
	var names []string
	for _, e := range events {
		if e.Wire != nil && (e.Wire.Protocol == "ras" || e.Wire.Protocol == "q931") {
			names = append(names, e.Name)
		}
	}
	return names
}

// tsharkSequence reads the pcap back with tshark and returns the message
// sequence it decodes, as event names.
func tsharkSequence(t *testing.T, path string) []string {
	t.Helper()
	packets := tsharktest.Shownames(t, path, "h225.RasMessage || q931.message_type", "h225.RasMessage", "q931.message_type")
	var names []string
	for _, p := range packets {
		for _, s := range p["h225.RasMessage"] {
			m := rasShowname.FindStringSubmatch(s)
			if m == nil || rasNames[m[1]] == "" {
				t.Fatalf("frame %v: unexpected RasMessage showname %q", p["frame.number"], s)
			}
			names = append(names, rasNames[m[1]])
		}
		for _, s := range p["q931.message_type"] {
			m := q931Showname.FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("frame %v: unexpected Q.931 showname %q", p["frame.number"], s)
			}
			names = append(names, "q931."+strings.ReplaceAll(strings.ToLower(m[1]), " ", "_"))
		}
	}
	return names
}

// checkPcapWithTshark writes the events' pcap, requires tshark to find no
// problem in it and to read the timeline's message sequence.
func checkPcapWithTshark(t *testing.T, events []timeline.Event) {
	t.Helper()
	tsharktest.Require(t)
	var buf bytes.Buffer
	if err := WritePcap(&buf, events); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(problems) > 0 {
		t.Fatalf("tshark found %d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	want, got := wireSequence(events), tsharkSequence(t, path)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("tshark reads the message sequence\n  %v\nthe timeline has\n  %v", got, want)
	}
}

func TestWritePcapTshark(t *testing.T) {
	checkPcapWithTshark(t, handTimeline(t))
}

func TestWritePcapStructure(t *testing.T) {
	events := handTimeline(t)
	var first, second bytes.Buffer
	if err := WritePcap(&first, events); err != nil {
		t.Fatal(err)
	}
	if err := WritePcap(&second, events); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatal("two writes of one timeline differ")
	}
	c, err := capture.Read(bytes.NewReader(first.Bytes()), capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var udp, tcp int
	for _, r := range c.Records {
		if r.Err != nil {
			t.Fatalf("record %+v: %v", r, r.Err)
		}
		if r.Transport == "udp" {
			udp++
		} else {
			tcp++
		}
	}
	var ras int
	for _, e := range events {
		if e.Wire != nil && e.Wire.Protocol == "ras" {
			ras++
		}
	}
	if udp != ras {
		t.Errorf("%d UDP datagrams for %d RAS events (lost ones must be written too)", udp, ras)
	}
	if tcp == 0 {
		t.Error("no TCP data for the Q.931 events")
	}
	if len(c.Records) == 0 || !c.Records[0].At.Equal(capture.DefaultEpoch.Add(events[0].At)) {
		t.Errorf("first record not stamped at the epoch plus the event time")
	}
}

func TestWritePcapRejectsBadWire(t *testing.T) {
	bad := []timeline.Event{{Name: "ras.rrq", Wire: &timeline.Wire{Protocol: "ras", Transport: "udp"}}}
	if err := WritePcap(&bytes.Buffer{}, bad); err == nil {
		t.Error("an event without addresses was written")
	}
}
