// Package scenario reads the YAML scenario format (version 1), checks a
// run's timeline against the scenario's expectations, and (in files other
// helpers add) builds and runs the world a scenario describes.
//
// Loading is strict: every unknown key, wrong type, bad value and dangling
// reference is reported as "FILE:LINE:COL: message", all at once. After a
// successful load every default is applied, so the world builder never has
// to guess what an absent key meant.
package scenario

import (
	"strconv"
	"time"

	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/timeline"
)

// Defaults the format names or that this package chose; each is applied by
// the loader when the key is absent.
const (
	DefaultSeed     = int64(1)          // format: seed
	DefaultDuration = 120 * time.Second // format: duration
	// MaxDuration bounds a run: a world's work grows with its simulated
	// time (keep-alives, retransmissions), so a file cannot ask for a run
	// that would not end in reasonable wall time or memory.
	MaxDuration                = 24 * time.Hour
	DefaultPBXName             = "pbx"            // format: pbx.name
	DefaultRegistrationTimeout = 10 * time.Second // format + B12: pushed call waits 10 s
	DefaultNameLookup          = time.Duration(0) // format: pbx.name_lookup
	DefaultPushName            = "Push"           // the Push object's usual name (B10)
	DefaultPushURL             = "wss://push.test/push/ws"
	DefaultCertificateSerial   = int64(1001)            // PBX i (from 0) gets 1001+i: no accidental clones (B05)
	DefaultCFNRAfter           = 20 * time.Second       // model choice: a common no-answer timer
	DefaultServiceLatency      = 50 * time.Millisecond  // push_service.latency
	DefaultAPNsLatency         = 300 * time.Millisecond // push_service.apns.latency
	DefaultFCMLatency          = 200 * time.Millisecond // push_service.fcm.latency
	DefaultNetworkLatency      = 20 * time.Millisecond  // network.latency
	DefaultTTL                 = 60 * time.Second       // devices[].ttl: what the phone proposes (B30)
	DefaultIOSWake             = 1500 * time.Millisecond
	DefaultAndroidWake         = 2 * time.Second
	// The OSs' suspension delays (B29): model choices guided by the
	// platforms' rules, see phone.DefaultSuspendIOS.
	DefaultIOSSuspend     = phone.DefaultSuspendIOS
	DefaultAndroidSuspend = phone.DefaultSuspendAndroid
)

// File is one scenario after loading, with every default applied.
type File struct {
	Pos      Pos    // the top-level mapping; Pos.File is the name given to Parse
	Name     string // required; letters, digits, '.', '_' and '-' only (used in file names)
	NamePos  Pos    // where the name is written
	Summary  string
	Ticket   string
	Covers   []string      // behaviour catalogue rows (B01...), in file order
	Seed     int64         // default 1; not negative
	Duration time.Duration // default 120s; the world stops then
	// PBXs holds the `pbx` mapping as a one-element list, or the `pbxs` list.
	PBXs        []PBX
	PushService PushService
	Network     Network
	Devices     []Device
	Calls       []Call
	Actions     []Action
	// Expect may be empty; whether an empty list is allowed (only when
	// recording) is the command line's decision.
	Expect []Expectation
	// Warnings are what is legal but most likely not what the author
	// meant (an app that can never read its pushes); the file loads and
	// runs, and the command line prints them with their positions.
	Warnings []Problem

	index fileIndex // names to elements, for files of large populations
}

// DefaultReregister is how long a simulated phone waits before it registers
// again after its registration was lost or timed out; it doubles with each
// failure up to 16 times as long, jittered by ±25 % (model choice: real
// stacks retry after a few seconds to a minute).
const DefaultReregister = 5 * time.Second

// PBX is one simulated PBX.
type PBX struct {
	Pos                 Pos
	Name                string      // default "pbx"; required with `pbxs`
	Version             pbx.Version // default 15r1
	SystemName          string      // default "" (the builder may derive one)
	Quirks              pbx.Quirks  // pbx.DefaultQuirks(Version), overridden by the file; every known quirk present
	RegistrationTimeout time.Duration
	NameLookup          time.Duration
	// NoAnswerTimeout is how long a call may ring unanswered before the
	// PBX releases it with cause 19 (B32); default 0 = no limit.
	NoAnswerTimeout time.Duration
	Push            *Push // nil: the PBX has no Push object
	Users           []User
}

// Certificate is what a Push object presents to the push service (B02).
type Certificate string

// The certificates a Push object can present.
const (
	CertificateDevice           Certificate = "device"            // issued by the vendor's device CA
	CertificateUnverifiedDevice Certificate = "unverified_device" // virtual appliances since 14r1
	CertificateOwn              Certificate = "own"               // uploaded by the customer
	CertificateNone             Certificate = "none"
)

// Push is a PBX's Push object (B01-B06).
type Push struct {
	Pos               Pos
	Name              string      // default "Push"; case-sensitive (B10)
	URL               string      // default wss://push.test/push/ws
	Certificate       Certificate // default device
	CertificateSerial int64       // default 1001 + the PBX's index
	TrustsService     bool        // default true
	DNSFails          bool        // `dns: fail`; default ok
	HTTPProxy         bool        // default false
	// Reachable: the PBX has a route to the service's HTTPS port; false =
	// connection attempts time out (a firewall drops them), B04. Default true.
	Reachable bool
	Password  string // 12r2 registration password; default ""
}

// PushChange is an action's change of a Push object (B01-B06): the keys
// the action gives; nil fields keep their value (or, when the action
// creates the Push object, its default).
type PushChange struct {
	Name              *string
	URL               *string
	Certificate       *Certificate
	CertificateSerial *int64
	TrustsService     *bool
	DNSFails          *bool
	HTTPProxy         *bool
	Reachable         *bool
	Password          *string
}

// Apply returns p with the change's keys set.
func (p Push) Apply(c *PushChange) Push {
	change(&p.Name, c.Name)
	change(&p.URL, c.URL)
	change(&p.Certificate, c.Certificate)
	change(&p.CertificateSerial, c.CertificateSerial)
	change(&p.TrustsService, c.TrustsService)
	change(&p.DNSFails, c.DNSFails)
	change(&p.HTTPProxy, c.HTTPProxy)
	change(&p.Reachable, c.Reachable)
	change(&p.Password, c.Password)
	return p
}

// DefaultPush is the Push object of PBX index with every default, as
// `push: {}` gives it.
func DefaultPush(index int) Push {
	return Push{Name: DefaultPushName, URL: DefaultPushURL, Certificate: CertificateDevice,
		CertificateSerial: DefaultCertificateSerial + int64(index), TrustsService: true, Reachable: true}
}

// User is a user object of a PBX.
type User struct {
	Pos  Pos
	Name string // H.323 ID; required, unique in the file
	// Display is the user's display name, what callees see (the PBX's
	// name lookup, B17); default "" = Name.
	Display  string
	Number   string // E.164 / dialled digits; default "" (not callable); unique in its PBX
	Password string // H.235 password; "" = no authentication
	// Push is the user's Push field as written. It may name no Push object:
	// that is behaviour B10 (call.push_skipped), not a load error.
	Push     string
	Presence Presence // default available
	Forks    []string
	CFNR     *Forward // nil: none
	CFB      *Forward
	CFU      *Forward
}

// Presence is a user's presence.
type Presence string

// The presences the format knows.
const (
	PresenceAvailable Presence = "available"
	PresenceDND       Presence = "dnd"
)

// Forward is a call forward: to a number, after a delay (CFNR only).
type Forward struct {
	Pos   Pos
	To    string        // required
	After time.Duration // CFNR: default 20s; zero for CFB and CFU
}

// PushService is the push service and the vendor emulators behind it. An
// absent `push_service` key gives the defaults: everything available.
type PushService struct {
	Pos       Pos  // zero when absent
	Present   bool // the file had the key
	Available bool // default true
	Latency   time.Duration
	Accepts   []Certificate // default [device, unverified_device]
	APNs      Vendor
	FCM       Vendor
}

// Vendor is the APNs or FCM emulator.
type Vendor struct {
	Available bool // default true
	Latency   time.Duration
}

// Network is the simulated network between devices and PBXs.
type Network struct {
	Latency time.Duration // default 20ms, one way
	Jitter  time.Duration // default 0
	Loss    float64       // probability a datagram is lost; default 0
	Links   []Link
}

// Link overrides the network for the path between a device and its PBX.
// Keys absent from the link are filled from the network's values.
type Link struct {
	Pos     Pos
	Device  string
	Latency time.Duration
	Jitter  time.Duration
	Loss    float64
}

// DeviceKind is what runs on a device.
type DeviceKind string

// The device kinds.
const (
	KindMyApps    DeviceKind = "myapps"    // the 15r1 app (iOS, Android)
	KindMyPBX     DeviceKind = "mypbx"     // the older 12r2 app
	KindDeskphone DeviceKind = "deskphone" // registered from the start, always reachable
)

// IsApp reports whether the kind is a mobile app (has an OS, a life cycle, push).
func (k DeviceKind) IsApp() bool { return k == KindMyApps || k == KindMyPBX }

// OS is a phone's operating system.
type OS string

// The operating systems.
const (
	OSNone    OS = "" // desk phones
	OSIOS     OS = "ios"
	OSAndroid OS = "android"
)

// Transport is how a device speaks H.323 to its PBX.
type Transport string

// The transports.
const (
	TransportH323     Transport = "h323"      // RAS UDP 1719, signalling TCP 1720 (default)
	TransportH323TCP  Transport = "h323-tcp"  // H.460.17: RAS inside the TCP 1720 connection
	TransportH323TLS  Transport = "h323-tls"  // H.460.17 over TLS 1300
	TransportH323DTLS Transport = "h323-dtls" // RAS over DTLS on UDP 1300, signalling TLS 1300
)

// AppState is the app's life-cycle state.
type AppState string

// The app states.
const (
	AppForeground AppState = "foreground"
	AppBackground AppState = "background" // default for apps
	AppClosed     AppState = "closed"
	AppLoggedOut  AppState = "logged_out"
)

// Device is one phone.
type Device struct {
	Pos  Pos
	Name string     // required, unique
	User string     // required; names a user of some PBX (the device registers there)
	Kind DeviceKind // required
	// OS is required for apps and empty for desk phones.
	OS        OS
	Transport Transport // default h323
	// App, DefaultSoftphone and WebsocketSession apply to apps only.
	App              AppState // default background
	DefaultSoftphone bool     // default true
	// WebsocketSession defaults to true for myapps (the 15r1 app keeps one)
	// and false for mypbx (the 12r2 app has none).
	WebsocketSession bool
	// Wake is push arrival -> the app starts registering. Default 1.5s on
	// iOS and 2s on Android (model choice); zero for desk phones.
	Wake     Wake
	TTL      time.Duration // default 60s
	Password string        // default: the user's password
	Answer   Answer        // default never
	// IOS and Android always hold their defaults; only the block for the
	// device's OS may be written in the file.
	IOS     IOSSettings
	Android AndroidSettings
	// GatekeeperID is the gatekeeper ID the device asks for in its GRQ;
	// default "" asks for any. Another than the PBX's system name gets GRJ
	// terminalExcluded (B30).
	GatekeeperID string
	// ClockSkew is how far ahead the device's clock runs: its H.235
	// timestamps are off by that much; more than 30s gets RRJ
	// securityDenial (B31). Default 0.
	ClockSkew time.Duration
	// H235 is the token method the device signs RAS with when it has a
	// password: hmac (default, H.235.1 HMAC-SHA1-96 in a nestedcryptoToken)
	// or md5 (cryptoEPPwdHash) (B31).
	H235 H235Method
	// H245 is how the device carries the H.245 control channel of its calls:
	// tunnel (default), separate (a TCP connection of its own) or off.
	H245 H245Mode
	// Display is the name shown for calls from this device, in its own
	// Setups and by the PBX; default "" = its user's display name.
	Display string
	// Suspend is how long the app runs in the background after a call, a
	// wake or being sent there before its OS suspends it and it
	// unregisters (B29); 0 = never (`suspend_after: never`). Default 30s
	// on iOS, 60s on Android; zero for desk phones and myPBX on Android
	// (B24).
	Suspend time.Duration
	// Connection is the app's network at the start: Wi-Fi (default) or
	// mobile data, where no Wi-Fi firewall blocks the vendor (B20).
	Connection Connection

	passwordSet bool // the file gave `password`, even "" (then the user's is not used)
}

// H245Mode is how a device carries H.245.
type H245Mode string

// The H.245 modes.
const (
	H245Tunnel   H245Mode = "tunnel" // in the call signalling (default)
	H245Separate H245Mode = "separate"
	H245Off      H245Mode = "off"
)

// H235Method is the H.235 token method of a device (B31).
type H235Method string

// The token methods.
const (
	H235HMAC H235Method = "hmac" // H.235.1 "all fields" HMAC-SHA1-96 (default)
	H235MD5  H235Method = "md5"  // cryptoEPPwdHash
)

// Wake is a wake latency: fixed (Min == Max) or drawn from [Min, Max] with
// the scenario's seed.
type Wake struct {
	Min, Max time.Duration
}

// AnswerMode says what the user of a device does when it rings.
type AnswerMode string

// The answer modes.
const (
	AnswerNever  AnswerMode = "never"  // default: the device rings until the call ends
	AnswerAfter  AnswerMode = "after"  // answers After after ringing starts
	AnswerReject AnswerMode = "reject" // rejects with Reject ("busy")
)

// Answer is `answer: {after: D} | never | {reject: busy}`.
type Answer struct {
	Mode   AnswerMode
	After  time.Duration // AnswerAfter
	Reject string        // AnswerReject: "busy" (cause 17, no ringing) or "declined" (rings, cause 21)
}

// IOSSettings are the iOS settings of an app (B20, B22).
type IOSSettings struct {
	NotificationsAllowed bool // notifications: allowed (default) | denied
	VendorPortOpen       bool // vendor_port: open (default) | blocked
}

// AndroidSettings are the Android settings of an app (B23-B25, B28).
type AndroidSettings struct {
	Push                 string // auto (default) | on | off | active (B24)
	StartAutomatically   bool   // always (default) | never (B25)
	NotificationsAllowed bool   // default true
	CallingAccount       bool   // default true
	BackgroundData       bool   // default true
	Overlay              bool   // default true
	HMSStale             bool   // default false (B28)
	VendorPortOpen       bool   // vendor_port: open (default) | blocked (B20: FCM's ports)
}

// Connection is the network an app is on (B20).
type Connection string

// The connections.
const (
	ConnectionWiFi       Connection = "wifi"        // default: a Wi-Fi, whose firewall may block the vendor's ports
	ConnectionMobileData Connection = "mobile_data" // cellular data: nothing blocks the vendor
)

// Call is a call placed by a device. The caller hangs up at the first of
// its hang-up times that comes; with none it holds until the other side
// ends the call.
type Call struct {
	Pos         Pos
	At          time.Duration // required
	From        string        // required; a device
	To          string        // required; dialled digits
	HangupAfter time.Duration // after connect; 0 = never
	// HangupAt is a time of the run, after At, when the caller hangs up
	// whatever the call's state; 0 = none.
	HangupAt time.Duration
	// HangupAfterSetup is how long after its Setup the caller hangs up,
	// answered or not ("the caller gave up"); 0 = none.
	HangupAfterSetup time.Duration
}

// Action changes the world at a time. Exactly one of Device, User, PBX,
// PushService and Network is set.
type Action struct {
	Pos Pos
	At  time.Duration
	// Device names the device the device changes apply to.
	Device           string
	App              AppState // "" = no change
	Logout           bool
	DefaultSoftphone *bool
	WebsocketSession *bool
	// VendorPort changes the firewall of the app's Wi-Fi: true open, false
	// blocked (B20); nil = no change.
	VendorPort *bool
	// Connection moves the app between Wi-Fi and mobile data; "" = no change.
	Connection Connection
	// PBX names the PBX whose Push object Push creates or changes.
	PBX  string
	Push *PushChange
	// User names the user the presence change or notification applies to.
	User     string
	Presence Presence // "" = no change
	// Notify, when set, makes the PBX push a notification (not a call) to
	// the user's apps (B22).
	Notify      *Notification
	PushService *PushServiceChange
	Network     *NetworkChange
	// Restart names a PBX that restarts (every registration, call and
	// connection lost); Down keeps it off the network that long.
	Restart string
	Down    time.Duration
}

// Notification is a message the PBX pushes to a user (push type
// "notification"); both texts travel encrypted (B07).
type Notification struct {
	Title   string
	Content string
}

// PushServiceChange changes the push service; nil fields stay as they are.
type PushServiceChange struct {
	Available *bool
	Latency   *time.Duration
	// Registration sets the password of a 12r2 system name's registration
	// at the service, creating it if needed (B06).
	Registration *Registration
}

// Registration is a 12r2 push registration: a system name and its password.
type Registration struct {
	SystemName string
	Password   string
}

// NetworkChange changes the whole network (Device "") or one device's link;
// nil fields stay as they are.
type NetworkChange struct {
	Device string
	// Between names the two actors of the link changed (a device, a PBX,
	// push, apns or fcm) instead of a device and its PBX.
	Between []string
	Latency *time.Duration
	Jitter  *time.Duration
	Loss    *float64
}

// ExpectKind tells the kinds of `expect` item apart.
type ExpectKind string

// The expectation kinds.
const (
	ExpectEvent ExpectKind = "event" // `event: NAME`
	ExpectNever ExpectKind = "never" // `never: NAME`
	ExpectAll   ExpectKind = "all"   // `all: [ITEM...]`: every member, in any order
	ExpectDelay ExpectKind = "delay" // `delay: {from: ITEM, to: ITEM}`: a percentile of a population's delays
)

// Expectation is one item of the `expect` list, or one member of an `all`
// group; Check gives its meaning.
type Expectation struct {
	Pos   Pos
	Kind  ExpectKind
	Event string // the event name (event and never items)
	// Attrs are the attributes that must be equal, in file order, with
	// their values in the catalogue's canonical form (booleans true/false,
	// numbers without leading zeros, durations as Go prints them).
	Attrs []timeline.Attr
	// At is the `at` window (absolute, both ends included); nil = any time.
	// It applies to every kind of item: never and count look only inside it.
	At *Window
	// Within and After, when HasWithin / HasAfter, bound the event's time
	// from the reference: the time of the event the previous ordered item
	// matched (the start of the run before the first match). The event
	// must lie in [reference+After, reference+Within].
	Within    time.Duration
	HasWithin bool
	After     time.Duration
	HasAfter  bool
	// Count, when set, asks for a number of such events in the run (an
	// event item only; it does not move the ordered cursor).
	Count *CountRange
	// Members are the items of an `all` group (event items, without count),
	// with the group's at, within and after applied to those that do not
	// set their own.
	Members []Expectation
	// Group is, for a member of an `all` group, the group's position; zero
	// otherwise.
	Group Pos
	// In holds, for an attribute written GROUP[*], the population it
	// matches: any member's name (the attribute's Value keeps the text).
	In map[string]*Group
	// Delay is the delay item (Kind ExpectDelay).
	Delay *Delay
}

// Delay is a delay item: for every member of a population that has the
// From event, the time from its first From event to its first To event at
// or after it; the Percentile-th percentile of those delays (a member that
// never has the To event counts as never) must be at most Within.
type Delay struct {
	From, To   Expectation // event items, each with one GROUP[*] attribute
	FromKey    string      // the attribute of From naming the member
	ToKey      string      // the attribute of To naming the member
	Group      *Group
	Percentile float64 // in (0, 100]
	Within     time.Duration
}

// CountRange is `count: N`, `count: MIN..`, `count: ..MAX` or
// `count: MIN..MAX`, both ends included.
type CountRange struct {
	Min    int
	Max    int
	HasMax bool // false: no upper bound
}

// Contains reports whether n lies in the range.
func (c CountRange) Contains(n int) bool { return n >= c.Min && (!c.HasMax || n <= c.Max) }

// String renders the range as the file writes it: "3", "2..", "..5", "1..3".
func (c CountRange) String() string {
	switch {
	case c.HasMax && c.Min == c.Max:
		return strconv.Itoa(c.Min)
	case !c.HasMax:
		return strconv.Itoa(c.Min) + ".."
	case c.Min == 0:
		return ".." + strconv.Itoa(c.Max)
	}
	return strconv.Itoa(c.Min) + ".." + strconv.Itoa(c.Max)
}

// Describe renders the range for messages: "exactly 3", "at least 2",
// "at most 5", "between 1 and 3".
func (c CountRange) Describe() string {
	switch {
	case c.HasMax && c.Min == c.Max:
		return "exactly " + strconv.Itoa(c.Min)
	case !c.HasMax:
		return "at least " + strconv.Itoa(c.Min)
	case c.Min == 0:
		return "at most " + strconv.Itoa(c.Max)
	}
	return "between " + strconv.Itoa(c.Min) + " and " + strconv.Itoa(c.Max)
}

// Window is a time window FROM..TO from the start of the run, both ends included.
type Window struct {
	From, To time.Duration
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Duration) bool { return t >= w.From && t <= w.To }

// String renders the window as the file writes it, e.g. "2s..2.2s".
func (w Window) String() string { return w.From.String() + ".." + w.To.String() }
