package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestProgressQuietWhenNotATerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var buf bytes.Buffer
	for _, out := range []struct {
		name string
		w    interface{ Write([]byte) (int, error) }
	}{{"buffer", &buf}, {"regular file", file}} {
		t.Run(out.name, func(t *testing.T) {
			p := NewProgress(out.w, 3)
			if p.terminal {
				t.Fatal("taken for a terminal")
			}
			p.Done("a.yaml")
			p.Done("b.yaml")
			p.Finish()
		})
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q to a buffer", buf.String())
	}
	if info, _ := file.Stat(); info.Size() != 0 {
		t.Errorf("wrote %d bytes to a file", info.Size())
	}
}

func TestProgressOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 2, true)
	p.Done("first-long-name.yaml")
	p.Done("b.yaml")
	p.Finish()
	got := buf.String()
	want := "\r1/2 files  first-long-name.yaml\r1/2 files  first-long-name.yaml" +
		"\r2/2 files  b.yaml              \r2/2 files  b.yaml" +
		"\r" + strings.Repeat(" ", len("2/2 files  b.yaml")) + "\r\r"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if strings.Contains(got, "\n") {
		t.Error("a progress line ends a line")
	}
}

func TestProgressConcurrent(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 50, true)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); p.Done("x") }()
	}
	wg.Wait()
	if p.done != 50 || !strings.HasSuffix(buf.String(), "50/50 files  x") {
		t.Errorf("done=%d, output ends %q", p.done, buf.String()[max(0, buf.Len()-20):])
	}
}
