package phone

import (
	"fmt"
	"time"

	"github.com/callwake/callwake/node"
	"github.com/callwake/callwake/timeline"
)

// Phone is the decision core of one device: an app (myApps, myPBX) on iOS or
// Android, or a desk phone. It is a plain value driven by Handle.
type Phone struct {
	cfg  Config
	rng  Rand
	app  AppState // the app's state now (cfg.App is the state at start)
	mode PushMode // myPBX for Android push mode now (auto turns active, B24)

	running     bool // the app process runs (a desk phone always does)
	waking      bool // TimerWake pending
	registering bool // StartRegistration sent, no answer yet
	registered  bool
	// idleTimer: TimerIdle pending — the app ends when idle (myPBX, B24)
	// or its OS suspends it (B29).
	idleTimer bool

	closedFromSettings bool // B25: the app was closed by the user
	// closedInDND: the user closed the app while in DND (B26, 15r1). With
	// Config.DNDClosedStopsWake a push does not start it again until the
	// user opens it; setting available elsewhere does not undo it, since
	// the closed app cannot learn of it.
	closedInDND    bool
	pushKitPenalty bool // B22: iOS no longer delivers VoIP pushes

	notes []pushNote // calls announced by a push, awaiting their Setup
	call  *activeCall
}

// pushNote is what a call push showed the user (B08, B17).
type pushNote struct {
	call         CallRef
	number, name string
}

type activeCall struct {
	id           CallRef
	number, name string // what the screen shows
	// frozen: Android showed the call from the push and cannot update it
	// for the rest of the call (B17).
	frozen      bool
	connected   bool
	answerTimer bool
}

// New builds a phone core. rng may be nil when the wake latency is fixed.
func New(cfg Config, rng Rand) (*Phone, error) {
	if err := cfg.validate(rng != nil); err != nil {
		return nil, err
	}
	if cfg.IdleExit == 0 {
		cfg.IdleExit = DefaultIdleExit
	}
	// An app that is closed at the start while its user is in DND was
	// closed in DND (the ticket's "closed for the holidays").
	return &Phone{cfg: cfg, rng: rng, app: cfg.App, mode: cfg.Android.Push,
		closedInDND: cfg.App == Closed && cfg.Presence == DND}, nil
}

// Registered reports whether the phone holds a confirmed registration.
func (p *Phone) Registered() bool { return p.registered }

// Running reports whether the app process runs (always for a desk phone).
func (p *Phone) Running() bool { return p.running }

// App returns the app's state now.
func (p *Phone) App() AppState { return p.app }

// PushMode returns myPBX for Android's push mode now (B24).
func (p *Phone) PushMode() PushMode { return p.mode }

// Handle applies one input and returns the effects, in order. Inputs about
// calls the phone no longer has are stale and yield nothing.
func (p *Phone) Handle(in Input) ([]Effect, error) {
	var out effects
	switch in := in.(type) {
	case Start:
		p.start(&out)
	case PushArrived:
		p.pushArrived(&out, in)
	case RegistrationConfirmed:
		if !p.running {
			break // stale: the app ended while its RRQ was under way
		}
		p.registering = false
		p.registered = true
		p.armIdle(&out)
	case RegistrationFailed:
		p.registering = false
		p.armIdle(&out) // a woken app that cannot register goes back to sleep (B29)
	case Unregistered:
		p.registered = false
		p.registering = false
	case IncomingCall:
		p.incomingCall(&out, in)
	case CallerNameUpdated:
		p.nameUpdated(&out, in)
	case CallReleased:
		p.callReleased(&out, in)
	case TimerFired:
		p.timerFired(&out, in.ID)
	case AppStateChanged:
		return p.appStateChanged(in.State)
	case PresenceChanged:
		if in.Presence != Available && in.Presence != DND {
			return nil, fmt.Errorf("phone %s: unknown presence %q", p.cfg.Device, in.Presence)
		}
		p.cfg.Presence = in.Presence
	case DefaultSoftphoneChanged:
		p.cfg.DefaultSoftphone = in.Default
	case KeyPathChanged:
		p.cfg.WebSocketSession, p.cfg.SecureSignalling = in.WebSocketSession, in.SecureSignalling
	case nil:
		return nil, fmt.Errorf("phone %s: nil input", p.cfg.Device)
	default:
		return nil, fmt.Errorf("phone %s: unknown input %T", p.cfg.Device, in)
	}
	return out, nil
}

type effects []Effect

func (e *effects) add(x ...Effect) { *e = append(*e, x...) }

func (e *effects) record(name string, attrs ...timeline.Attr) {
	*e = append(*e, node.Record{Name: name, Attrs: attrs})
}

func (p *Phone) isApp() bool { return p.cfg.Kind != KindDeskphone }

// sleepAfter is how long the app stays up idle in the background, and why
// it ends then: myPBX for Android in push mode on/active ends itself after
// 10 s (B24) and in auto/off keeps its registration; every other app is
// suspended by its OS after Config.Suspend (B29). 0 = it stays up.
func (p *Phone) sleepAfter() (time.Duration, string) {
	switch {
	case !p.isApp():
		return 0, ""
	case p.cfg.Kind == KindMyPBX && p.cfg.OS == Android:
		if p.mode == PushOn || p.mode == PushActive {
			return p.cfg.IdleExit, ReasonIdle
		}
		return 0, ""
	}
	return p.cfg.Suspend, ReasonSuspended
}

// start brings up what runs when the world begins.
func (p *Phone) start(out *effects) {
	switch {
	case !p.isApp():
		p.running = true
	case p.app == Foreground:
		p.running = true
	case p.app == Background && p.cfg.Kind == KindMyPBX && p.cfg.OS == Android && (p.mode == PushAuto || p.mode == PushOff):
		// B24: auto and off work without push and keep the registration up.
		p.running = true
	default:
		// A backgrounded myApps (or myPBX on/active) sleeps until a push;
		// a closed or logged-out app does not run.
		return
	}
	p.register(out)
}

func (p *Phone) register(out *effects) {
	if p.registered || p.registering {
		return
	}
	p.registering = true
	out.add(StartRegistration{TTL: p.cfg.TTL})
}

// wakeLatency draws the wake latency (B21).
func (p *Phone) wakeLatency() time.Duration {
	w := p.cfg.Wake
	if w.Max == w.Min {
		return w.Min
	}
	return w.Min + time.Duration(p.rng.Int64N(int64(w.Max-w.Min)+1))
}

// armIdle starts the timer that ends a running app in the background with
// no call (B24, B29).
func (p *Phone) armIdle(out *effects) {
	after, _ := p.sleepAfter()
	if after <= 0 || p.app != Background || p.call != nil || !p.running || p.idleTimer {
		return
	}
	p.idleTimer = true
	out.add(node.SetTimer{ID: TimerID{Kind: TimerIdle}.Node(), After: after})
}

func (p *Phone) disarmIdle(out *effects) {
	if p.idleTimer {
		p.idleTimer = false
		out.add(node.CancelTimer{ID: TimerID{Kind: TimerIdle}.Node()})
	}
}

func (p *Phone) timerFired(out *effects, id TimerID) {
	switch id.Kind {
	case TimerWake:
		if !p.waking {
			return
		}
		p.waking = false
		p.register(out)
	case TimerIdle:
		if !p.idleTimer {
			return
		}
		p.idleTimer = false
		_, reason := p.sleepAfter()
		// B24/B29: the app unregisters (URQ) as it ends or is suspended.
		p.stop(out, reason)
		p.app = Background // ended by itself, not closed by the user: push still starts it
	case TimerAnswer:
		p.answer(out, id.Call)
	}
}

// stop ends the app process: it unregisters and drops what it was doing.
func (p *Phone) stop(out *effects, reason string) {
	if !p.running {
		return
	}
	if p.waking {
		p.waking = false
		out.add(node.CancelTimer{ID: TimerID{Kind: TimerWake}.Node()})
	}
	p.disarmIdle(out)
	if c := p.call; c != nil {
		if c.answerTimer {
			out.add(node.CancelTimer{ID: TimerID{TimerAnswer, c.id}.Node()})
		}
		out.add(SendRelease{Call: c.id, Cause: CauseNormalClearing})
		p.call = nil
	}
	if p.registered || p.registering {
		out.add(Unregister{})
	}
	p.running, p.registered, p.registering = false, false, false
	p.notes = nil
	out.record(EventAppStopped, timeline.A("device", p.cfg.Device), timeline.A("reason", reason))
}

// appStateChanged applies a user action on the app.
func (p *Phone) appStateChanged(state AppState) ([]Effect, error) {
	if !p.isApp() {
		return nil, fmt.Errorf("phone %s: a desk phone has no app state", p.cfg.Device)
	}
	var out effects
	prev := p.app
	switch state {
	case Foreground:
		if prev == LoggedOut {
			out.add(StartSession{})
		}
		p.app = Foreground
		p.closedFromSettings = false // B25: opening the app restores push
		p.closedInDND = false        // B26: so does it after DND then closed
		p.disarmIdle(&out)
		if !p.running {
			p.running = true
			out.record(EventAppStarted, timeline.A("device", p.cfg.Device), timeline.A("reason", ReasonUser))
		}
		p.register(&out)
	case Background:
		if prev == LoggedOut {
			return nil, fmt.Errorf("phone %s: log in (foreground) before going to background", p.cfg.Device)
		}
		p.app = Background
		p.armIdle(&out)
	case Closed:
		p.stop(&out, ReasonUser)
		p.app = Closed
		p.closedFromSettings = true
		p.closedInDND = p.cfg.Presence == DND
	case LoggedOut:
		p.stop(&out, ReasonUser)
		if prev != LoggedOut {
			out.add(EndSession{})
		}
		p.app = LoggedOut
	default:
		return nil, fmt.Errorf("phone %s: unknown app state %q", p.cfg.Device, state)
	}
	return out, nil
}
