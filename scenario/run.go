package scenario

import (
	"fmt"
	"time"

	"github.com/callwake/callwake/timeline"
)

// RunOptions changes how Run runs a file.
type RunOptions struct {
	// Seed, when SeedSet, replaces the file's seed (pbxsim run --seed).
	Seed    int64
	SeedSet bool
	// Record runs the world without checking expectations (the file's
	// `expect` may then be empty): the result is the timeline only.
	Record bool
	// Lean keeps in the result's timeline only the events the expectations
	// name, without their wire bytes: for a run whose timeline no view will
	// show (no -v, --json, --pcap, --html), so that its memory follows what
	// the checks need, not everything that happened. Verdicts are the same.
	Lean bool
	// MaxEvents is the work budget: the run stops with an *EventBudgetError
	// once its loop ran that many events (0: no limit). A valid file can
	// ask for hours of work (thousands of phones for a day); the budget
	// makes that a clear error instead (pbxsim run --max-events).
	MaxEvents uint64
	// Tap, when set, sees every event of the run as it is recorded, wire
	// bytes included, whatever Lean keeps (timeline.Timeline.Tap): a view
	// written as the run goes.
	Tap func(*timeline.Event)

	// pushTap is a test and diagnostic hook (see pushTap); only the
	// package's own tests set it.
	pushTap pushTap
}

// Result is the outcome of one run.
type Result struct {
	Name     string
	File     string // the file's name as loaded (Pos.File)
	Seed     int64
	Timeline *timeline.Timeline
	// Verdicts holds one verdict per expectation, in file order; nil when
	// recording.
	Verdicts []Verdict
	// Simulated is the virtual time the world ran (the file's duration).
	Simulated time.Duration
	// LoopEvents is how many scheduled events the world's loop ran.
	LoopEvents uint64
	// Wall is the real time the run took. It is for people (the summary
	// table) and never part of a deterministic report.
	Wall time.Duration
	// Build, Simulate and Check divide Wall into its phases: making the
	// world, running it, checking the expectations (pbxsim run --stats).
	Build, Simulate, Check time.Duration
}

// Passed reports whether every expectation was met.
func (r *Result) Passed() bool { return len(Failed(r.Verdicts)) == 0 }

// Met returns how many expectations were met, and how many there are.
func (r *Result) Met() (met, total int) {
	for _, v := range r.Verdicts {
		if v.OK {
			met++
		}
	}
	return met, len(r.Verdicts)
}

// Run builds the world f describes, runs it for f.Duration of virtual time
// and checks the expectations against its timeline. The same file and seed
// give the same timeline, event for event. An error means the world could
// not be built or a core refused an input the driver made (a bug); failed
// expectations are not errors, they are in the verdicts.
func Run(f *File, opts RunOptions) (*Result, error) {
	start := time.Now()
	seed := f.Seed
	if opts.SeedSet {
		seed = opts.Seed
	}
	w, err := newSimWorld(f, seed, opts.pushTap)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", f.Pos, f.Name, err)
	}
	w.timeline.Tap = opts.Tap
	if opts.Lean && !opts.Record {
		names := ExpectedNames(f.Expect)
		w.timeline.Keep = func(name string) bool { return names[name] }
		w.timeline.NoWire = true
	}
	built := time.Now()
	w.loop.MaxEvents = opts.MaxEvents
	if err := w.run(); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", f.Pos, f.Name, err)
	}
	if w.loop.Exhausted() {
		return nil, &EventBudgetError{Pos: f.Pos, Name: f.Name, Max: opts.MaxEvents, At: w.loop.Now(), Duration: f.Duration}
	}
	ran := time.Now()
	r := &Result{
		Name:       f.Name,
		File:       f.Pos.File,
		Seed:       seed,
		Timeline:   w.timeline,
		Simulated:  w.loop.Now(),
		LoopEvents: w.loop.Fired(),
	}
	if !opts.Record {
		r.Verdicts = Check(f.Expect, w.timeline.Events())
	}
	r.Wall = time.Since(start)
	r.Build, r.Simulate, r.Check = built.Sub(start), ran.Sub(built), time.Since(ran)
	return r, nil
}

// EventBudgetError is a run stopped by RunOptions.MaxEvents.
type EventBudgetError struct {
	Pos      Pos
	Name     string
	Max      uint64
	At       time.Duration // the simulated time it reached
	Duration time.Duration // the file's
}

func (e *EventBudgetError) Error() string {
	return fmt.Sprintf("%s: %s: the run stopped after %d events (the event budget) at %v of its %v; "+
		"raise it with --max-events N (0: no limit) if the file means this much work", e.Pos, e.Name, e.Max, e.At, e.Duration)
}

// ExpectedNames returns the names of the events the items look at (members
// of all groups included): the events a lean run keeps.
func ExpectedNames(items []Expectation) map[string]bool {
	names := map[string]bool{}
	var add func(items []Expectation)
	add = func(items []Expectation) {
		for _, it := range items {
			if it.Event != "" {
				names[it.Event] = true
			}
			add(it.Members)
			if it.Delay != nil {
				add([]Expectation{it.Delay.From, it.Delay.To})
			}
		}
	}
	add(items)
	return names
}
