package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callwake/callwake/internal/tsharktest"
)

// TestDissectorFindsNoProblems has an independent dissector check what the
// writer produces: checksums, lengths, TCP sequence and acknowledgement
// numbers, the handshake, the window and the close.
func TestDissectorFindsNoProblems(t *testing.T) {
	tsharktest.Require(t)
	tests := []struct {
		name  string
		write func(w *Writer) error
	}{
		{"udp and a short connection", func(w *Writer) error {
			// Ports without a dissector: this test is about the layers
			// below the payload.
			if err := w.WriteUDP(0, mustAP("192.0.2.10:50000"), mustAP("192.0.2.1:50001"), []byte{1, 2, 3}); err != nil {
				return err
			}
			s, err := w.OpenTCP(time.Millisecond, callerSig, gkSig)
			if err != nil {
				return err
			}
			setup := []byte{3, 0, 0, 14, 0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90, 0xa3}
			if err := s.WriteSplit(2*time.Millisecond, true, setup, 10); err != nil {
				return err
			}
			return s.Close(3 * time.Millisecond)
		}},
		{"three windows without replies", func(w *Writer) error {
			s, err := w.OpenTCP(0, callerSig, gkSig)
			if err != nil {
				return err
			}
			if err := s.Write(time.Millisecond, true, bytes.Repeat([]byte{0x07}, 3*tcpWindow)); err != nil {
				return err
			}
			if err := s.Write(2*time.Millisecond, false, bytes.Repeat([]byte{0x07}, 100)); err != nil {
				return err
			}
			return s.Close(3 * time.Millisecond)
		}},
		{"ipv6", func(w *Writer) error {
			s, err := w.OpenTCP(0, mustAP("[2001:db8::10]:40000"), mustAP("[2001:db8::1]:1720"))
			if err != nil {
				return err
			}
			if err := s.Write(time.Millisecond, false, []byte{0x07, 0x07}); err != nil {
				return err
			}
			return s.Close(2 * time.Millisecond)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, DefaultEpoch)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.write(w); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "out.pcap")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if p := tsharktest.Problems(t, path, tsharktest.CheckChecksums...); len(p) != 0 {
				t.Errorf("dissector problems:\n%s", strings.Join(p, "\n"))
			}
		})
	}
}
