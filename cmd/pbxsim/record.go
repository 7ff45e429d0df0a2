package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
)

func init() {
	commands["record"] = command{summary: "run a scenario without checking it and print draft expectations", run: runRecord}
}

const recordUsage = `usage: pbxsim record FILE [--seed N]

Runs the scenario without checking its expectations (its expect: list may
be empty) and prints a draft expect: list made from the timeline: every
event of the catalogue but the diagnostic ones, in order, with its key
attributes and an at window of +-100ms. Pasted into the file, the draft
passes with the same seed; prune it to what the ticket is about.
`

// runRecord is `pbxsim record FILE [--seed N]`: it runs the world without
// checking the file's expectations (which may be empty) and prints an
// `expect:` list drafted from the timeline, to paste into the file.
func runRecord(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	seed := fs.Int64("seed", 0, "run with this seed instead of the file's")
	paths, status, ok := parseCommand(fs, recordUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(paths) != 1 {
		return usageError(fs, recordUsage, stderr)
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	f, err := scenario.Load(paths[0])
	if err != nil {
		printLoadError(stderr, err)
		return exitUsage
	}
	r, err := scenario.Run(f, scenario.RunOptions{Seed: *seed, SeedSet: seedSet, Record: true})
	if err != nil {
		fmt.Fprintln(stderr, "pbxsim:", err)
		return exitUsage
	}
	draft := report.DraftExpectations(r.Timeline.Events())
	if _, err := stdout.Write(draft); err != nil {
		fmt.Fprintln(stderr, "pbxsim:", err)
		return exitUsage
	}
	if len(draft) > scenario.MaxFileSize {
		fmt.Fprintf(stderr, "pbxsim record: warning: the draft is %d bytes, more than a scenario may hold (%d): keep the items the ticket is about, or check a population with count and delay items (docs/scenario-format.md)\n", len(draft), scenario.MaxFileSize)
	}
	return exitOK
}
