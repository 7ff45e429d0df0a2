package scenario

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/callwake/callwake/h323"
	"github.com/callwake/callwake/h323/q931"
	"github.com/callwake/callwake/pbx"
	"github.com/callwake/callwake/phone"
	"github.com/callwake/callwake/push"
	"github.com/callwake/callwake/ras"
	"github.com/callwake/callwake/sim"
	"github.com/callwake/callwake/timeline"
)

// causeNormalClearing (Q.850 16) is what a caller sends when it hangs up.
const causeNormalClearing = 16

// causeTemporaryFailure (Q.850 41): the connection dropped without a
// Release Complete.
const causeTemporaryFailure = 41

// deviceActor is one phone: the phone decision core, a RAS endpoint that
// registers with its user's PBX, incoming call legs on TCP 1720 and the
// calls the scenario makes it place.
type deviceActor struct {
	w    *world
	name string
	spec *Device
	user *User
	pbx  *pbxActor
	addr netip.Addr
	rand *sim.Rand

	core *phone.Phone
	ep   *ras.Endpoint

	key    push.Key // the push payload key the PBX hands the app (B08)
	hasKey bool     // the app received the key (app.key_received)
	// loggedOut: the app's session is logged out; no key is handed over.
	loggedOut bool
	// keySentVia is the key path the last delivery used ("" after the paths
	// went down), so a path coming up again delivers again.
	keySentVia string
	websocket  bool // the app's WebSocket session is up (it carries the key)
	secure     bool // H.323 over TLS/DTLS (the other way the key arrives)
	token      string
	platform   string

	coreTimers timers[phone.TimerID]
	rasTimers  timers[ras.TimerID]

	tunnel deviceTunnel // h323-tcp / h323-tls: the connection kept to the PBX

	incoming  []*deviceLeg  // legs from the PBX, in arrival order
	outgoing  []*outCall    // calls this device placed
	pushCalls []pendingPush // pushes sent to this device and not yet delivered, oldest first
	pushing   *arrivingPush // set while the phone core decides on a push
}

// deviceLeg is a call leg from the PBX to this device.
type deviceLeg struct {
	ref   phone.CallRef
	leg   *h323.Leg
	conn  *sim.Conn
	reasm q931.Reassembler
	done  bool
	// shared: the leg runs on the connection the device maintains (B32),
	// which outlives the call.
	shared bool
}

// outCall is a call this device places (`calls:`).
type outCall struct {
	spec      *Call
	info      ras.CallInfo
	leg       *h323.Leg
	conn      *sim.Conn
	reasm     q931.Reassembler
	done      bool
	connected bool
	shared    bool // on the connection the device maintains (H.460.17)
}

// pendingPush is a push the PBX sent for a call. Vendors keep a device's
// pushes in order, so deliveries are matched to calls oldest first.
type pendingPush struct {
	src  string
	call pbx.CallID
}

// arrivingPush is the push the phone core is deciding on, for the event's
// from/to and wire bytes.
type arrivingPush struct {
	platform string
	payload  []byte
}

func newDeviceActor(w *world, index int) (*deviceActor, error) {
	spec := &w.file.Devices[index]
	addr, _ := w.plan.Lookup(spec.Name)
	ref := w.users[spec.User]
	p := w.pbxs[ref.pbx]
	d := &deviceActor{
		w: w, name: spec.Name, spec: spec, user: ref.user, pbx: p, addr: addr,
		rand:       w.rand.Fork("device/" + spec.Name),
		websocket:  spec.WebsocketSession,
		loggedOut:  spec.App == AppLoggedOut,
		secure:     spec.Transport == TransportH323TLS || spec.Transport == TransportH323DTLS,
		coreTimers: newTimers[phone.TimerID](w.loop),
		rasTimers:  newTimers[ras.TimerID](w.loop),
	}
	var err error
	if d.key, err = push.NewKey(spec.Name, randReader{d.rand.Fork("key")}); err != nil {
		return nil, err
	}
	if spec.Kind.IsApp() {
		d.token = pushToken(spec.Name, spec.OS)
		d.platform = push.PlatformFCM
		if spec.OS == OSIOS {
			d.platform = push.PlatformAPNs
		}
	}
	if d.core, err = phone.New(d.phoneConfig(), phoneRand{d.rand.Fork("wake")}); err != nil {
		return nil, err
	}
	d.ep = ras.NewEndpoint(ras.EndpointConfig{
		Alias:             d.user.Name,
		Number:            d.user.Number,
		Password:          spec.Password,
		RASAddress:        netip.AddrPortFrom(addr, portRAS),
		CallSignalAddress: netip.AddrPortFrom(addr, d.signallingPort()),
		Gatekeeper:        netip.AddrPortFrom(p.addr, portRAS),
		TimeToLive:        spec.TTL,
		Discover:          true,
		KeepAlive:         true,
		// H.460.17 devices keep their signalling connection open (B32).
		MaintainConnection: d.tunnelled(),
		GatekeeperID:       spec.GatekeeperID,
		ClockSkew:          spec.ClockSkew,
		Authentication:     rasAuthMethod(spec.H235),
		FirstSeqNum:        1, // simulated timelines number requests from 1
	})
	if err := w.net.ListenUDP(netip.AddrPortFrom(addr, portRAS), func(from netip.AddrPort, b []byte) {
		d.rasDo(d.ep.HandleDatagram(w.now(), from, b))
	}); err != nil {
		return nil, err
	}
	if err := w.net.ListenStream(netip.AddrPortFrom(addr, d.signallingPort()), d.acceptLeg); err != nil {
		return nil, err
	}
	return d, nil
}

// signallingPort is where the device speaks H.225.0 call signalling: TLS
// 1300 for the secure transports, TCP 1720 otherwise (world_tunnel.go
// describes the transports).
func (d *deviceActor) signallingPort() uint16 {
	if d.secure {
		return portSecure
	}
	return portSignalling
}

// phoneConfig maps the scenario's device onto the phone core's settings
// (phone's "For the world builder").
func (d *deviceActor) phoneConfig() phone.Config {
	s := d.spec
	cfg := phone.Defaults(s.Name, phone.Kind(s.Kind), phone.OS(s.OS))
	if s.Kind.IsApp() {
		cfg.App = phone.AppState(s.App)
	}
	cfg.DefaultSoftphone = s.DefaultSoftphone
	cfg.WebSocketSession = s.WebsocketSession
	cfg.SecureSignalling = d.secure
	cfg.Wake = phone.Latency{Min: s.Wake.Min, Max: s.Wake.Max}
	cfg.TTL = s.TTL
	switch s.Answer.Mode {
	case AnswerAfter:
		cfg.Answer = phone.Answer{Mode: phone.AnswerAfter, After: s.Answer.After}
	case AnswerReject:
		cfg.Answer = phone.Answer{Mode: phone.AnswerRejectBusy}
		if s.Answer.Reject == "declined" {
			cfg.Answer = phone.Answer{Mode: phone.AnswerDecline}
		}
	default:
		cfg.Answer = phone.Answer{Mode: phone.AnswerNever}
	}
	cfg.IOS.NotificationsAllowed = s.IOS.NotificationsAllowed
	if s.OS == OSIOS && !s.IOS.VendorPortOpen {
		// B20: the format's vendor_port: blocked is the Wi-Fi-only case.
		cfg.Network = phone.Network{WiFiOnly: true, VendorPortBlocked: true}
	}
	if s.OS == OSAndroid && !s.Android.VendorPortOpen {
		// B20 on Android: the Wi-Fi blocks FCM's ports (5228-5230) the same way.
		cfg.Network = phone.Network{WiFiOnly: true, VendorPortBlocked: true}
	}
	if s.Android.Push != "" {
		cfg.Android.Push = phone.PushMode(s.Android.Push)
	}
	cfg.Android.StartAutomatically = phone.StartNever
	if s.Android.StartAutomatically {
		cfg.Android.StartAutomatically = phone.StartAlways
	}
	cfg.Android.Notifications = s.Android.NotificationsAllowed
	cfg.Android.CallingAccount = s.Android.CallingAccount
	cfg.Android.BackgroundData = s.Android.BackgroundData
	cfg.Android.Overlay = s.Android.Overlay
	cfg.Android.HMSStale = s.Android.HMSStale
	cfg.Presence = phone.Available
	if d.user.Presence == PresenceDND {
		cfg.Presence = phone.DND
	}
	cfg.DNDClosedStopsWake = d.pbx.core.Quirk(pbx.QuirkDNDClosedStopsWake)
	return cfg
}

// Key path values of app.key_received {device, via} (B08).
const (
	keyViaWebSocket = "websocket"
)

// keyVia names the way the PBX hands this app the push decryption key (B08):
// its WebSocket session ("websocket"), else secure H.323 (the transport's
// name, "h323-tls" or "h323-dtls"), else "" — plain h323 and h323-tcp never
// carry the key.
func (d *deviceActor) keyVia() string {
	switch {
	case !d.spec.Kind.IsApp():
		return ""
	case d.websocket:
		return keyViaWebSocket
	case d.secure:
		return string(d.spec.Transport)
	}
	return ""
}

// keyAtPBX is the key the PBX encrypts pushes for this device with: only
// while a key path is up (B08); nil sends the type only.
func (d *deviceActor) keyAtPBX() *push.Key {
	if d.keyVia() != "" {
		return &d.key
	}
	return nil
}

// deliverKey records the PBX handing the app its push key over the current
// key path, once per path change. Model choice: an app that has a key path
// at the start of the run received its key before (its last session or
// secure registration), so the delivery is recorded at 0s.
func (d *deviceActor) deliverKey() {
	via := d.keyVia()
	if via == "" || via == d.keySentVia || d.loggedOut {
		return
	}
	d.keySentVia = via
	d.hasKey = true
	d.w.record("app.key_received", message(d.pbx.name, d.name,
		[]timeline.Attr{timeline.A("device", d.name), timeline.A("via", via)}), nil)
}

// setWebSocketSession: the websocket_session action. The phone core learns
// its new key path; a session coming up delivers the key.
func (d *deviceActor) setWebSocketSession(up bool) {
	d.websocket = up
	if d.keyVia() == "" {
		d.keySentVia = ""
	}
	d.handle(phone.KeyPathChanged{WebSocketSession: up, SecureSignalling: d.secure})
	d.deliverKey()
}

func (d *deviceActor) start() {
	d.deliverKey()
	d.handle(phone.Start{})
}

// handle gives the phone core one input and carries out its effects.
func (d *deviceActor) handle(in phone.Input) {
	effects, err := d.core.Handle(in)
	if err != nil {
		d.w.fail(errorf(d.name, "%v", err))
		return
	}
	w := d.w
	for _, e := range effects {
		switch e := e.(type) {
		case phone.SetTimer:
			id := e.ID
			d.coreTimers.set(id, e.After, func() { d.handle(phone.TimerFired{ID: id}) })
		case phone.CancelTimer:
			d.coreTimers.cancel(e.ID)
		case phone.Record:
			d.recordPhone(e)
		case phone.StartRegistration:
			d.rasDo(d.ep.Register(w.now()))
		case phone.Unregister:
			d.rasDo(d.ep.Unregister(w.now()))
		case phone.SendAlerting:
			if l := d.legOf(e.Call); l != nil {
				d.legDo(l, l.leg.Alerting())
			}
		case phone.SendConnect:
			if l := d.legOf(e.Call); l != nil {
				d.legDo(l, l.leg.Connect())
			}
		case phone.SendRelease:
			if l := d.legOf(e.Call); l != nil {
				l.done = true
				d.legDo(l, l.leg.Release(e.Cause))
				if !l.shared {
					l.conn.Close()
				}
			}
		case phone.EndSession:
			d.loggedOut, d.keySentVia = true, ""
			d.toPBX(pbx.PushTokenDropped{Device: d.name})
		case phone.StartSession:
			d.loggedOut = false
			d.toPBX(pbx.PushTokenRegistered{Device: d.name})
			d.deliverKey() // a new session hands over the key again
		default:
			w.fail(errorf(d.name, "unexpected phone effect %T", e))
		}
	}
}

// toPBX tells the PBX about the app's session (it runs over the app's
// WebSocket session, one link delay away).
func (d *deviceActor) toPBX(in pbx.Input) {
	p := d.pbx
	d.w.loop.After(d.w.net.Link(d.addr, p.addr).Latency, func() { p.handle(in) })
}

// recordPhone records a phone event; a push decision gets the vendor as
// sender and the payload it carried.
func (d *deviceActor) recordPhone(e phone.Record) {
	if d.pushing == nil || (e.Name != phone.EventPushDelivered && e.Name != phone.EventPushDropped) {
		d.w.record(e.Name, e.Attrs, nil)
		return
	}
	vendor := actorAPNs
	if d.pushing.platform == push.PlatformFCM {
		vendor = actorFCM
	}
	attrs := message(vendor, d.name, e.Attrs)
	var wire *timeline.Wire
	if e.Name == phone.EventPushDelivered {
		vaddr, _ := d.w.plan.Lookup(vendor)
		wire = &timeline.Wire{Protocol: d.pushing.platform, Transport: "tls",
			Src: netip.AddrPortFrom(vaddr, portAPNsPhone), Dst: netip.AddrPortFrom(d.addr, 49152), Payload: d.pushing.payload}
	}
	d.w.record(e.Name, attrs, wire)
}

// pushArrived: the vendor hands a push to the phone.
func (d *deviceActor) pushArrived(platform string, payload []byte) {
	var call pbx.CallID
	if len(d.pushCalls) > 0 {
		call = d.pushCalls[0].call
		d.pushCalls = slices.Delete(d.pushCalls, 0, 1)
	}
	var key *push.Key
	if d.hasKey {
		key = &d.key
	}
	typ, details, err := push.OpenPhonePayload(payload, key)
	if err != nil {
		typ, details = "", push.Details{}
	}
	d.w.tap(tapApp, []byte(strings.Join([]string{typ, details.Number, details.Name, details.Callflow, details.Title, details.Content}, "\n")))
	d.pushing = &arrivingPush{platform: platform, payload: payload}
	d.handle(phone.PushArrived{Call: phone.CallRef(call), Type: typ, Number: details.Number, Name: details.Name})
	d.pushing = nil
}

func (d *deviceActor) legOf(ref phone.CallRef) *deviceLeg {
	for _, l := range d.incoming {
		if l.ref == ref && !l.done && l.leg != nil {
			return l
		}
	}
	return nil
}

// acceptLeg takes a call signalling connection from the PBX.
func (d *deviceActor) acceptLeg(c *sim.Conn) {
	l := &deviceLeg{conn: c}
	d.incoming = append(d.incoming, l)
	c.OnData(func(b []byte) {
		l.reasm.Feed(b)
		for {
			msg, ok, err := l.reasm.Next()
			if err != nil {
				c.Close()
				d.legClosed(l)
				return
			}
			if !ok {
				return
			}
			msg = slices.Clone(msg)
			if l.leg == nil {
				if _, _, typ, err := h323.PeekCallReference(msg); err != nil || typ != byte(q931.Setup) {
					continue
				}
				l.leg = h323.NewLeg(h323.LegConfig{Local: c.LocalAddr(), Remote: c.RemoteAddr()})
			}
			d.legDo(l, l.leg.HandleMessage(msg))
		}
	})
	c.OnClose(func(error) { d.legClosed(l) })
}

func (d *deviceActor) legClosed(l *deviceLeg) {
	if l.done || l.leg == nil {
		l.done = true
		return
	}
	l.done = true
	d.handle(phone.CallReleased{Call: l.ref, Cause: causeTemporaryFailure})
}

// legDo carries out an incoming leg's effects.
func (d *deviceActor) legDo(l *deviceLeg, effects []h323.Effect) {
	w := d.w
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			w.sendQ931(l.conn, d.name, d.pbx.name, e)
		case h323.PeerSetup:
			l.ref = phone.CallRef(callOfGUID(e.CallID))
			d.handle(phone.IncomingCall{Call: l.ref, Number: e.CallingNumber, Name: e.CallingName, Silent: e.Silent})
		case h323.PeerFacility:
			// B17: the PBX sends the caller's name after the Setup as a
			// Facility with a Display element.
			if e.Display != "" && !l.done {
				d.handle(phone.CallerNameUpdated{Call: l.ref, Name: e.Display})
			}
		case h323.PeerReleased:
			if !l.done {
				l.done = true
				if !l.shared {
					l.conn.Close()
				}
				d.handle(phone.CallReleased{Call: l.ref, Cause: e.Cause})
			}
		case h323.ProtocolError:
			w.record("q931.protocol_error", []timeline.Attr{timeline.A("from", d.pbx.name), timeline.A("to", d.name), timeline.A("error", e.Err.Error())}, nil)
		}
	}
}

// placeCall starts a call from this device: ARQ, then TCP to the PBX and
// the Setup.
func (d *deviceActor) placeCall(c *Call) {
	oc := &outCall{spec: c}
	oc.info = ras.CallInfo{
		CallID: randomGUID(d.rand), ConferenceID: randomGUID(d.rand),
		CallReference: uint16(len(d.outgoing)%0x7fff + 1), Destination: c.To,
	}
	d.outgoing = append(d.outgoing, oc)
	d.rasDo(d.ep.Admit(d.w.now(), oc.info))
}

func (d *deviceActor) outCallOf(id [16]byte) *outCall {
	for _, oc := range d.outgoing {
		if oc.info.CallID == id {
			return oc
		}
	}
	return nil
}

// dial opens the call signalling connection of an admitted call.
// An H.460.17 device places the call on the connection it maintains.
func (d *deviceActor) dial(oc *outCall) {
	w := d.w
	if d.tunnelled() && d.tunnel.conn != nil {
		oc.shared = true
		d.startOut(oc, d.tunnel.conn)
		return
	}
	w.net.Dial(netip.AddrPortFrom(d.addr, 0), netip.AddrPortFrom(d.pbx.addr, d.signallingPort()), func(c *sim.Conn, err error) {
		if err != nil {
			oc.done = true
			w.record("call.failed", []timeline.Attr{timeline.A("device", d.name), timeline.A("reason", err.Error())}, nil)
			return
		}
		c.OnData(func(b []byte) {
			oc.reasm.Feed(b)
			for {
				msg, ok, err := oc.reasm.Next()
				if err != nil {
					c.Close() // a broken TPKT stream: drop the connection
					d.outEnded(oc)
					return
				}
				if !ok {
					return
				}
				d.outDo(oc, oc.leg.HandleMessage(slices.Clone(msg)))
			}
		})
		c.OnClose(func(error) { d.outEnded(oc) })
		d.startOut(oc, c)
	})
}

// startOut sends the Setup of a placed call on connection c.
func (d *deviceActor) startOut(oc *outCall, c *sim.Conn) {
	oc.conn = c
	oc.leg = h323.NewLeg(h323.LegConfig{
		Outgoing: true, CallReference: oc.info.CallReference, CallID: oc.info.CallID, ConferenceID: oc.info.ConferenceID,
		CallingNumber: d.user.Number, CalledNumber: oc.spec.To, SourceAlias: d.user.Name,
		Local: c.LocalAddr(), Remote: c.RemoteAddr(), MaintainConnection: oc.shared,
	})
	d.outDo(oc, oc.leg.Setup())
}

// outDo carries out the effects of a placed call's leg.
func (d *deviceActor) outDo(oc *outCall, effects []h323.Effect) {
	w := d.w
	for _, e := range effects {
		switch e := e.(type) {
		case h323.Send:
			w.sendQ931(oc.conn, d.name, d.pbx.name, e)
		case h323.PeerConnect:
			if !oc.connected && oc.spec.HangupAfter > 0 {
				w.loop.After(oc.spec.HangupAfter, func() { d.hangUp(oc) })
			}
			oc.connected = true
		case h323.PeerReleased:
			if !oc.done {
				if !oc.shared {
					oc.conn.Close()
				}
				d.outEnded(oc)
			}
		case h323.ProtocolError:
			w.record("q931.protocol_error", []timeline.Attr{timeline.A("from", d.pbx.name), timeline.A("to", d.name), timeline.A("error", e.Err.Error())}, nil)
		}
	}
}

// hangUp: the caller hangs up (hangup_after).
func (d *deviceActor) hangUp(oc *outCall) {
	if oc.done {
		return
	}
	d.outDo(oc, oc.leg.Release(causeNormalClearing))
	if !oc.shared {
		oc.conn.Close()
	}
	d.outEnded(oc)
}

// outEnded: the call is over; the endpoint disengages (DRQ).
func (d *deviceActor) outEnded(oc *outCall) {
	if oc.done {
		return
	}
	oc.done = true
	d.rasDo(d.ep.Disengage(d.w.now(), oc.info))
}

// rasDo carries out the RAS endpoint's effects.
func (d *deviceActor) rasDo(effects []ras.Effect) {
	w := d.w
	for _, e := range effects {
		switch e := e.(type) {
		case ras.Send:
			if d.tunnelled() {
				d.sendRASTunnel(e)
				continue
			}
			w.sendRAS(netip.AddrPortFrom(d.addr, portRAS), e.To, e.Payload, e.Event, e.Attrs)
		case ras.SetTimer:
			id := e.ID
			d.rasTimers.set(id, e.After, func() { d.rasDo(d.ep.HandleTimer(w.now(), id)) })
		case ras.CancelTimer:
			d.rasTimers.cancel(e.ID)
		case ras.Record:
			w.record(e.Event, e.Attrs, nil)
		case ras.Registered:
			d.handle(phone.RegistrationConfirmed{})
		case ras.RegistrationFailed:
			d.handle(phone.RegistrationFailed{Reason: e.Reason})
		case ras.Unregistered:
			d.handle(phone.Unregistered{})
		case ras.Admitted:
			if oc := d.outCallOf(e.Call.CallID); oc != nil && !oc.done && oc.leg == nil {
				d.dial(oc)
			}
		case ras.AdmissionRejected:
			// No admission, no call (H.323 endpoints with a gatekeeper do not
			// call without an ACF); say why, as the ARJ may never have been
			// on the wire (e.g. the device is not registered).
			if oc := d.outCallOf(e.Call.CallID); oc != nil && !oc.done {
				oc.done = true
				w.record("call.not_placed", []timeline.Attr{timeline.A("device", d.name), timeline.A("to", oc.spec.To), timeline.A("reason", e.Reason)}, nil)
			}
		}
	}
}

// sendQ931 writes one Q.931 message as a TPKT frame on a connection and
// records its event.
func (w *world) sendQ931(c *sim.Conn, from, to string, s h323.Send) {
	frame, err := q931.Frame(s.Payload)
	if err != nil {
		w.fail(errorf(from, "tpkt: %v", err))
		return
	}
	c.Write(frame)
	wire := &timeline.Wire{Protocol: "q931", Transport: streamTransport(c), Src: c.LocalAddr(), Dst: c.RemoteAddr(), Payload: slices.Clone(s.Payload)}
	w.record(s.Event, message(from, to, s.Attrs), wire)
}

// rasAuthMethod maps the device's h235 key onto the ras core's token method.
func rasAuthMethod(m H235Method) ras.AuthMethod {
	if m == H235MD5 {
		return ras.AuthMD5
	}
	return ras.AuthHMACSHA1
}
