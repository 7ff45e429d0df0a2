// Command pbxsim runs callwake scenarios: it builds the simulated world a
// YAML file describes, runs it on a virtual clock and checks the file's
// expectations. It is a thin shell over package scenario: flags, files and
// output only.
//
//	pbxsim run FILE|DIR... [--seed N] [-v] [--json FILE] [--pcap OUT] [--html OUT]
//	                       [--junit FILE] [--shard I/N] [--record]
//	pbxsim validate FILE|DIR...
//	pbxsim record FILE
//	pbxsim decode [--verify] [--json] CAPTURE
//	pbxsim import CAPTURE [-o FILE] [--name NAME] [--margin D]
//	pbxsim coverage FILE|DIR...
//	pbxsim merge [--junit OUT] [--json OUT] REPORT...
//	pbxsim serve [--ip IP] [--cert F --key F] [--ca F] [--metrics ADDR] [--json F] [--pcap F] FILE
//	pbxsim pki init [--host NAME]... DIR [FILE]
//	pbxsim version
//	pbxsim help [COMMAND]
//
// Every command prints its usage and flags on stdout and exits 0 when
// given -h, -help or --help, as `pbxsim help COMMAND` does.
//
// Exit status: 0 when everything passed, 1 when an expectation failed, 2
// when a file or the command line is wrong. serve runs a file's PBX on
// real sockets until SIGINT or SIGTERM (exit 0; 1 when a listener cannot
// be bound).
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Exit statuses shared by every command.
const (
	exitOK     = 0
	exitFailed = 1 // an expectation failed
	exitUsage  = 2 // a file or the command line is wrong
)

// command is one subcommand. Each command registers itself in its own
// file's init, so adding a command never touches another command's file.
type command struct {
	summary string // one line for the usage text
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands holds the registered subcommands by name.
var commands = map[string]command{}

func main() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) }

// dispatch runs the command named by args[0] and returns the exit status.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help":
		return runHelp(args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return runVersion(nil, stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pbxsim: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(args[1:], stdout, stderr)
}

// usage lists the commands, sorted by name.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pbxsim COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'pbxsim help COMMAND' (or 'pbxsim COMMAND -h') for a command's usage and flags.")
}
