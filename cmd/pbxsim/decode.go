package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/callwake/callwake/decode"
)

func init() {
	commands["decode"] = command{summary: "print the RAS and call-signalling messages of a capture (--json, --verify)", run: runDecode}
}

// runDecode prints one line (or one JSON record) per H.225.0 message of a
// pcap or pcapng file, as it reads it. Exit status: 0 when every message decoded (and
// verified), or the capture holds no packets at all (an empty capture is
// valid; the output says "0 packets"); 1 when a message did not decode or
// verify, or a capture with packets held no H.225.0 message (other traffic
// only, or a link type the reader does not support: the output counts the
// skipped packets and names the file's link types); 2 for a file that is not
// a capture or a wrong command line.
func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "write JSON for machines instead of text")
	verify := fs.Bool("verify", false, "re-encode every message and report those whose bytes differ")
	const usage = "usage: pbxsim decode [--json] [--verify] FILE.pcap|FILE.pcapng\n"
	paths, status, ok := parseCommand(fs, usage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(paths) != 1 {
		printUsage(stderr, fs, usage)
		return exitUsage
	}
	var out decode.Writer = decode.NewTextWriter(stdout)
	if *asJSON {
		out = decode.NewJSONWriter(stdout)
	}
	// Messages are written as they are found: a capture of any size
	// streams through in the memory of its open TCP streams.
	var writeErr error
	sum, err := decode.Stream(paths[0], decode.Options{Verify: *verify}, func(m decode.Message) error {
		writeErr = out.Message(m)
		return writeErr
	})
	if err == nil {
		writeErr = out.Close(sum)
	}
	switch {
	case writeErr != nil:
		fmt.Fprintln(stderr, "pbxsim decode:", writeErr)
		return exitFailed
	case err != nil:
		// Not a capture (capture.ErrNotCapture) or not readable at all:
		// either way the command line named the wrong file.
		fmt.Fprintln(stderr, "pbxsim decode:", err)
		return exitUsage
	}
	if p := sum.Problem(); p != "" {
		// Also on stderr: with --json, stdout alone would not say it.
		fmt.Fprintln(stderr, "pbxsim decode:", p)
	}
	if !sum.OK() {
		return exitFailed
	}
	return exitOK
}
