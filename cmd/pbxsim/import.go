package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/callwake/callwake/importer"
)

func init() {
	commands["import"] = command{summary: "turn a capture into a scenario that reproduces it (-o FILE)", run: runImport}
}

// runImport is `pbxsim import CAPTURE [-o FILE] [--name NAME] [--margin D]`:
// it writes the scenario a capture implies (to stdout without -o), checked
// by a run: the drafted expectations the model does not reproduce are
// commented out in the file, and counted on stderr. Exit status: 0 written,
// 2 for a file that is not a capture or holds no H.225.0 message, or a
// wrong command line.
func runImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	out := fs.String("o", "", "write the scenario to `FILE` instead of stdout")
	name := fs.String("name", "", "the scenario's name (default: the capture file's)")
	margin := fs.Duration("margin", 0, "how far each side of a message's time the drafted expectations reach (default 100ms)")
	const usage = "usage: pbxsim import CAPTURE [-o FILE] [--name NAME] [--margin D]\n"
	paths, status, ok := parseCommand(fs, usage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(paths) != 1 {
		printUsage(stderr, fs, usage)
		return exitUsage
	}
	res, err := importer.Import(paths[0], importer.Options{Name: *name, Margin: *margin})
	if err != nil {
		fmt.Fprintln(stderr, "pbxsim import:", err)
		return exitUsage
	}
	if *out == "" {
		if _, err := stdout.Write(res.YAML); err != nil {
			fmt.Fprintln(stderr, "pbxsim import:", err)
			return exitUsage
		}
	} else if err := os.WriteFile(*out, res.YAML, 0o644); err != nil {
		fmt.Fprintln(stderr, "pbxsim import:", err)
		return exitUsage
	}
	where := "stdout"
	if *out != "" {
		where = *out
	}
	fmt.Fprintf(stderr, "pbxsim import: wrote %s: %d devices, %d calls, %d of %d expectations drafted from %d messages",
		where, res.Devices, res.Calls, res.Kept, res.Kept+res.Dropped, res.Messages)
	if res.Dropped > 0 {
		fmt.Fprintf(stderr, " (%d not reproduced by the model: commented out in the file)", res.Dropped)
	}
	fmt.Fprintln(stderr)
	return exitOK
}
