package tsharktest_test

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/internal/tsharktest"
)

// sharedCapture returns the path of a capture in the shared folder, skipping
// locally when it is absent and failing in CI.
func sharedCapture(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "captures", name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared capture missing in CI: %v", err)
		}
		t.Skipf("shared capture absent: %v", err)
	}
	return path
}

const realRAS = "ras-h235-register-unregister.pcapng"

func TestRealCaptureIsCleanAndDecoded(t *testing.T) {
	t.Parallel()
	tsharktest.Require(t)
	path := sharedCapture(t, realRAS)
	if p := tsharktest.Problems(t, path); len(p) != 0 {
		t.Errorf("problems in a capture of independent stacks:\n%s", strings.Join(p, "\n"))
	}
	packets := tsharktest.FieldValues(t, path, "h225", "h225.RasMessage", "udp.dstport")
	var choices []string
	for _, p := range packets {
		choices = append(choices, strings.Join(p["h225.RasMessage"], "|"))
	}
	if got, want := strings.Join(choices, " "), "0 1 3 4 0 1 3 4 6"; got != want {
		t.Errorf("RasMessage choices = %q, want %q", got, want)
	}
	names := tsharktest.Shownames(t, path, "", "h225.RasMessage")
	want := []string{"gatekeeperRequest", "gatekeeperConfirm", "registrationRequest", "registrationConfirm",
		"gatekeeperRequest", "gatekeeperConfirm", "registrationRequest", "registrationConfirm", "unregistrationRequest"}
	if len(names) != len(want) {
		t.Fatalf("%d packets, want %d", len(names), len(want))
	}
	for i, p := range names {
		got := p["h225.RasMessage"]
		if len(got) != 1 || !strings.Contains(got[0], want[i]+" (") {
			t.Errorf("frame %v: RasMessage shown as %q, want %s", p["frame.number"], got, want[i])
		}
	}
	joined := tsharktest.Fields(t, path, "frame.number == 3", "udp.srcport", "udp.dstport")
	if len(joined) != 1 || joined[0]["frame.number"] != "3" || joined[0]["udp.dstport"] != "1719" {
		t.Errorf("frame 3 fields = %v", joined)
	}
}

var (
	endpoint   = netip.MustParseAddrPort("192.0.2.10:1719")
	gatekeeper = netip.MustParseAddrPort("192.0.2.1:1719")
	caller     = netip.MustParseAddrPort("192.0.2.10:40000")
	callee     = netip.MustParseAddrPort("192.0.2.20:1720")
)

// setupMessage is a Q.931 SETUP in TPKT: protocol discriminator 08, call
// reference 0x0001, message type 05, and a bearer capability (speech,
// 64 kbit/s, A-law).
var setupMessage = []byte{3, 0, 0, 14, 0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90, 0xa3}

func writeFile(t *testing.T, write func(w *capture.Writer)) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.DefaultEpoch)
	if err != nil {
		t.Fatal(err)
	}
	write(w)
	path := filepath.Join(t.TempDir(), "test.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWriterOutputIsClean re-wraps the real RAS messages with our writer and
// adds a TCP connection whose SETUP spans two segments: the dissector must
// find no problem, decode every RAS message, and reassemble the SETUP in the
// same frame our reader says completed it.
func TestWriterOutputIsClean(t *testing.T) {
	t.Parallel()
	tsharktest.Require(t)
	real, err := capture.ReadFile(sharedCapture(t, realRAS), capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, func(w *capture.Writer) {
		for i, r := range real.Records {
			src, dst := endpoint, gatekeeper
			if i%2 == 1 {
				src, dst = dst, src
			}
			if err := w.WriteUDP(time.Duration(i)*time.Millisecond, src, dst, r.Payload); err != nil {
				t.Fatal(err)
			}
		}
		s, err := w.OpenTCP(time.Second, caller, callee)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			s.WriteSplit(time.Second+time.Millisecond, true, setupMessage, 9),
			s.Write(time.Second+2*time.Millisecond, true, bytes.Repeat([]byte{0x55}, 4000)),
			s.Close(2 * time.Second),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	if p := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(p) != 0 {
		t.Errorf("problems in our capture:\n%s", strings.Join(p, "\n"))
	}
	ras := tsharktest.FieldValues(t, path, "h225", "h225.RasMessage")
	if len(ras) != len(real.Records) {
		t.Errorf("%d RAS messages decoded, want %d", len(ras), len(real.Records))
	}
	q931 := tsharktest.Fields(t, path, "q931", "q931.message_type")
	if len(q931) != 1 || q931[0]["q931.message_type"] != "0x05" {
		t.Fatalf("Q.931 decoded as %v, want one SETUP", q931)
	}
	ours, err := capture.ReadFile(path, capture.Options{Framer: tpktLength})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ours.Records, func(r capture.Record) bool { return r.Transport == "tcp" })
	if i < 0 || !bytes.Equal(ours.Records[i].Payload, setupMessage) {
		t.Fatalf("our reader did not find the SETUP: %+v", ours.Records)
	}
	if got := q931[0]["frame.number"]; got != itoa(ours.Records[i].Index) {
		t.Errorf("SETUP completed in frame %s for the dissector, %d for our reader", got, ours.Records[i].Index)
	}
}

// tpktLength frames TPKT for the reader (the project's real TPKT code lives
// in the Q.931 package; this test must not depend on it).
func tpktLength(p []byte) (int, error) {
	if len(p) < 4 {
		return 0, nil
	}
	if n := int(p[2])<<8 | int(p[3]); len(p) >= n && p[0] == 3 {
		return n, nil
	}
	if p[0] != 3 {
		return len(p), nil // not TPKT (the bulk data): one record per chunk
	}
	return 0, nil
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

func TestProblemsFindsBrokenPackets(t *testing.T) {
	t.Parallel()
	tsharktest.Require(t)
	tests := []struct {
		name  string
		write func(t *testing.T) string
		want  string // a substring of one of the problems
	}{
		{
			name: "garbage RAS",
			write: func(t *testing.T) string {
				return writeFile(t, func(w *capture.Writer) {
					if err := w.WriteUDP(0, endpoint, gatekeeper, []byte{0xff, 0xff, 0xff, 0xff, 0xff}); err != nil {
						t.Fatal(err)
					}
				})
			},
			want: "Malformed",
		},
		{
			name: "bad UDP checksum",
			write: func(t *testing.T) string {
				path := writeFile(t, func(w *capture.Writer) {
					if err := w.WriteUDP(0, endpoint, gatekeeper, []byte{0x0e, 0xc0}); err != nil {
						t.Fatal(err)
					}
				})
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				// pcap header 24 + record header 16 + Ethernet 14 + IPv4 20
				// + UDP checksum at 6.
				data[24+16+14+20+6] ^= 0xff
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			},
			want: "checksum",
		},
		{
			name: "file cut inside a packet",
			write: func(t *testing.T) string {
				path := writeFile(t, func(w *capture.Writer) {
					if err := w.WriteUDP(0, endpoint, gatekeeper, make([]byte, 40)); err != nil {
						t.Fatal(err)
					}
				})
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data[:len(data)-10], 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			},
			want: "cut short",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			problems := tsharktest.Problems(t, tt.write(t), tsharktest.CheckChecksums...)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("problems %q do not mention %q", problems, tt.want)
			}
		})
	}
}
