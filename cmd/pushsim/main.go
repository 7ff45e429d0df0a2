// Command pushsim runs the far side of the push path on real sockets: the
// push service a PBX's Push object logs in to (WebSocket over mutual TLS),
// and the APNs and FCM emulators it relays to (the HTTP/2 provider APIs,
// and the connections the phones keep to receive their pushes). It is a
// thin shell over push/cloud and realnet: flags, certificates, output.
//
//	pushsim [--listen 127.0.0.1:8443] --cert FILE --key FILE --device-ca FILE
//	        [--unverified-ca FILE] [--apns ADDR] [--fcm ADDR] [--vendor-down apns|fcm]
//	        [--unregistered TOKEN] [--unreachable TOKEN] [--down-for D]
//	        [--metrics ADDR] [--json FILE] [--log-format console|json] [-v]
//	pushsim --test-pki DIR [...]   make a test PKI in DIR and serve with it
//
// It runs until interrupted (SIGINT, SIGTERM) or --duration passes, then
// closes its connections, writes --json and exits 0; 1 when it could not
// start (a port taken, a certificate unreadable), 2 on a bad command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses, as pbxsim's and phonesim's.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and serves until ctx ends; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "help" {
		args = []string{"-h"}
	}
	o, err := parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "pushsim: %v\n", err)
		printUsage(stderr)
		return exitUsage
	}
	if err := serve(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "pushsim: %v\n", err)
		return exitFailed
	}
	return exitOK
}
