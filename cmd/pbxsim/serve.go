package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/report"
	"github.com/callwake/callwake/scenario"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

func init() {
	commands["serve"] = command{summary: "run a file's PBX as a real gatekeeper and routing PBX on real sockets", run: func(args []string, stdout, stderr io.Writer) int {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runServe(ctx, args, stdout, stderr, nil)
	}}
}

const serveUsage = `usage: pbxsim serve [flags] FILE

Runs the PBX of FILE's pbx: section (its users, numbers, H.235 passwords,
forwards, forks, presence, version and quirks) as a real H.323 gatekeeper
and gatekeeper-routed PBX that real phones and phonesim register to:

  RAS           UDP  --ip:1719   (--ras)
  RAS over DTLS UDP  --ip:1300   (--dtls)   DTLS 1.2, pion/dtls
  signalling    TCP  --ip:1720   (--signal) H.225.0, H.460.17 RAS tunnelled
  signalling    TLS  --ip:1300   (--tls)    TLS 1.2 and 1.3, H.460.17 too

None of the well-known ports needs root. An RRQ names a user by its
aliases (h323-ID = the user's name, dialledDigits = its number); an RRQ
whose aliases name no user is rejected with RRJ invalidAlias, one with a
wrong H.235 password with RRJ securityDenial. A user without a device in
the file registers as a desk phone named after it. The Push object stays
disconnected unless --push names a push service (pushsim): it then dials
it with --push-cert/--push-key (a device certificate, e.g. pbx-NAME.pem
and .key from 'pbxsim pki init'), checks the service against --push-ca
(service-ca.pem), logs in and reconnects with backoff; a call to a push
user whose app is not registered is pushed through it. Apps log in to the
myApps session (--session) for their push key and tell their token.

The secure listeners present --cert/--key (e.g. pbx.pem and pbx.key from
'pbxsim pki init'); without them serve makes a throw-away test PKI in
memory, which phones must then not verify. With --ca they ask phones for
their certificates and check them against it (the PBX accepts phones
either way). SSLKEYLOGFILE (or --keylog) appends the TLS and DTLS session
secrets for Wireshark (-o tls.keylog_file:FILE) to decrypt a capture of
the wire; --pcap writes the messages in clear instead.

Every event is a log line on stderr (messages at debug level: -v); on
SIGINT or SIGTERM serve unregisters nothing, releases its calls, writes
--json and --pcap and exits 0. Exit status 2 on a bad command line or
FILE, 1 when a listener cannot be bound or a file cannot be written.
`

// serveFlags are serve's settings.
type serveFlags struct {
	pbxName                   string
	ip                        string
	ras, dtls, signal, secure string
	session                   string
	cert, key, ca             string
	keylog                    string
	ttl                       time.Duration
	logFormat                 string
	verbose                   bool
	jsonPath, pcapPath        string
	metrics                   string
	duration                  time.Duration
	limits                    realnet.Limits // what strangers can make serve hold (docs/limits.md)
	push, pushCert, pushKey   string
	pushCA                    string
}

// serveHooks let tests see the running server (nil in the command).
type serveHooks struct {
	// ready is called with the bound addresses once every listener is up.
	ready func(pbx.Addrs)
	// event sees every event (on the host's loop).
	event func(*timeline.Event)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, hooks *serveHooks) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var sf serveFlags
	fs.StringVar(&sf.pbxName, "pbx", "", "the PBX of the file to serve (default: the only one)")
	fs.StringVar(&sf.ip, "ip", "127.0.0.1", "address to listen on and to dial phones from (0.0.0.0 is not enough: phones are told this address)")
	fs.StringVar(&sf.ras, "ras", "", "RAS UDP address (default IP:1719)")
	fs.StringVar(&sf.dtls, "dtls", "", "RAS over DTLS address (default IP:1300)")
	fs.StringVar(&sf.signal, "signal", "", "call-signalling TCP address (default IP:1720)")
	fs.StringVar(&sf.secure, "tls", "", "call-signalling TLS address (default IP:1300)")
	fs.StringVar(&sf.session, "session", "", "myApps session (WSS) address (default IP, any free port)")
	fs.StringVar(&sf.push, "push", "", "connect the file's Push object to the push service at this address (pushsim's --listen); default: no push service, the Push object stays disconnected")
	fs.StringVar(&sf.pushCert, "push-cert", "", "the device certificate chain (PEM) the Push object presents (B02)")
	fs.StringVar(&sf.pushKey, "push-key", "", "its private key (PEM)")
	fs.StringVar(&sf.pushCA, "push-ca", "", "the trust list (PEM) the push service's certificate must chain to (B03)")
	fs.StringVar(&sf.cert, "cert", "", "certificate chain (PEM) the secure listeners present")
	fs.StringVar(&sf.key, "key", "", "its private key (PEM)")
	fs.StringVar(&sf.ca, "ca", "", "authorities (PEM) phone certificates are checked against (asks phones for one)")
	fs.StringVar(&sf.keylog, "keylog", os.Getenv(realnet.KeyLogEnv), "append TLS/DTLS session secrets to this file (default $SSLKEYLOGFILE)")
	fs.DurationVar(&sf.ttl, "ttl", 0, "registration time to live granted (default 120s)")
	fs.StringVar(&sf.logFormat, "log-format", "", "console or json (default: console on a terminal, json otherwise)")
	fs.BoolVar(&sf.verbose, "v", false, "log every message (debug level)")
	fs.StringVar(&sf.jsonPath, "json", "", "write the timeline as a JSON report to this file on exit")
	fs.StringVar(&sf.pcapPath, "pcap", "", "write the messages in clear (TLS and DTLS ones as if on 1720 and 1719) as a pcap capture to this file on exit")
	fs.StringVar(&sf.metrics, "metrics", "", "serve Prometheus metrics on this address (/metrics)")
	fs.DurationVar(&sf.duration, "duration", 0, "stop after this long (0: until SIGINT or SIGTERM)")
	sf.limits = realnet.DefaultLimits()
	sf.limits.AddFlags(fs)
	rest, status, ok := parseCommand(fs, serveUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(rest) != 1 {
		return usageError(fs, serveUsage, stderr)
	}
	if err := sf.limits.Check(); err != nil {
		fmt.Fprintf(stderr, "pbxsim serve: %v\n", err)
		return exitUsage
	}
	log, err := serveLogger(sf.logFormat, sf.verbose, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pbxsim serve: %v\n", err)
		return exitUsage
	}
	f, err := scenario.Load(rest[0])
	if err != nil {
		printLoadError(stderr, err)
		return exitUsage
	}
	// Each message allocates and little of it stays (a registration keeps
	// about a kilobyte): the collector as pbxsim run tunes it.
	tuneGC()
	opts, err := sf.options(f)
	if err != nil {
		fmt.Fprintf(stderr, "pbxsim serve: %v\n", err)
		return exitUsage
	}
	if opts.Security, err = sf.security(log); err != nil {
		fmt.Fprintf(stderr, "pbxsim serve: %v\n", err)
		return exitUsage
	}
	n, err := scenario.ServePBX(f, sf.pbxName, opts)
	if err != nil {
		fmt.Fprintf(stderr, "pbxsim serve: %v\n", err)
		return exitUsage
	}
	name := sf.pbxName
	if name == "" {
		name = f.PBXs[0].Name
	}
	tl := &timeline.Timeline{}
	if sf.jsonPath == "" && sf.pcapPath == "" {
		tl.Keep = func(string) bool { return false } // nothing reads it: memory stays flat
	}
	host := realnet.NewHost(log, tl)
	host.Limits = sf.limits
	host.Describe = map[string]realnet.Describer{}
	for proto, d := range pbx.Describers() {
		host.Describe[proto] = d
	}
	if sf.keylog != "" {
		kl, err := realnet.OpenKeyLog(sf.keylog)
		if err != nil {
			fmt.Fprintf(stderr, "pbxsim serve: --keylog: %v\n", err)
			return exitFailed
		}
		defer kl.Close()
		host.KeyLog = kl
	}
	var m *serveMetrics
	if sf.metrics != "" {
		if m, err = startMetrics(sf.metrics, name, host, log); err != nil {
			fmt.Fprintf(stderr, "pbxsim serve: --metrics: %v\n", err)
			return exitFailed
		}
		defer m.close()
	}
	failed := false
	ka := keepAlives{}
	host.OnEvent = func(e *timeline.Event) {
		keepAlive := ka.answer(e)
		logEvent(log, e, keepAlive)
		if m != nil {
			m.event(name, e, keepAlive)
		}
		if hooks != nil && hooks.event != nil {
			hooks.event(e)
		}
		if e.Name == "pbx.listen_failed" {
			failed = true
		}
	}
	host.Add(name, opts.IP, n)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if sf.duration > 0 {
		runCtx, cancel = context.WithTimeout(runCtx, sf.duration)
		defer cancel()
	}
	// Once the node has bound its listeners (its Start ran on the loop),
	// report where, or stop if one could not be bound.
	host.Schedule(50*time.Millisecond, func() {
		if failed {
			log.Error().Msg("a listener could not be bound; stopping")
			cancel()
			return
		}
		a := n.Addrs()
		log.Info().Str("pbx", name).Stringer("ras", a.RAS).Stringer("dtls", a.DTLS).Stringer("signal", a.Signal).
			Stringer("tls", a.Secure).Stringer("session", a.Session).Msg("serving")
		if hooks != nil && hooks.ready != nil {
			hooks.ready(a)
		}
	})
	_ = host.Run(runCtx)
	code := exitOK
	if failed {
		code = exitFailed
	}
	if sf.pcapPath != "" {
		if err := writeServePcap(sf.pcapPath, host); err != nil {
			fmt.Fprintf(stderr, "pbxsim serve: --pcap: %v\n", err)
			code = exitFailed
		}
	}
	if sf.jsonPath != "" {
		if err := writeServeJSON(sf.jsonPath, rest[0], f, host); err != nil {
			fmt.Fprintf(stderr, "pbxsim serve: --json: %v\n", err)
			code = exitFailed
		}
	}
	log.Info().Int("events", tl.Len()).Msg("stopped")
	return code
}

// options are the listening addresses of the flags.
func (sf *serveFlags) options(f *scenario.File) (scenario.ServeOptions, error) {
	ip, err := netip.ParseAddr(sf.ip)
	if err != nil {
		return scenario.ServeOptions{}, fmt.Errorf("--ip: %w", err)
	}
	o := scenario.ServeOptions{IP: ip, TimeToLive: sf.ttl}
	if o.Push, err = sf.pushLink(f); err != nil {
		return o, err
	}
	if sf.ttl < 0 {
		return o, errors.New("--ttl must not be negative")
	}
	for _, x := range []struct {
		flag, value string
		port        uint16
		to          *netip.AddrPort
	}{{"--ras", sf.ras, pbx.PortRAS, &o.Listen.RAS}, {"--dtls", sf.dtls, pbx.PortSecure, &o.Listen.DTLS},
		{"--signal", sf.signal, pbx.PortSignalling, &o.Listen.Signal}, {"--tls", sf.secure, pbx.PortSecure, &o.Listen.Secure},
		{"--session", sf.session, 0, &o.Listen.Session}} {
		switch x.value {
		case "":
			*x.to = netip.AddrPortFrom(ip, x.port)
		default:
			a, err := netip.ParseAddrPort(x.value)
			if err != nil {
				return o, fmt.Errorf("%s: %w", x.flag, err)
			}
			*x.to = a
		}
	}
	return o, nil
}

// pushLink is the push service the Push object dials (nil: none).
func (sf *serveFlags) pushLink(f *scenario.File) (*scenario.ServePush, error) {
	if sf.push == "" {
		if sf.pushCert != "" || sf.pushKey != "" || sf.pushCA != "" {
			return nil, errors.New("--push-cert, --push-key and --push-ca need --push")
		}
		return nil, nil
	}
	service, err := netip.ParseAddrPort(sf.push)
	if err != nil {
		return nil, fmt.Errorf("--push: %w (want IP:PORT)", err)
	}
	if sf.pushCert == "" || sf.pushKey == "" || sf.pushCA == "" {
		return nil, errors.New("--push needs --push-cert, --push-key and --push-ca: the service accepts a Push object by its device certificate (B02), and the Push object checks the service's (B03)")
	}
	hasPush := false
	for _, p := range f.PBXs {
		hasPush = hasPush || p.Push != nil
	}
	if !hasPush {
		return nil, fmt.Errorf("--push: %s has no Push object (pbx: push:)", f.Pos.File)
	}
	own, err := realnet.LoadCredential(sf.pushCert, sf.pushKey)
	if err != nil {
		return nil, fmt.Errorf("--push-cert: %w", err)
	}
	trust, err := realnet.LoadTrust(sf.pushCA)
	if err != nil {
		return nil, fmt.Errorf("--push-ca: %w", err)
	}
	sec := &node.Security{Own: own, Trust: trust.Trust, Roots: trust.Roots, ServerName: pushHost(f)}
	return &scenario.ServePush{Service: service, Security: sec}, nil
}

// pushHost is the push service's name in the file's Push object URL (what
// its certificate must name).
func pushHost(f *scenario.File) string {
	for _, p := range f.PBXs {
		if p.Push != nil {
			if u, err := url.Parse(p.Push.URL); err == nil && u.Hostname() != "" {
				return u.Hostname()
			}
		}
	}
	return "push.test"
}

// security is what the secure listeners present and check.
func (sf *serveFlags) security(log zerolog.Logger) (*node.Security, error) {
	sec := &node.Security{}
	switch {
	case sf.cert != "" && sf.key != "":
		own, err := realnet.LoadCredential(sf.cert, sf.key)
		if err != nil {
			return nil, err
		}
		sec.Own = own
	case sf.cert != "" || sf.key != "":
		return nil, errors.New("--cert and --key go together")
	default:
		set, err := pki.NewSet(time.Now().Add(-time.Hour))
		if err != nil {
			return nil, err
		}
		leaf, err := set.IssueLeaf(set.Device, pki.LeafSpec{CommonName: "pbx", Hosts: []string{sf.ip, "localhost", "127.0.0.1", "::1"}, Serial: 1001})
		if err != nil {
			return nil, err
		}
		c := leaf.TLSCertificate()
		sec.Own = &node.Credential{Identity: node.Identity{Subject: "pbx", Issuer: pki.DeviceCAName, Serial: "1001"}, Certificate: &c}
		log.Warn().Msg("no --cert: the secure listeners present a throw-away test certificate (see 'pbxsim pki init')")
	}
	if sf.ca != "" {
		trust, err := realnet.LoadTrust(sf.ca)
		if err != nil {
			return nil, err
		}
		sec.Trust, sec.Roots, sec.ClientAuth = trust.Trust, trust.Roots, true
	}
	return sec, nil
}

// serveLogger is zerolog on stderr: console lines on a terminal, JSON
// otherwise or when asked.
func serveLogger(format string, verbose bool, stderr io.Writer) (zerolog.Logger, error) {
	level := zerolog.InfoLevel
	if verbose {
		level = zerolog.DebugLevel
	}
	if format == "" {
		format = "json"
		if f, ok := stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "console" // a terminal
			}
		}
	}
	switch format {
	case "json":
		return zerolog.New(stderr).Level(level).With().Timestamp().Logger(), nil
	case "console":
		return zerolog.New(zerolog.ConsoleWriter{Out: stderr}).Level(level).With().Timestamp().Logger(), nil
	}
	return zerolog.Logger{}, fmt.Errorf("--log-format %q: want console or json", format)
}

// logEvent logs one timeline event: messages at debug level, except the
// answers that say who registered, was refused or left; the rest (calls,
// trouble) at info.
func logEvent(log zerolog.Logger, e *timeline.Event, keepAlive bool) {
	ev := log.Info()
	if e.Wire != nil {
		switch e.Name {
		case "ras.rcf", "ras.rrj", "ras.ucf":
			if keepAlive {
				ev = log.Debug()
			}
		default:
			ev = log.Debug()
		}
	}
	if !ev.Enabled() {
		return
	}
	ev = ev.Str("event", e.Name).Str("at", fmt.Sprintf("%.3fs", e.At.Seconds()))
	for _, a := range e.Attrs {
		ev = ev.Str(a.Key, a.Value)
	}
	ev.Send()
}

func writeServePcap(path string, host *realnet.Host) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := report.WritePcapAt(out, host.Started(), host.Timeline().Events()); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeServeJSON(path, file string, f *scenario.File, host *realnet.Host) error {
	rep := scenario.RunReport{Name: f.Name, File: file, Result: "PASS", Simulated: time.Since(host.Started()).Round(time.Millisecond).String()}
	rep.SimulatedNS = int64(time.Since(host.Started()))
	for _, e := range host.Timeline().Events() {
		er := scenario.EventReport{Seq: e.Seq, AtNS: int64(e.At), At: fmt.Sprintf("%.3fs", e.At.Seconds()), Name: e.Name,
			Attrs: make([]scenario.AttrReport, len(e.Attrs))}
		for i, a := range e.Attrs {
			er.Attrs[i] = scenario.AttrReport{Key: a.Key, Value: a.Value}
		}
		rep.Events = append(rep.Events, er)
	}
	var b strings.Builder
	if err := scenario.WriteReports(&b, []scenario.RunReport{rep}); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// keepAlives tells the answers to keep-alive RRQs from those to full ones:
// an RCF carries nothing that says so, its request did (keepalive=true), so
// the last keep-alive's sequence number of each peer is kept until its
// answer.
type keepAlives map[string]string

// answer notes a keep-alive RRQ and reports whether e answers one.
func (k keepAlives) answer(e *timeline.Event) bool {
	switch e.Name {
	case "ras.rrq":
		from, _ := e.Get("from")
		if v, _ := e.Get("keepalive"); v == "true" {
			k[from], _ = e.Get("seq")
		} else {
			delete(k, from)
		}
	case "ras.rcf", "ras.rrj":
		to, _ := e.Get("to")
		seq, _ := e.Get("seq")
		if s, ok := k[to]; ok {
			delete(k, to)
			return s == seq
		}
	}
	return false
}
