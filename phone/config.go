package phone

import (
	"fmt"
	"time"
)

// Kind says what the device is.
type Kind string

// Device kinds.
const (
	KindMyApps    Kind = "myapps"    // the myApps app (15r1), iOS or Android
	KindMyPBX     Kind = "mypbx"     // the older myPBX app (12r2), with Android push modes (B24)
	KindDeskphone Kind = "deskphone" // registered from the start, always reachable
)

// OS is the phone's operating system (apps only).
type OS string

// Operating systems.
const (
	IOS     OS = "ios"
	Android OS = "android"
)

// AppState is the state of the app as the user left it.
type AppState string

// App states.
const (
	Foreground AppState = "foreground" // open on screen: running and registered
	Background AppState = "background" // not on screen; sleeps until a push (myApps, myPBX on/active)
	Closed     AppState = "closed"     // switched off (from its settings screen or swiped away)
	LoggedOut  AppState = "logged_out" // the session is logged out: the PBX holds no push token
)

// PushMode is myPBX for Android's "Push notifications" setting (B24).
type PushMode string

// Push modes.
const (
	PushAuto   PushMode = "auto"   // works without push; becomes active at the first push
	PushOn     PushMode = "on"     // uses push; ends after 10 s idle; becomes active at the first push
	PushOff    PushMode = "off"    // no push; keeps the registration up permanently
	PushActive PushMode = "active" // uses push, already proven; ends after 10 s idle like on
)

// StartMode is myPBX for Android's "Start automatically" setting (B25).
type StartMode string

// Start modes.
const (
	StartAlways StartMode = "always"
	StartNever  StartMode = "never"
)

// Presence is the user's presence as the app knows it (B26).
type Presence string

// Presences.
const (
	Available Presence = "available"
	DND       Presence = "dnd"
)

// AnswerMode is what the simulated user does with a ringing call.
type AnswerMode string

// Answer modes.
const (
	AnswerAfter      AnswerMode = "after"  // answer after Answer.After
	AnswerNever      AnswerMode = "never"  // let it ring
	AnswerRejectBusy AnswerMode = "reject" // refuse as busy: Release Complete cause 17
	// AnswerDecline: the phone rings and the user declines at once:
	// Release Complete cause 21 "call rejected" (B32).
	AnswerDecline AnswerMode = "decline"
)

// Answer is the simulated user's behaviour on a call.
type Answer struct {
	Mode  AnswerMode
	After time.Duration
}

// Latency is the wake latency: push arrival to the start of registration
// (B21). Min == Max is a fixed latency; otherwise each wake draws uniformly
// from [Min, Max] through the Rand given to New.
type Latency struct {
	Min, Max time.Duration
}

// IOSSettings are the iOS settings that matter to push.
type IOSSettings struct {
	NotificationsAllowed bool // B22
}

// AndroidSettings are the Android settings that matter to push (B23–B25, B28).
type AndroidSettings struct {
	Push               PushMode  // myPBX only
	StartAutomatically StartMode // myPBX only
	Notifications      bool      // "myApps events" / app notifications
	CallingAccount     bool
	BackgroundData     bool // false = "Data saver" restricts the app in background
	Overlay            bool // false = rings without a call screen
	HMSStale           bool // Huawei: stale HMS Core cache (B28)
}

// Network is what the phone's network allows (B20).
type Network struct {
	WiFiOnly          bool // no cellular data
	VendorPortBlocked bool // the Wi-Fi blocks the vendor push port (Apple TCP 5223, FCM)
}

// DefaultIdleExit is how long myPBX in push mode on/active stays up without
// a call before it ends (B24: "terminates after 10 seconds of idle time").
const DefaultIdleExit = 10 * time.Second

// Default suspension delays (B29): how long the OS lets an app run in the
// background after its call ended, after a wake that brought no call, or
// after the user sent it to the background, before it suspends it. Both are
// model choices guided by the platforms' rules (docs/behaviours.md, B29):
// iOS keeps a backgrounded app running only while a background task holds
// it, about 30 s; Android's activity manager counts an app idle once it has
// been in the background for a minute and stops its services.
const (
	DefaultSuspendIOS     = 30 * time.Second
	DefaultSuspendAndroid = 60 * time.Second
)

// Config is one device as a scenario describes it. Start from Defaults: the
// zero value of a boolean is not always the scenario format's default.
type Config struct {
	Device           string
	Kind             Kind
	OS               OS
	App              AppState
	DefaultSoftphone bool // myApps: the softphone is the default app (B26)
	WebSocketSession bool // the app's session to the PBX, which carries the push key (B08)
	SecureSignalling bool // H.323 over TLS/DTLS, the other way the key arrives (B08)
	Wake             Latency
	TTL              time.Duration // registration time to live asked for
	Answer           Answer
	IOS              IOSSettings
	Android          AndroidSettings
	Network          Network
	Presence         Presence
	// DNDClosedStopsWake: DND and then closing the app stops a push from
	// starting it (B26, 15r1; pbx quirk dnd_closed_stops_wake).
	DNDClosedStopsWake bool
	IdleExit           time.Duration // 0 = DefaultIdleExit
	// Suspend is how long an app in the background runs after its call,
	// its wake or being sent to the background before its OS suspends it;
	// it unregisters then (B29). 0 = never. myPBX for Android does not use
	// it: it ends itself (IdleExit) in push mode on/active and keeps its
	// registration in auto/off (B24).
	Suspend time.Duration
}

// Defaults returns the scenario format's defaults for a device.
func Defaults(device string, kind Kind, os OS) Config {
	return Config{
		Device:           device,
		Kind:             kind,
		OS:               os,
		App:              Background,
		DefaultSoftphone: true,
		WebSocketSession: true,
		Wake:             Latency{Min: time.Second, Max: time.Second},
		TTL:              60 * time.Second,
		Answer:           Answer{Mode: AnswerNever},
		IOS:              IOSSettings{NotificationsAllowed: true},
		Android: AndroidSettings{
			Push: PushAuto, StartAutomatically: StartAlways, Notifications: true,
			CallingAccount: true, BackgroundData: true, Overlay: true,
		},
		Presence: Available,
		Suspend:  DefaultSuspend(kind, os),
	}
}

// DefaultSuspend is the suspension delay of an app of kind on os (B29): 0
// for a desk phone and for myPBX on Android (B24), else the OS's default.
func DefaultSuspend(kind Kind, os OS) time.Duration {
	switch {
	case kind == KindDeskphone, kind == KindMyPBX && os == Android:
		return 0
	case os == IOS:
		return DefaultSuspendIOS
	case os == Android:
		return DefaultSuspendAndroid
	}
	return 0
}

func (c *Config) validate(haveRand bool) error {
	if c.Device == "" {
		return fmt.Errorf("phone: device name missing")
	}
	switch c.Kind {
	case KindDeskphone:
	case KindMyApps, KindMyPBX:
		if c.OS != IOS && c.OS != Android {
			return fmt.Errorf("phone %s: unknown os %q", c.Device, c.OS)
		}
	default:
		return fmt.Errorf("phone %s: unknown kind %q", c.Device, c.Kind)
	}
	switch c.App {
	case Foreground, Background, Closed, LoggedOut:
	default:
		return fmt.Errorf("phone %s: unknown app state %q", c.Device, c.App)
	}
	if c.Wake.Min < 0 || c.Wake.Max < c.Wake.Min {
		return fmt.Errorf("phone %s: wake latency needs 0 <= min <= max (got %v..%v)", c.Device, c.Wake.Min, c.Wake.Max)
	}
	if c.Wake.Max > c.Wake.Min && !haveRand {
		return fmt.Errorf("phone %s: a wake latency range needs a random source", c.Device)
	}
	switch c.Answer.Mode {
	case AnswerAfter:
		if c.Answer.After < 0 {
			return fmt.Errorf("phone %s: negative answer delay", c.Device)
		}
	case AnswerNever, AnswerRejectBusy, AnswerDecline:
	default:
		return fmt.Errorf("phone %s: unknown answer mode %q", c.Device, c.Answer.Mode)
	}
	switch c.Android.Push {
	case PushAuto, PushOn, PushOff, PushActive:
	default:
		return fmt.Errorf("phone %s: unknown android push mode %q", c.Device, c.Android.Push)
	}
	switch c.Android.StartAutomatically {
	case StartAlways, StartNever:
	default:
		return fmt.Errorf("phone %s: unknown start_automatically %q", c.Device, c.Android.StartAutomatically)
	}
	switch c.Presence {
	case Available, DND:
	default:
		return fmt.Errorf("phone %s: unknown presence %q", c.Device, c.Presence)
	}
	if c.TTL < 0 || c.IdleExit < 0 || c.Suspend < 0 {
		return fmt.Errorf("phone %s: negative ttl, idle exit or suspension delay", c.Device)
	}
	return nil
}
