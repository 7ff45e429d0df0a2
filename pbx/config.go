package pbx

import (
	"fmt"
	"time"
)

// DefaultRegistrationTimeout is how long a pushed call waits for the app to
// register before the caller is cleared with cause 18 (B12).
const DefaultRegistrationTimeout = 10 * time.Second

// maxForwardHops bounds a chain of forwards (alice CFU bob, bob CFU alice):
// beyond it the call is cleared with cause 31 instead of looping.
const maxForwardHops = 8

// Q.850 causes the PBX core uses (B32).
const (
	CauseUnallocatedNumber       = 1  // dialled number is no user's
	CauseNormalClearing          = 16 // forwarded-away legs, hang-ups
	CauseUserBusy                = 17 // busy; devices refusing in DND (13r1 and later)
	CauseNoUserResponding        = 18 // push sent, app did not register (B12)
	CauseNoAnswer                = 19
	CauseCallRejected            = 21
	CauseNonSelectedUserClearing = 26 // the other legs when one answered (B14)
	CauseNormalUnspecified       = 31 // forward loop
	causeNone                    = 0
)

// Presence is a user's presence.
type Presence string

// Presences.
const (
	Available Presence = "available"
	DND       Presence = "dnd"
)

// DeviceKind says what a device is.
type DeviceKind string

// Device kinds. The two apps can be woken by a push; a desk phone cannot.
const (
	KindMyApps    DeviceKind = "myapps"
	KindMyPBX     DeviceKind = "mypbx"
	KindDeskphone DeviceKind = "deskphone"
)

// Platform is the phone operating system, which picks the vendor push
// service (APNs or FCM).
type Platform string

// Platforms.
const (
	IOS     Platform = "ios"
	Android Platform = "android"
)

// Forward is a call forward: to a number, after a time (CFNR only).
type Forward struct {
	To    string
	After time.Duration
}

// User is a PBX user object.
type User struct {
	Name string // H.323 ID; the name the lookup resolves its number to when Display is empty (B17)
	// Display is the user's display name, apart from the h323-ID: what the
	// lookup resolves its number to (B17); "" = Name.
	Display  string
	Number   string // E.164 / dialled digits
	Password string // H.235 password (used by the RAS core, kept here for completeness)
	Push     string // the Push field: names the Push object, case-sensitively (B10)
	Presence Presence
	Forks    []string // numbers this user forks to; may include its own (B16)
	CFNR     *Forward // call forward no response
	CFB      *Forward // call forward busy
	CFU      *Forward // call forward unconditional
}

// Device is a phone or app of a user.
type Device struct {
	Name string
	User string
	// Display is the name shown for calls from this device instead of its
	// user's display name ("" = the user's).
	Display  string
	Kind     DeviceKind
	Platform Platform // apps only
	// PushToken says whether the PBX holds a push token for this app: true
	// for an app whose session is logged in; false once the session was
	// logged out or removed (B26). Ignored for desk phones.
	PushToken bool
}

// PushObject is the PBX's Push object (B01). Its connection is run by the
// push package; the PBX core only needs to know whether it is up.
type PushObject struct {
	Name      string // case-sensitive (B10)
	Connected bool   // state at start; later changes arrive as PushObjectChanged
}

// Config is a PBX as a scenario describes it.
type Config struct {
	Version Version
	// Quirks overrides the version's defaults; absent names keep them.
	Quirks              Quirks
	SystemName          string
	RegistrationTimeout time.Duration // 0 = DefaultRegistrationTimeout
	NameLookup          time.Duration // 0 = names are known at once (B17)
	// NoAnswerTimeout is how long a call may ring (the caller alerted)
	// unanswered before the PBX releases it with cause 19 "no answer from
	// user (user alerted)"; 0 = no limit (B32).
	NoAnswerTimeout time.Duration
	Push            *PushObject // nil = no Push object
	Users           []User
	Devices         []Device
}

// validate checks the references and names of the configuration.
func (c *Config) validate() error {
	if c.RegistrationTimeout < 0 || c.NameLookup < 0 || c.NoAnswerTimeout < 0 {
		return fmt.Errorf("pbx: negative duration (registration_timeout %v, name_lookup %v, no_answer_timeout %v)", c.RegistrationTimeout, c.NameLookup, c.NoAnswerTimeout)
	}
	names := map[string]bool{}
	numbers := map[string]bool{}
	for _, u := range c.Users {
		if u.Name == "" || u.Number == "" {
			return fmt.Errorf("pbx: user %q needs a name and a number", u.Name)
		}
		if names[u.Name] {
			return fmt.Errorf("pbx: user %q defined twice", u.Name)
		}
		if numbers[u.Number] {
			return fmt.Errorf("pbx: number %q belongs to two users", u.Number)
		}
		names[u.Name], numbers[u.Number] = true, true
		switch u.Presence {
		case "", Available, DND:
		default:
			return fmt.Errorf("pbx: user %q: unknown presence %q", u.Name, u.Presence)
		}
		for _, f := range []*Forward{u.CFNR, u.CFB, u.CFU} {
			if f != nil && (f.To == "" || f.After < 0) {
				return fmt.Errorf("pbx: user %q: a forward needs a number and a non-negative time", u.Name)
			}
		}
	}
	devices := map[string]bool{}
	for _, d := range c.Devices {
		if d.Name == "" || devices[d.Name] {
			return fmt.Errorf("pbx: device %q missing or defined twice", d.Name)
		}
		devices[d.Name] = true
		if !names[d.User] {
			return fmt.Errorf("pbx: device %q: unknown user %q", d.Name, d.User)
		}
		switch d.Kind {
		case KindMyApps, KindMyPBX:
			if d.Platform != IOS && d.Platform != Android {
				return fmt.Errorf("pbx: device %q: unknown platform %q", d.Name, d.Platform)
			}
		case KindDeskphone:
		default:
			return fmt.Errorf("pbx: device %q: unknown kind %q", d.Name, d.Kind)
		}
	}
	return nil
}

// isApp says whether a device kind is woken by a push.
func (k DeviceKind) isApp() bool { return k == KindMyApps || k == KindMyPBX }
