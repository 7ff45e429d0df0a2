package main

import (
	"flag"
	"fmt"
	"io"
)

func init() {
	commands["validate"] = command{summary: "check scenario files and report every problem (FILE:LINE:COL)", run: runValidate}
}

const validateUsage = `usage: pbxsim validate FILE|DIR...

Loads every scenario file (a DIR stands for its *.yaml and *.yml files)
and reports every problem as FILE:LINE:COL: message, all of them at once,
without running anything. Exit status: 0 when every file is valid, 2
otherwise.
`

// runValidate loads every file and reports its problems: exit 0 when all
// files are valid, 2 otherwise.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	_, files, status, ok := scenarioArgs(fs, validateUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	all := loadAll(files)
	printWarnings(stderr, all)
	for _, l := range all {
		if l.err != nil {
			printLoadError(stderr, l.err)
			status = exitUsage
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%s, %d expectations)\n", l.path, l.file.Name, len(l.file.Expect))
	}
	return status
}
