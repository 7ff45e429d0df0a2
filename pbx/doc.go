// Package pbx is the decision core of the simulated PBX: user objects,
// devices, the Push object's state, routing (forks, CFNR/CFB/CFU, DND), the
// wake timeout and the version profiles (quirks.go).
//
// It works at the level of call decisions, not wire protocols. It is
// sans-I/O: a PBX is a plain value; the driver feeds it inputs with
// Handle(Input) ([]Effect, error) and carries out the effects in order. It
// reads no clock, starts no goroutine and touches no socket; timers are
// effects (SetTimer, CancelTimer) that come back as TimerFired inputs.
//
// # Inputs (from the RAS core, the H.225 legs, the push path, actions)
//
//	DeviceRegistered{Device}, DeviceUnregistered{Device}    RCF / URQ, expiry
//	CallArrived{Call, From, CallingNumber, Dialled}         Setup from a device
//	CallerReleased{Call, Cause}                             the caller hung up
//	LegAlerted{Leg}, LegConnected{Leg}, LegReleased{Leg, Cause}
//	TimerFired{ID}
//	PushObjectChanged{Connected}                            B01 state
//	PushObjectSet{Name}                                     created or changed by the administrator
//	PresenceChanged{User, Presence}                         B27
//	PushTokenDropped{Device}, PushTokenRegistered{Device}   B26 logout / login
//	PushFailed{Call, Device, Reason}                        the service/vendor refused a push
//	Notify{User, Title, Content}                            a message for the user (B22)
//
// # Effects (in the order they must happen)
//
//	ProceedCaller, AlertCaller, ConnectCaller{Leg}, ReleaseCaller{Cause}   to the caller
//	StartLeg{Leg, Device, CallingNumber, CallingName, Silent}              Setup to a device
//	ReleaseLeg{Leg, Cause}, UpdateCallerName{Leg, Name}
//	SendPush{User, Device, Platform, Type, Number, Name, Title, Content}   to the Push object
//	SetTimer{ID, After}, CancelTimer{ID}
//	Record{Name, Attrs}                                                    call.* events
//
// The core records only its decisions: call.push_skipped {call, user,
// [device,] reason}, call.push_timeout {call, user}, call.forwarded {call,
// reason, to}, call.released {call, cause}. Message events (q931.*, ras.*,
// push.request) are recorded by whoever puts the message on the wire.
//
// # Rows
//
//   - Routing by dialled number; an unknown number is released with cause 1.
//   - B10: a Push field that names no Push object (case-sensitive) →
//     call.push_skipped {reason: no_push_object}. Model choices: an empty Push
//     field → no_push_field; the Push object down → push_disconnected.
//   - B11: an app that is not registered is pushed; the caller gets Call
//     Proceeding but no Alerting until a leg alerts.
//   - B12: TimerRegistration (registration_timeout, default 10 s) runs out →
//     call.push_timeout, Release Complete cause 18, call.released {cause: 18}.
//     Model choices: if other legs still ring, they keep ringing; if a CFNR
//     is configured, it runs then instead of cause 18. A push the service
//     or vendor rejects (PushFailed) is recorded as call.push_failed {call,
//     user, device, reason} and changes nothing else: the PBX still waits
//     for the registration until the timeout (model choice: the app may
//     register anyway, opened by the user or woken by another push, and a
//     real PBX does not learn more from the result than that it failed).
//   - B13: the pushed app registers → StartLeg to it; its Alerting → the
//     caller's Alerting; its Connect → the caller's Connect.
//   - B14: registered devices get StartLeg at once, the push goes out in
//     parallel and the app joins when it registers. Any device of a ringing
//     user that registers joins the call, even after the registration
//     timeout. First answer wins; the
//     other legs are released with cause 26 "non-selected user clearing".
//     Legs cleared because of a forward or a hang-up get cause 16.
//   - B15: quirk cfnr_skips_push (12r2): with CFNR configured and no device of
//     the user registered, the push is not sent (call.push_skipped {reason:
//     cfnr_skips_push}) and, with nothing else ringing, CFNR runs at once.
//   - B16: forks ring and push the forked users; a fork to the user's own
//     number pushes even with cfnr_skips_push, and CFNR then runs after its
//     timer. A forked user's own forwards do not apply (model choice).
//   - CFU forwards at once; CFB when the user is busy (a device in a
//     connected call: no call waiting) or when every leg was refused with
//     cause 17; CFNR after its time while ringing or pushing. A forward loop
//     ends with cause 31 after 8 hops.
//   - B17: with name_lookup > 0, pushes and Setups sent before it finishes
//     carry the number only; when it finishes, legs already started get
//     UpdateCallerName. The name is the directory's display name for the
//     number: the calling device's Display when the number is its user's,
//     else the user's Display, else the user's name (h323-ID).
//   - B26: PushTokenDropped (logout, session removed) → no push,
//     call.push_skipped {reason: no_token}.
//   - B27: quirk dnd_silent (12r2): a DND user is still pushed and rung, with
//     StartLeg.Silent set. Without it (13r1 and later) the PBX does not
//     apply DND: it pushes and rings as usual and the devices, which know
//     their user's presence, refuse with cause 17; a CFB then applies, else
//     cause 17 (model choice). The 15r1 rule that a push does not start an
//     app closed in DND is the phone's (Config.DNDClosedStopsWake).
//   - Nothing can ring or be pushed and no CFNR applies → cause 18 at once.
//   - B32: a leg released with cause 21 (the user declined) ends the call
//     with 21 when nothing else rings. Config.NoAnswerTimeout (default 0 =
//     no limit, model choice): a call that has rung that long since the
//     caller's first Alerting, unanswered, is ended: legs get 16, the caller
//     cause 19 (TimerNoAnswer); an answer cancels it, forwards do not
//     restart it.
//
// # For the world builder
//
// Config.Quirks holds the scenario's overrides; New resolves them against
// the version (Resolve). Device.PushToken starts true for an app with a
// logged-in session that uses push (not app: logged_out, not myPBX push
// mode off). The phone core's EndSession/StartSession effects become
// PushTokenDropped/PushTokenRegistered here; a presence action goes to this
// core and to every phone of the user. The CallID of SendPush and StartLeg
// is what the phone core receives as its CallRef, so it can match a Setup to
// the push that announced it. The phone's Alerting/Connect/Release Complete
// on a leg become LegAlerted/LegConnected/LegReleased{Leg}; the world keeps
// the leg-to-device mapping from StartLeg. Phones get
// Config.DNDClosedStopsWake from Quirk(QuirkDNDClosedStopsWake).
//
// The node's commands for a scenario's actions are the core's action
// inputs (PresenceChanged, Notify) and SetPushObject: the administrator
// creates or changes the Push object, which starts again with its new
// settings at once (B01-B06).
//
// Many calls may be in progress at once, each named by its CallID; legs are
// named by LegIDs the core allocates. Every walk over calls, users and
// devices follows arrival or configuration order, so effects are
// deterministic.
package pbx
