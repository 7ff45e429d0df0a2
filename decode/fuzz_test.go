package decode

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/callwake/callwake/capture"
)

// FuzzMessage feeds arbitrary payloads to both message decoders with
// verification on: they must never panic, and a message that decodes and
// verifies must be reported as such.
func FuzzMessage(f *testing.F) {
	for _, dir := range []string{"ras", "q931"} {
		paths, _ := filepath.Glob(filepath.Join("..", "testdata", "golden", dir, "*.hex"))
		for _, p := range paths {
			f.Add(golden(f, filepath.Join(dir, filepath.Base(p))))
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ras := func(m *Message, b []byte, verify bool) { decodeRAS(m, b, verify) }
		signalling := func(m *Message, b []byte, verify bool) { decodeSignalling(m, b, verify) }
		for _, decodeOne := range []func(*Message, []byte, bool){ras, signalling} {
			var m Message
			decodeOne(&m, payload, true)
			if m.Error == "" && m.Mismatch == "" && !m.Verified {
				t.Fatalf("decoded without error or mismatch but not verified: %+v", m)
			}
			if m.Error != "" && m.Verified {
				t.Fatalf("failed and verified: %+v", m)
			}
		}
	})
}

// FuzzCapture decodes arbitrary files as captures: no panic, and the counts
// agree with the messages.
func FuzzCapture(f *testing.F) {
	f.Add(mixedCapture(f).file)
	f.Fuzz(func(t *testing.T, file []byte) {
		c, err := capture.Read(bytes.NewReader(file), capture.Options{StreamEnds: true, MaxPending: 1 << 16})
		if err != nil {
			return
		}
		res := Decode(c, Options{Verify: true})
		failed := 0
		for _, m := range res.Messages {
			if m.Failed() {
				failed++
			}
		}
		if failed != res.Failed {
			t.Fatalf("Failed = %d, messages say %d", res.Failed, failed)
		}
	})
}

func BenchmarkDecodeMixedCapture(b *testing.B) {
	file := mixedCapture(b).file
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := capture.Read(bytes.NewReader(file), capture.Options{StreamEnds: true})
		if err != nil {
			b.Fatal(err)
		}
		if res := Decode(c, Options{Verify: true}); res.Failed != 1 {
			b.Fatalf("failed %d", res.Failed)
		}
	}
}
