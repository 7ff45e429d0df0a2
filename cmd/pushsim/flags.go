package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/callwake/callwake/realnet"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/cloud"
	"github.com/callwake/callwake/push/pki"
)

// Default addresses: unprivileged ports on loopback. The device ports are
// the vendors' own (Apple 5223, Google 5228), which need no privilege.
const (
	defaultListen = "127.0.0.1:8443"
	defaultAPNs   = "127.0.0.1:8444"
	defaultFCM    = "127.0.0.1:8445"
)

// Identities the service and its emulators share (the relay authenticates
// to its own emulators): any value works, as long as both sides agree.
const (
	defaultBundle  = "test.callwake.softphone"
	defaultProject = "callwake-sim"
	defaultKeyID   = "SIMKEY0001"
	defaultTeamID  = "SIMTEAM001"
)

// options is the command line.
type options struct {
	// Limits bound what strangers can make pushsim hold (docs/limits.md).
	Limits           realnet.Limits
	Listen           netip.AddrPort
	Path             string
	APNs, FCM        netip.AddrPort
	APNsDevicePort   uint16
	FCMDevicePort    uint16
	Cert, Key        string // the service's certificate (PEM)
	DeviceCA         string // Device Certification Authority 2 (PEM), B02
	UnverifiedCA     string // Unverified Device CA (PEM), B02
	TestPKI          string // make a test PKI in this directory and use it
	Accepts          []pki.Role
	Registrations    []push.Registration
	UniqueSystemName bool
	Bundle, Project  string
	VendorDown       map[string]bool
	Unregistered     []string
	Unreachable      []string
	DownFor          time.Duration
	Duration         time.Duration
	Metrics          string
	JSON             string
	LogFormat        string
	Verbose          bool
	// tap sees every byte the service and the emulators handle (the
	// privacy test, B07); no flag sets it.
	tap cloud.Tap
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func newFlagSet(o *options, lists map[string]*list) (*flag.FlagSet, map[string]*string) {
	fs := flag.NewFlagSet("pushsim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	s := map[string]*string{
		"listen": fs.String("listen", defaultListen, "push service address (wss, mutual TLS) the Push objects dial"),
		"path":   fs.String("path", "/push/ws", "URL path of the push service (PATH/legacy is the 12r2 endpoint)"),
		"apns":   fs.String("apns", defaultAPNs, "APNs emulator's provider API address (HTTP/2 over TLS)"),
		"fcm":    fs.String("fcm", defaultFCM, "FCM emulator's HTTP v1 API address (HTTP/2 over TLS)"),
		"accept": fs.String("accept", "device,unverified_device", "certificate roles admitted (device, unverified_device, own, none; B02)"),
	}
	fs.Func("apns-device-port", "port on the --apns IP where iPhones keep their connection (TLS)", portFlag(&o.APNsDevicePort))
	fs.Func("fcm-device-port", "port on the --fcm IP where Android phones keep their connection (TLS)", portFlag(&o.FCMDevicePort))
	fs.StringVar(&o.Cert, "cert", "", "the service's certificate chain, PEM (leaf first)")
	fs.StringVar(&o.Key, "key", "", "the service's private key, PEM")
	fs.StringVar(&o.DeviceCA, "device-ca", "", "the device CA (Device Certification Authority 2) certificates, PEM")
	fs.StringVar(&o.UnverifiedCA, "unverified-ca", "", "the Unverified Device CA certificates (virtual appliances since 14r1), PEM")
	fs.StringVar(&o.TestPKI, "test-pki", "", "make a test PKI in this directory (or reuse the one there) and serve with it")
	fs.BoolVar(&o.UniqueSystemName, "unique-system-name", false, "12r2 quirk: a failed login blocks the system name (B06)")
	fs.StringVar(&o.Bundle, "apns-bundle", defaultBundle, "the app's bundle id (apns-topic is BUNDLE.voip)")
	fs.StringVar(&o.Project, "fcm-project", defaultProject, "the FCM project id")
	fs.DurationVar(&o.DownFor, "down-for", 0, "the service answers every post 503 for this long after the start")
	fs.DurationVar(&o.Duration, "duration", 0, "run this long (0: until interrupted)")
	fs.StringVar(&o.Metrics, "metrics", "", "serve Prometheus metrics on http://ADDR/metrics")
	fs.StringVar(&o.JSON, "json", "", "write the events of the run to this file (JSON) on exit")
	fs.StringVar(&o.LogFormat, "log-format", "console", "log format on stderr: console or json")
	fs.BoolVar(&o.Verbose, "v", false, "log connections and every event")
	for name, usage := range map[string]string{
		"registration": "a 12r2 registration SYSTEM=PASSWORD the service knows (B06); repeatable",
		"vendor-down":  "apns or fcm: that emulator answers every request 503; repeatable",
		"unregistered": "a device token the vendor answers as unregistered (APNs 410, FCM 404); repeatable",
		"unreachable":  "a device token whose phone cannot reach its vendor (the push is lost, B20); repeatable",
	} {
		l := &list{}
		lists[name] = l
		fs.Var(l, name, usage)
	}
	return fs, s
}

func portFlag(p *uint16) func(string) error {
	return func(s string) error {
		ap, err := netip.ParseAddrPort("0.0.0.0:" + s)
		if err != nil || ap.Port() == 0 {
			return fmt.Errorf("bad port %q", s)
		}
		*p = ap.Port()
		return nil
	}
}

// parse reads the command line.
func parse(args []string) (*options, error) {
	o := &options{APNsDevicePort: 5223, FCMDevicePort: 5228, VendorDown: map[string]bool{}, Limits: realnet.DefaultLimits()}
	lists := map[string]*list{}
	fs, s := newFlagSet(o, lists)
	o.Limits.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := o.Limits.Check(); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	for _, a := range []struct {
		flag string
		to   *netip.AddrPort
	}{{"listen", &o.Listen}, {"apns", &o.APNs}, {"fcm", &o.FCM}} {
		if *a.to, err = netip.ParseAddrPort(*s[a.flag]); err != nil {
			return nil, fmt.Errorf("--%s %q: want IP:PORT", a.flag, *s[a.flag])
		}
	}
	if o.Path = *s["path"]; !strings.HasPrefix(o.Path, "/") {
		return nil, fmt.Errorf("--path %q: must start with /", o.Path)
	}
	for _, r := range strings.Split(*s["accept"], ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		role, err := pki.ParseRole(r)
		if err != nil {
			return nil, fmt.Errorf("--accept: %w", err)
		}
		o.Accepts = append(o.Accepts, role)
	}
	if o.Accepts == nil {
		o.Accepts = []pki.Role{}
	}
	for _, r := range *lists["registration"] {
		name, pass, ok := strings.Cut(r, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--registration %q: want SYSTEM=PASSWORD", r)
		}
		o.Registrations = append(o.Registrations, push.Registration{SystemName: name, Password: pass})
	}
	for _, v := range *lists["vendor-down"] {
		if v != push.PlatformAPNs && v != push.PlatformFCM {
			return nil, fmt.Errorf("--vendor-down %q: want apns or fcm", v)
		}
		o.VendorDown[v] = true
	}
	o.Unregistered, o.Unreachable = *lists["unregistered"], *lists["unreachable"]
	if o.DownFor < 0 || o.Duration < 0 {
		return nil, errors.New("--down-for and --duration must not be negative")
	}
	if o.LogFormat != "console" && o.LogFormat != "json" {
		return nil, fmt.Errorf("--log-format %q: want console or json", o.LogFormat)
	}
	switch {
	case o.TestPKI != "" && (o.Cert != "" || o.Key != "" || o.DeviceCA != ""):
		return nil, errors.New("--test-pki makes its own certificates: give it without --cert, --key and --device-ca")
	case o.TestPKI == "" && (o.Cert == "" || o.Key == ""):
		return nil, errors.New("--cert and --key are required (or --test-pki DIR)")
	case o.TestPKI == "" && o.DeviceCA == "" && o.UnverifiedCA == "":
		return nil, errors.New("--device-ca is required (or --test-pki DIR): the service checks the PBXs' certificates against it")
	}
	return o, nil
}
