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

const coverageUsage = `usage: pbxsim coverage FILE|DIR...

Loads the scenarios and prints, as Markdown, which of them cover which row
of the behaviour catalogue (docs/behaviours.md), from their covers: lists.
Exit status: 0 when every row has a scenario, 1 when some row has none, 2
when a file does not load or the command line is wrong.
`

// runCoverage loads the scenarios and prints the coverage table: exit 0
// when every catalogue row has a scenario, 1 when some row has none, 2 when
// a file or the command line is wrong.
func runCoverage(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
	_, names, status, ok := scenarioArgs(fs, coverageUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	var files []*scenario.File
	all := loadAll(names)
	printWarnings(stderr, all)
	for _, l := range all {
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
