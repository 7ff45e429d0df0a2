package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// expectItems is a file whose expect list holds body (already indented).
func expectItems(body string) string {
	return "name: x\npbx: {users: [{name: bob, number: \"202\"}]}\n" +
		"devices: [{name: bob-desk, user: bob, kind: deskphone}]\nexpect:\n" + body
}

// TestShapeLimits: each bound of the pre-scan refuses input just beyond it,
// at the position where the bound was crossed, and accepts input at it.
func TestShapeLimits(t *testing.T) {
	keys := func(n int) string {
		var b strings.Builder
		b.WriteString("  - event: ras.rrq\n")
		for i := range n - 1 {
			fmt.Fprintf(&b, "    k%d: v\n", i)
		}
		return b.String()
	}
	flowKeys := func(n int) string {
		var b strings.Builder
		b.WriteString("  - {event: ras.rrq")
		for i := range n - 1 {
			fmt.Fprintf(&b, ",\n     k%d: v", i)
		}
		b.WriteString("}\n")
		return b.String()
	}
	items := func(n int) string { return strings.Repeat("  - {event: ras.rcf}\n", n) }
	deep := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i+6), i)
		}
		return "  - event: ras.rrq\n    x:\n" + b.String()
	}
	head := strings.Count(expectItems(""), "\n") // lines before the first item
	tests := []struct {
		name string
		src  string
		want string // "" = no shape error (other problems may follow)
	}{
		{"a line at the limit", expectItems("  - {event: ras.rrq, summary: " + strings.Repeat("x", maxLineLength-31) + "}\n"), ""},
		{"a line beyond the limit", expectItems("  - {event: ras.rrq, summary: " + strings.Repeat("x", maxLineLength-30) + "}\n"),
			fmt.Sprintf("x.yaml:%d:%d: line %d is longer than %d bytes", head+1, maxLineLength+1, head+1, maxLineLength)},
		{"keys at the limit", expectItems(keys(maxKeys)), ""},
		{"one key too many", expectItems(keys(maxKeys + 1)),
			fmt.Sprintf("x.yaml:%d:5: a mapping with more than %d keys", head+maxKeys+1, maxKeys)},
		{"one flow key too many", expectItems(flowKeys(maxKeys + 1)),
			fmt.Sprintf("x.yaml:%d:6: a mapping with more than %d keys", head+maxKeys+1, maxKeys)},
		{"keys of sibling mappings count apart", expectItems(keys(maxKeys) + keys(maxKeys)), ""},
		{"tokens beyond the limit", expectItems(items(maxTokens / 5)),
			fmt.Sprintf("more than %d YAML tokens", maxTokens)},
		{"nesting by indentation", expectItems(deep(maxNesting)),
			fmt.Sprintf("collections nested more than %d levels deep", maxNesting)},
		{"nesting by indentation at the limit", expectItems(deep(maxNesting - 5)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &loader{file: "x.yaml"}
			_, ok := l.checkShape([]byte(tt.src))
			got := sortProblems(l.problems).Error()
			if tt.want == "" {
				if !ok {
					t.Fatalf("refused: %s", got)
				}
				return
			}
			if ok || !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			// Parse reports the same, and nothing from later stages.
			_, err := Parse("x.yaml", []byte(tt.src))
			var problems Errors
			if !errors.As(err, &problems) || len(problems) != 1 || !strings.Contains(problems[0].Error(), tt.want) {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

// TestTokenEstimateGate: input with far more tokens than the limit is
// refused by the byte scan, before the tokenizer (hundreds of bytes per
// token) runs; the estimate does not refuse the library.
func TestTokenEstimateGate(t *testing.T) {
	src := "name: x\nexpect: [\n" + strings.Repeat(strings.Repeat("1, ", 1000)+"\n", 2*maxTokens/2000+1) + "1]\n"
	l := &loader{file: "x.yaml"}
	if l.scanBytes([]byte(src)) || !strings.Contains(sortProblems(l.problems).Error(), "far more than") {
		t.Fatalf("the byte scan let %d bytes of flow list through: %v", len(src), l.problems)
	}
	for _, path := range libraryFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		l := &loader{file: path}
		if !l.scanBytes(src) {
			t.Errorf("%s: %v", path, l.problems)
		}
	}
}

// TestSyntaxErrorCost: a syntax error at the end of a long line costs
// memory linear in the input. The YAML library's formatted message (its
// Error method) prints the source around the error token at a cost
// quadratic in the line's length (a 1 MB line: 205 s of CPU, 1.2 GB); the
// loader takes the bare message and the position instead.
func TestSyntaxErrorCost(t *testing.T) {
	src := []byte("name: x\nexpect: [" + strings.Repeat("a, ", (maxLineLength-20)/3) + "]]\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Parse("x.yaml", src)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "x.yaml:2:") || !strings.Contains(err.Error(), "YAML syntax error") {
		t.Fatalf("error %v", err)
	}
	// Linear work allocates a few hundred bytes per input byte; the
	// library's formatted message allocates about 8.6 MB for this 4 KB line (its cost grows with the square of the length).
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(600*len(src)); got > limit {
		t.Errorf("a syntax error in %d bytes allocated %d bytes (limit %d)", len(src), got, limit)
	} else {
		t.Logf("a syntax error in %d bytes allocated %d bytes", len(src), got)
	}
}

// TestLoadReadsThroughTheLimit: Load reads at most MaxFileSize+1 bytes of
// a file that does not end (a pipe here, /dev/zero on the command line),
// and says so.
func TestLoadReadsThroughTheLimit(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "endless.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	const offered = 8 * MaxFileSize
	var written atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		chunk := []byte(strings.Repeat("# comment\n", 6553))
		for written.Load() < offered {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return // the reader closed: EPIPE
			}
		}
	}()
	_, err := Load(fifo)
	readWhenDone := written.Load()
	<-done
	if err == nil || !strings.Contains(err.Error(), fifo+":1:1: the file is more than") {
		t.Fatalf("error %v", err)
	}
	// The pipe holds up to a few chunks beyond what the reader took.
	if readWhenDone > MaxFileSize+4<<20 {
		t.Errorf("Load consumed %d bytes of an endless file before refusing it", readWhenDone)
	}
}

// BenchmarkParseHostile measures the loader on inputs at its limits: the
// shapes the YAML library handles worst (see load_shape.go).
func BenchmarkParseHostile(b *testing.B) {
	var keys, flow strings.Builder
	for m := range maxTokens / (4 * maxKeys) {
		fmt.Fprintf(&keys, "  - event: ras.rrq\n")
		for i := range maxKeys - 1 {
			fmt.Fprintf(&keys, "    k%d_%d: v\n", m, i)
		}
	}
	for flow.Len() < 150_000 {
		flow.WriteString("  " + strings.Repeat("1, ", 1300) + "\n")
	}
	cases := []struct{ name, src string }{
		{"syntax-error-4KB-line", "name: x\nexpect: [" + strings.Repeat("a, ", 1300) + "]]\n"},
		{"mappings-of-200-keys-to-the-token-limit", expectItems(keys.String())},
		{"flow-list-near-token-limit", "name: x\nexpect: [\n" + flow.String() + "  1]\n"},
		{"1MiB-one-line-syntax-error", "name: x\nexpect: [" + strings.Repeat("a, ", MaxFileSize/3-10) + "]]\n"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.src)))
			b.ReportAllocs()
			for b.Loop() {
				Parse("x.yaml", []byte(c.src)) // refused or not, the cost is what counts
			}
		})
	}
}
