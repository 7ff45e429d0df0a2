//go:build unix

package scenario

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system time so far: what a run cost on
// a machine whose other load makes wall time meaningless.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The storm benchmarks run the million-phone files of testdata/storm at a
// given size (the file's 1000000 replaced), lean as pbxsim run is without
// views. Sizes: STORM_SIZES (comma-separated, default 1000,10000), since a
// million takes minutes:
//
//	STORM_SIZES=1000,100000,1000000 go test ./scenario -run '^$' -bench Storm -benchtime 1x -timeout 2h
//
// Each reports loop events per second of wall time (events/s), the CPU
// time of a run (cpu-s/op: user and system, collector included; what to
// compare on a loaded machine) and the heap in use after the run (heapMiB).

func stormSizes(b *testing.B) []int {
	spec := os.Getenv("STORM_SIZES")
	if spec == "" {
		spec = "1000,10000"
	}
	var sizes []int
	for _, s := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("STORM_SIZES: %q is not a positive count", s)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// stormFile loads testdata/storm/NAME.yaml with n phones instead of a million.
func stormFile(b *testing.B, name string, n int) *File {
	src, err := os.ReadFile(filepath.Join("..", "testdata", "storm", name+".yaml"))
	if err != nil {
		b.Fatal(err)
	}
	text := strings.ReplaceAll(string(src), "1000000", strconv.Itoa(n))
	f, err := Parse(name+".yaml", []byte(text))
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func benchStorm(b *testing.B, name string) {
	for _, n := range stormSizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			f := stormFile(b, name, n)
			var loop uint64
			var wall, cpu time.Duration
			peak := uint64(0)
			for b.Loop() {
				start, cpu0 := time.Now(), cpuTime()
				r, err := Run(f, RunOptions{Lean: true})
				wall += time.Since(start)
				cpu += cpuTime() - cpu0
				if err != nil {
					b.Fatal(err)
				}
				if !r.Passed() {
					b.Fatalf("%s with %d phones failed: %v", name, n, Failed(r.Verdicts)[0])
				}
				loop += r.LoopEvents
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			b.ReportMetric(float64(loop)/wall.Seconds(), "events/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(loop)/cpu.Seconds(), "events/cpu-s")
			b.ReportMetric(float64(peak)/(1<<20), "heapMiB")
		})
	}
}

// BenchmarkStormPushWake: N sleeping apps each pushed, woken, registered
// and called by one of 1,000 desk phones. Target at 1,000,000: under 60 s
// and 8 GiB.
func BenchmarkStormPushWake(b *testing.B) { benchStorm(b, "push-wake-1m") }

// BenchmarkStormRestart: N registered desk phones re-register after a PBX
// restart. Target at 1,000,000: under 30 s and 4 GiB.
func BenchmarkStormRestart(b *testing.B) { benchStorm(b, "restart-1m") }

// BenchmarkIdlePhoneBytes builds a world of N registered desk phones and
// runs it until they are all registered and idle; it reports the heap in
// use per phone. Target: under 1 KB. IDLE_HEAP_PROFILE=FILE writes the heap
// profile of the idle world (go tool pprof -sample_index=inuse_space FILE).
func BenchmarkIdlePhoneBytes(b *testing.B) {
	const n = 20000
	src := `name: idle
duration: 5s
pbx:
  users:
    - population: {count: 20000, name: "u{i}", number: "2{i:05}"}
devices:
  - population: {count: 20000, group: desks, name: "u{i}-desk", user: "u{i}", kind: deskphone}
expect:
  - event: ras.rcf
    to: desks[*]
    count: 20000
`
	f, err := Parse("idle.yaml", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var base runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&base)
		w, err := newSimWorld(f, f.Seed, nil)
		if err != nil {
			b.Fatal(err)
		}
		names := ExpectedNames(f.Expect)
		w.timeline.Keep = func(name string) bool { return names[name] }
		w.timeline.NoWire = true
		if err := w.run(); err != nil {
			b.Fatal(err)
		}
		if v := Check(f.Expect, w.timeline.Events()); len(Failed(v)) > 0 {
			b.Fatalf("not all registered: %v", Failed(v)[0])
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse-base.HeapInuse)/n, "bytes/phone")
		if p := os.Getenv("IDLE_HEAP_PROFILE"); p != "" {
			out, _ := os.Create(p)
			_ = pprof.WriteHeapProfile(out)
			_ = out.Close()
		}
		runtime.KeepAlive(w)
	}
}
