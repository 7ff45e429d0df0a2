package phone

import (
	"time"

	"github.com/callwake/callwake/node"
)

// CallRef names a call at the phone: the PBX's call ID, which both the push
// (SendPush.Call) and the Setup of the leg (StartLeg.Call) carry, so the
// phone can tell which Setup a push announced.
type CallRef int

// TimerKind says what a timer is for.
type TimerKind int

// Timer kinds.
const (
	TimerWake   TimerKind = iota + 1 // woken app starts registering (B21)
	TimerAnswer                      // the user answers (Call set)
	TimerIdle                        // myPBX on/active ends when idle (B24); the OS suspends the app (B29)
)

// TimerID names a timer; Call is set for TimerAnswer only. The core asks
// for timers with the node contract's effects (node.SetTimer and
// node.CancelTimer carrying TimerID.Node()).
type TimerID struct {
	Kind TimerKind
	Call CallRef
}

// Node is the timer's name in the node contract (kinds from node.KindsPhone).
func (id TimerID) Node() node.TimerID {
	return node.TimerID{Kind: node.KindsPhone + uint32(id.Kind), Key: uint64(id.Call)}
}

// TimerIDOf is the core timer a node timer names; IsTimer tells whether it is one.
func TimerIDOf(id node.TimerID) TimerID {
	return TimerID{Kind: TimerKind(id.Kind - node.KindsPhone), Call: CallRef(id.Key)}
}

// IsTimer reports whether a node timer is the phone core's.
func IsTimer(id node.TimerID) bool {
	return id.Kind > node.KindsPhone && id.Kind < node.KindsPhone+0x100
}

// Rand is the random source for wake latencies; *math/rand/v2.Rand fits.
// It must be seeded by the driver so that runs repeat.
type Rand interface {
	Int64N(n int64) int64
}

// Input is something that happened to the phone.
type Input interface{ phoneInput() }

// Start: the world begins. A desk phone, a foreground app, and myPBX in push
// mode auto/off in background start registering.
type Start struct{}

// PushArrived: the vendor service (APNs/FCM) tries to deliver a push to the
// device. The phone decides whether it arrives and what it does (B20–B28).
type PushArrived struct {
	Call   CallRef
	Type   string // "call" or "notification" (B07)
	Number string // encrypted details; readable only with the key (B08)
	Name   string // empty when the PBX's lookup had not finished (B17)
}

// RegistrationConfirmed: the RAS endpoint got its RCF.
type RegistrationConfirmed struct{}

// RegistrationFailed: the RAS endpoint got an RRJ or gave up.
type RegistrationFailed struct{ Reason string }

// Unregistered: the registration ended (UCF, expiry, gatekeeper URQ).
type Unregistered struct{}

// IncomingCall: a Setup arrived from the PBX.
type IncomingCall struct {
	Call   CallRef
	Number string
	Name   string
	Silent bool // 12r2 DND: signalled but must not ring (B27)
}

// CallerNameUpdated: the PBX sent the caller's name after the Setup (B17).
type CallerNameUpdated struct {
	Call CallRef
	Name string
}

// CallReleased: the PBX cleared the call (Release Complete).
type CallReleased struct {
	Call  CallRef
	Cause int
}

// TimerFired: a timer set with SetTimer ran out.
type TimerFired struct{ ID TimerID }

// AppStateChanged: the user opens, backgrounds, closes or logs out of the
// app (scenario actions `app:` and `logout:`).
type AppStateChanged struct{ State AppState }

// PresenceChanged: the user's presence changed (scenario action `presence:`).
type PresenceChanged struct{ Presence Presence }

// DefaultSoftphoneChanged: the user selects or deselects the myApps
// softphone as the default app (scenario action `default_softphone:`, B26).
// Deselected, a push no longer starts it (push.dropped {reason:
// not_default}).
type DefaultSoftphoneChanged struct{ Default bool }

// KeyPathChanged: the ways the push decryption key reaches the app changed
// (scenario action `websocket_session:`, B08). Details of pushes that arrive
// afterwards are shown only if one of them is up.
type KeyPathChanged struct{ WebSocketSession, SecureSignalling bool }

func (DefaultSoftphoneChanged) phoneInput() {}
func (KeyPathChanged) phoneInput()          {}

func (Start) phoneInput()                 {}
func (PushArrived) phoneInput()           {}
func (RegistrationConfirmed) phoneInput() {}
func (RegistrationFailed) phoneInput()    {}
func (Unregistered) phoneInput()          {}
func (IncomingCall) phoneInput()          {}
func (CallerNameUpdated) phoneInput()     {}
func (CallReleased) phoneInput()          {}
func (TimerFired) phoneInput()            {}
func (AppStateChanged) phoneInput()       {}
func (PresenceChanged) phoneInput()       {}

// Effect is something the driver must do for the phone, in order: the node
// contract's node.SetTimer, node.CancelTimer and node.Record, and the
// concrete types below.
type Effect = node.Effect

// StartRegistration: the RAS endpoint registers (GRQ/GCF optional, RRQ/RCF)
// asking for TTL.
type StartRegistration struct{ TTL time.Duration }

// Unregister: the RAS endpoint unregisters (URQ) because the app ends.
type Unregister struct{}

// SendAlerting: send Alerting on the call's leg.
type SendAlerting struct{ Call CallRef }

// SendConnect: send Connect on the call's leg (answered).
type SendConnect struct{ Call CallRef }

// SendRelease: send Release Complete with Cause on the call's leg.
type SendRelease struct {
	Call  CallRef
	Cause int
}

// EndSession: the app's session was logged out; the PBX must drop the push
// token (pbx.PushTokenDropped, B26).
type EndSession struct{}

// StartSession: the user logged in again; the PBX gets a push token
// (pbx.PushTokenRegistered).
type StartSession struct{}

func (StartRegistration) NodeEffect() {}
func (Unregister) NodeEffect()        {}
func (SendAlerting) NodeEffect()      {}
func (SendConnect) NodeEffect()       {}
func (SendRelease) NodeEffect()       {}
func (EndSession) NodeEffect()        {}
func (StartSession) NodeEffect()      {}

// Q.850 causes the phone sends.
const (
	CauseNormalClearing = 16
	CauseUserBusy       = 17
	CauseCallRejected   = 21
)

// Event names the phone records.
const (
	EventPushDelivered = "push.delivered"
	EventPushDropped   = "push.dropped"
	EventAppStarted    = "app.started"
	EventAppStopped    = "app.stopped"   // the app process ends or is suspended
	EventPushMode      = "app.push_mode" // myPBX for Android's push mode changed (B24)
	EventRinging       = "device.ringing"
	EventCallerUpdated = "device.caller_updated"
	EventAnswered      = "device.answered"
)

// Reasons of push.dropped, in the order the phone checks them.
const (
	DropNoPush              = "no_push"              // a desk phone has no push service
	DropVendorUnreachable   = "vendor_unreachable"   // B20: Wi-Fi only and the vendor port blocked
	DropPushKitPenalty      = "pushkit_penalty"      // B22: iOS stopped VoIP pushes to the app
	DropHMSStale            = "hms_stale"            // B28: Huawei HMS Core cache
	DropDataSaver           = "data_saver"           // B23: no background data while not in foreground
	DropLoggedOut           = "logged_out"           // B26: no session to deliver to
	DropNotificationsDenied = "notifications_denied" // B22: iOS notifications not allowed
	DropEventsOff           = "events_off"           // B23: Android app notifications ("myApps events") off
	DropNotDefault          = "not_default"          // B26: myApps softphone not the default app
	DropPushOff             = "push_off"             // B24: myPBX push mode off
	DropStartNever          = "start_never"          // B25: closed from settings with Start automatically: Never
	DropDNDClosed           = "dnd_closed"           // B26: 15r1, DND and then closed
	DropCallingAccountOff   = "calling_account_off"  // B23: the app cannot present the call
	DropNotACall            = "not_a_call"           // B22: iOS VoIP push without a call; sets the penalty
)

// Reasons of app.started and app.stopped.
const (
	ReasonPush      = "push"
	ReasonUser      = "user"
	ReasonIdle      = "idle"      // myPBX's 10 s idle exit (B24)
	ReasonSuspended = "suspended" // the OS suspended the app in the background (B29)
)
