package pbx

import (
	"github.com/callwake/callwake/node"
)

// CallID names a call for its whole life. The driver chooses it when a call
// arrives (CallArrived) and must not reuse it while the call lives.
type CallID int

// LegID names an outgoing call leg (PBX → one device). The core allocates it
// in StartLeg, counting from 1, so it is deterministic.
type LegID int

// TimerKind says what a timer is for.
type TimerKind int

// Timer kinds; every timer belongs to one call.
const (
	// TimerRegistration: the push was sent; the app must register by then (B12).
	TimerRegistration TimerKind = iota + 1
	// TimerCFNR: call forward no response runs then.
	TimerCFNR
	// TimerNameLookup: the caller's number is resolved to a name then (B17).
	TimerNameLookup
	// TimerNoAnswer: a call that has rung this long unanswered is released
	// with cause 19 (Config.NoAnswerTimeout, B32).
	TimerNoAnswer
)

// TimerID names a timer. A call has at most one timer of each kind, so the
// pair is unique. The core asks for timers with the node contract's effects
// (node.SetTimer, node.CancelTimer carrying TimerID.Node()).
type TimerID struct {
	Kind TimerKind
	Call CallID
}

// Node is the timer's name in the node contract (kinds from node.KindsPBX).
func (id TimerID) Node() node.TimerID {
	return node.TimerID{Kind: node.KindsPBX + uint32(id.Kind), Key: uint64(id.Call)}
}

// TimerIDOf is the core timer a node timer names; IsTimer tells whether it is one.
func TimerIDOf(id node.TimerID) TimerID {
	return TimerID{Kind: TimerKind(id.Kind - node.KindsPBX), Call: CallID(id.Key)}
}

// IsTimer reports whether a node timer is the PBX core's.
func IsTimer(id node.TimerID) bool { return id.Kind > node.KindsPBX && id.Kind < node.KindsPBX+0x100 }

// Input is something that happened to the PBX. The concrete types are listed
// below; Handle rejects any other.
type Input interface{ pbxInput() }

// DeviceRegistered: the RAS core confirmed a registration (RCF) of a device.
type DeviceRegistered struct{ Device string }

// DeviceUnregistered: a device's registration ended (URQ, expiry).
type DeviceUnregistered struct{ Device string }

// CallArrived: a Setup arrived from device From for the dialled number.
// CallingNumber defaults to the number of From's user.
type CallArrived struct {
	Call          CallID
	From          string
	CallingNumber string
	Dialled       string
}

// CallerReleased: the caller sent Release Complete (hung up).
type CallerReleased struct {
	Call  CallID
	Cause int
}

// LegAlerted: the device of a leg sent Alerting.
type LegAlerted struct{ Leg LegID }

// LegConnected: the device of a leg sent Connect (answered).
type LegConnected struct{ Leg LegID }

// LegReleased: the device of a leg sent Release Complete, or the leg failed
// (then Cause says why). A leg the PBX released itself is already forgotten;
// its confirmation is ignored.
type LegReleased struct {
	Leg   LegID
	Cause int
}

// TimerFired: a timer set with SetTimer ran out. Timers of ended calls are
// ignored, so the driver need not be exact about cancellation.
type TimerFired struct{ ID TimerID }

// PushObjectChanged: the Push object's connection went up or down (B01).
type PushObjectChanged struct{ Connected bool }

// Reset: the PBX restarted. Every call in progress is forgotten (their
// connections are gone: nobody is sent a Release Complete), every device
// is unregistered and the Push object is down; users, presence, forwards
// and push tokens survive, as a real PBX's configuration does.
type Reset struct{}

// PushObjectSet: the administrator created the Push object, or changed it
// (its name is Name now); it is not connected until PushObjectChanged says
// so (B01, B10).
type PushObjectSet struct{ Name string }

// PresenceChanged: a user changed presence (B27). Calls already in progress
// keep the presence they were routed with.
type PresenceChanged struct {
	User     string
	Presence Presence
}

// PushTokenDropped: the app's session was logged out or removed from another
// device; the PBX forgets its push token (B26).
type PushTokenDropped struct{ Device string }

// PushTokenRegistered: the app logged in again and gave the PBX a push token.
type PushTokenRegistered struct{ Device string }

// PushFailed: the push service or the vendor answered a push with an error
// (PushNotifyPostResult with err, or the post could not be sent). The PBX
// records call.push_failed {call, user, device, reason} and keeps waiting
// for the registration (model choice, see doc.go).
type PushFailed struct {
	Call   CallID
	Device string
	Reason string
}

// Notify: the PBX has a message for a user (a notification, not a call).
// Every app of the user with a push token is pushed with type
// "notification" (B22); with no Push object connected nothing is sent.
type Notify struct {
	User    string
	Title   string
	Content string
}

func (Notify) pbxInput()              {}
func (PushFailed) pbxInput()          {}
func (DeviceRegistered) pbxInput()    {}
func (DeviceUnregistered) pbxInput()  {}
func (CallArrived) pbxInput()         {}
func (CallerReleased) pbxInput()      {}
func (LegAlerted) pbxInput()          {}
func (LegConnected) pbxInput()        {}
func (LegReleased) pbxInput()         {}
func (TimerFired) pbxInput()          {}
func (PushObjectChanged) pbxInput()   {}
func (Reset) pbxInput()               {}
func (PushObjectSet) pbxInput()       {}
func (PresenceChanged) pbxInput()     {}
func (PushTokenDropped) pbxInput()    {}
func (PushTokenRegistered) pbxInput() {}

// Effect is something the driver must do for the PBX, in the order given:
// the node contract's node.SetTimer, node.CancelTimer and node.Record, and
// the concrete types below.
type Effect = node.Effect

// ProceedCaller: send Call Proceeding to the caller (the number routed).
type ProceedCaller struct{ Call CallID }

// AlertCaller: send Alerting to the caller (a leg alerted).
type AlertCaller struct{ Call CallID }

// ConnectCaller: send Connect to the caller; Leg is the leg that answered.
type ConnectCaller struct {
	Call CallID
	Leg  LegID
}

// ReleaseCaller: send Release Complete with Cause to the caller; the call
// is over for the PBX.
type ReleaseCaller struct {
	Call  CallID
	Cause int
}

// StartLeg: open a leg to Device and send it a Setup carrying the calling
// number and name (name empty while the lookup runs, B17). Silent marks the
// 12r2 DND call the phone must not ring for (B27).
type StartLeg struct {
	Call          CallID
	Leg           LegID
	Device        string
	CallingNumber string
	CallingName   string
	Silent        bool
}

// ReleaseLeg: send Release Complete with Cause on the leg; the leg is over.
type ReleaseLeg struct {
	Call  CallID
	Leg   LegID
	Cause int
}

// UpdateCallerName: the name lookup finished after the leg's Setup; tell the
// device the name (a Q.931 Facility/Notify with display, B17).
type UpdateCallerName struct {
	Call CallID
	Leg  LegID
	Name string
}

// SendPush: ask the Push object to push a call to the user's app device.
// Type is "call"; Number and Name are the encrypted details (Name empty when
// the lookup had not finished, B17). The push path records push.request.
type SendPush struct {
	Call     CallID
	User     string
	Device   string
	Platform Platform
	Type     string
	Number   string
	Name     string
	// Title and Content are a notification push's details (Call is 0).
	Title   string
	Content string
}

func (ProceedCaller) NodeEffect()    {}
func (AlertCaller) NodeEffect()      {}
func (ConnectCaller) NodeEffect()    {}
func (ReleaseCaller) NodeEffect()    {}
func (StartLeg) NodeEffect()         {}
func (ReleaseLeg) NodeEffect()       {}
func (UpdateCallerName) NodeEffect() {}
func (SendPush) NodeEffect()         {}

// PushTypeCall is the clear-text type of a call push (B07).
const PushTypeCall = "call"

// PushTypeNotification is the clear-text type of a push that carries no
// call (a message for the user: title and content, B22).
const PushTypeNotification = "notification"

// Event names the PBX records (SCENARIO-FORMAT.md).
const (
	EventPushSkipped = "call.push_skipped"
	EventPushTimeout = "call.push_timeout"
	EventPushFailed  = "call.push_failed"
	EventForwarded   = "call.forwarded"
	EventReleased    = "call.released"
)

// Reasons of call.push_skipped.
const (
	SkipNoPushField    = "no_push_field"     // the user's Push field is empty
	SkipNoPushObject   = "no_push_object"    // B10: the field names no Push object
	SkipPushDisconnect = "push_disconnected" // the Push object is down (model choice)
	SkipNoToken        = "no_token"          // B26: session logged out / removed
	SkipCFNRSkipsPush  = "cfnr_skips_push"   // B15 quirk
	ForwardReasonCFNR  = "cfnr"
	ForwardReasonCFB   = "cfb"
	ForwardReasonCFU   = "cfu"
)
