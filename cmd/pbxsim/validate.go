package main

import (
	"flag"
	"fmt"
	"io"
)

func init() {
	commands["validate"] = command{summary: "check scenario files and report every problem (FILE:LINE:COL)", run: runValidate}
}

// runValidate loads every file and reports its problems: exit 0 when all
// files are valid, 2 otherwise.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: pbxsim validate FILE|DIR...") }
	_, files, ok := scenarioArgs(fs, args, stderr)
	if !ok {
		return exitUsage
	}
	status := exitOK
	for _, l := range loadAll(files) {
		if l.err != nil {
			printLoadError(stderr, l.err)
			status = exitUsage
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s, %d expectations)\n", l.path, l.file.Name, len(l.file.Expect))
	}
	return status
}
