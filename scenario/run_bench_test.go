package scenario

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkRunCause18 runs the cause-18 scenario (30 s of virtual time: a
// push, the 10 s registration timeout, cause 18) once per iteration, world
// building included. Target: under 5 ms per run.
func BenchmarkRunCause18(b *testing.B) {
	f, err := Load(filepath.Join("..", "scenarios", "app-never-registers-cause18.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Run(f, RunOptions{})
		if err != nil || !r.Passed() {
			b.Fatalf("run failed: %v", err)
		}
	}
}

// BenchmarkRunLibrary runs every scenario of the library once per
// iteration, sequentially (pbxsim runs them in parallel). Target: under 1 s.
func BenchmarkRunLibrary(b *testing.B) {
	var files []*File
	for _, path := range libraryFiles(b) {
		f, err := Load(path)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		for _, f := range files {
			r, err := Run(f, RunOptions{})
			if err != nil || !r.Passed() {
				b.Fatalf("%s failed: %v", f.Name, err)
			}
			events += r.Timeline.Len()
		}
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkRegistrationStorm builds a world of 1,000 desk phones that all
// register at once (a PBX restart) and runs it for 10 s of virtual time;
// it reports the loop events per second of wall time.
func BenchmarkRegistrationStorm(b *testing.B) {
	const phones = 1000
	var src strings.Builder
	src.WriteString("name: storm\nduration: 10s\npbx:\n  users:\n")
	for i := range phones {
		fmt.Fprintf(&src, "    - {name: u%d, number: \"%d\", password: pw%d}\n", i, 1000+i, i)
	}
	src.WriteString("devices:\n")
	for i := range phones {
		fmt.Fprintf(&src, "  - {name: d%d, user: u%d, kind: deskphone}\n", i, i)
	}
	src.WriteString("expect:\n  - event: ras.rcf\n    count: 1000\n")
	f, err := Parse("storm.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var events uint64
	for b.Loop() {
		r, err := Run(f, RunOptions{})
		if err != nil || !r.Passed() {
			b.Fatalf("storm failed: %v %v", err, Failed(r.Verdicts))
		}
		events += r.LoopEvents
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
