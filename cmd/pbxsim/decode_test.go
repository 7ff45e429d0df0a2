package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/callwake/callwake/capture"
)

// decodeCmd runs "pbxsim decode args..." in-process.
func decodeCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(append([]string{"decode"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// shipped is the capture README decodes.
var shipped = filepath.Join("..", "..", "testdata", "call-cause18.pcap")

// messageLine matches a message line of decode's text output: a packet
// number and a time of day (the endpoints and the summary follow them).
var messageLine = regexp.MustCompile(`^\s*\d+ \d\d:\d\d:\d\d\.\d+ `)

// messageLines returns the message lines of decode's text output.
func messageLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if messageLine.MatchString(l) {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestDecodeShippedCapture(t *testing.T) {
	code, out, errOut := decodeCmd(t, "--verify", shipped)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if lines := messageLines(out); len(lines) != 7 {
		t.Fatalf("%d message lines, want 7:\n%s", len(lines), out)
	}
	for _, want := range []string{"endpoint 192.0.2.10:1719 h323-ID:alice,dialledDigits:2001: callwake 1.0 (H.221 181/0/22359)",
		"13 packets, 7 H.225.0 messages (4 RAS over UDP, 3 call signalling over TCP), 7 decoded, 0 failed, 6 skipped (6 TCP segments without data)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"RAS registrationRequest", "Q.931 setup [setup]", "calling=2001 called=2002", "Q.931 release_complete [releaseComplete] cr=3 cause=18"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "(verified)") != 7 {
		t.Errorf("not every message verified:\n%s", out)
	}
}

func TestDecodeJSON(t *testing.T) {
	code, out, _ := decodeCmd(t, shipped, "--json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var res struct {
		Messages []struct {
			Packet int    `json:"packet"`
			Type   string `json:"type"`
			Fields struct {
				Cause *int `json:"cause"`
			} `json:"fields"`
		} `json:"messages"`
		Failed int `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	last := res.Messages[len(res.Messages)-1]
	if len(res.Messages) != 7 || last.Type != "release_complete" || last.Fields.Cause == nil || *last.Fields.Cause != 18 {
		t.Errorf("JSON result %+v", res)
	}
}

// TestDecodeReportsBrokenPacket writes a capture with one good and one cut
// RAS message: the cut one is reported with its packet number, the good one
// still decoded, and the exit status is 1.
func TestDecodeReportsBrokenPacket(t *testing.T) {
	grq, err := os.ReadFile(filepath.Join("..", "..", "testdata", "call-cause18.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := capture.Read(bytes.NewReader(grq), capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	payload := c.Records[0].Payload // the GRQ
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	ep, gk := netip.MustParseAddrPort("192.0.2.10:1719"), netip.MustParseAddrPort("192.0.2.1:1719")
	if err := w.WriteUDP(0, ep, gk, payload); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUDP(1, ep, gk, payload[:5]); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "broken.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := decodeCmd(t, "--verify", path)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	lines := messageLines(out)
	if len(lines) != 2 || !strings.Contains(lines[0], "gatekeeperRequest") || !strings.Contains(lines[0], "(verified)") ||
		!strings.HasPrefix(strings.TrimSpace(lines[1]), "2 ") || !strings.Contains(lines[1], "ERROR") {
		t.Errorf("output:\n%s", out)
	}
}

func TestDecodeCommandLine(t *testing.T) {
	notCapture := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notCapture, []byte("not a capture at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
		err  string
	}{
		{"not a capture", []string{notCapture}, exitUsage, "not a pcap or pcapng capture"},
		{"missing file", []string{filepath.Join(t.TempDir(), "absent.pcap")}, exitUsage, "no such file"},
		{"no file", nil, exitUsage, "usage: pbxsim decode"},
		{"two files", []string{shipped, shipped}, exitUsage, "usage: pbxsim decode"},
		{"unknown flag", []string{"--colour", shipped}, exitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := decodeCmd(t, tt.args...)
			if code != tt.want || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d stderr %q, want %d and %q", code, errOut, tt.want, tt.err)
			}
		})
	}
}

// TestDecodeRealCapture decodes the capture between independent H.323
// stacks: every message decodes and re-encodes byte for byte.
func TestDecodeRealCapture(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "captures", "ras-h235-register-unregister.pcapng")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared capture missing in CI: %v", err)
		}
		t.Skipf("shared capture absent: %v", err)
	}
	code, out, errOut := decodeCmd(t, "--verify", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	if n := strings.Count(out, "(verified)"); n != 9 {
		t.Errorf("%d messages verified, want 9:\n%s", n, out)
	}
}

// pcapOfLinkType writes a classic pcap of the given link type with the
// given frames, by hand: the project's writer only writes raw IP.
func pcapOfLinkType(t *testing.T, linkType uint32, frames ...[]byte) string {
	t.Helper()
	var b []byte
	for _, v := range []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 65535, linkType} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for i, f := range frames {
		for _, v := range []uint32{uint32(1_700_000_000 + i), 0, uint32(len(f)), uint32(len(f))} {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		b = append(b, f...)
	}
	path := filepath.Join(t.TempDir(), "linktype.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDecodeNothingDecodable: a capture whose packets cannot be used fails
// loudly; a valid empty capture succeeds and says it is empty.
func TestDecodeNothingDecodable(t *testing.T) {
	frame := []byte{0x45, 0x00, 0x00, 0x1c, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 10, 0x06, 0xb7, 0x06, 0xb7, 0, 8, 0, 0}
	tests := []struct {
		name      string
		path      string
		args      []string
		want      int
		stdout    []string
		stderrHas string
	}{
		{"unsupported link type", pcapOfLinkType(t, 147, frame, frame, frame), nil, exitFailed,
			[]string{"3 packets, 0 H.225.0 messages, 0 decoded, 0 failed, 3 skipped (3 of an unsupported link type; the file's link type: 147)", "no H.225.0 message found"},
			"no H.225.0 message found (RAS on UDP 1719 or announced ports, call signalling on TCP 1720, announced ports or any TPKT stream carrying Q.931) in 3 packets: 3 skipped"},
		{"unsupported link type, JSON", pcapOfLinkType(t, 147, frame), []string{"--json"}, exitFailed,
			[]string{`"skipped": 1`, `"linkTypes": [`}, "the file's link type: 147"},
		{"empty capture", pcapOfLinkType(t, 1), nil, exitOK,
			[]string{"0 packets: the capture holds no packets, nothing to decode"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := decodeCmd(t, append(tt.args, tt.path)...)
			if code != tt.want {
				t.Errorf("exit %d, want %d\n%s", code, tt.want, out)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tt.stderrHas == "" && errOut != "" || !strings.Contains(errOut, tt.stderrHas) {
				t.Errorf("stderr %q, want %q", errOut, tt.stderrHas)
			}
		})
	}
}
