package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

func init() {
	commands["version"] = command{summary: "print the module version and VCS revision this binary was built from", run: runVersion}
}

// parseCommand parses a command's flags, before, between or after its
// positional arguments, and returns the positional arguments. Every
// command treats help alike: -h, -help and --help print the command's
// usage and flags on stdout and exit 0; a wrong flag prints the problem and
// the usage on stderr and exits 2. ok is false when the command must
// return status at once.
func parseCommand(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (rest []string, status int, ok bool) {
	fs.SetOutput(io.Discard) // the flag package would print the usage itself, to one writer
	fs.Usage = func() {}
	rest, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, fs, usage)
		return nil, exitOK, false
	case err != nil:
		fmt.Fprintf(stderr, "pbxsim %s: %v\n", fs.Name(), err)
		printUsage(stderr, fs, usage)
		return nil, exitUsage, false
	}
	return rest, exitOK, true
}

// printUsage writes a command's usage text and its flags.
func printUsage(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprint(w, usage)
	if !strings.HasSuffix(usage, "\n") {
		fmt.Fprintln(w)
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// usageError prints a command's usage on stderr for a command line that
// parsed but is wrong (no files, too many) and returns exitUsage.
func usageError(fs *flag.FlagSet, usage string, stderr io.Writer) int {
	printUsage(stderr, fs, usage)
	return exitUsage
}

// runHelp is `pbxsim help [COMMAND]`: the list of commands, or one
// command's usage (what `pbxsim COMMAND -h` prints), on stdout.
func runHelp(args []string, stdout, stderr io.Writer) int {
	switch len(args) {
	case 0:
		usage(stdout)
		return exitOK
	case 1:
		cmd, ok := commands[args[0]]
		if !ok {
			fmt.Fprintf(stderr, "pbxsim help: unknown command %q\n", args[0])
			usage(stderr)
			return exitUsage
		}
		// A command asked for help writes only help, wherever it writes.
		return cmd.run([]string{"-h"}, stdout, stdout)
	}
	fmt.Fprintln(stderr, "usage: pbxsim help [COMMAND]")
	return exitUsage
}

const versionUsage = `usage: pbxsim version

Prints the module path and version this binary was built from, the VCS
revision and its time (with "modified" when the working tree had
uncommitted changes), and the Go version. A binary built by
"go install github.com/callwake/callwake/cmd/pbxsim@VERSION" knows its
module version; one built in a checkout says "(devel)" and its revision.
`

// runVersion is `pbxsim version`.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	rest, status, ok := parseCommand(fs, versionUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(rest) > 0 {
		return usageError(fs, versionUsage, stderr)
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionText(info))
	return exitOK
}

// versionText renders the build information in one line:
// "pbxsim v1.2.0 (github.com/callwake/callwake) revision 9322c72 2026-01-02T03:04:05Z modified go1.26.0".
func versionText(info *debug.BuildInfo) string {
	module, version := "unknown module", "unknown version"
	var revision, when, modified string
	goVersion := runtime.Version()
	if info != nil {
		if info.Main.Path != "" {
			module = info.Main.Path
		}
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "modified"
				}
			}
		}
	}
	parts := []string{"pbxsim", version, "(" + module + ")"}
	if revision == "" {
		parts = append(parts, "revision unknown")
	} else {
		parts = append(parts, "revision "+revision)
	}
	for _, p := range []string{when, modified, goVersion} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}
