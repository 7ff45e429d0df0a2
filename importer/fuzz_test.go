package importer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/callwake/callwake/capture"
	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
)

// FuzzImport imports arbitrary files: it never panics, and what it writes
// always loads.
func FuzzImport(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "call-cause18.pcap")); err == nil {
		f.Add(b)
	}
	for _, name := range []string{"ios-wake-answer", "ras-retransmission-lossy-link", "cause-codes-user-busy"} {
		s, err := scenario.Load(filepath.Join("..", "scenarios", name+".yaml"))
		if err != nil {
			f.Fatal(err)
		}
		r, err := scenario.Run(s, scenario.RunOptions{})
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if err := report.WritePcap(&buf, r.Timeline.Events()); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file []byte) {
		path := filepath.Join(dir, "fuzz.pcap")
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Import(path, Options{Name: "fuzz"})
		if err != nil {
			if errors.Is(err, capture.ErrNotCapture) || errors.Is(err, ErrNothing) {
				return
			}
			t.Logf("import refused: %v", err)
			return
		}
		if _, err := scenario.Parse("fuzz.yaml", res.YAML); err != nil {
			t.Fatalf("written scenario does not load: %v\n%s", err, res.YAML)
		}
	})
}
