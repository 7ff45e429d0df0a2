// Command phonesim is a simulated H.323 phone on real sockets: it registers
// with a gatekeeper (a PBX, or `pbxsim serve`) over UDP, answers calls on
// TCP and places calls, printing every message it sends and receives as a
// timeline line. It is a thin shell over package realnet: flags and output.
//
//	phonesim register --gk HOST[:1719] --alias NAME --number DIGITS [--password P]
//	                  [--ttl 60s] [--listen 127.0.0.1:0] [--answer-after 2s|never|busy]
//	                  [--ras-listen ADDR] [--discover] [--gk-id ID] [--duration D]
//	                  [--pcap FILE] [--direct] [limits] [-v]
//	phonesim call     --gk HOST[:1719] --alias NAME --to DIGITS [--number DIGITS]
//	                  [--hangup-after D] [--setup-timeout 4s] [--proceeding-timeout 2m]
//	                  [... the register flags]
//
//	phonesim load     --gk HOST[:1719] --count N [--alias-prefix P] [--first-number DIGITS]
//	                  [--rate R] [--duration D] [--reregister D] [--shard I/N] [...]
//	phonesim merge-load [--json OUT] REPORT|DIR...
//
// register runs until --duration passes or the process is interrupted, then
// unregisters. call registers, asks admission (ARQ), connects to the
// call-signalling address of the ACF, sends a Setup and follows the call
// until Release Complete (sent after --hangup-after once connected, at the
// end of --duration, or with cause 102 when the Setup or the Call
// Proceeding waits too long: Q.931 T303 and T310), then unregisters.
//
// app is a myApps app woken by a push (app.go): it holds its vendor
// connection, logs in to the PBX's myApps session, sleeps unregistered and
// registers when a push wakes it.
//
// The limits (--max-conns, --max-conns-per-ip, --idle-timeout,
// --read-timeout, --max-tpkt, --udp-rcvbuf, --log-interval, --trace-burst)
// bound what strangers on the network can make phonesim hold; see
// realnet.Limits for their meaning and defaults. Without --direct, calls
// are accepted only from the gatekeeper's host (routed mode).
//
// load registers a population of endpoints at a rate, keeps it registered
// and unregisters it, printing counts every second and the registration
// times at the end. merge-load joins the --json reports of a load's shards
// into the report of the whole population, merging their histograms.
//
// Exit status: 0 after a clean run, 1 when registration failed (RRJ,
// timeout; the reason is printed), the call could not be placed or some of
// a load's endpoints did not stay registered, 2 on a bad command line (and
// for merge-load, reports that cannot be read or do not make one run).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/realnet"

	"github.com/rs/zerolog"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // registration failed or the call was not placed
	exitUsage  = 2 // the command line is wrong
)

// rasPort is the gatekeeper's RAS port when --gk gives none.
const rasPort = "1719"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usageText = `usage:
  phonesim register --gk HOST[:1719] --alias NAME --number DIGITS [--password P] [--ttl 60s]
                    [--listen 127.0.0.1:0] [--ras-listen ADDR] [--answer-after 2s|never|busy]
                    [--answer-arq auto|always|never] [--discover] [--gk-id ID]
                    [--duration D] [--pcap FILE] [--direct] [limit flags] [-v]
                    [--dtls | --h460-17 [--tls]] [--h235 hmac|md5] [--ca FILE] [--cert FILE --key FILE]
  phonesim call     --gk HOST[:1719] --alias NAME --to DIGITS [--hangup-after D]
                    [--setup-timeout 4s] [--proceeding-timeout 2m] [register flags]
  phonesim load     --gk HOST[:1719] --count N [--rate R] [--duration D] [--shard I/N] [...]
  phonesim merge-load [--json OUT] REPORT|DIR...
` + appUsage

// run parses args and runs the command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	if code, done := helpRequest(args, stdout, stderr); done {
		return code
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	case "load":
		return runLoad(ctx, args[1:], stdout, stderr)
	case "app":
		return runApp(ctx, args[1:], stdout, stderr)
	case "merge-load":
		return runMergeLoad(args[1:], stdout, stderr)
	case "register", "call":
	default:
		fmt.Fprintf(stderr, "phonesim: unknown command %q\n%s", args[0], usageText)
		return exitUsage
	}
	cfg, pcapPath, err := parse(args[0], args[1:], stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "phonesim %s: %v\n", args[0], err)
		}
		return exitUsage
	}
	res, err := runPhone(ctx, &cfg, stdout, pcapPath)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "phonesim: %v\n", err)
		return exitFailed
	case res.Failure != "":
		fmt.Fprintf(stderr, "phonesim: registration failed: %s\n", res.Failure)
		return exitFailed
	case !res.Registered:
		fmt.Fprintf(stderr, "phonesim: never registered with %v\n", cfg.Gatekeeper)
		return exitFailed
	case res.CallFailure != "":
		fmt.Fprintf(stderr, "phonesim: call to %s not placed: %s\n", cfg.Call.To, res.CallFailure)
		return exitFailed
	}
	return exitOK
}

// parse reads the flags of a command into a phone configuration and the
// --pcap path.
func parse(command string, args []string, stderr io.Writer) (cfg phoneFlags, pcapPath string, err error) {
	fs := flag.NewFlagSet("phonesim "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	gk := fs.String("gk", "", "gatekeeper RAS address, HOST[:PORT] (port 1719 by default)")
	alias := fs.String("alias", "", "h323-ID alias to register (the user's name)")
	number := fs.String("number", "", "dialledDigits alias (the user's number)")
	password := fs.String("password", "", "H.235 password (none: no tokens)")
	ttl := fs.Duration("ttl", 60*time.Second, "registration time to live to ask for (0: none)")
	listen := fs.String("listen", "127.0.0.1:0", "call-signalling TCP address to listen on (RAS binds the same IP)")
	rasListen := fs.String("ras-listen", "", "RAS UDP address to bind (default: the --listen IP, any port)")
	answer := fs.String("answer-after", "never", "answer incoming calls after this delay, or never, or busy (release with cause 17)")
	answerARQ := fs.String("answer-arq", "auto", "ask admission (ARQ answerCall) before answering: auto (unless the RCF pre-granted it), always, never")
	discover := fs.Bool("discover", false, "send a GRQ before the RRQ")
	gkID := fs.String("gk-id", "", "gatekeeper identifier to ask for in the GRQ")
	duration := fs.Duration("duration", 0, "run this long, then unregister (0: until interrupted)")
	verbose := fs.Bool("v", false, "log socket details to stderr")
	pcap := fs.String("pcap", "", "write the messages sent and received to this pcap file")
	direct := fs.Bool("direct", false, "accept calls from any address (direct mode); by default only the gatekeeper's host may call (routed mode)")
	limits := realnet.DefaultLimits()
	limits.AddFlags(fs)
	var sec secureFlags
	sec.add(fs)
	h245Mode := fs.String("h245", "tunnel", "how calls carry H.245: tunnel (in the call signalling, falling back to a separate connection with a peer that does not tunnel), separate (a TCP connection of its own), off")
	var to *string
	var hangup *time.Duration
	var setupTimeout, proceedingTimeout *time.Duration
	if command == "call" {
		to = fs.String("to", "", "number to call")
		hangup = fs.Duration("hangup-after", 0, "release the call this long after Connect (0: at the end of --duration)")
		setupTimeout = fs.Duration("setup-timeout", 4*time.Second, "clear the call (cause 102) when the Setup has no answer this long (Q.931 T303; 0: wait)")
		proceedingTimeout = fs.Duration("proceeding-timeout", 2*time.Minute, "clear the call (cause 102) when Call Proceeding is not followed by Alerting, Connect or Progress this long (T310; 0: wait)")
	}
	if err := fs.Parse(args); err != nil {
		return cfg, "", err
	}
	if fs.NArg() > 0 {
		return cfg, "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg = phoneFlags{Alias: *alias, Number: *number, Password: *password, TTL: *ttl,
		Discover: *discover, GatekeeperID: *gkID, Duration: *duration,
		SetupTimeout: phone.DefaultSetupTimeout, ProceedingTimeout: phone.DefaultProceedingTimeout,
		Direct: *direct, Limits: limits}
	if err := limits.Check(); err != nil {
		return cfg, "", err
	}
	if cfg.Gatekeeper, err = gatekeeperAddrPort(*gk, sec.gatekeeperPort()); err != nil {
		return cfg, "", err
	}
	if cfg.Secure, err = sec.settings(cfg.Gatekeeper); err != nil {
		return cfg, "", err
	}
	if cfg.Listen, err = netip.ParseAddrPort(*listen); err != nil {
		return cfg, "", fmt.Errorf("--listen: %w", err)
	}
	if *rasListen != "" {
		if cfg.RASListen, err = netip.ParseAddrPort(*rasListen); err != nil {
			return cfg, "", fmt.Errorf("--ras-listen: %w", err)
		}
	}
	if cfg.Alias == "" && cfg.Number == "" {
		return cfg, "", errors.New("--alias or --number is required")
	}
	if cfg.Number != "" && strings.Trim(cfg.Number, "0123456789#*,") != "" {
		return cfg, "", fmt.Errorf("--number %q: only 0-9 # * , may be dialled digits", cfg.Number)
	}
	if *ttl < 0 || *duration < 0 {
		return cfg, "", errors.New("--ttl and --duration must not be negative")
	}
	if cfg.H245, err = phone.ParseH245Mode(*h245Mode); err != nil {
		return cfg, "", fmt.Errorf("--h245: %w", err)
	}
	if cfg.Answer, err = parseAnswer(*answer); err != nil {
		return cfg, "", err
	}
	switch *answerARQ {
	case "auto":
		cfg.Admission = phone.AdmissionAuto
	case "always":
		cfg.Admission = phone.AdmissionAlways
	case "never":
		cfg.Admission = phone.AdmissionNever
	default:
		return cfg, "", fmt.Errorf("--answer-arq %q: want auto, always or never", *answerARQ)
	}
	if command == "call" {
		if *to == "" {
			return cfg, "", errors.New("--to is required")
		}
		if *hangup < 0 || *setupTimeout < 0 || *proceedingTimeout < 0 {
			return cfg, "", errors.New("--hangup-after, --setup-timeout and --proceeding-timeout must not be negative")
		}
		cfg.Call = &phone.PlaceCall{To: *to, HangupAfter: *hangup}
		cfg.SetupTimeout, cfg.ProceedingTimeout = *setupTimeout, *proceedingTimeout
	}
	level := zerolog.WarnLevel
	if *verbose {
		level = zerolog.DebugLevel
	}
	cfg.Log = zerolog.New(zerolog.ConsoleWriter{Out: stderr, NoColor: true}).Level(level).With().Timestamp().Logger()
	return cfg, *pcap, nil
}

// gatekeeperAddr resolves HOST[:PORT]; a name is looked up once, here.
func gatekeeperAddr(s string) (netip.AddrPort, error) { return gatekeeperAddrPort(s, rasPort) }

// gatekeeperAddrPort resolves HOST[:PORT], port defaulting to defPort.
func gatekeeperAddrPort(s, defPort string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, errors.New("--gk is required")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.Trim(s, "[]"), defPort
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return netip.AddrPort{}, fmt.Errorf("--gk %q: bad port", s)
	}
	a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, port))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("--gk %q: %w", s, err)
	}
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// parseAnswer reads --answer-after: a delay, never or busy.
func parseAnswer(s string) (phone.Answer, error) {
	switch s {
	case "never":
		return phone.Answer{Mode: phone.AnswerNever}, nil
	case "busy":
		return phone.Answer{Mode: phone.AnswerRejectBusy}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return phone.Answer{}, fmt.Errorf("--answer-after %q: want a delay such as 2s, never or busy", s)
	}
	return phone.Answer{Mode: phone.AnswerAfter, After: d}, nil
}
