package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
)

func init() {
	commands["merge"] = command{summary: "merge the JUnit or JSON reports of sharded runs into one", run: runMerge}
}

// mergeUsage is the synopsis of `pbxsim merge`.
const mergeUsage = `usage: pbxsim merge [--junit OUT] [--json OUT] REPORT|DIR...

Merges the reports that sharded runs wrote (pbxsim run --shard I/N with
--junit or --json; each REPORT is one of them, JUnit or JSON, told apart
by content; a DIR stands for the .xml and .json files in it) into one
JUnit file and one JSON file, each scenario file once,
in path order. A scenario found in two reports is an error: the shards
overlapped. It prints the totals and exits 1 when a scenario failed or
could not run, 0 when all passed, 2 when a report cannot be read.
`

// runMerge is `pbxsim merge`; see mergeUsage.
func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	junitOut := fs.String("junit", "", "write the merged JUnit report to `OUT`")
	jsonOut := fs.String("json", "", "write the merged JSON report to `OUT`")
	rest, status, ok := parseCommand(fs, mergeUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(rest) == 0 {
		return usageError(fs, mergeUsage, stderr)
	}
	paths, err := reportArgs(rest)
	if err != nil {
		fmt.Fprintf(stderr, "pbxsim merge: %v\n", err)
		return exitUsage
	}
	var junitDocs []report.JUnitDoc
	var jsonRuns [][]scenario.RunReport
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "pbxsim merge: %v\n", err)
			status = exitUsage
			continue
		}
		switch trimmed := bytes.TrimSpace(b); {
		case bytes.HasPrefix(trimmed, []byte("<")):
			junitDocs = append(junitDocs, report.JUnitDoc{Name: path, Data: b})
		case bytes.HasPrefix(trimmed, []byte("{")):
			runs, err := scenario.UnmarshalReports(b)
			if err != nil {
				fmt.Fprintf(stderr, "pbxsim merge: %s: %v\n", path, err)
				status = exitUsage
				continue
			}
			jsonRuns = append(jsonRuns, runs)
		default:
			fmt.Fprintf(stderr, "pbxsim merge: %s: neither a JUnit (XML) nor a JSON report\n", path)
			status = exitUsage
		}
	}
	if *junitOut != "" && len(junitDocs) == 0 {
		fmt.Fprintln(stderr, "pbxsim merge: --junit given but no JUnit report to merge")
		status = exitUsage
	}
	if *jsonOut != "" && len(jsonRuns) == 0 {
		fmt.Fprintln(stderr, "pbxsim merge: --json given but no JSON report to merge")
		status = exitUsage
	}
	if status != exitOK {
		return status
	}
	if len(junitDocs) > 0 {
		var out bytes.Buffer
		totals, err := report.MergeJUnit(&out, junitDocs...)
		if err == nil && *junitOut != "" {
			err = writeReport(*junitOut, out.Bytes())
		}
		if err != nil {
			fmt.Fprintf(stderr, "pbxsim merge: JUnit: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "JUnit: %d reports, %d scenarios, %d tests, %d failures, %d errors\n",
			len(junitDocs), totals.Suites, totals.Tests, totals.Failures, totals.Errors)
		if totals.Failures+totals.Errors > 0 {
			status = exitFailed
		}
	}
	if len(jsonRuns) > 0 {
		runs, err := scenario.MergeReports(jsonRuns...)
		var b []byte
		if err == nil {
			b, err = scenario.MarshalReports(runs)
		}
		if err == nil && *jsonOut != "" {
			err = writeReport(*jsonOut, b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "pbxsim merge: JSON: %v\n", err)
			return exitUsage
		}
		counts := map[string]int{}
		for _, r := range runs {
			counts[r.Result]++
		}
		fmt.Fprintf(stdout, "JSON: %d reports, %d scenarios: %d passed, %d failed, %d errors\n",
			len(jsonRuns), len(runs), counts["PASS"], counts["FAIL"], counts["ERROR"])
		if len(runs) != counts["PASS"] {
			status = exitFailed
		}
	}
	return status
}
