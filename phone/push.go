package phone

import (
	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// maxNotes bounds the calls announced by a push and still awaiting a Setup.
const maxNotes = 8

// pushTypeCall is the clear-text type of a call push (B07).
const pushTypeCall = "call"

// dropReason runs the checks between the vendor service and the app, in
// the order the push meets them: the network, the OS's push channel, the
// session, the OS's notification settings, the app's own settings. The first
// that fails names the reason; "" means the push gets through.
func (p *Phone) dropReason(in PushArrived) string {
	cfg := &p.cfg
	android := cfg.OS == Android
	myPBXAndroid := cfg.Kind == KindMyPBX && android
	switch {
	case !p.isApp():
		return DropNoPush
	case cfg.Network.WiFiOnly && cfg.Network.VendorPortBlocked: // B20
		return DropVendorUnreachable
	case !android && p.pushKitPenalty: // B22
		return DropPushKitPenalty
	case android && cfg.Android.HMSStale: // B28
		return DropHMSStale
	case android && !cfg.Android.BackgroundData && p.app != Foreground: // B23
		return DropDataSaver
	case p.app == LoggedOut: // B26
		return DropLoggedOut
	case !android && !cfg.IOS.NotificationsAllowed: // B22
		return DropNotificationsDenied
	case android && !cfg.Android.Notifications: // B23
		return DropEventsOff
	case cfg.Kind == KindMyApps && !cfg.DefaultSoftphone: // B26
		return DropNotDefault
	case myPBXAndroid && p.mode == PushOff: // B24
		return DropPushOff
	case android && cfg.Android.StartAutomatically == StartNever && p.closedFromSettings && !p.running: // B25
		return DropStartNever
	case cfg.DNDClosedStopsWake && p.closedInDND && !p.running: // B26 (15r1)
		return DropDNDClosed
	case android && !cfg.Android.CallingAccount: // B23
		return DropCallingAccountOff
	case !android && in.Type != pushTypeCall: // B22: a VoIP push must be a call
		return DropNotACall
	}
	return ""
}

// pushArrived decides what a push does: dropped (with its reason), or
// delivered, starting the app if it is not running (B21, B26).
func (p *Phone) pushArrived(out *effects, in PushArrived) {
	dev := timeline.A("device", p.cfg.Device)
	if reason := p.dropReason(in); reason != "" {
		if reason == DropNotACall {
			// B22 model choice: the app could not report a call to CallKit, so
			// iOS stops delivering VoIP pushes to it.
			p.pushKitPenalty = true
		}
		out.record(EventPushDropped, dev, timeline.A("reason", reason))
		return
	}
	out.record(EventPushDelivered, dev)
	if p.cfg.Kind == KindMyPBX && p.cfg.OS == Android && (p.mode == PushAuto || p.mode == PushOn) {
		// B24: auto and on become active at the first push.
		was := p.mode
		p.mode = PushActive
		out.record(EventPushMode, dev, timeline.A("mode", string(PushActive)), timeline.A("was", string(was)))
	}
	if in.Type == pushTypeCall {
		note := pushNote{call: in.Call}
		// B08: the details are readable only with the key, which comes over
		// the WebSocket session or secure H.323; otherwise the call shows
		// without number or name.
		if p.cfg.WebSocketSession || p.cfg.SecureSignalling {
			note.number, note.name = in.Number, in.Name
		}
		if len(p.notes) == maxNotes {
			// A push whose call ended before its Setup leaves a note nobody
			// takes; keep the newest few so memory stays bounded.
			p.notes = append(p.notes[:0], p.notes[1:]...)
		}
		p.notes = append(p.notes, note)
	}
	if !p.running {
		p.running = true
		if p.app == Closed {
			p.app = Background // B26: the push starts a closed app, in background
		}
		out.record(EventAppStarted, dev, timeline.A("reason", ReasonPush))
		p.waking = true
		out.add(node.SetTimer{ID: TimerID{Kind: TimerWake}.Node(), After: p.wakeLatency()})
		return
	}
	if !p.waking {
		p.register(out) // running but its registration had lapsed
	}
	if p.idleTimer {
		// A push gives a running app in the background a fresh window (B29).
		p.disarmIdle(out)
		p.armIdle(out)
	}
}

// takeNote removes and returns the push note of a call, if a push announced it.
func (p *Phone) takeNote(call CallRef) (pushNote, bool) {
	for i, n := range p.notes {
		if n.call == call {
			p.notes = append(p.notes[:i], p.notes[i+1:]...)
			return n, true
		}
	}
	return pushNote{}, false
}
