package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/callwake/callwake/internal/shard"
	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"

	"github.com/rs/zerolog"
)

func init() {
	commands["run"] = command{summary: "run scenarios and check their expectations", run: runRun}
}

// runOutcome is one file's run, kept in file order for the output.
type runOutcome struct {
	path    string
	file    *scenario.File // nil when the file could not be loaded
	result  *scenario.Result
	err     error // load or run error: the file is wrong
	viewErr error // its pcap could not be written (a simulated run writes it as it goes)
}

// runUsage is the synopsis of `pbxsim run` and what its view flags write.
const runUsage = `usage: pbxsim run FILE|DIR... [--seed N] [-v] [--json FILE] [--record]
                  [--pcap OUT] [--html OUT] [--junit FILE] [--shard I/N]
                  [--max-view-bytes N] [--stats] [--realtime [--tolerance 50ms]]

Runs each scenario on the virtual clock (or, with --realtime, on real
sockets) and checks its expectations. A failed expectation is printed as
"FAIL FILE:LINE:COL: message"; a file that does not load, as
"FILE:LINE:COL: message" for every problem. Exit status: 0 when every
expectation held, 1 when one failed, 2 when a file or the command line is
wrong (or a view would exceed its budget).

With one scenario FILE on the command line, --pcap and --html write OUT
itself. With several files or a directory, OUT is a directory (created if
needed) that receives NAME.pcap and NAME.html per scenario, NAME being the
scenario file's name without .yaml/.yml. A file that cannot be loaded or
run has no pcap or HTML. --junit always writes one file: a testsuite per
scenario file, a testcase per expectation, a load or run error as an
<error> test case. The same files and seed give the same bytes (JUnit's
time attributes excepted: they are wall-clock times).

--json writes {"runs": [...]}, one run per file, whatever the number of
files. The views together (--pcap, --html, --json, --junit) may write at
most --max-view-bytes bytes (default 256 MiB); a view that would go past
it is not written, and the error names it and the budget.

--shard I/N runs shard I (counting from 0) of N: the k-th file of the list
(arguments in order, a directory's files sorted by name) belongs to shard
k mod N, so N runs with the same arguments run every file exactly once.

--realtime runs the scenarios on real sockets and the wall clock instead
of the simulator: every actor on its own loopback address (127.B.x.y, one
block B per file, so that all files run at once) with the standard ports
1719, 1720 and 1300 (the push service, the vendors and the myApps sessions
on 8443), real TLS, WebSocket and HTTP/2 with a test PKI made for the run.
Each file takes its duration of wall time. The expectations' time windows
are widened by --tolerance. A file that asks for what the real driver cannot
do (DTLS) is refused before it starts.

--stats prints on stderr what each run cost: the events it recorded, the
loop events it ran and their rate, the time it took to build, simulate and
check, and the process's peak memory. A run keeps in memory only the events
its expectations name unless -v, --json, --pcap or --html asks for the
whole timeline.

--max-events bounds the work of one simulated run (default 50,000,000 loop
events, some 800 times the library's largest file): a file that asks for
more stops with an error naming the budget; raise it (0: no limit) when
the file means it.
--max-view-bytes bounds the bytes the views of the command write.

A progress line (files done / total) is shown on stderr when it is a
terminal.
`

// runRun is `pbxsim run FILE|DIR... [flags]`; see runUsage.
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	seed := fs.Int64("seed", 0, "run with this seed instead of each file's")
	verbose := fs.Bool("v", false, "print each run's timeline")
	stats := fs.Bool("stats", false, "print what each run cost (events, events/s, time per phase, peak memory) on stderr")
	jsonPath := fs.String("json", "", "write the timelines and verdicts as JSON to `FILE`")
	record := fs.Bool("record", false, "run without checking expectations (expect may be empty)")
	realtime := fs.Bool("realtime", false, "run on loopback sockets and the wall clock instead of the simulator")
	tolerance := fs.Duration("tolerance", scenario.DefaultTolerance, "with --realtime: widen every time window by this much")
	var views viewOptions
	fs.StringVar(&views.pcap, "pcap", "", "write the RAS, Q.931 and H.245 messages as a pcap `OUT` (file or directory)")
	fs.StringVar(&views.html, "html", "", "write an HTML ladder diagram to `OUT` (file or directory)")
	fs.StringVar(&views.junit, "junit", "", "write a JUnit XML report to `FILE`")
	budget := &viewBudget{}
	fs.Int64Var(&budget.max, "max-view-bytes", defaultMaxViewBytes,
		"the view budget: at most `N` bytes of --pcap, --html, --json and --junit output in all (0: no limit)")
	views.budget = budget
	maxEvents := fs.Uint64("max-events", defaultMaxEvents,
		"the event budget: stop a simulated run after `N` loop events, with an error (0: no limit)")
	part := shard.All
	fs.Func("shard", "run only shard `I/N` of the files (I from 0)", func(s string) error {
		var err error
		part, err = shard.Parse(s)
		return err
	})
	paths, files, status, ok := scenarioArgs(fs, runUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	files = shard.Pick(part, files)
	views.single = len(paths) == 1 && !isDir(paths[0])
	if (views.pcap != "" || views.html != "") && !views.single {
		if err := checkViewNames(files); err != nil {
			fmt.Fprintln(stderr, "pbxsim:", err)
			return exitUsage
		}
	}
	// A run whose timeline nobody will see keeps only what its checks need;
	// a simulated run's pcap is written as it goes, from every event.
	lean := !*verbose && *jsonPath == "" && views.html == ""
	opts := scenario.RunOptions{Seed: *seed, SeedSet: seedSet, Record: *record, Lean: lean, MaxEvents: *maxEvents}
	if *realtime && (*record || seedSet) {
		fmt.Fprintln(stderr, "pbxsim: --realtime runs on the wall clock: --seed and --record are for simulated runs")
		return exitUsage
	}
	if *tolerance < 0 {
		fmt.Fprintln(stderr, "pbxsim: --tolerance must not be negative")
		return exitUsage
	}
	progress := report.NewProgress(stderr, len(files))
	all := loadAll(files)
	printWarnings(stderr, all)
	var outcomes []runOutcome
	if *realtime {
		outcomes = runRealtime(all, *tolerance, progress)
	} else {
		tuneGC()
		if views.pcap != "" {
			if !views.single {
				if err := os.MkdirAll(views.pcap, 0o755); err != nil {
					fmt.Fprintln(stderr, "pbxsim:", err)
					return exitUsage
				}
			}
			views.streamed = true
		}
		outcomes = runAll(all, opts, views, progress)
	}
	if *stats {
		writeStats(stderr, outcomes)
	}
	progress.Finish()

	for _, o := range outcomes {
		switch {
		case o.err != nil:
			printLoadError(stderr, o.err)
			status = exitUsage
		default:
			if *verbose {
				fmt.Fprintf(stdout, "== %s (%s, seed %d)\n", o.path, o.result.Name, o.result.Seed)
				for _, e := range o.result.Timeline.Events() {
					fmt.Fprintln(stdout, e.String())
				}
			}
			for _, v := range scenario.Failed(o.result.Verdicts) {
				fmt.Fprintf(stdout, "FAIL %s\n", v.String())
			}
			if !o.result.Passed() && status == exitOK {
				status = exitFailed
			}
		}
	}
	summary(stdout, outcomes)
	if *jsonPath != "" {
		if err := writeJSON(budget, *jsonPath, outcomes); err != nil {
			fmt.Fprintln(stderr, "pbxsim:", err)
			return exitUsage
		}
	}
	for _, o := range outcomes {
		if o.viewErr != nil {
			fmt.Fprintln(stderr, "pbxsim:", o.viewErr)
			return exitUsage
		}
	}
	if err := writeViews(views, outcomes); err != nil {
		fmt.Fprintln(stderr, "pbxsim:", err)
		return exitUsage
	}
	return status
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// runAll runs the loaded files on every core, counting each finished file
// in progress; the outcomes keep file order. The largest worlds start
// first: a storm started last would run alone on one core at the end.
func runAll(files []loaded, opts scenario.RunOptions, views viewOptions, progress *report.Progress) []runOutcome {
	out := make([]runOutcome, len(files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out[i] = runStreamed(files[i], opts, views)
				progress.Done(files[i].path)
			}
		}()
	}
	for _, i := range largestFirst(files) {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// largestFirst orders the files' indices by the size of their worlds
// (devices and calls, populations counted member by member), largest first,
// in file order among equals.
func largestFirst(files []loaded) []int {
	size := func(l loaded) int {
		if l.file == nil {
			return 0
		}
		return len(l.file.Devices) + len(l.file.Calls)
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return size(files[b]) - size(files[a]) })
	return order
}

// runRealtime runs every loaded file at once on real sockets, each in an
// address block of its own.
func runRealtime(files []loaded, tolerance time.Duration, progress *report.Progress) []runOutcome {
	out := make([]runOutcome, len(files))
	var wg sync.WaitGroup
	for i, l := range files {
		wg.Go(func() {
			o := runOutcome{path: l.path, file: l.file, err: l.err}
			if o.err == nil && len(l.file.Expect) == 0 {
				o.err = fmt.Errorf("%s: no expectations (add `expect:` items)", l.file.Pos)
			}
			if o.err == nil {
				o.result, o.err = scenario.RunRealtime(context.Background(), l.file,
					scenario.RealOptions{Block: i, Tolerance: tolerance, Log: zerolog.Nop()})
			}
			out[i] = o
			progress.Done(l.path)
		})
	}
	wg.Wait()
	return out
}

// runStreamed runs one file, writing its pcap as it goes when views ask for
// it; a file that does not load or run has none.
func runStreamed(l loaded, opts scenario.RunOptions, views viewOptions) runOutcome {
	if !views.streamed || l.err != nil {
		return runOne(l, opts)
	}
	p, err := views.openPcap(l.path)
	if err != nil {
		return runOutcome{path: l.path, file: l.file, err: err}
	}
	opts.Tap = p.add
	o := runOne(l, opts)
	o.viewErr = p.finish(o.err)
	return o
}

func runOne(l loaded, opts scenario.RunOptions) runOutcome {
	o := runOutcome{path: l.path, file: l.file, err: l.err}
	if l.err != nil {
		return o
	}
	if len(l.file.Expect) == 0 && !opts.Record {
		o.err = fmt.Errorf("%s: no expectations (add `expect:` items, or run with --record)", l.file.Pos)
		return o
	}
	o.result, o.err = scenario.Run(l.file, opts)
	return o
}

// summary prints the table of runs; wall time appears only here.
func summary(w io.Writer, outcomes []runOutcome) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tRESULT\tEXPECT\tEVENTS\tSIMULATED\tWALL")
	var wall time.Duration
	passed := 0
	for _, o := range outcomes {
		if o.result == nil {
			fmt.Fprintf(tw, "%s\tERROR\t-\t-\t-\t-\n", o.path)
			continue
		}
		r := o.result
		met, total := r.Met()
		if r.Passed() {
			passed++
		}
		wall += r.Wall
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%v\t%v\n", o.path, scenario.Outcome(r), met, total,
			r.Timeline.Len(), r.Simulated, r.Wall.Round(time.Microsecond))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d/%d passed\n", passed, len(outcomes))
}

// writeJSON writes the deterministic JSON report of the runs.
func writeJSON(budget *viewBudget, path string, outcomes []runOutcome) error {
	reports := make([]scenario.RunReport, len(outcomes))
	for i, o := range outcomes {
		if o.result == nil {
			reports[i] = scenario.RunReport{File: o.path, Result: "ERROR", Error: o.err.Error(),
				Events: []scenario.EventReport{}, Expectations: []scenario.VerdictReport{}}
			continue
		}
		reports[i] = scenario.Report(o.result)
		reports[i].File = o.path
	}
	return budget.writeView(path, "JSON report", true, func(w io.Writer) error { return scenario.WriteReports(w, reports) })
}
