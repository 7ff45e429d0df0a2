// Package phone is the decision core of one simulated device: the myApps app
// (iOS, Android), the older myPBX app (Android push modes of 12r2) and a desk
// phone. It models the OS life cycle and settings that decide whether a push
// wakes the app, the wake itself, registration as a decision (the RAS
// endpoint does the messages), ringing and the simulated user's answer.
//
// It is sans-I/O: a Phone is a plain value driven by
// Handle(Input) ([]Effect, error). It reads no clock, starts no goroutine,
// touches no socket; timers are effects that come back as TimerFired, and
// wake-latency draws come from the Rand passed to New (seeded by the driver).
//
// # Inputs
//
//	Start{}                                     the world begins
//	PushArrived{Call, Type, Number, Name}       the vendor service delivers a push
//	RegistrationConfirmed{}, RegistrationFailed{Reason}, Unregistered{}
//	IncomingCall{Call, Number, Name, Silent}    a Setup from the PBX
//	CallerNameUpdated{Call, Name}               the name after the Setup (B17)
//	CallReleased{Call, Cause}                   Release Complete from the PBX
//	TimerFired{ID}
//	AppStateChanged{State}                      open, background, close, log out
//	PresenceChanged{Presence}                   DND on or off
//	DefaultSoftphoneChanged{Default}            softphone (de)selected as default app (B26)
//	KeyPathChanged{WebSocketSession, SecureSignalling}   the key path changed (B08)
//
// # Effects
//
//	StartRegistration{TTL}, Unregister{}        to the RAS endpoint
//	SendAlerting{Call}, SendConnect{Call}, SendRelease{Call, Cause}   on the call leg
//	EndSession{}, StartSession{}                the PBX drops / gets the push token (B26)
//	SetTimer{ID, After}, CancelTimer{ID}
//	Record{Name, Attrs}                         push.delivered, push.dropped, app.started,
//	                                            app.stopped, device.ringing,
//	                                            device.caller_updated, device.answered
//
// Each push the phone is handed yields exactly one of push.delivered {device}
// or push.dropped {device, reason}. The checks run in this order (the first
// failing names the reason):
//
//	no_push               a desk phone
//	vendor_unreachable    B20: Wi-Fi only and the vendor port blocked
//	pushkit_penalty       B22: iOS stopped VoIP pushes to the app
//	hms_stale             B28: Huawei HMS Core cache
//	data_saver            B23: background data off and the app not in foreground
//	logged_out            B26: the session is logged out
//	notifications_denied  B22: iOS notifications not allowed
//	events_off            B23: Android notifications of the app off
//	not_default           B26: myApps softphone not the default app
//	push_off              B24: myPBX push mode off
//	start_never           B25: closed by the user with Start automatically: Never
//	dnd_closed            B26: 15r1 rule (Config.DNDClosedStopsWake), closed while in DND
//	calling_account_off   B23: the app cannot present the call
//	not_a_call            B22: an iOS VoIP push without a call; sets the penalty
//
// A delivered push to an app that is not running records app.started
// {device, reason: push} and, after the wake latency (B21), StartRegistration.
// A closed app is started too (B26), unless the user closed it while in DND
// and the 15r1 rule is on: then pushes are dropped until the user opens it
// (setting available meanwhile does not lift it). myPBX auto and on turn
// active at their first push (app.push_mode {device, mode, was}); on/active
// end after 10 s idle (app.stopped {reason: idle}) and wake again at the
// next push; off and auto keep a registration from the start (B24). Opening
// the app clears the Start-never block (B25).
//
// Every other app running in the background with no call — after its call,
// after a wake without a call, after being sent to the background — is
// suspended by its OS after Config.Suspend (B29): Unregister, app.stopped
// {reason: suspended}; the next push starts it again. A push on the way
// restarts that delay.
//
// On a Setup the phone records device.ringing {device, number, name, ui,
// silent} and sends Alerting. A call announced by a push is shown with what
// the push carried: nothing without the key (B08), the number only when the
// lookup was late (B17). Android keeps that display for the whole call; iOS
// updates it from the Setup and later name updates (device.caller_updated
// {device, number, name}). ui is false on Android without Overlaying outside
// the foreground (B23). Silent calls (12r2 DND, B27) ring silently and are
// not answered. A user in DND on a PBX that leaves DND to its devices
// (a Setup that is not silent, 13r1 and later) refuses as busy (cause 17)
// without ringing (B27). Answer{after D} → device.answered and Connect after D;
// reject busy → Release Complete 17 at once, without ringing; decline → it
// rings, then Release Complete 21 at once (the user declines, B32); a second
// call while one is active is refused with 17 (no call waiting).
//
// # For the world builder
//
// Start from Defaults and apply the scenario: Network.VendorPortBlocked comes
// from ios.vendor_port or, for Android, android.vendor_port (FCM's port is
// blocked the same way), Suspend from suspend_after, SecureSignalling from transport h323-tls/h323-dtls,
// DNDClosedStopsWake from the PBX quirk dnd_closed_stops_wake, Presence from
// the user. CallRef is the PBX's CallID (pbx.SendPush.Call,
// pbx.StartLeg.Call). EndSession/StartSession become the PBX's
// PushTokenDropped/PushTokenRegistered; a logged-out app or myPBX in push
// mode off starts without a push token at the PBX.
//
// Presence is the phone's copy of the user's presence: the driver feeds
// PresenceChanged to the PBX and to every device of the user.
package phone
