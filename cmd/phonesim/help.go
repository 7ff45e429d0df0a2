package main

import (
	"context"
	"fmt"
	"io"
	"slices"
)

// Help is answered the same way by every command, before anything runs:
// `phonesim help COMMAND`, `phonesim COMMAND -h`, `-help` and `--help`
// print the command's usage and flags on stdout and exit 0 (a wrong flag
// stays a usage error, exit 2). It is kept apart from the commands' run
// logic, which only has to build its flag set the way it does.

var helpFlags = []string{"-h", "-help", "--help", "--h"}

// helpRequest answers a request for help; done is false when args ask for
// none.
func helpRequest(args []string, stdout, stderr io.Writer) (code int, done bool) {
	if len(args) == 2 && args[0] == "help" {
		args = []string{args[1], "-h"}
	}
	if len(args) < 2 {
		return 0, false
	}
	asked := false
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		asked = asked || slices.Contains(helpFlags, a)
	}
	if !asked {
		return 0, false
	}
	switch args[0] {
	case "register", "call":
		fmt.Fprint(stdout, usageText)
		fmt.Fprintln(stdout)
		// The flag set prints its flags on the writer it is given.
		_, _, _ = parse(args[0], []string{"-h"}, stdout)
	case "load":
		runLoad(context.Background(), []string{"-h"}, stdout, stdout)
	case "app":
		fmt.Fprint(stdout, appUsage)
		fmt.Fprintln(stdout)
		_, _ = parseApp([]string{"-h"}, stdout)
	case "merge-load":
		runMergeLoad([]string{"-h"}, stdout, stdout)
	default:
		fmt.Fprintf(stderr, "phonesim: unknown command %q\n%s", args[0], usageText)
		return exitUsage, true
	}
	return exitOK, true
}
