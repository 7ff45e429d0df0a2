package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"strings"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/push/pki"
	"github.com/callwake/callwake/realnet"
	"github.com/callwake/callwake/timeline"

	"github.com/rs/zerolog"
)

// `phonesim app` is a myApps (or myPBX) app on real sockets: the phone node
// in app mode, as a simulated world runs it. It keeps a TLS WebSocket to
// its vendor's device port (pushsim's APNs or FCM emulator) and says hello
// with its push token; it logs in to the PBX's myApps session (wss, path
// /myapps), tells its token and receives its push key (B08); it sleeps
// unregistered, and a push wakes it after its wake latency: it decrypts the
// details, registers (RAS over UDP), takes the call, answers after its
// delay and goes back to sleep when its OS suspends it.

const appUsage = `  phonesim app      --gk HOST[:1719] --alias NAME [--number DIGITS] [--device NAME] --os ios|android
                    [--vendor ADDR] [--token T] [--session ADDR|none] [--key ID:HEX]
                    [--kind myapps|mypbx] [--wake 1s[..3s]] [--answer-after 2s|never|busy]
                    [--dnd] [--notifications=false] [--suspend D] [--transport h323|h323-tcp|h323-tls]
                    [--start background|foreground|closed|logged_out] [--vendor-port open|blocked]
                    [--pbx-signal ADDR] [--listen ADDR] [--duration D] [-v]
`

// sessionPort is the PBX's myApps session port when --session gives none.
const sessionPort = "443"

// appFlags are what app is told.
type appFlags struct {
	phoneFlags
	Device    string
	OS        phone.OS
	Kind      phone.Kind
	Vendor    netip.AddrPort
	Token     string
	Session   netip.AddrPort // invalid: none
	Key       *push.Key
	Wake      phone.Latency
	DND       bool
	Notify    bool
	Suspend   time.Duration
	PushMode  string
	Transport phone.Transport
	PBXSignal netip.AddrPort
	// Start is the state the user left the app in (background: asleep
	// until a push; logged_out: the PBX holds no token of it).
	Start phone.AppState
	// VendorBlocked: the network's firewall drops the app's connections
	// to its vendor's push port (B20), applied by the driver.
	VendorBlocked bool
}

func parseApp(args []string, stderr io.Writer) (*appFlags, error) {
	fs := flag.NewFlagSet("phonesim app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	gk := fs.String("gk", "", "gatekeeper RAS address, HOST[:PORT] (port 1719 by default)")
	alias := fs.String("alias", "", "the user's h323-ID (name)")
	number := fs.String("number", "", "the user's dialledDigits alias")
	device := fs.String("device", "", "the device's own h323-ID, as the PBX's device list names it (default ALIAS-OS)")
	password := fs.String("password", "", "H.235 password (none: no tokens)")
	osName := fs.String("os", "", "ios or android")
	kind := fs.String("kind", "myapps", "myapps or mypbx")
	vendor := fs.String("vendor", "", "the vendor's device address, pushsim's (default 127.0.0.1:5223 on ios, 127.0.0.1:5228 on android)")
	token := fs.String("token", "", "the push token the app registered at its vendor (default: derived from --device)")
	session := fs.String("session", "", "the PBX's myApps session, HOST[:443] (default: the --gk host), or none")
	key := fs.String("key", "", "the push key ID:HEX the app holds (needed with --session none)")
	wake := fs.String("wake", "1s", "how long the app takes to start after a push: D or MIN..MAX")
	answer := fs.String("answer-after", "2s", "answer a call after this delay, or never, or busy")
	dnd := fs.Bool("dnd", false, "the user's presence is do not disturb")
	notify := fs.Bool("notifications", true, "the OS lets the app show notifications (B22, B23)")
	suspend := fs.Duration("suspend", -1, "how long the OS lets the app run after a call or a wake before it suspends it (default: the OS's, B29)")
	pushMode := fs.String("push-mode", "", "myPBX on Android: auto, on, active or off (B24)")
	start := fs.String("start", "", "the state the user left the app in: background (asleep until a push), foreground (registered), closed or logged_out (default: the kind's, background)")
	vendorPort := fs.String("vendor-port", "open", "open, or blocked: the network drops the app's connections to its vendor's push port (a Wi-Fi firewall, B20)")
	ttl := fs.Duration("ttl", 60*time.Second, "registration time to live to ask for")
	transport := fs.String("transport", "h323", "h323 (RAS on UDP), h323-tcp or h323-tls (H.460.17: RAS and calls on one connection to the PBX)")
	pbxSignal := fs.String("pbx-signal", "", "the PBX's call-signalling address H.460.17 connects to (default: the --gk host, port 1720 or 1300 for TLS)")
	listen := fs.String("listen", "127.0.0.1:0", "address to bind: call signalling (RAS binds the same IP)")
	duration := fs.Duration("duration", 0, "run this long (0: until interrupted)")
	verbose := fs.Bool("v", false, "log socket details to stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	a := &appFlags{phoneFlags: phoneFlags{Alias: *alias, Number: *number, Password: *password, TTL: *ttl,
		Duration: *duration, Discover: true, Admission: phone.AdmissionAuto,
		SetupTimeout: phone.DefaultSetupTimeout, ProceedingTimeout: phone.DefaultProceedingTimeout},
		Device: *device, DND: *dnd, Notify: *notify, PushMode: *pushMode}
	var err error
	if a.Gatekeeper, err = gatekeeperAddr(*gk); err != nil {
		return nil, err
	}
	if a.Alias == "" {
		return nil, errors.New("--alias is required")
	}
	switch *osName {
	case "ios":
		a.OS = phone.IOS
	case "android":
		a.OS = phone.Android
	default:
		return nil, fmt.Errorf("--os %q: want ios or android", *osName)
	}
	switch *kind {
	case "myapps":
		a.Kind = phone.KindMyApps
	case "mypbx":
		a.Kind = phone.KindMyPBX
	default:
		return nil, fmt.Errorf("--kind %q: want myapps or mypbx", *kind)
	}
	if a.Device == "" {
		a.Device = a.Alias + "-" + string(a.OS)
	}
	switch st := phone.AppState(*start); st {
	case "":
	case phone.Foreground, phone.Background, phone.Closed, phone.LoggedOut:
		a.Start = st
	default:
		return nil, fmt.Errorf("--start %q: want background, foreground, closed or logged_out", *start)
	}
	switch *vendorPort {
	case "open":
	case "blocked":
		a.VendorBlocked = true
	default:
		return nil, fmt.Errorf("--vendor-port %q: want open or blocked", *vendorPort)
	}
	if a.Listen, err = netip.ParseAddrPort(*listen); err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	if a.Listen.Addr().IsUnspecified() {
		return nil, errors.New("--listen: give the IP the app is reached on (its pushes and calls name it)")
	}
	v := *vendor
	if v == "" {
		v = "127.0.0.1:5228"
		if a.OS == phone.IOS {
			v = "127.0.0.1:5223"
		}
	}
	if a.Vendor, err = netip.ParseAddrPort(v); err != nil {
		return nil, fmt.Errorf("--vendor %q: want IP:PORT", v)
	}
	a.Token = *token
	if a.Token == "" {
		a.Token = derivedToken(a.Device, a.OS)
	}
	switch s := *session; s {
	case "none":
	default:
		if s == "" {
			s = a.Gatekeeper.Addr().String()
		}
		if a.Session, err = hostPort(s, sessionPort); err != nil {
			return nil, fmt.Errorf("--session %q: %w", s, err)
		}
	}
	if *key != "" {
		id, secret, ok := strings.Cut(*key, ":")
		b, herr := hex.DecodeString(secret)
		if !ok || id == "" || herr != nil || len(b) != 32 {
			return nil, fmt.Errorf("--key: want ID:HEX with 64 hex digits")
		}
		k := push.Key{ID: id}
		copy(k.Secret[:], b)
		a.Key = &k
	}
	if !a.Session.IsValid() && a.Key == nil {
		return nil, errors.New("--session none needs --key: without a session the app gets no push key (B08)")
	}
	if a.Wake, err = parseLatency(*wake); err != nil {
		return nil, fmt.Errorf("--wake: %w", err)
	}
	if a.Answer, err = parseAnswer(*answer); err != nil {
		return nil, err
	}
	a.Suspend = phone.DefaultSuspend(a.Kind, a.OS)
	if *suspend >= 0 {
		a.Suspend = *suspend
	}
	switch a.PushMode {
	case "", "auto", "on", "active", "off":
	default:
		return nil, fmt.Errorf("--push-mode %q: want auto, on, active or off", a.PushMode)
	}
	switch *transport {
	case "h323":
		a.Transport = phone.H323
	case "h323-tcp":
		a.Transport = phone.H460TCP
	case "h323-tls":
		a.Transport = phone.H460TLS
	default:
		return nil, fmt.Errorf("--transport %q: want h323, h323-tcp or h323-tls", *transport)
	}
	port := "1720"
	if a.Transport == phone.H460TLS {
		port = "1300"
	}
	ps := *pbxSignal
	if ps == "" {
		ps = a.Gatekeeper.Addr().String()
	}
	if a.PBXSignal, err = hostPort(ps, port); err != nil {
		return nil, fmt.Errorf("--pbx-signal %q: %w", ps, err)
	}
	level := zerolog.WarnLevel
	if *verbose {
		level = zerolog.DebugLevel
	}
	a.Log = zerolog.New(zerolog.ConsoleWriter{Out: stderr, NoColor: true}).Level(level).With().Timestamp().Logger()
	return a, nil
}

// derivedToken is the token of a device the command line names none for:
// APNs tokens are 64 hex digits, FCM ones longer and of another alphabet.
func derivedToken(device string, os phone.OS) string {
	sum := sha256.Sum256([]byte(device))
	h := hex.EncodeToString(sum[:])
	if os == phone.IOS {
		return h
	}
	return "fcm:" + h[:20] + "_" + h[20:]
}

// hostPort reads HOST[:PORT] as an address (no name lookups: IPs only).
func hostPort(s, defPort string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	return netip.ParseAddrPort(s + ":" + defPort)
}

// parseLatency reads D or MIN..MAX.
func parseLatency(s string) (phone.Latency, error) {
	lo, hi, ranged := strings.Cut(s, "..")
	min, err := time.ParseDuration(lo)
	if err != nil || min < 0 {
		return phone.Latency{}, fmt.Errorf("%q: want a delay such as 1s or 1s..3s", s)
	}
	max := min
	if ranged {
		if max, err = time.ParseDuration(hi); err != nil || max < min {
			return phone.Latency{}, fmt.Errorf("%q: want MIN..MAX with MIN <= MAX", s)
		}
	}
	return phone.Latency{Min: min, Max: max}, nil
}

// nodeConfig is the app's phone node.
func (a *appFlags) nodeConfig() (phone.NodeConfig, error) {
	core := phone.Defaults(a.Device, a.Kind, a.OS)
	core.TTL, core.Answer, core.Wake, core.Suspend = a.TTL, a.Answer, a.Wake, a.Suspend
	core.WebSocketSession = a.Session.IsValid()
	if a.Start != "" {
		core.App = a.Start
	}
	core.IOS.NotificationsAllowed = a.Notify
	core.Android.Notifications = a.Notify
	if a.PushMode != "" {
		core.Android.Push = phone.PushMode(a.PushMode)
	}
	if a.DND {
		core.Presence = phone.DND
	}
	core.SecureSignalling = a.Transport.Secure()
	platform := push.PlatformFCM
	if a.OS == phone.IOS {
		platform = push.PlatformAPNs
	}
	cfg := phone.NodeConfig{
		Core: core, Alias: a.Alias, Number: a.Number, DeviceAlias: a.Device, Password: a.Password,
		Discover: true, IP: a.Listen.Addr(), SignalPort: a.Listen.Port(),
		Gatekeeper: a.Gatekeeper, PBXSignal: a.PBXSignal, Transport: a.Transport,
		Admission: a.Admission, SetupTimeout: a.SetupTimeout, ProceedingTimeout: a.ProceedingTimeout,
		Vendor: a.Vendor, Platform: platform, Token: a.Token, Session: a.Session, Key: a.Key,
		Report: true, Random: rand.Reader, Wake: cryptoRand{},
	}
	if a.Transport.Secure() {
		// The app's TLS listener presents a certificate of its own making;
		// the PBX does not check it (as in the simulated world).
		set, err := pki.NewSet(time.Now().Add(-time.Hour))
		if err != nil {
			return cfg, err
		}
		leaf, err := set.IssueServer(set.Service, a.Device, 1)
		if err != nil {
			return cfg, err
		}
		c := leaf.TLSCertificate()
		cfg.Security = &node.Security{Own: &node.Credential{Identity: node.Identity{Subject: a.Device,
			Issuer: leaf.Cert.Issuer.CommonName, Serial: "1"}, Certificate: &c}}
	}
	return cfg, nil
}

// cryptoRand draws wake latencies from crypto/rand (a real app's are not
// seeded).
type cryptoRand struct{}

func (cryptoRand) Int64N(n int64) int64 {
	if n <= 0 {
		return 0
	}
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		return 0
	}
	return v.Int64()
}

// runApp runs the app until ctx ends or --duration passes, printing every
// event; it returns the exit status.
func runApp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a, err := parseApp(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "phonesim app: %v\n", err)
		}
		return exitUsage
	}
	cfg, err := a.nodeConfig()
	if err != nil {
		fmt.Fprintf(stderr, "phonesim app: %v\n", err)
		return exitFailed
	}
	n, err := phone.NewNode(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "phonesim app: %v\n", err)
		return exitFailed
	}
	if !a.Session.IsValid() {
		fmt.Fprintf(stdout, "phonesim app: no myApps session: the push key is --key's, the PBX must know token %s\n", a.Token)
	}
	fmt.Fprintf(stdout, "phonesim app: %s (%s) token %s, vendor %v\n", a.Device, a.OS, a.Token, a.Vendor)
	host := realnet.NewHost(a.Log, nil)
	host.Describe = describers
	host.Add(a.Device, cfg.IP, n)
	if a.VendorBlocked {
		// The firewall, in the driver: the app's dials to the vendor's
		// port fail as a dropped SYN would.
		host.Net = realnet.NewNet(realnet.Link{}, 0)
		host.Net.BlockOutgoing(cfg.IP, a.Vendor.Port())
	}
	host.OnEvent = func(e *timeline.Event) { fmt.Fprintln(stdout, traceLine(a.Device, e)) }
	if a.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Duration)
		defer cancel()
	}
	if err := host.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "phonesim app: %v\n", err)
		return exitFailed
	}
	if r := n.Result(); r.Failure != "" {
		fmt.Fprintf(stderr, "phonesim app: registration failed: %s\n", r.Failure)
		return exitFailed
	}
	return exitOK
}
