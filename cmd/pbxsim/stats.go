package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// tuneGC trades memory for CPU in a simulated run: a world allocates much
// and keeps little, so the collector runs a quarter as often as Go's default
// (GOGC=400), with a soft limit of three quarters of the machine's memory so
// that a large world collects harder rather than runs out. GOGC and
// GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := memTotal(); total > 0 {
			debug.SetMemoryLimit(total / 4 * 3)
		}
	}
}

// memTotal is the machine's memory in bytes (Linux), or 0.
func memTotal() int64 { return procKB("/proc/meminfo", "MemTotal:") * 1024 }

// peakRSS is the process's peak resident memory in bytes (Linux), or 0.
func peakRSS() int64 { return procKB("/proc/self/status", "VmHWM:") * 1024 }

// procKB reads a "Key: N kB" line of a /proc file.
func procKB(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// writeStats prints what each run cost (pbxsim run --stats): events
// recorded, loop events and their rate, the time of each phase, and the
// process's peak memory. Wall times are for people, never for comparison
// across machines.
func writeStats(w io.Writer, outcomes []runOutcome) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tEVENTS\tLOOP EVENTS\tLOOP EVENTS/S\tBUILD\tSIMULATE\tCHECK")
	for _, o := range outcomes {
		r := o.result
		if r == nil {
			continue
		}
		rate := 0.0
		if r.Simulate > 0 {
			rate = float64(r.LoopEvents) / r.Simulate.Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%v\t%v\t%v\n", o.path, r.Timeline.Len(), r.LoopEvents, rate,
			r.Build.Round(time.Microsecond), r.Simulate.Round(time.Microsecond), r.Check.Round(time.Microsecond))
	}
	tw.Flush()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "peak memory %s (resident), %d collections, %s allocated in all\n",
		mib(peakRSS()), ms.NumGC, mib(int64(ms.TotalAlloc)))
}

func mib(n int64) string {
	if n <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
