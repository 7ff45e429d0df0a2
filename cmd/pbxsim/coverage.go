package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/callwake/callwake/scenario"
)

func init() {
	commands["coverage"] = command{summary: "print which scenarios cover which behaviour rows (Markdown)", run: runCoverage}
}

// runCoverage loads the scenarios and prints the coverage table: exit 0
// when every catalogue row has a scenario, 1 when some row has none, 2 when
// a file or the command line is wrong.
func runCoverage(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: pbxsim coverage FILE|DIR...") }
	_, names, ok := scenarioArgs(fs, args, stderr)
	if !ok {
		return exitUsage
	}
	var files []*scenario.File
	status := exitOK
	for _, l := range loadAll(names) {
		if l.err != nil {
			printLoadError(stderr, l.err)
			status = exitUsage
			continue
		}
		files = append(files, l.file)
	}
	if status != exitOK {
		return status
	}
	rows := scenario.Coverage(files)
	fmt.Fprint(stdout, scenario.CoverageMarkdown(rows, len(files)))
	if missing := scenario.Uncovered(rows); len(missing) > 0 {
		fmt.Fprintf(stderr, "pbxsim: no scenario covers %s\n", strings.Join(missing, ", "))
		return exitFailed
	}
	return exitOK
}
